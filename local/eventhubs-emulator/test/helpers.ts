import {
  EventHubConsumerClient,
  type EventPosition,
  type ReceivedEventData,
  type SubscribeOptions,
  type Subscription,
} from '@azure/event-hubs';
import { sleep, waitFor as waitUntil } from '@pipeline/emulators';

export { sleep };

/** Collects log lines instead of printing them; tests assert on them. */
export function captureLogs(): { lines: Record<string, unknown>[]; sink: (line: object) => void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, sink: (line) => void lines.push(line as Record<string, unknown>) };
}

/** Polls until `check` is true, failing with `what` after `timeoutMs` (the kit's waitFor, every 20 ms). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  await waitUntil(what, check, { timeoutMs, intervalMs: 20 });
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
