// CPU share and peak RSS of the pipeline's processes (and the bench's own), read from /proc.
import { readFileSync } from 'node:fs';
import { sampleProcess } from '../process-stats';

/** USER_HZ: Linux reports /proc CPU times in these ticks (100 on every mainstream architecture). */
const CLOCK_TICKS_PER_SECOND = 100;

export type Pids = Readonly<Record<string, number>>;

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

/** Peak resident memory (MB, VmHWM) of each process over its life so far. */
export function peakRss(pids: Pids): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(pids).map(([name, pid]) => {
      const sample = sampleProcess(pid);
      return [name, sample && Number.isFinite(sample.peakRssMb) ? Math.round(sample.peakRssMb) : null];
    }),
  );
}

/**
 * CPU seconds the whole machine has been busy (every process, not just the pipeline's), from the
 * first line of /proc/stat: on a shared host, what the neighbours took is part of why a step stalls.
 */
export function machineBusySeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
    const busy = fields.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
    return busy / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
