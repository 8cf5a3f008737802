import { replay, type ReplayReport } from '@pipeline/producer';
import type { TweetEvent } from '@pipeline/schemas';
import type { Container } from '@azure/cosmos';
import type { RunningStack } from '@pipeline/stack';
import { StoredWatch } from './stored-watch';

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
  /** From the fault's end until Cosmos DB held more documents than at that moment. */
  readonly storedAgainMs: number | null;
  /** Documents that became readable while the fault lasted, its first second (requests in flight) aside. */
  readonly storedDuringFault: number | null;
}

export interface FaultyReplay {
  readonly report: ReplayReport;
  readonly faults: readonly FaultTiming[];
  /** Documents in Cosmos DB once the replay ended and the consumer caught up (or the wait timed out). */
  readonly storedCount: number;
  /** Ms from the replay's end until every accepted event was stored. */
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
  /** The producer's retries of one request (backoff capped at 5 s): the budget that rides out a fault. */
  readonly maxRetries?: number;
  readonly storeTimeoutMs?: number;
  /** Documents expected besides the producer's accepted events (e.g. a flood's), counted at the end. */
  readonly alsoExpected?: () => number;
}

/**
 * Replays `events` into the stack through the gateway with the producer, injecting each fault (in
 * order, one at a time) when the producer's accepted count reaches its threshold, then waits for
 * every accepted event to be readable in Cosmos DB. Records when each fault started and ended and how
 * long the API and the store took to work again.
 */
export async function replayUnderFaults(
  stack: RunningStack,
  options: FaultyReplayOptions,
): Promise<FaultyReplay> {
  const began = Date.now();
  const elapsed = () => Date.now() - began;
  const watch = new StoredWatch(stack.eventsContainer(), began).start();
  const acceptedAt: number[] = [];
  const pending = [...options.faults].sort((a, b) => a.atAccepted - b.atAccepted);
  const timings: Omit<FaultTiming, 'acceptedAgainMs' | 'storedAgainMs' | 'storedDuringFault'>[] = [];
  let running: Promise<void> | undefined;

  const engine = replay({
    input: options.events,
    url: stack.urls.ingest,
    subscriptionKey: stack.secrets.subscription.primaryKey,
    basicUser: stack.secrets.basicAuth.user,
    basicPassword: stack.secrets.basicAuth.password,
    rate: options.rate,
    batchSize: options.batchSize ?? 50,
    concurrency: options.concurrency ?? 8,
    maxRetries: options.maxRetries ?? 10,
    retryMaxMs: 5_000,
    progressIntervalMs: 100,
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
    const startedMs = elapsed();
    options.say(`  fault: ${next.name} at ${p.accepted} accepted`);
    running = next.inject().then(() => {
      timings.push({ name: next.name, atAccepted: next.atAccepted, startedMs, endedMs: elapsed() });
      options.say(`  fault over: ${next.name} (${elapsed() - startedMs} ms)`);
      running = undefined;
    });
  });

  let report: ReplayReport;
  try {
    report = await engine;
    await running;
    if (pending.length > 0)
      throw new Error(
        `the replay ended before these faults were injected: ${pending.map((f) => f.name).join(', ')}`,
      );
  } catch (error) {
    watch.stop();
    throw error;
  }
  const replayEnded = Date.now();
  const expected = new Set(report.acceptedIds).size + (options.alsoExpected?.() ?? 0);
  const storedCount = await waitForCount(
    stack.eventsContainer(),
    expected,
    options.storeTimeoutMs ?? 180_000,
  );
  const catchUpMs = Date.now() - replayEnded;
  // One more sample after the catch-up, so a fault near the end still sees the store grow.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  watch.stop();
  return {
    report,
    storedCount,
    catchUpMs,
    faults: timings.map((t) => ({
      ...t,
      acceptedAgainMs: firstAfter(acceptedAt, t.endedMs),
      storedAgainMs: watch.storedAgainAfter(t.endedMs),
      storedDuringFault: watch.storedBetween(t.startedMs + 1_000, t.endedMs),
    })),
  };
}

function firstAfter(times: readonly number[], sinceMs: number): number | null {
  const next = times.find((t) => t > sinceMs);
  return next === undefined ? null : next - sinceMs;
}

/**
 * Waits until Cosmos DB holds at least `expected` documents. One COUNT per second rather than
 * reading ids: the emulator scans every document for each query, and id lookups for 20,000 events
 * would starve the consumer's writes. The audit afterwards compares the exact id sets.
 */
async function waitForCount(container: Container, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { resources } = await container.items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
    const count = resources[0] ?? 0;
    if (count >= expected || Date.now() >= deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}
