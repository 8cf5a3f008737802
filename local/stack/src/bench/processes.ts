// CPU share and peak RSS of the pipeline's processes (and the bench's own), from process-stats
// (/proc on Linux, ps and getrusage elsewhere).
import { FUNCTIONS_PROCESS } from '../services/functions';
import { sampleProcess } from '../process-stats';

/** CPU seconds the whole machine has been busy (every process), for the steps' noise figures. */
export { machineBusySeconds } from '../process-stats';

export type Pids = Readonly<Record<string, number>>;

export { functionsPids } from '../services/functions';

/** The functions app's figure: the sum over its processes (ingest + consume), null when absent. */
export function functionsTotal(figures: Readonly<Record<string, number>>): number | null {
  const mine = Object.entries(figures).filter(([name]) => name.startsWith(FUNCTIONS_PROCESS));
  return mine.length ? Math.round(mine.reduce((sum, [, v]) => sum + v, 0) * 100) / 100 : null;
}

/** CPU seconds of each process so far; a process that is gone reads as undefined. */
export function cpuSnapshot(pids: Pids): Record<string, number | undefined> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => [name, sampleProcess(pid)?.cpuSeconds]),
  );
}

/** CPU seconds per wall second between two snapshots (1 = one full core), two decimals. */
export function cpuShares(
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
  wallSeconds: number,
): Record<string, number> {
  const shares: Record<string, number> = {};
  for (const [name, end] of Object.entries(after)) {
    const start = before[name];
    if (end === undefined || start === undefined || wallSeconds <= 0) continue;
    shares[name] = Math.round(((end - start) / wallSeconds) * 100) / 100;
  }
  return shares;
}

/** CPU milliseconds per event between two snapshots, two decimals; none when no event was stored. */
export function cpuMsPerEvent(
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
  events: number,
): Record<string, number> {
  const perEvent: Record<string, number> = {};
  for (const [name, end] of Object.entries(after)) {
    const start = before[name];
    if (end === undefined || start === undefined || events <= 0) continue;
    perEvent[name] = Math.round(((end - start) * 1000 * 100) / events) / 100;
  }
  return perEvent;
}

/** Peak resident memory (MB) of each process over its life so far; null where the system does not tell. */
export function peakRss(pids: Pids): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const sample = sampleProcess(pid);
      return [name, sample?.peakRssMb === undefined ? null : Math.round(sample.peakRssMb)];
    }),
  );
}
