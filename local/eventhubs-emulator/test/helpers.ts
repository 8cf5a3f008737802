import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  EventHubConsumerClient,
  type EventPosition,
  type ReceivedEventData,
  type SubscribeOptions,
  type Subscription,
} from '@azure/event-hubs';

/** Collects log lines instead of printing them; tests assert on them. */
export function captureLogs(): { lines: Record<string, unknown>[]; sink: (line: object) => void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, sink: (line) => void lines.push(line as Record<string, unknown>) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` is true, failing with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export interface Received {
  readonly partitionId: string;
  readonly event: ReceivedEventData;
}

/**
 * Subscribes to one partition (or all) from `startPosition` and collects events until `count`
 * arrived, then waits `settleMs` more so that extra, unexpected events would be seen too.
 */
export async function receive(
  connectionString: string,
  options: {
    count: number;
    startPosition: EventPosition;
    partitionId?: string;
    consumerGroup?: string;
    settleMs?: number;
    timeoutMs?: number;
  } & Pick<SubscribeOptions, 'maxBatchSize' | 'ownerLevel'>,
): Promise<Received[]> {
  const client = new EventHubConsumerClient(options.consumerGroup ?? '$Default', connectionString);
  const got: Received[] = [];
  const errors: Error[] = [];
  const handlers = {
    processEvents: (events: ReceivedEventData[], ctx: { partitionId: string }) => {
      for (const event of events) got.push({ partitionId: ctx.partitionId, event });
      return Promise.resolve();
    },
    processError: (err: Error) => {
      errors.push(err);
      return Promise.resolve();
    },
  };
  const subscribeOptions: SubscribeOptions = {
    startPosition: options.startPosition,
    maxBatchSize: options.maxBatchSize ?? 300,
    maxWaitTimeInSeconds: 1,
    ...(options.ownerLevel === undefined ? {} : { ownerLevel: options.ownerLevel }),
  };
  const sub: Subscription =
    options.partitionId === undefined
      ? client.subscribe(handlers, subscribeOptions)
      : client.subscribe(options.partitionId, handlers, subscribeOptions);
  try {
    await waitFor(
      `${options.count} events (got ${got.length}; errors: ${errors.map((e) => e.message).join(' | ')})`,
      () => got.length >= options.count || errors.length > 0,
      options.timeoutMs ?? 30_000,
    );
    if (errors.length > 0) throw errors[0]!;
    await sleep(options.settleMs ?? 300);
    return got;
  } finally {
    await sub.close();
    await client.close();
  }
}

/** Starts a child process and resolves with the first stdout/stderr line matching `ready`. */
export function spawnUntil(
  command: string,
  args: readonly string[],
  ready: RegExp,
  onLine?: (line: string) => void,
  timeoutMs = 30_000,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const output: string[] = [];
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${command} ${args.join(' ')} did not get ready in ${timeoutMs} ms:\n${output.join('\n')}`),
      );
    }, timeoutMs);
    const onData = (line: string) => {
      output.push(line);
      onLine?.(line);
      const m = ready.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    createInterface({ input: child.stdout }).on('line', onData);
    createInterface({ input: child.stderr }).on('line', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before it was ready:\n${output.join('\n')}`));
    });
  });
}

/** Stops a child with SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Azurite's blob service on an ephemeral port, in memory, as a child process. */
export async function startAzurite(): Promise<{ connectionString: string; stop(): Promise<void> }> {
  const script = require.resolve('azurite/dist/src/blob/main.js');
  const { child, match } = await spawnUntil(
    process.execPath,
    [
      script,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--loose',
    ],
    /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/,
  );
  const port = match[1]!;
  // Azurite's published development account: a well-known emulator key, not a secret.
  const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
    stop: () => stopChild(child),
  };
}
