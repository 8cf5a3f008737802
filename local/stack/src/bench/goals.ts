import { functionsTotal } from './processes';
import { saturationPerSecond } from './ratios';
import type { BenchResult } from './types';

/** The bar. Reported against, never asserted: figures on a shared machine are noisy. */
export const GOALS = {
  pipelineOverSlowestCeiling: 0.7,
  p99AtHalfSaturationMs: 1000,
  peakRssMb: 500,
  hubBytesPerEvent: 1024,
  /** Issue 16: stored events/s at saturation over the Cosmos DB emulator's upserts/s, same run. */
  saturationOverCosmosCeiling: 0.5,
  /** Issue 16: the functions app's CPU (ingest + consume, every process of it) per stored event at saturation. */
  hostCpuMsPerStoredEvent: 0.7,
} as const;

export interface GoalOutcome {
  readonly goal: string;
  readonly measured: string;
  /** null when the run did not measure it (a step that stored nothing, say). */
  readonly met: boolean | null;
}

export function evaluateGoals(
  r: Pick<BenchResult, 'ratios' | 'steps' | 'processes' | 'hub' | 'ceilings'>,
): GoalOutcome[] {
  const half = r.steps.find((s) => s.kind === 'half-saturation');
  const p99 = half?.latencyMs.p99 ?? null;
  const rss = Object.entries(r.processes)
    .filter(([, p]) => p.peakRssMb !== null)
    .sort(([, a], [, b]) => b.peakRssMb! - a.peakRssMb!);
  const [heaviest] = rss;
  const saturation = saturationPerSecond(r.steps);
  const cosmos = r.ceilings.cosmosUpsertsPerSecond;
  const unlimited = r.steps.find((s) => s.kind === 'unlimited');
  const hostMs = unlimited?.cpuMsPerStoredEvent ? functionsTotal(unlimited.cpuMsPerStoredEvent) : null;
  const perProcess = unlimited?.cpuMsPerStoredEvent
    ? Object.entries(unlimited.cpuMsPerStoredEvent)
        .map(([name, ms]) => `${name} ${ms}`)
        .join(', ')
    : '';
  return [
    {
      goal: `end-to-end ≥ ${GOALS.pipelineOverSlowestCeiling * 100}% of the slowest stage ceiling`,
      measured: `${Math.round(r.ratios.pipelineOverSlowestCeiling * 100)}% (slowest: ${r.ratios.slowestStage})`,
      met: r.ratios.pipelineOverSlowestCeiling >= GOALS.pipelineOverSlowestCeiling,
    },
    {
      goal: `p99 < ${GOALS.p99AtHalfSaturationMs / 1000} s at half the saturation rate`,
      measured:
        half && p99 !== null ? `${p99} ms at ${half.offeredPerSecond} events/s offered` : 'not measured',
      met: p99 === null ? null : p99 < GOALS.p99AtHalfSaturationMs,
    },
    {
      goal: `no process above ${GOALS.peakRssMb} MB RSS`,
      measured: heaviest ? `${heaviest[1].peakRssMb} MB peak (${heaviest[0]})` : 'not measured',
      met: heaviest ? heaviest[1].peakRssMb! <= GOALS.peakRssMb : null,
    },
    {
      // Every event, not the average: the claim check promises a bound, not a typical size.
      goal: `every hub event < ${GOALS.hubBytesPerEvent} bytes (claim check)`,
      measured: r.hub.events
        ? `mean ${Math.round(r.hub.meanBodyBytes)} bytes, max ${r.hub.maxBodyBytes} bytes (${r.hub.events} events)`
        : 'not measured',
      met: r.hub.events ? r.hub.maxBodyBytes < GOALS.hubBytesPerEvent : null,
    },
    {
      goal: `stored events/s at saturation ≥ ${GOALS.saturationOverCosmosCeiling * 100}% of the Cosmos DB emulator ceiling (same run)`,
      measured:
        cosmos > 0
          ? `${Math.round((saturation / cosmos) * 100)}% (${Math.round(saturation)} of ${Math.round(cosmos)} upserts/s)`
          : 'not measured',
      met: cosmos > 0 && saturation > 0 ? saturation / cosmos >= GOALS.saturationOverCosmosCeiling : null,
    },
    {
      goal: `functions host CPU ≤ ${GOALS.hostCpuMsPerStoredEvent} ms per stored event at saturation (ingest + consume, all its processes)`,
      measured: hostMs === null ? 'not measured' : `${hostMs} ms (CPU ms per stored event: ${perProcess})`,
      met: hostMs === null ? null : hostMs <= GOALS.hostCpuMsPerStoredEvent,
    },
  ];
}
