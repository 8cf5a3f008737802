/**
 * Collects one partition's events into batches of at least `minEventBatchSize`, as the Event Hubs
 * extension 5.x documents its host.json settings: with a minimum above 1 the trigger waits for that
 * many events, at most `maxWaitTime`; when the wait is over it dispatches the partial batch it has; no
 * batch exceeds `maxEventBatchSize`. With a minimum of 1 the wait time plays no part and every batch
 * the receiver hands over is dispatched at once
 * (https://learn.microsoft.com/azure/azure-functions/functions-bindings-event-hubs#hostjson-settings).
 *
 * Pure: the caller passes the time. Events held here are not checkpointed, so a host that stops or
 * loses the partition drops them and they are delivered again from the last checkpoint.
 */
export interface BatchCollectorOptions {
  readonly minEventBatchSize: number;
  readonly maxEventBatchSize: number;
  readonly maxWaitTimeMs: number;
}

export interface BatchCollector<T> {
  /** Adds what the receiver handed over (possibly nothing) and returns the batches due now, in order. */
  add(events: readonly T[], nowMs: number): T[][];
  /** How many events are held, waiting for more. */
  readonly held: number;
  /** Forgets the held events (partition lost or host stopping): they were never checkpointed. */
  clear(): void;
}

export function createBatchCollector<T>(options: BatchCollectorOptions): BatchCollector<T> {
  const { minEventBatchSize: min, maxEventBatchSize: max, maxWaitTimeMs } = options;
  let held: T[] = [];
  /** When the oldest held event arrived: the wait for a full batch runs from there. */
  let waitingSince = 0;
  return {
    add(events, nowMs) {
      if (held.length === 0 && events.length > 0) waitingSince = nowMs;
      held.push(...events);
      const due: T[][] = [];
      while (held.length >= min) due.push(held.splice(0, max));
      if (held.length > 0 && (min <= 1 || nowMs - waitingSince >= maxWaitTimeMs))
        due.push(held.splice(0, max));
      // Events left after a dispatch start a new wait.
      if (due.length > 0 && held.length > 0) waitingSince = nowMs;
      return due;
    },
    get held() {
      return held.length;
    },
    clear() {
      held = [];
    },
  };
}
