// CPU time and resident memory of a process, and how busy the machine is, on Linux and macOS alike.
// Linux's /proc gives every figure for any process; where it is missing (macOS) `ps` gives another
// process's CPU time and current RSS, and getrusage (process.resourceUsage) this process's own peak.
// A figure no source gives is undefined, and reports print it as unavailable rather than guess.
// Here, at the bottom of the workspace graph, so the stack, the faults suite and every emulator's
// bench share one reader.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, type CpuInfo } from 'node:os';

export interface ProcessSample {
  /**
   * Peak resident memory over the process's life so far, MB: Linux's VmHWM, or getrusage's maxRSS for
   * this process. Undefined where the system does not tell it (another process on macOS).
   */
  readonly peakRssMb: number | undefined;
  /** Resident memory now, MB (VmRSS, ps's rss, or this process's rss). */
  readonly rssMb: number | undefined;
  /** CPU time used so far, user + system, seconds. */
  readonly cpuSeconds: number;
  /** Where the figures come from. */
  readonly source: 'proc' | 'ps' | 'self';
}

/** The system calls behind the figures, injectable so each path can be tested on any machine. */
export interface ProcessReaders {
  /** Whether this system has Linux's /proc. */
  readonly hasProc: boolean;
  /** Reads a /proc file; throws when it is missing (the process is gone). */
  readonly readProc: (path: string) => string;
  /** The output of `ps -o rss=,time= -p <pid>`, or undefined when ps fails (no such process, no ps). */
  readonly ps: (pid: number) => string | undefined;
  /** This process: its pid and getrusage figures (maxRSS in KiB, CPU times in microseconds). */
  readonly self: {
    readonly pid: number;
    readonly resourceUsage: () => Pick<NodeJS.ResourceUsage, 'maxRSS' | 'userCPUTime' | 'systemCPUTime'>;
    /** Resident memory now, bytes. */
    readonly rss: () => number;
  };
  /** Per-core CPU times since boot (os.cpus()), milliseconds. */
  readonly cpus: () => readonly Pick<CpuInfo, 'times'>[];
}

/** USER_HZ: Linux reports /proc CPU times in these ticks (100 on every mainstream architecture). */
const CLOCK_TICKS_PER_SECOND = 100;
const KIB_PER_MB = 1024;

export const systemReaders: ProcessReaders = {
  hasProc: existsSync('/proc/self/stat'),
  readProc: (path) => readFileSync(path, 'utf8'),
  ps: (pid) => {
    try {
      // rss in KiB, time = user + system CPU time; both on macOS's (BSD) ps and Linux's procps.
      return execFileSync('ps', ['-o', 'rss=,time=', '-p', String(pid)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5_000,
      });
    } catch {
      return undefined;
    }
  },
  self: {
    pid: process.pid,
    resourceUsage: () => process.resourceUsage(),
    rss: () => process.memoryUsage.rss(),
  },
  cpus: () => cpus(),
};

/** CPU time and memory of `pid` now; undefined when the process is gone or no source tells. */
export function sampleProcess(
  pid: number,
  readers: ProcessReaders = systemReaders,
): ProcessSample | undefined {
  if (readers.hasProc) return fromProc(pid, readers);
  if (pid === readers.self.pid) {
    const usage = readers.self.resourceUsage();
    return {
      peakRssMb: usage.maxRSS / KIB_PER_MB,
      rssMb: readers.self.rss() / 2 ** 20,
      cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      source: 'self',
    };
  }
  const output = readers.ps(pid);
  return output === undefined ? undefined : parsePs(output);
}

/** utime + stime of a /proc `stat` line (fields 14 and 15, after the parenthesized command name). */
function statCpuTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * CPU milliseconds of a process's main thread and of all its other threads together (V8's garbage
 * collection and compilation threads, libuv's pool), from /proc/<pid>/task; undefined without /proc.
 */
export function threadCpuMs(pid: number): { main: number; background: number } | undefined {
  let taskIds: string[];
  try {
    taskIds = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  let main = 0;
  let background = 0;
  for (const task of taskIds) {
    try {
      const ticks = statCpuTicks(readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8'));
      const ms = (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
      if (task === String(pid)) main += ms;
      else background += ms;
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return { main, background };
}

function fromProc(pid: number, readers: ProcessReaders): ProcessSample | undefined {
  try {
    const status = readers.readProc(`/proc/${pid}/status`);
    const kib = (field: string) => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
      return match ? Number(match[1]) / KIB_PER_MB : undefined;
    };
    const ticks = statCpuTicks(readers.readProc(`/proc/${pid}/stat`));
    if (!Number.isFinite(ticks)) return undefined;
    return {
      peakRssMb: kib('VmHWM'),
      rssMb: kib('VmRSS'),
      cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND,
      source: 'proc',
    };
  } catch {
    return undefined;
  }
}

/** `ps -o rss=,time=`: "  51234   0:01.23" (macOS) or "51234 00:00:01" (procps). */
export function parsePs(output: string): ProcessSample | undefined {
  const [rss, time] = output.trim().split(/\s+/);
  const cpuSeconds = time === undefined ? NaN : parseCpuTime(time);
  if (rss === undefined || !/^\d+$/.test(rss) || !Number.isFinite(cpuSeconds)) return undefined;
  return { peakRssMb: undefined, rssMb: Number(rss) / KIB_PER_MB, cpuSeconds, source: 'ps' };
}

/**
 * ps's `time` column: `[[DD-]HH:]MM:SS[.hh]`. macOS prints minutes:seconds.hundredths (minutes may
 * pass 59), procps [DD-]HH:MM:SS.
 */
export function parseCpuTime(text: string): number {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text);
  if (!match) return NaN;
  const [, days = '0', hours = '0', minutes, seconds] = match;
  return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds);
}

/**
 * CPU seconds the whole machine has been busy since boot (every process, not just ours), summed over
 * cores: /proc/stat's first line where there is one (steal and softirq included), else os.cpus()'s
 * per-core times. On a shared host, what the neighbours took is part of why a step stalls.
 */
export function machineBusySeconds(readers: ProcessReaders = systemReaders): number | undefined {
  if (readers.hasProc) {
    try {
      const fields = readers.readProc('/proc/stat').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
      // user nice system idle iowait irq softirq steal: everything but idle and iowait is busy.
      const busy = fields.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
      return busy / CLOCK_TICKS_PER_SECOND;
    } catch {
      return undefined;
    }
  }
  const cores = readers.cpus();
  if (cores.length === 0) return undefined;
  const busyMs = cores.reduce((sum, { times: t }) => sum + t.user + t.nice + t.sys + t.irq, 0);
  return busyMs / 1000;
}
