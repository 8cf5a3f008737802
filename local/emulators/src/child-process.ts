import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** Preloaded into every child: it stops itself when its parent dies without running exit handlers. */
const DIE_WITH_PARENT = join(
  __dirname,
  __dirname.endsWith(join('dist', 'src')) ? '../..' : '..',
  'die-with-parent.cjs',
);

/**
 * Children still running. When this process exits (normally, or because a test runner forces it),
 * they are killed too: an emulator outliving the process that started it would hold its port and its
 * memory with nobody left to stop it.
 */
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export interface StartedChild {
  readonly child: ChildProcess;
  /** The first regex match of the readiness line in the child's output. */
  readonly ready: RegExpMatchArray;
}

/**
 * Spawns a Node script and resolves when a line of its stdout/stderr matches `readyLine`. Rejects with
 * the child's own last output when it exits first or does not become ready within `timeoutMs`, so a
 * failure names its cause (a port in use, a bad flag) instead of hanging.
 */
export function spawnNodeUntilReady(
  name: string,
  script: string,
  args: readonly string[],
  readyLine: RegExp,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void } = {},
): Promise<StartedChild> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, ['--require', DIE_WITH_PARENT, script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  const recent: string[] = [];
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      fail(new Error(`${name} did not become ready within ${timeoutMs} ms${tail()}`));
      child.kill('SIGKILL');
    }, timeoutMs);
    const tail = () => (recent.length ? `; its last output:\n  ${recent.join('\n  ')}` : '');
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (!line) continue;
        options.onLine?.(line);
        recent.push(line);
        if (recent.length > 10) recent.shift();
        const match = !settled ? readyLine.exec(line) : null;
        if (match) {
          settled = true;
          clearTimeout(timer);
          resolve({ child, ready: match });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => fail(new Error(`${name} could not start: ${error.message}`)));
    child.once('exit', (code, signal) =>
      fail(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was ready${tail()}`)),
    );
  });
}

/**
 * Spawns a program that is not a Node script (Azure Functions Core Tools' `func`), tracked like the
 * others so that it is killed when this process exits. The caller decides when it is ready.
 */
export function spawnTracked(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): ChildProcess {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: options.env ?? process.env,
  });
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  return child;
}

/** Stops a child gracefully (SIGTERM), escalating to SIGKILL after `graceMs`. Resolves once it has exited. */
export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
