import { spawnNodeUntilReady, stopChild } from '@pipeline/emulators';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface SpawnedFunctionsHost {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM: the host finishes invocations in flight, then exits (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crash would. Resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  readonly appEntry: string;
  readonly settingsFile: string;
  readonly port?: number;
  readonly host?: string;
  readonly maxRequestBytes?: number;
  readonly debug?: boolean;
  /** `--error-details`: a failed invocation's 500 carries the error (Azure's is empty). */
  readonly errorDetails?: boolean;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Every line the host prints (its log). */
  readonly onLine?: (line: string) => void;
}

/** Starts the host CLI as a child process and resolves once it listens (for the stack and tests). */
export async function spawnFunctionsHost(options: SpawnOptions): Promise<SpawnedFunctionsHost> {
  const args = [
    '--app',
    options.appEntry,
    '--settings',
    options.settingsFile,
    '--port',
    String(options.port ?? 7071),
  ];
  if (options.host) args.push('--host', options.host);
  if (options.maxRequestBytes) args.push('--max-request-bytes', String(options.maxRequestBytes));
  if (options.debug) args.push('--debug');
  if (options.errorDetails) args.push('--error-details');
  const { child, ready } = await spawnNodeUntilReady(
    'Functions host',
    cliScript(),
    args,
    /Functions host listening on (http:\/\/\S+)/,
    {
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.env ? { env: options.env } : {}),
      ...(options.onLine ? { onLine: options.onLine } : {}),
    },
  );
  const url = ready[1]!;
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid!,
    stop: (graceMs = 15_000) => stopChild(child, graceMs),
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The compiled CLI, whether this module runs compiled or from its TypeScript source (under jest). */
export function cliScript(): string {
  const root = __dirname.endsWith(join('dist', 'src')) ? join(__dirname, '..', '..') : join(__dirname, '..');
  const script = join(root, 'dist', 'src', 'cli.js');
  if (!existsSync(script))
    throw new Error(`${script} is missing: build first (npx tsc -b local/functions-host)`);
  return script;
}
