import { rateLimitFlood } from '../src/scenarios/rate-limit';

const say = process.env.FAULTS_DEBUG ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined;

it('answers only 202 or 429 with Retry-After at 5x the rate limit, and the producer still delivers every event', async () => {
  const result = await rateLimitFlood.run({ say });
  expect(result.failures).toEqual([]);
  expect(Object.keys(result.statuses).sort()).toEqual(['202', '429']);
  expect(result.lost).toEqual([]);
  expect(result.duplicated).toEqual([]);
  expect(result.stored).toBe(result.accepted);
}, 300_000);
