import { spawnNodeUntilReady, stopChild } from '@pipeline/emulators';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseScaleGroupsLine } from './scale-groups';

export interface SpawnedFunctionsHost {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The scale group this instance runs (`all` without `scaleGroup`). */
  readonly scaleGroup: string;
  /** The app's scale groups, as the host reported them (`http` first). */
  readonly appScaleGroups: readonly string[];
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
  /** Only this Flex Consumption scale group's functions (`http` or `function:<name>`; scale-groups.ts). */
  readonly scaleGroup?: string;
}

/**
 * V8's young generation for the host process: a server that turns every request and hub event into
 * short-lived objects spends a large share of its CPU in scavenges with the default semi-space
 * (measured with a CPU profile under the bench load: docs/decisions.md HOST-5). A larger one collects
 * less often, and fewer of the objects that live for a batch (the consumer's 100 documents and their
 * upserts in flight, prefetched hub events) are caught alive and promoted, to be collected later by
 * the old generation's marking on V8's background threads (HOST-7: 64 MB took those threads from
 * 0.24 to 0.18 ms of CPU per consumed event). It changes how much memory the host keeps, not what the
 * functions see. A semi-space size already in NODE_OPTIONS wins.
 */
export const HOST_SEMI_SPACE_MB = 64;

export function hostNodeOptions(existing: string | undefined): string {
  const current = existing?.trim() ?? '';
  if (/--max-semi-space-size\b/.test(current)) return current;
  return [current, `--max-semi-space-size=${HOST_SEMI_SPACE_MB}`].filter(Boolean).join(' ');
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
  if (options.scaleGroup) args.push('--scale-group', options.scaleGroup);
  let reported: ReturnType<typeof parseScaleGroupsLine>;
  const onLine = (line: string) => {
    reported ??= parseScaleGroupsLine(line);
    options.onLine?.(line);
  };
  const env = options.env ?? process.env;
  const { child, ready } = await spawnNodeUntilReady(
    'Functions host',
    cliScript(),
    args,
    /Functions host listening on (http:\/\/\S+)/,
    {
      timeoutMs: options.timeoutMs ?? 30_000,
      env: { ...env, NODE_OPTIONS: hostNodeOptions(env.NODE_OPTIONS) },
      onLine,
    },
  );
  if (!reported) throw new Error('Functions host did not report its scale groups before listening');
  const url = ready[1]!;
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once('exit', () => done());
  });
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid!,
    scaleGroup: reported.instance,
    appScaleGroups: reported.groups,
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
