import { createHash } from 'node:crypto';

/** The fields of a source row that identify a tweet event. */
export interface EventIdSource {
  /** The tweet id as a decimal string (never a number: 64-bit ids lose precision). */
  readonly tweetId: string;
  /** Creation time, ISO 8601 UTC, as it appears in the event. */
  readonly createdAt: string;
  /** The tweet text, as it appears in the event. */
  readonly text: string;
}

// Bump when the derivation changes: ids made by different derivations must never collide.
const DERIVATION_VERSION = 'tweet-event-id/v1';

/**
 * Derives the event id from the source row: the first 128 bits of SHA-256 over the row's identifying
 * fields, as 32 hex characters. The same row always gives the same id, so a replay, a retry or a
 * redelivery overwrites the same blob and upserts the same Cosmos document instead of duplicating it.
 * Exact duplicate rows in a source file therefore collapse into one event, by design.
 */
export function deriveEventId(source: EventIdSource): string {
  // JSON array encoding keeps field boundaries unambiguous ("1","23" differs from "12","3").
  const canonical = JSON.stringify([DERIVATION_VERSION, source.tweetId, source.createdAt, source.text]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 32);
}
