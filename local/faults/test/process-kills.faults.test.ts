import { eventHubsKill, functionsHostKills, killMoments } from '../src/scenarios/process-kills';

const say = process.env.FAULTS_DEBUG ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined;

it('spreads kill moments over the replay, the same for the same seed', () => {
  const moments = killMoments(7, 5, 20_000);
  expect(moments).toEqual(killMoments(7, 5, 20_000));
  expect(moments).not.toEqual(killMoments(8, 5, 20_000));
  expect(moments).toHaveLength(5);
  for (let i = 1; i < moments.length; i++) expect(moments[i]! - moments[i - 1]!).toBeGreaterThan(0);
  expect(moments[0]).toBeGreaterThanOrEqual(1_000);
  expect(moments.at(-1)).toBeLessThan(19_000);
});

describe('processes killed mid-stream', () => {
  it('loses nothing when the Event Hubs emulator is SIGKILLed and restarted', async () => {
    const result = await eventHubsKill.run({ say });
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({ offered: 3000, accepted: 3000, stored: 3000, lost: [], duplicated: [] });
  }, 300_000);

  it('loses nothing when the functions host is SIGKILLed 5 times during a 20,000-event replay', async () => {
    const result = await functionsHostKills.run({ say });
    expect(result.failures).toEqual([]);
    expect(result).toMatchObject({
      offered: 20_000,
      accepted: 20_000,
      stored: 20_000,
      lost: [],
      duplicated: [],
    });
  }, 900_000);
});
