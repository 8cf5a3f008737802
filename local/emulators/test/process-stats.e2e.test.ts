import { spawn } from 'node:child_process';
import {
  machineBusySeconds,
  parseCpuTime,
  parsePs,
  sampleProcess,
  systemReaders,
  type ProcessReaders,
} from '../src/process-stats';

// A Linux /proc as the kernel writes it (proc(5)): the command name may hold spaces and parentheses.
const STAT = '4242 (node (worker) x) S 1 4242 4242 0 -1 4194560 9000 0 0 0 1234 566 0 0 20 0 11 0 100 0 0';
const STATUS = ['Name:\tnode', 'VmPeak:\t 1200000 kB', 'VmHWM:\t  204800 kB', 'VmRSS:\t  102400 kB'].join(
  '\n',
);

/** Readers of a machine that never answers: each test replaces the part it exercises. */
function readers(overrides: Partial<ProcessReaders>): ProcessReaders {
  return {
    hasProc: false,
    readProc: () => {
      throw new Error('ENOENT');
    },
    ps: () => undefined,
    self: {
      pid: 1,
      resourceUsage: () => ({ maxRSS: 0, userCPUTime: 0, systemCPUTime: 0 }),
      rss: () => 0,
    },
    cpus: () => [],
    ...overrides,
  };
}

