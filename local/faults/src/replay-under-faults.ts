import { replay, type ReplayReport } from '@pipeline/producer';
import type { TweetEvent } from '@pipeline/schemas';
import type { Container } from '@azure/cosmos';
import type { RunningStack } from '@pipeline/stack';
import { CheckpointWatch } from './checkpoint-watch';
import { isStored, ProbeWatch, type Probe } from './probe-watch';
import { poll } from '@pipeline/emulators';

/** One fault, injected once the replay has this many events accepted. */
export interface Fault {
  readonly name: string;
  readonly atAccepted: number;
  /** Breaks something and resolves once it is back (the fault's end). */
  inject(): Promise<void>;
}

export interface FaultTiming {
  readonly name: string;
  readonly atAccepted: number;
  /** Ms from the replay's start. */
  readonly startedMs: number;
  readonly endedMs: number;
  /** From the fault's end until the API accepted events again. */
  readonly acceptedAgainMs: number | null;
  /**
   * The first event the API accepted after the fault began, followed into Cosmos DB: from the fault's
   * end until it was readable (negative if before the end; null if never).
   */
  readonly probeStoredAfterEndMs: number | null;
  /**
   * From the fault's end until the consumer checkpointed a stored batch again (its backlog aside):
   * the recovery time the report shows.
   */
  readonly consumerResumedMs: number | null;
}

export interface FaultyReplay {
  readonly report: ReplayReport;
  readonly faults: readonly FaultTiming[];
  /** Ms from the replay's end until the last accepted events were readable (the consumer caught up). */
  readonly catchUpMs: number;
}

export interface FaultyReplayOptions {
  readonly events: readonly TweetEvent[];
  readonly faults: readonly Fault[];
  readonly say: (line: string) => void;
  /** Events per second (undefined: as fast as the pipeline takes them). */
  readonly rate?: number;
  readonly batchSize?: number;
  readonly concurrency?: number;
  /**
   * The producer's retries of one request (backoff capped at 5 s, full jitter): the budget that rides
   * out a fault. Default 20: with 10, a request's retries were once all spent within a 4 s restart.
   */
  readonly maxRetries?: number;
  readonly storeTimeoutMs?: number;
  /** Ids accepted besides the producer's (e.g. a flood's), known at the end. */
  readonly alsoExpected?: () => readonly string[];
}

/**
 * Replays `events` into the stack through the gateway with the producer, injecting each fault (in
 * order, one at a time) when the producer's accepted count reaches its threshold, then waits for
 * the last accepted events to be readable in Cosmos DB. Records when each fault started and ended and how
 * long the API and the store took to work again.
 */
