/**
 * The JSON that GET /api/stats returns: the contract between the stats function
 * (functions/src/functions/stats.ts), the dashboard page (functions/src/dashboard) and the smoke test
 * (.github/scripts/src/stats-client.ts). Plain types and numbers with no imports, so the server (Node)
 * and the page (DOM) compile the same file.
 */

/** `GET /api/stats?latest=N`: N is an integer from 1 to MAX_LATEST; without it, DEFAULT_LATEST. */
export const MAX_LATEST = 100;
export const DEFAULT_LATEST = 20;

export type ImageLabel = 'damage' | 'no_damage';

/** Where an event's image is stored and what it shows (the claim check, never the bytes). */
export interface ImageSummary {
  readonly label: ImageLabel;
  readonly longitude: number;
  readonly latitude: number;
  readonly contentType: 'image/jpeg';
  /** Name in the images container: `<sha256>.jpeg`; the page loads it from `images/<blob>`. */
  readonly blob: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface LatestTweet {
  readonly id: string;
  readonly tweetId: string;
  readonly createdAt: string;
  readonly text: string;
  /** Absent when the source row had no count: the dashboard shows it as unknown, never as 0. */
  readonly retweets?: number;
  readonly replies?: number;
  readonly likes?: number;
  readonly image?: ImageSummary;
  readonly storedAt: string;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** A count that stops at a cap (then it is a lower bound). */
export interface CappedCount {
  readonly count: number;
  readonly capped: boolean;
}

/** One distinct image location, with how many stored events carry an image there, by label. */
export interface MapPoint {
  readonly longitude: number;
  readonly latitude: number;
  /** The label of the most recently stored image at this location. */
  readonly label: ImageLabel;
  readonly damage: number;
  readonly noDamage: number;
}

export interface PartitionLag {
  readonly partitionId: string;
  /** Last sequence number Event Hubs accepted in the partition (-1 when it is empty). */
  readonly lastEnqueuedSequenceNumber: number;
  /** Highest sequence number the consumer processed in this partition: stored or dead-lettered (-1: none). */
  readonly lastProcessedSequenceNumber: number;
  /** Events enqueued after the last stored one. */
  readonly lag: number;
  readonly lastEnqueuedAt: string | null;
}

/** How far the consumer is behind the hub, or why that could not be measured. */
export type ConsumerLag =
  | { readonly available: true; readonly events: number; readonly partitions: readonly PartitionLag[] }
  | { readonly available: false; readonly reason: string };

export interface Stats {
  readonly generatedAt: string;
  readonly totals: {
    readonly stored: number;
    readonly damage: number;
    readonly noDamage: number;
    readonly withoutImage: number;
  };
  /** Documents stored per minute, the last 60 minutes, oldest first; `minute` is the minute's start. */
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
  /** Dead letters, counted up to a cap (the count is a lower bound when capped). */
  readonly deadLetters: CappedCount;
  /**
   * Events the ingest function accepted: the events of its request archives (one blob per accepted
   * request, its event count in the blob's metadata), over a capped number of archives. An event sent
   * again in another request counts again. Requests rejected by validation are answered 4xx and stored
   * nowhere, so they are not counted.
   */
  readonly accepted: CappedCount;
  readonly map: {
    /** Distinct image locations among the `window` most recently stored documents with an image. */
    readonly points: readonly MapPoint[];
    readonly window: number;
    /** True when the window was full: older locations may be missing from the map. */
    readonly capped: boolean;
  };
  readonly consumerLag: ConsumerLag;
}
