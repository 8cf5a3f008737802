// One pipeline step: the producer offers events at a rate through the stack's gateway, then the step
// waits until every accepted event is readable in Cosmos DB and measures it from the stored times.
import { replay } from '@pipeline/producer';
import type { TweetEvent } from '@pipeline/schemas';
import type { RunningStack } from '../launcher';
import type { Container } from '@azure/cosmos';
import { nearestRank, storeLatencies, type StoredTimes } from '../summary';
import { eventsForStep } from './load';
import { cpuMsPerEvent, cpuShares, cpuSnapshot, machineBusySeconds, type Pids } from './processes';
import type { StoreProgress } from './progress';
import { PRODUCER } from './settings';
import type { StepKind, StepResult } from './types';

/** Events of the unlimited step: enough to build a backlog that shows the saturation rate. */
export const UNLIMITED_EVENTS = 6000;

/**
 * The documents of `ids` that are stored, by point reads (the id is the partition key), 32 at a time.
 * The emulator answers a point read from a map, where a query (even `ARRAY_CONTAINS` over 100 ids)
 * runs over every document: after the warm-up the container holds 12,000+ of them (progress.ts).
 */
export async function readStored(container: Container, ids: readonly string[]): Promise<StoredTimes[]> {
  const unique = [...new Set(ids)];
  const stored: StoredTimes[] = [];
  for (let i = 0; i < unique.length; i += 32) {
    const reads = await Promise.all(
      unique.slice(i, i + 32).map((id) => container.item(id, id).read<StoredTimes>()),
    );
    for (const { resource } of reads) if (resource) stored.push(resource);
  }
  return stored;
}

/** Offers events through the stack's gateway with the bench's producer settings; at `rate`, or at once. */
function offer(stack: RunningStack, events: readonly TweetEvent[], rate: number | null) {
  return replay({
    input: events,
    url: stack.urls.ingest,
    subscriptionKey: stack.secrets.subscription.primaryKey,
    basicUser: stack.secrets.basicAuth.user,
    basicPassword: stack.secrets.basicAuth.password,
    rate: rate ?? undefined,
    concurrency: PRODUCER.concurrency,
    batchSize: PRODUCER.batchSize,
    maxRetries: PRODUCER.maxRetries,
    // The dataset is valid; validating it again would spend the producer's share of the two cores.
    preflight: false,
  });
}

/**
 * Runs `events` through the whole pipeline as fast as it takes them, unmeasured, and waits until they
 * are stored. A fresh functions host spends far more CPU per event than a warm one (V8 still compiling
 * and sizing its heap): measured over rounds of 6,000 events in one stack, 1.03, 0.67, 0.63, 0.58 ms
 * per event (docs/decisions.md HOST-7). A deployed instance runs warm, so the steps measure a warm one.
 * Returns how many events the pipeline accepted (they are on the hub with the steps' events).
 */
export async function warmUp(
  stack: RunningStack,
  base: readonly TweetEvent[],
  events: number,
  progress: StoreProgress,
): Promise<number> {
  const report = await offer(stack, eventsForStep(base, `warm-up-${Date.now()}`, events), null);
  if (!(await progress.waitUntilStored(180_000)))
    throw new Error(`the ${events}-event warm-up was not stored within 180 s`);
  return report.events.accepted;
}

export async function runStep(
  stack: RunningStack,
  base: readonly TweetEvent[],
  kind: StepKind,
  rate: number | null,
  stepSeconds: number,
  pids: Pids,
  progress: StoreProgress,
): Promise<StepResult> {
  const count = rate === null ? UNLIMITED_EVENTS : Math.round(rate * stepSeconds);
  const events = eventsForStep(base, `${kind}-${rate ?? 'max'}-${Date.now()}`, count);
  const container = stack.eventsContainer();
  const cpuBefore = cpuSnapshot(pids);
  const machineBefore = machineBusySeconds();
  const began = Date.now();
  const report = await offer(stack, events, rate);
  // Until the consumer has checkpointed every partition's last event: every accepted event is stored.
  await progress.waitUntilStored(180_000);
  const seconds = (Date.now() - began) / 1000;
  const cpuAfter = cpuSnapshot(pids);
  const cpuShare = cpuShares(cpuBefore, cpuAfter, seconds);
  const machineAfter = machineBusySeconds();
  const machineBusyCores =
    machineBefore === undefined || machineAfter === undefined
      ? null
      : Math.round(((machineAfter - machineBefore) / seconds) * 100) / 100;
  const stored = await readStored(container, report.acceptedIds);
  // Until the last document was stored, by its own timestamp (same machine, same clock): the
  // checkpoint polling above only knows it to a poll and a checkpoint later.
  const lastStored = Math.max(began, ...stored.map((d) => Date.parse(d.storedAt)).filter(Number.isFinite));
  const latencies = storeLatencies(stored);
  return {
    kind,
    offeredPerSecond: rate,
    acceptedPerSecond: Math.round(report.throughput.eventsPerSecond * 10) / 10,
    storedPerSecond: Math.round((stored.length / Math.max(0.001, (lastStored - began) / 1000)) * 10) / 10,
    events: count,
    stored: stored.length,
    errors: report.events.failed + report.events.rejected,
    latencyMs: {
      p50: nearestRank(latencies, 50),
      p95: nearestRank(latencies, 95),
      p99: nearestRank(latencies, 99),
      max: latencies.at(-1) ?? null,
    },
    cpuShare,
    // Over the same window as cpuShare: what each process spent on the step's events, idle time included.
    cpuMsPerStoredEvent: cpuMsPerEvent(cpuBefore, cpuAfter, stored.length),
    machineBusyCores,
  };
}

/** Half the saturation rate, rounded to a multiple of 5 events/s (at least 5). */
export function halfSaturationRate(saturationPerSecond: number): number {
  return Math.max(5, Math.round(saturationPerSecond / 2 / 5) * 5);
}
