import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('stops a child whose parent was SIGKILLed', async () => {
  // A parent that spawns a long-lived child with the preload, prints the child's pid, then waits.
  const preload = join(__dirname, '..', 'die-with-parent.cjs');
  const parentScript = `
    const { spawn } = require('node:child_process');
    const child = spawn(process.execPath, ['--require', ${JSON.stringify(preload)}, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    console.log(child.pid);
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  const childPid = await new Promise<number>((resolve) =>
    parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))),
  );
  await sleep(1_500);
  expect(alive(childPid)).toBe(true);
  parent.kill('SIGKILL');
  const deadline = Date.now() + 10_000;
  while (alive(childPid) && Date.now() < deadline) await sleep(200);
  expect(alive(childPid)).toBe(false);
});
