import { generatePlans, MUTATION_KINDS } from '../src/fuzz/mutations';
import { FUZZ_DEFAULTS } from '../src/fuzz/scenario';
import { scenarios, SCENARIOS } from '../src/scenarios';
import { killMoments } from '../src/scenarios/process-kills';
import { VOLUMES, volumesNamed } from '../src/volumes';

it('spreads kill moments over the replay, the same for the same seed', () => {
  const moments = killMoments(7, 5, 20_000);
  expect(moments).toEqual(killMoments(7, 5, 20_000));
  expect(moments).not.toEqual(killMoments(8, 5, 20_000));
  expect(moments).toHaveLength(5);
  for (let i = 1; i < moments.length; i++) expect(moments[i]! - moments[i - 1]!).toBeGreaterThan(0);
  expect(moments[0]).toBeGreaterThanOrEqual(1_000);
  expect(moments.at(-1)).toBeLessThan(19_000);
});

describe('fault volumes', () => {
  it('run the same scenarios at either volume; only the figures in the titles differ', () => {
    const ids = (volume: keyof typeof VOLUMES) => scenarios(VOLUMES[volume]).map((s) => s.id);
    expect(ids('test')).toEqual(ids('report'));
    expect(SCENARIOS.map((s) => s.title)).toEqual(scenarios(VOLUMES.report).map((s) => s.title));
    expect(SCENARIOS[0]!.title).toContain('20,000-event replay');
    expect(scenarios(VOLUMES.test)[0]!.title).toContain('5,000-event replay');
    expect(FUZZ_DEFAULTS.requests).toBe(VOLUMES.report.fuzzRequests);
  });

  it('still put all five host kills mid-stream at the test volume, with events after the last', () => {
    const events = VOLUMES.test.hostKillEvents;
    const moments = killMoments(20_261_128, 5, events);
    expect(new Set(moments).size).toBe(5);
    expect(moments[0]).toBeGreaterThanOrEqual(events * 0.05);
    // At least ~10% of the replay after each kill: the restarted host has work to redo and new events.
    for (let i = 1; i < moments.length; i++)
      expect(moments[i]! - moments[i - 1]!).toBeGreaterThan(events * 0.02);
    expect(events - moments.at(-1)!).toBeGreaterThan(events * 0.05);
  });

  it('still leave events after the Event Hubs kill (after 1,000 accepted) and the outages (after 800) at the test volume', () => {
    expect(VOLUMES.test.steadyEvents - 1_000).toBeGreaterThanOrEqual(500);
    expect(VOLUMES.test.steadyEvents).toBeLessThan(VOLUMES.report.steadyEvents);
  });

  // The plan's weights make the costly kinds rare (an oversize body is 1 MB+): at 3,000 requests the
  // rarest, oversize-body and batch-shape, come 5 and 13 times (40 each at 10,000).
  it('still generate every hostile mutation kind at the test volume, the rarest at least 5 times', () => {
    const counts = new Map<string, number>();
    for (const plan of generatePlans(FUZZ_DEFAULTS.seed, VOLUMES.test.fuzzRequests))
      counts.set(plan.mutation.kind, (counts.get(plan.mutation.kind) ?? 0) + 1);
    const rare = MUTATION_KINDS.filter((kind) => (counts.get(kind) ?? 0) < 5);
    expect(rare).toEqual([]);
  });

  it('are picked by name, test by default in the jest lane, and an unknown name is refused', () => {
    expect(volumesNamed(undefined, 'test')).toBe(VOLUMES.test);
    expect(volumesNamed('', 'test')).toBe(VOLUMES.test);
    expect(volumesNamed('report', 'test')).toBe(VOLUMES.report);
    expect(() => volumesNamed('huge', 'test')).toThrow(
      'unknown fault volume "huge": use one of report, test',
    );
  });
});
