import { createHash } from 'node:crypto';
import type { ImageReference } from './generated/hub-event';
import type { TweetEvent } from './generated/tweet-event';

/**
 * The raw archive: one blob per accepted request in the `raw-events` container, written by the ingest
 * function before anything is published, read back by the raw-event lookup and the fault suite's audit.
 * It lives in the contract because three workspaces read or write the same bytes.
 */

/** A raw event as archived: exactly as received, except that its image is a reference, not base64. */
export type ArchivedEvent = Omit<TweetEvent, 'image'> & { image?: ImageReference };

export interface RawArchive {
  /** `<yyyy>/<mm>/<dd>/<sha256 of body>.ndjson`: a function of the bytes alone. */
  readonly name: string;
  /** NDJSON: one archived event per line, in request order, each line ending in `\n`. */
  readonly body: Buffer;
  /** The archived events' ids, line by line (line i holds ids[i]). */
  readonly ids: readonly string[];
}

export const RAW_ARCHIVE_NAME_PATTERN = /^[0-9]{4}\/[0-9]{2}\/[0-9]{2}\/[0-9a-f]{64}\.ndjson$/;

/**
 * Serializes a request's unique events into its archive. The name is derived from the content: the UTC
 * day of the earliest event (so a person, or a lifecycle rule by prefix, finds a day's data) and the
 * SHA-256 of the bytes. The same request retried gives the same bytes, so the same name: the retry
 * rewrites the blob instead of adding one. Callers pass each id once (the ingest function collapses
 * repeated ids first); a repeated id here is a bug, refused rather than archived twice.
 */
export function serializeArchive(events: readonly ArchivedEvent[]): RawArchive {
  if (events.length === 0) throw new Error('an archive holds at least one event');
  const ids = events.map((event) => event.id);
  if (new Set(ids).size !== ids.length) throw new Error('an archive holds each event id once');
  const body = Buffer.from(events.map((event) => JSON.stringify(event) + '\n').join(''));
  const earliest = Math.min(...events.map((event) => Date.parse(event.createdAt)));
  const day = new Date(earliest).toISOString().slice(0, 10).replace(/-/g, '/');
  return { name: `${day}/${createHash('sha256').update(body).digest('hex')}.ndjson`, body, ids };
}

/** The archived events of an archive's bytes, in line order. */
export function parseArchive(body: Buffer | string): ArchivedEvent[] {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as ArchivedEvent);
}

/** The event on line `line` (from 0) of an archive, or undefined when the archive is shorter. */
export function archivedEventAt(body: Buffer | string, line: number): ArchivedEvent | undefined {
  return parseArchive(body)[line];
}
