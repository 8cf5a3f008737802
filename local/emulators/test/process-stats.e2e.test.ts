import { spawn } from 'node:child_process';
import { sampleProcess, systemReaders } from '../src/process-stats';

// The parsers and the injected readers are unit tests (process-stats.test.ts); this one starts a child.
describe('sampleProcess', () => {
  // The real sources of this machine, so the parsers meet what the tools print, not only fixtures.
  it("reads a live child from this machine's /proc and from its ps alike", async () => {
    const child = spawn(process.execPath, [
      '-e',
      'const end = Date.now() + 400; while (Date.now() < end); setTimeout(() => {}, 30000)',
    ]);
    try {
      await new Promise((resolve) => setTimeout(resolve, 700));
      const viaProc = sampleProcess(child.pid!);
      const viaPs = sampleProcess(child.pid!, { ...systemReaders, hasProc: false });
      if (systemReaders.hasProc) {
        expect(viaProc?.source).toBe('proc');
        expect(viaProc!.peakRssMb).toBeGreaterThan(5);
        expect(viaProc!.cpuSeconds).toBeGreaterThan(0.2);
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
