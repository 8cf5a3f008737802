import { spawn } from 'node:child_process';
import { sampleProcess, systemReaders } from '../src/process-stats';

// The parsers and the injected readers are unit tests (process-stats.test.ts); this one starts a child.
describe('sampleProcess', () => {
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