describe('sampleProcess', () => {
  it('reads peak and current RSS and CPU time from /proc where there is one', () => {
    const files: Record<string, string> = { '/proc/4242/stat': STAT, '/proc/4242/status': STATUS };
    const ps = jest.fn(() => '1 0:00.00');
    const sample = sampleProcess(
      4242,
      readers({
        hasProc: true,
        readProc: (path) => {
          if (!(path in files)) throw new Error(`ENOENT ${path}`);
          return files[path]!;
        },
        ps,
      }),
    );
    expect(sample).toEqual({ peakRssMb: 200, rssMb: 100, cpuSeconds: 18, source: 'proc' });
    expect(ps).not.toHaveBeenCalled();
  });

  it('reads a process that is gone as undefined on Linux, without asking ps', () => {
    const ps = jest.fn(() => '1 0:00.00');
    expect(sampleProcess(4242, readers({ hasProc: true, ps }))).toBeUndefined();
    expect(ps).not.toHaveBeenCalled();
  });

  it('asks ps for another process where /proc is missing (macOS): current RSS and CPU, no peak', () => {
    const asked: number[] = [];
    const sample = sampleProcess(
      777,
      readers({
        ps: (pid) => {
          asked.push(pid);
          return '  51200   1:02.50\n';
        },
      }),
    );
    expect(asked).toEqual([777]);
    expect(sample).toEqual({ peakRssMb: undefined, rssMb: 50, cpuSeconds: 62.5, source: 'ps' });
  });

  it('reads this process from getrusage where /proc is missing, peak included', () => {
    const sample = sampleProcess(
      9,
      readers({
        ps: () => {
          throw new Error('ps must not be asked about this process');
        },
        self: {
          pid: 9,
          resourceUsage: () => ({ maxRSS: 307200, userCPUTime: 1_500_000, systemCPUTime: 250_000 }),
          rss: () => 100 * 2 ** 20,
        },
      }),
    );
    expect(sample).toEqual({ peakRssMb: 300, rssMb: 100, cpuSeconds: 1.75, source: 'self' });
  });

  it('is undefined (unavailable) when ps fails or answers nothing it can read', () => {
    expect(sampleProcess(5, readers({ ps: () => undefined }))).toBeUndefined();
    expect(sampleProcess(5, readers({ ps: () => '' }))).toBeUndefined();
    expect(sampleProcess(5, readers({ ps: () => 'RSS TIME' }))).toBeUndefined();
  });

  // The real sources of this machine, so the parsers meet what the tools print, not only fixtures.
  it("reads a live child from this machine's /proc and from its ps alike", async () => {
    // The child spins until it has used 0.4 s of CPU by its own count, then says so: on a loaded
    // machine a wall-clock spin gets only a share of a core (0.08 s of CPU in 0.4 s was seen).
    const child = spawn(
      process.execPath,
      [
        '-e',
        'const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }; while (cpu() < 0.4); console.log("spun"); setTimeout(() => {}, 30000)',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the spinning child exited with ${code}`)));
      });
      const viaProc = sampleProcess(child.pid!);
      const viaPs = sampleProcess(child.pid!, { ...systemReaders, hasProc: false });
      if (systemReaders.hasProc) {
        expect(viaProc?.source).toBe('proc');
        expect(viaProc!.peakRssMb).toBeGreaterThan(5);
        expect(viaProc!.cpuSeconds).toBeGreaterThanOrEqual(0.39);
      }
      expect(viaPs?.source).toBe('ps');
      expect(viaPs!.rssMb).toBeGreaterThan(5);
      // procps prints whole seconds, so only a bound: the child spun for 0.4 s of CPU.
      expect(viaPs!.cpuSeconds).toBeGreaterThanOrEqual(0);
    } finally {
      child.kill();
    }
    await new Promise((resolve) => child.once('exit', resolve));
    expect(sampleProcess(child.pid!, { ...systemReaders, hasProc: false })).toBeUndefined();
  });
});

describe('parsePs and parseCpuTime', () => {
  it.each([
    ['0:00.12', 0.12], // macOS: minutes:seconds.hundredths
    ['123:45.67', 123 * 60 + 45.67], // macOS minutes go past 59
    ['00:00:07', 7], // procps: HH:MM:SS
    ['01:02:03', 3723],
    ['2-01:00:00', 2 * 86400 + 3600], // procps with days
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseCpuTime(text)).toBeCloseTo(seconds, 6);
  });

  it('refuses what is not a time', () => {
    for (const text of ['', '12', 'a:b', '1:2:3:4']) expect(parseCpuTime(text)).toBeNaN();
  });

  it('reads rss in KiB', () => {
    expect(parsePs('2048 00:00:01')).toEqual({ peakRssMb: undefined, rssMb: 2, cpuSeconds: 1, source: 'ps' });
  });
});

describe('machineBusySeconds', () => {
  it("sums /proc/stat's busy columns (not idle, not iowait)", () => {
    const stat = 'cpu  100 20 30 9000 500 7 3 40 0 0\ncpu0 50 10 15 4500 250 3 1 20 0 0\n';
    expect(machineBusySeconds(readers({ hasProc: true, readProc: () => stat }))).toBeCloseTo(2, 6);
  });

  it("sums os.cpus()'s busy times where /proc is missing", () => {
    const core = (user: number) => ({ times: { user, nice: 0, sys: 500, idle: 99_000, irq: 0 } });
    expect(machineBusySeconds(readers({ cpus: () => [core(1000), core(2500)] }))).toBeCloseTo(4.5, 6);
  });

  it('is undefined when neither source answers', () => {
    expect(machineBusySeconds(readers({}))).toBeUndefined();
    expect(machineBusySeconds(readers({ hasProc: true }))).toBeUndefined();
  });

  // The macOS source measured against the Linux one on this machine: the same busy time since boot,
  // but for softirq and steal, which os.cpus() leaves out.
  (systemReaders.hasProc ? it : it.skip)('agrees with /proc/stat here when it reads os.cpus()', () => {
    const viaProc = machineBusySeconds()!;
    const viaCpus = machineBusySeconds({ ...systemReaders, hasProc: false })!;
    expect(viaCpus).toBeLessThanOrEqual(viaProc * 1.01);
    expect(viaCpus).toBeGreaterThan(viaProc * 0.85);
  });

  it('grows on this machine while a core spins', () => {
    const before = machineBusySeconds()!;
    const end = Date.now() + 300;
    while (Date.now() < end);
    expect(machineBusySeconds()! - before).toBeGreaterThan(0.1);
  });
});
