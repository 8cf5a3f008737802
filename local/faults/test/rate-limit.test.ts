import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { policiesWithRateLimit, rateLimitFlood } from '../src/scenarios/rate-limit';

const say = process.env.FAULTS_DEBUG ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined;

it('scales only the rate limit of a copy of the policies', () => {
  const dir = policiesWithRateLimit({ calls: 7, periodSeconds: 3 });
  try {
    const xml = readFileSync(join(dir, 'product-ingest.xml'), 'utf8');
    expect(xml).toContain('<rate-limit calls="7" renewal-period="3"');
    expect(xml).toContain('<quota calls="100000"');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('answers only 202 or 429 with Retry-After at 5x the rate limit, and the producer still delivers every event', async () => {
  const result = await rateLimitFlood.run({ say });
  expect(result.failures).toEqual([]);
  expect(Object.keys(result.statuses).sort()).toEqual(['202', '429']);
  expect(result.lost).toEqual([]);
  expect(result.duplicated).toEqual([]);
  expect(result.stored).toBe(result.accepted);
}, 300_000);
