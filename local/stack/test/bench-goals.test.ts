import { evaluateGoals } from '../src/bench/goals';
import { bestWindow } from '../src/bench/load';
import { deriveRatios, saturationPerSecond } from '../src/bench/ratios';
import { halfSaturationRate } from '../src/bench/steps';
import { benchResult } from './bench-fixture';

describe('bench ratios and goals (pure)', () => {
  const r = benchResult();

  it('takes a store ceiling from its best window, with that window\'s CPU', () => {
    const windows = [
      { perSecond: 1887, cpu: 0.3 },
      { perSecond: 3541, cpu: 0.39 },
      { perSecond: 2994, cpu: 0.6 },
    ];
    expect(bestWindow(windows)).toEqual({ perSecond: 3541, cpu: 0.39 });
    expect(bestWindow([{ perSecond: 10, cpu: null }])).toEqual({ perSecond: 10, cpu: null });
    expect(() => bestWindow([])).toThrow('a ceiling needs at least one measured window');
  });

  it('takes the saturation rate from the sweep, not from the half-saturation step', () => {
    expect(saturationPerSecond(r.steps)).toBe(150);
    expect(saturationPerSecond(r.steps.filter((s) => s.kind === 'half-saturation'))).toBe(0);
  });

  it('derives the ratios against the slowest stage, in events per second', () => {
    expect(deriveRatios(r.ceilings, r.steps, r.hub)).toEqual({
      pipelineOverSlowestCeiling: 0.75, // 150 stored / (Azurite's 8 archive PUTs x 25 events)
      slowestStage: 'Azurite (one archive blob per 25-event request)',
      gatewayOverBareBackend: 0.2,
      hubBytesPerEvent: 619,
    });
  });

  it('picks another stage when it is the slowest', () => {
    const ceilings = { ...r.ceilings, gatewayOverBareEventsPerSecond: 100 };
    expect(deriveRatios(ceilings, r.steps, r.hub)).toMatchObject({
      slowestStage: 'gateway (policies) -> bare 202',
      pipelineOverSlowestCeiling: 1.5,
    });
  });

  it('halves the saturation rate to a multiple of 5, never below 5', () => {
    expect([halfSaturationRate(150), halfSaturationRate(63.4), halfSaturationRate(3)]).toEqual([75, 30, 5]);
  });

  it('reports each goal as met, missed or not measured', () => {
    expect(evaluateGoals(r).map((g) => g.met)).toEqual([true, true, true, true, true, true]);
    const missed = evaluateGoals(
      benchResult({
        ratios: { ...r.ratios, pipelineOverSlowestCeiling: 0.38 },
        steps: r.steps.map((s) =>
          s.kind === 'half-saturation' ? { ...s, latencyMs: { ...s.latencyMs, p99: 1200 } } : s,
        ),
        processes: { ...r.processes, azurite: { peakRssMb: 612, cpuShare: 0.4 } },
        hub: { events: 10, meanBodyBytes: 900, maxBodyBytes: 1500 },
        ceilings: { ...r.ceilings, cosmosUpsertsPerSecond: 1_000 },
      }),
    );
    const slowHost = evaluateGoals(
      benchResult({
        steps: r.steps.map((s) =>
          s.kind === 'unlimited'
            ? { ...s, cpuMsPerStoredEvent: { ...s.cpuMsPerStoredEvent, functions: 1.5 } }
            : s,
        ),
      }),
    );
    // One process per scale group: the goal is their sum (0.3 + 0.5 > 0.7), each still reported.
    const splitHost = evaluateGoals(
      benchResult({
        steps: r.steps.map((s) =>
          s.kind === 'unlimited'
            ? {
                ...s,
                cpuMsPerStoredEvent: { 'functions (http)': 0.3, 'functions (consume)': 0.5, azurite: 0.4 },
              }
            : s,
        ),
      }),
    );
    expect(splitHost[5]).toEqual({
      goal: expect.stringContaining('functions host CPU') as unknown,
      measured:
        '0.8 ms (CPU ms per stored event: functions (http) 0.3, functions (consume) 0.5, azurite 0.4)',
      met: false,
    });
    expect(missed.map((g) => g.met)).toEqual([false, false, false, false, false, true]);
    expect(slowHost.map((g) => g.met)).toEqual([true, true, true, true, true, false]);
    expect(missed.map((g) => g.measured)).toEqual([
      '38% (slowest: Azurite (one archive blob per 25-event request))',
      '1200 ms at 75 events/s offered',
      '612 MB peak (azurite)',
      'mean 900 bytes, max 1500 bytes (10 events)',
      '15% (150 of 1000 upserts/s)',
      '0.6 ms (CPU ms per stored event: functions 0.6, azurite 0.4, producer 0.07)',
    ]);
    const unmeasured = evaluateGoals(
      benchResult({
        steps: r.steps.filter((s) => s.kind !== 'half-saturation'),
        hub: { events: 0, meanBodyBytes: 0, maxBodyBytes: 0 },
      }),
    );
    expect(unmeasured.map((g) => g.met)).toEqual([true, null, true, null, true, true]);
    // A run whose sweep stored nothing, or whose process stats are missing, says so instead of passing.
    const nothing = evaluateGoals(
      benchResult({
        steps: r.steps.map((s) => ({ ...s, storedPerSecond: 0, cpuMsPerStoredEvent: {} })),
      }),
    );
    expect(nothing.slice(4).map((g) => g.met)).toEqual([null, null]);
  });
});
