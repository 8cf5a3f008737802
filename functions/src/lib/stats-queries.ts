import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import type { ImageReference } from '@pipeline/schemas';
import { lastMinutes, millisBetween, percentiles, type Percentiles } from './stats-core';

export interface LatestTweet {
  readonly id: string;
  readonly tweetId: string;
  readonly createdAt: string;
  readonly text: string;
  readonly retweets: number;
  readonly replies: number;
  readonly likes: number;
  readonly image?: ImageReference;
  readonly storedAt: string;
}

export interface Stats {
  readonly generatedAt: string;
  readonly totals: {
    readonly stored: number;
    readonly damage: number;
    readonly noDamage: number;
    readonly withoutImage: number;
  };
  readonly perMinute: readonly { readonly minute: string; readonly count: number }[];
  readonly latest: readonly LatestTweet[];
  readonly latency: {
    /** How many of the most recent documents the percentiles were computed over. */
    readonly window: number;
    /** Event Hubs enqueue -> document produced by the consumer, in ms. */
    readonly hubToStoreMs: Percentiles;
    /** Ingest accepted -> document produced by the consumer, in ms. */
    readonly ingestToStoreMs: Percentiles;
  };
  /** Dead letters, counted up to `deadLetterCountCap` (the count is a lower bound when capped). */
  readonly deadLetters: { readonly count: number; readonly capped: boolean };
}

export interface StatsOptions {
  readonly latest: number;
  readonly latencyWindow: number;
  readonly deadLetterCountCap: number;
  readonly now: Date;
}

/**
 * The dashboard's aggregates, each from a cheap query the local emulator also supports (it has no
 * GROUP BY): COUNTs over the index, and TOP N by the indexed `storedAt`. On real Cosmos DB the cost is
 * about 3 RU per COUNT over an indexed range plus ~1 RU per 10 documents returned by the TOP queries:
 * roughly 63 COUNTs + 2 TOPs ≈ 200-300 RU per call, which the function caches for a few seconds so
 * any number of open dashboards cost the same.
 */
export async function queryStats(
  container: Container,
  deadLetters: ContainerClient,
  options: StatsOptions,
): Promise<Stats> {
  const count = async (where: string, parameters: { name: string; value: string }[] = []) => {
    const { resources } = await container.items
      .query<number>({ query: `SELECT VALUE COUNT(1) FROM c${where ? ` WHERE ${where}` : ''}`, parameters })
      .fetchAll();
    return resources.reduce((sum, n) => sum + n, 0);
  };
  const minutes = lastMinutes(options.now, 60);
  const [stored, damage, noDamage, perMinuteCounts, latest, recent, deadLetterCount] = await Promise.all([
    count(''),
    count('c.image.label = @label', [{ name: '@label', value: 'damage' }]),
    count('c.image.label = @label', [{ name: '@label', value: 'no_damage' }]),
    mapLimit(minutes, 10, (m) =>
      count('c.storedAt >= @start AND c.storedAt < @end', [
        { name: '@start', value: m.start },
        { name: '@end', value: m.end },
      ]),
    ),
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
    countBlobs(deadLetters, options.deadLetterCountCap),
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
  };
}

async function countBlobs(
  container: ContainerClient,
  cap: number,
): Promise<{ count: number; capped: boolean }> {
  let count = 0;
  try {
    for await (const page of container.listBlobsFlat().byPage({ maxPageSize: Math.min(cap, 5000) })) {
      count += page.segment.blobItems.length;
      if (count >= cap) return { count: cap, capped: true };
    }
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return { count: 0, capped: false };
    throw error;
  }
  return { count, capped: false };
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
