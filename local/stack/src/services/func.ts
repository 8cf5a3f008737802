import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { poll, spawnTracked, stopChild } from '@pipeline/emulators';
import type { FunctionsHostService } from './functions';
import type { LineSink } from './service';

/**
 * Azure Functions Core Tools (`func start`): the real Functions host, for users who have it (it cannot
 * be installed on this repository's machines: its postinstall downloads the host). It runs the same
 * deployment package the local host runs, from the package folder, against the same emulators.
 */
export class FuncNotFoundError extends Error {
  override name = 'FuncNotFoundError';
  constructor() {
    super(
      '--host func needs Azure Functions Core Tools, but `func` is not on PATH. Install it ' +
        '(https://learn.microsoft.com/azure/azure-functions/functions-run-local#install-the-azure-functions-core-tools) ' +
        'or leave out --host func to use the local functions host.',
    );
  }
}

/** The first executable `func` on PATH (with PATHEXT's extensions on Windows), or undefined. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const extensions =
    process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').filter(Boolean) : [''];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const extension of extensions) {
      const candidate = join(dir, command + extension);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The folder `func start` runs in: the deployment package (host.json, package.json, dist/index.js). */
export function packageFolder(appEntry: string): string {
  return dirname(dirname(appEntry));
}

export async function startFuncService(options: {
  host: string;
  port: number;
  appEntry: string;
  env: NodeJS.ProcessEnv;
  log: LineSink;
  timeoutMs?: number;
}): Promise<FunctionsHostService> {
  const func = findOnPath('func', options.env);
  if (!func) throw new FuncNotFoundError();
  const cwd = packageFolder(options.appEntry);
  if (!existsSync(join(cwd, 'host.json')))
    throw new Error(
      `${cwd} holds no host.json: run \`npm run -w functions package\` (npm start does it for you)`,
    );
  // Core Tools listens on all interfaces by default; --port is its documented option.
  const child = spawnTracked(func, ['start', '--port', String(options.port)], { cwd, env: options.env });
  const recent: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (!line) continue;
      options.log(line);
      recent.push(line);
      if (recent.length > 10) recent.shift();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const url = `http://${options.host}:${options.port}`;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let exitedEarly: string | undefined;
  child.once('exit', (code, signal) => (exitedEarly = signal ?? `code ${code}`));
  child.once('error', (error) => (exitedEarly = error.message));
  // Ready when the host answers HTTP at all: its output differs between Core Tools versions.
  const ready = await poll(
    async () => {
      if (exitedEarly !== undefined)
        throw new Error(
          `func start exited (${exitedEarly}) before it was ready; its last output:\n  ${recent.join('\n  ')}`,
        );
      return answers(url);
    },
    { timeoutMs: options.timeoutMs ?? 120_000, intervalMs: 250, rethrow: true },
  );
  if (!ready.ok) {
    await stopChild(child);
    throw new Error(
      `func start did not answer on ${url} in time; its last output:\n  ${recent.join('\n  ')}`,
    );
  }
  return {
    name: 'Functions host (func start)',
    url,
    port: options.port,
    pid: child.pid!,
    // Core Tools runs every function of the app in one host process.
    instances: [{ scaleGroup: 'all', url, port: options.port, pid: child.pid! }],
    stop: (graceMs: number = 15_000) => stopChild(child, graceMs),
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}
