import { readFileSync } from 'node:fs';

/** Peak resident memory (VmHWM) and CPU time of a process, from Linux's /proc; undefined elsewhere. */
export interface ProcessSample {
  readonly peakRssMb: number;
  readonly cpuSeconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesized command name) are utime, stime.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { peakRssMb: hwm ? Number(hwm[1]) / 1024 : NaN, cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}
