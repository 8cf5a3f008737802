import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import type { CappedCount, ConsumerLag, LatestTweet, Stats } from '@pipeline/schemas';
import type { HubPartitionsResult } from './hub-lag';
import {
  distinctLocations,
  lastMinutes,
  millisBetween,
  partitionLag,
  percentiles,
  type MinuteWindow,
} from './stats-core';

export type { LatestTweet, Stats };

export interface StatsOptions {
  readonly latest: number;
  readonly latencyWindow: number;
  /** Cap for the blob counts (dead letters, raw archives): listing is ~1 call per 5,000 blobs. */
  readonly blobCountCap: number;
  /** How many of the newest image documents the map's distinct locations are taken from. */
  readonly mapWindow: number;
  readonly now: Date;
}

export interface StatsSources {
  readonly events: Container;
  readonly deadLetters: ContainerClient;
  readonly rawEvents: ContainerClient;
  /** The hub's partition positions, for the consumer lag; resolves `{ ok: false }` rather than throwing. */
  readonly hubPartitions: () => Promise<HubPartitionsResult>;
}

/**
 * The dashboard's aggregates, each from a cheap query the local emulator also supports (it has no
 * GROUP BY): COUNTs over the index, and TOP N by the indexed `storedAt`. On real Cosmos DB the cost is
 * about 3 RU per COUNT over an indexed range plus ~1 RU per 10 documents returned by the TOP queries:
 * at most 63 COUNTs + 4 TOPs + one MAX per hub partition ≈ 250-400 RU per call, which the function caches for a few seconds so
 * any number of open dashboards cost the same.
 */
export async function queryStats(sources: StatsSources, options: StatsOptions): Promise<Stats> {
  const container = sources.events;
  const count = async (where: string, parameters: { name: string; value: string }[] = []) => {
    const { resources } = await container.items
      .query<number>({ query: `SELECT VALUE COUNT(1) FROM c${where ? ` WHERE ${where}` : ''}`, parameters })
      .fetchAll();
    return resources.reduce((sum, n) => sum + n, 0);
  };
  const minutes = lastMinutes(options.now, 60);
  const deadLetterListing = countBlobs(sources.deadLetters, options.blobCountCap, deadLetterPosition);
  const [
    stored,
    damage,
    noDamage,
    perMinuteCounts,
    latest,
    recent,
    deadLetterCount,
    accepted,
    locations,
    consumerLag,
  ] = await Promise.all([
    count(''),
    count('c.image.label = @label', [{ name: '@label', value: 'damage' }]),
    count('c.image.label = @label', [{ name: '@label', value: 'no_damage' }]),
    countPerMinute(container, minutes, count),
    container.items
      .query<LatestTweet>(
        `SELECT TOP ${options.latest} c.id, c.tweetId, c.createdAt, c.text, c.retweets, c.replies, c.likes, c.image, c.storedAt FROM c ORDER BY c.storedAt DESC`,
      )
      .fetchAll()
      .then((r) => r.resources),
    container.items
      .query<{ ingestedAt?: string; enqueuedAt?: string; storedAt?: string }>(
        `SELECT TOP ${options.latencyWindow} c.ingestedAt, c.enqueuedAt, c.storedAt FROM c ORDER BY c.storedAt DESC`,
      )
      .fetchAll()
      .then((r) => r.resources),
    deadLetterListing.then(({ count, capped }) => ({ count, capped })),
    countArchivedEvents(sources.rawEvents, options.blobCountCap),
    container.items
      .query<{ longitude?: unknown; latitude?: unknown; label?: unknown }>(
        `SELECT TOP ${options.mapWindow} c.image.longitude, c.image.latitude, c.image.label FROM c WHERE IS_DEFINED(c.image) ORDER BY c.storedAt DESC`,
      )
      .fetchAll()
      .then((r) => r.resources),
    measureLag(container, sources.hubPartitions, deadLetterListing),
  ]);
  return {
    generatedAt: options.now.toISOString(),
    totals: { stored, damage, noDamage, withoutImage: Math.max(0, stored - damage - noDamage) },
    perMinute: minutes.map((m, i) => ({ minute: m.start, count: perMinuteCounts[i]! })),
    latest: latest.map(stripUndefined),
    latency: {
      window: recent.length,
      hubToStoreMs: percentiles(recent.map((d) => millisBetween(d.enqueuedAt, d.storedAt))),
      ingestToStoreMs: percentiles(recent.map((d) => millisBetween(d.ingestedAt, d.storedAt))),
    },
    deadLetters: deadLetterCount,
    accepted,
    map: {
      points: distinctLocations(locations),
      window: locations.length,
      capped: locations.length >= options.mapWindow,
    },
    consumerLag,
  };
}

