import { spawn } from 'node:child_process';

/** Credentials for the ingest API (APIM locally and in Azure): subscription key and basic auth. */
export interface ApiCredentials {
  readonly subscriptionKey?: string | undefined;
  readonly basicUser?: string | undefined;
  readonly basicPassword?: string | undefined;
}

export interface ReplayRequest {
  /** The producer CLI (producer/dist/src/cli.js). */
  readonly cli: string;
  readonly input: string;
  readonly url: string;
  readonly rate: number;
  /** Stop after this many events (all when undefined). */
  readonly count?: number | undefined;
  /** Stop after this long (`90s`, `10m`). */
  readonly duration?: string | undefined;
  readonly credentials: ApiCredentials;
  /** Kill the producer after this long. */
  readonly timeoutMs: number;
}

export interface ReplayOutcome {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The `--json` report from stdout, or undefined when stdout held none. */
  readonly report: unknown;
  /** The last lines of stderr, for the failure message. */
  readonly stderrTail: string;
  readonly timedOut: boolean;
}

export type ProducerRunner = (request: ReplayRequest) => Promise<ReplayOutcome>;

/** The producer's `replay ... --json` arguments for a request (after the CLI's path). */
export function replayArguments(request: ReplayRequest): string[] {
  return [
    'replay',
    '--input',
    request.input,
    '--url',
    request.url,
    '--rate',
    String(request.rate),
    ...(request.count ? ['--count', String(request.count)] : []),
    ...(request.duration ? ['--duration', request.duration] : []),
    '--json',
  ];
}

/**
 * Runs `node <cli> replay ... --json`. Credentials travel as environment variables, never as
 * arguments, so they appear neither in the process list nor in a logged command line.
 */
export const runProducer: ProducerRunner = (request) =>
  new Promise((resolve, reject) => {
    const args = [request.cli, ...replayArguments(request)];
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [name, value] of Object.entries(producerEnvironment(request.credentials))) env[name] = value;
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }, request.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode,
        signal,
        report: lastJsonDocument(stdout),
        stderrTail: stderr.split(/\r?\n/).filter(Boolean).slice(-15).join('\n'),
        timedOut,
      });
    });
  });

/** The producer's credential environment variables (see producer/src/cli.ts). */
export function producerEnvironment(credentials: ApiCredentials): Record<string, string> {
  const env: Record<string, string> = {};
  if (credentials.subscriptionKey) env.PRODUCER_SUBSCRIPTION_KEY = credentials.subscriptionKey;
  if (credentials.basicUser) env.PRODUCER_BASIC_USER = credentials.basicUser;
  if (credentials.basicPassword) env.PRODUCER_BASIC_PASSWORD = credentials.basicPassword;
  return env;
}

/** The last complete JSON value printed on stdout (the report), tolerating log lines before it. */
export function lastJsonDocument(stdout: string): unknown {
  const text = stdout.trim();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // A report pretty-printed after other lines: try each line that opens an object, last first.
    const lines = text.split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      if (!lines[i]!.trimStart().startsWith('{')) continue;
      try {
        return JSON.parse(lines.slice(i).join('\n'));
      } catch {
        // keep looking
      }
    }
    return undefined;
  }
}