export async function replayUnderFaults(
  stack: RunningStack,
  options: FaultyReplayOptions,
): Promise<FaultyReplay> {
  const began = Date.now();
  const elapsed = () => Date.now() - began;
  const watch = new ProbeWatch(stack.eventsContainer(), elapsed);
  const checkpoints = new CheckpointWatch(stack, elapsed).start();
  const acceptedAt: number[] = [];
  const pending = [...options.faults].sort((a, b) => a.atAccepted - b.atAccepted);
  type Started = { name: string; atAccepted: number; startedMs: number; endedMs?: number; probe?: Probe };
  const timings: Started[] = [];
  let running: Promise<void> | undefined;
  let injectFailure: Error | undefined;

  const engine = replay({
    input: options.events,
    url: stack.urls.ingest,
    subscriptionKey: stack.secrets.subscription.primaryKey,
    basicUser: stack.secrets.basicAuth.user,
    basicPassword: stack.secrets.basicAuth.password,
    rate: options.rate,
    batchSize: options.batchSize ?? 50,
    concurrency: options.concurrency ?? 8,
    maxRetries: options.maxRetries ?? 20,
    retryMaxMs: 5_000,
    progressIntervalMs: 100,
  });
  engine.on('accepted', (ids) => {
    for (const timing of timings) if (!timing.probe && ids[0]) timing.probe = watch.follow(ids[0]);
  });
  engine.on('response', (r) => {
    if (typeof r.status === 'number' && r.status >= 200 && r.status < 300) acceptedAt.push(elapsed());
  });
  let lastSaid = 0;
  engine.on('progress', (p) => {
    if (Date.now() - lastSaid >= 5_000) {
      lastSaid = Date.now();
      options.say(
        `  ${p.accepted} accepted, ${p.failed} failed, ${p.retries} retries (${Math.round(p.elapsedMs / 1000)} s)`,
      );
    }
    const next = pending[0];
    if (running || !next || p.accepted < next.atAccepted) return;
    pending.shift();
    const timing: Started = { name: next.name, atAccepted: next.atAccepted, startedMs: elapsed() };
    timings.push(timing);
    options.say(`  fault: ${next.name} at ${p.accepted} accepted`);
    running = next.inject().then(
      () => {
        timing.endedMs = elapsed();
        options.say(`  fault over: ${next.name} (${timing.endedMs - timing.startedMs} ms)`);
        running = undefined;
      },
      (error: unknown) => {
        // The scenario cannot go on without the component it broke: stop the replay and say why.
        injectFailure = new Error(
          `could not recover from "${next.name}": ${error instanceof Error ? error.message : String(error)}`,
        );
        engine.stop(injectFailure.message);
      },
    );
  });

  let report: ReplayReport;
  try {
    report = await engine;
    await running;
    if (injectFailure) throw injectFailure;
    if (pending.length > 0)
      throw new Error(
        `the replay ended before these faults were injected: ${pending.map((f) => f.name).join(', ')}`,
      );
  } catch (error) {
    watch.stop();
    checkpoints.stop();
    throw error;
  }
  const replayEnded = Date.now();
  // The last events accepted, and each fault's probe: partitions catch up at their own pace (a consumer
  // restarted alone waits for its partitions' ownership to expire), so the last events alone can be
  // stored before an earlier probe is, which the report then called "never stored".
  const lastAccepted = [
    ...report.acceptedIds.slice(-20),
    ...(options.alsoExpected?.() ?? []).slice(-20),
    ...timings.flatMap((t) => (t.probe ? [t.probe.id] : [])),
  ];
  await waitForIds(stack.eventsContainer(), lastAccepted, options.storeTimeoutMs ?? 180_000);
  const catchUpMs = Date.now() - replayEnded;
  await watch.check();
  watch.stop();
  checkpoints.stop();
  await checkpoints.sample();
  return {
    report,
    catchUpMs,
    faults: timings.map((t) => {
      const endedMs = t.endedMs ?? t.startedMs;
      const stored = t.probe?.storedMs ?? null;
      const afterEnd = stored === null ? null : stored - endedMs;
      return {
        name: t.name,
        atAccepted: t.atAccepted,
        startedMs: t.startedMs,
        endedMs,
        acceptedAgainMs: firstAfter(acceptedAt, endedMs),
        probeStoredAfterEndMs: afterEnd,
        consumerResumedMs: checkpoints.advancedAfter(endedMs),
      };
    }),
  };
}

function firstAfter(times: readonly number[], sinceMs: number): number | null {
  const next = times.find((t) => t > sinceMs);
  return next === undefined ? null : next - sinceMs;
}

/**
 * Waits until every id of `ids` is readable in Cosmos DB (point reads, every 500 ms), or the timeout.
 * Given the last events accepted, this is when the consumer has caught up: the audit then compares
 * every id. Returns how many were found.
 */
async function waitForIds(container: Container, ids: readonly string[], timeoutMs: number): Promise<number> {
  const missing = new Set(ids);
  const complete = async () => {
    for (const id of [...missing]) {
      if (await isStored(container, id)) missing.delete(id);
    }
    return missing.size === 0;
  };
  await poll(complete, { timeoutMs, intervalMs: 500, rethrow: true });
  return ids.length - missing.size;
}
