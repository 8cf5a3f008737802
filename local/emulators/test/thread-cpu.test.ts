import { threadCpuMs } from '../src/process-stats';

describe('threadCpuMs (bench:consume reads CPU per thread)', () => {
  const linux = process.platform === 'linux';

  (linux ? it : it.skip)("splits this process's CPU into its main thread and the others", () => {
    const before = threadCpuMs(process.pid)!;
    const spinUntil = process.cpuUsage().user + 200_000; // 0.2 s of CPU on this (main) thread
    while (process.cpuUsage().user < spinUntil);
    const after = threadCpuMs(process.pid)!;
    expect(after.main - before.main).toBeGreaterThanOrEqual(100); // ticks are 10 ms; the spin is ~200 ms
    expect(after.background).toBeGreaterThanOrEqual(before.background);
  });

  it('answers undefined for a process that does not exist', () => {
    expect(threadCpuMs(2 ** 30)).toBeUndefined();
  });
});