/**
 * The consumer's lag, per partition: the hub's last enqueued sequence number against the highest one
 * the consumer has processed, which is the highest among the stored documents (each records its
 * partition and sequence number) and the dead letters (named `<hub>/<partition>/<sequenceNumber>.json`).
 */
async function measureLag(
  container: Container,
  hubPartitions: () => Promise<HubPartitionsResult>,
  deadLetters: Promise<BlobListing>,
): Promise<ConsumerLag> {
  const hub = await hubPartitions();
  if (!hub.ok) return { available: false, reason: hub.reason };
  const { lastSequence: deadLettered } = await deadLetters;
  const partitions = await Promise.all(
    hub.partitions.map(async (p) => {
      const { resources } = await container.items
        .query<number | null>({
          query: 'SELECT VALUE MAX(c.sequenceNumber) FROM c WHERE c.partitionId = @partition',
          parameters: [{ name: '@partition', value: p.partitionId }],
        })
        .fetchAll();
      const processed = resources.filter((n): n is number => typeof n === 'number');
      const lastDeadLetter = deadLettered.get(p.partitionId);
      if (lastDeadLetter !== undefined) processed.push(lastDeadLetter);
      return partitionLag(p.partitionId, p, processed.length ? Math.max(...processed) : null);
    }),
  );
  return { available: true, events: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
}

/**
 * One COUNT per minute of the hour, but only from the minute of the oldest document stored in the hour
 * (one TOP 1 query finds it): the minutes before it are known to be empty. A busy pipeline pays the
 * full 60 COUNTs; an idle or young one (and the dashboard's tests) pays a few.
 */
async function countPerMinute(
  container: Container,
  minutes: readonly MinuteWindow[],
  count: (where: string, parameters: { name: string; value: string }[]) => Promise<number>,
): Promise<number[]> {
  const { resources } = await container.items
    .query<{ storedAt?: string }>({
      query: 'SELECT TOP 1 c.storedAt FROM c WHERE c.storedAt >= @start ORDER BY c.storedAt ASC',
      parameters: [{ name: '@start', value: minutes[0]!.start }],
    })
    .fetchAll();
  const oldest = resources[0]?.storedAt;
  if (!oldest) return minutes.map(() => 0);
  return mapLimit(minutes, 10, (m) =>
    m.end <= oldest
      ? Promise.resolve(0)
      : count('c.storedAt >= @start AND c.storedAt < @end', [
          { name: '@start', value: m.start },
          { name: '@end', value: m.end },
        ]),
  );
}

interface BlobListing extends CappedCount {
  /** Highest sequence number per partition among the listed names that carry one. */
  readonly lastSequence: ReadonlyMap<string, number>;
}

/** A dead letter's hub position from its deterministic name `<hub>/<partition>/<sequenceNumber>.json`. */
export function deadLetterPosition(
  name: string,
): { partitionId: string; sequenceNumber: number } | undefined {
  const match = /^[^/]+\/([^/]+)\/(\d+)\.json$/.exec(name);
  return match ? { partitionId: match[1]!, sequenceNumber: Number(match[2]) } : undefined;
}

/**
 * Events in the raw archive: each request archive records its number of events in its metadata
 * (`events`), which the listing returns, so the sum costs no more calls than counting blobs. A blob
 * without it (a per-event blob from before hub event version 2) is one event. Over at most `cap`
 * archives (then a lower bound). An event sent again in another request counts again: the archive
 * records requests, Cosmos DB the distinct events.
 */
async function countArchivedEvents(container: ContainerClient, cap: number): Promise<CappedCount> {
  let archives = 0;
  let events = 0;
  try {
    for await (const page of container
      .listBlobsFlat({ includeMetadata: true })
      .byPage({ maxPageSize: Math.min(cap, 5000) })) {
      for (const blob of page.segment.blobItems) {
        const recorded = Number(blob.metadata?.events);
        events += Number.isInteger(recorded) && recorded > 0 ? recorded : 1;
        if (++archives >= cap) return { count: events, capped: true };
      }
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return { count: 0, capped: false };
    throw error;
  }
  return { count: events, capped: false };
}

async function countBlobs(
  container: ContainerClient,
  cap: number,
  position?: (name: string) => { partitionId: string; sequenceNumber: number } | undefined,
): Promise<BlobListing> {
  let count = 0;
  const lastSequence = new Map<string, number>();
  try {
    for await (const page of container.listBlobsFlat().byPage({ maxPageSize: Math.min(cap, 5000) })) {
      for (const blob of page.segment.blobItems) {
        const at = position?.(blob.name);
        if (at)
          lastSequence.set(
            at.partitionId,
            Math.max(at.sequenceNumber, lastSequence.get(at.partitionId) ?? -1),
          );
      }
      count += page.segment.blobItems.length;
      if (count >= cap) return { count: cap, capped: true, lastSequence };
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404)
      return { count: 0, capped: false, lastSequence };
    throw error;
  }
  return { count, capped: false, lastSequence };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
