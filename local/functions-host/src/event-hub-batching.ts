/**
 * Collects one partition's events into batches of at least `minEventBatchSize`, as the Event Hubs
 * extension 5.x does (azure-sdk-for-net, sdk/eventhub/Microsoft.Azure.WebJobs.Extensions.EventHubs/src/
 * Listeners/EventHubListener.PartitionProcessor.cs and PartitionProcessorEventsManager.cs; documented
 * under "host.json settings" at
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-event-hubs#hostjson-settings):
 *
 * - each hand-over from the receiver is added to the held events; when they reach the minimum, one
 *   batch of at most `maxEventBatchSize` is dispatched and the rest stay held;
 * - held events start a wait of `maxWaitTime` (restarted after a dispatch that leaves events held);
 *   when it is over, what is held (up to the maximum) is dispatched as a partial batch;
 * - the first batch after the partition is taken does not wait (the extension shortens the first wait
 *   by the time since the last checkpoint, and to zero without one; this host takes the zero);
 * - with a minimum of 1 nothing is held and the wait plays no part.
 *
 * Pure: the caller passes the time, and calls `add` with nothing when the receiver's own wait is over
 * (so a partial batch leaves at most that interval late). Held events are not checkpointed, so a host
 * that stops or loses the partition drops them and they are delivered again from the last checkpoint.
 */
export interface BatchCollectorOptions {
  readonly minEventBatchSize: number;
  readonly maxEventBatchSize: number;
  readonly maxWaitTimeMs: number;
}

export interface BatchCollector<T> {
  /** Adds what the receiver handed over (possibly nothing); returns the batch due now, if any. */
  add(events: readonly T[], nowMs: number): T[] | undefined;
  /** How many events are held, waiting for more. */
  readonly held: number;
  /** Forgets the held events (partition lost or host stopping): they were never checkpointed. */
  clear(): void;
}

export function createBatchCollector<T>(options: BatchCollectorOptions): BatchCollector<T> {
  const { minEventBatchSize: min, maxEventBatchSize: max, maxWaitTimeMs } = options;
  let held: T[] = [];
  /** When the current wait started: the first event held, or the last dispatch that left some held. */
  let waitingSince = 0;
  let firstBatch = true;
  return {
    add(events, nowMs) {
      if (held.length === 0 && events.length > 0) waitingSince = nowMs;
      held.push(...events);
      if (held.length === 0) return undefined;
      const waited = nowMs - waitingSince >= maxWaitTimeMs;
      if (held.length < min && !waited && !firstBatch) return undefined;
      firstBatch = false;
      waitingSince = nowMs;
      return held.splice(0, max);
    },
    get held() {
      return held.length;
    },
    clear() {
      held = [];
      firstBatch = true;
    },
  };
}
