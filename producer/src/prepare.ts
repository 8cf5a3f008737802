import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { deriveEventId, type TweetEvent } from '@pipeline/schemas';
import type { ByteSource } from './byte-source';
import { EventChecker } from './checker';
import { pairImageIndex, type ImageFile, type ImageStore, type SkippedImage } from './images';
import { openPrepareInputs } from './inputs';
import {
  detectEncoding,
  readTweets,
  type CsvEncoding,
  type SkipReason,
  type UnknownCountReason,
} from './tweets';

/**
 * The version of what prepare writes for given inputs. Bump it with any change that alters the NDJSON
 * of the same source files (ids, pairing, fields, skipping rules): prepared datasets are cached under
 * it (the replay workflow's dataset cache), so an old cache entry is never replayed as new output.
 * test/prepare-version.test.ts pins the committed sample's output to this number.
 * 2: a row with an empty or unreadable count is kept with that count absent (1 skipped it).
 */
export const PREPARE_VERSION = 2;

export interface PrepareOptions {
  /**
   * The tweets CSV as downloaded (`Hurricane_Harvey.csv` or `TS_Harvey_Tweets.csv`), or the Kaggle
   * zip archive holding it (read in place, never extracted).
   */
  readonly tweets: string | ByteSource;
  /** The CSV inside the tweets archive, when the archive holds several CSVs and none has a known name. */
  readonly tweetsEntry?: string | undefined;
  /** The satellite image tree or its zip archive; without it the events carry no image. */
  readonly images?: string | ImageStore | undefined;
  /** Where to write the NDJSON (written to a temporary file, then renamed); `-` for stdout. */
  readonly out: string;
  /** `auto` (default) checks the whole file for valid UTF-8 and falls back to latin-1. */
  readonly encoding?: CsvEncoding | 'auto' | undefined;
  /** Seed of the pairing rule (see images.ts); default `1`. */
  readonly seed?: string | number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called every 10,000 rows. */
  readonly onProgress?: ((rowsRead: number, eventsWritten: number) => void) | undefined;
}

export interface SkippedRow {
  readonly line: number;
  readonly reason: SkipReason;
  readonly message: string;
}

export interface PrepareSummary {
  readonly out: string;
  /** What was read: a path, or `archive.zip!entry`. */
  readonly tweets: string;
  readonly prepareVersion: number;
  readonly encoding: CsvEncoding;
  readonly seed: string;
  readonly rowsRead: number;
  readonly eventsWritten: number;
  readonly eventsWithImage: number;
  readonly rowsSkipped: number;
  readonly skippedByReason: Partial<Record<SkipReason, number>>;
  /** The first 100 skipped rows, with their line in the CSV. */
  readonly skippedRows: readonly SkippedRow[];
  /** Events written with at least one count absent (its cell empty or unreadable): kept, count unknown. */
  readonly eventsWithUnknownCounts: number;
  /** Absent counts by reason, one per cell (a row with two empty counts adds 2 to `missing-count`). */
  readonly unknownCountsByReason: Partial<Record<UnknownCountReason, number>>;
  readonly images: {
    readonly found: number;
    readonly skipped: number;
    readonly skippedFiles: readonly SkippedImage[];
  };
  readonly durationMs: number;
}

const MAX_LISTED = 100;
const WRITE_CHUNK = 1 << 20;

/** Counters shared by `prepareEvents` and its caller; the generator fills them while it runs. */
export class PrepareTally {
  encoding: CsvEncoding = 'utf-8';
  tweetsSource = '';
  rowsRead = 0;
  eventsWritten = 0;
  eventsWithImage = 0;
  readonly skippedByReason: Partial<Record<SkipReason, number>> = {};
  readonly skippedRows: SkippedRow[] = [];
  eventsWithUnknownCounts = 0;
  readonly unknownCountsByReason: Partial<Record<UnknownCountReason, number>> = {};
  imagesFound = 0;
  imagesSkipped: readonly SkippedImage[] = [];

  skip(line: number, reason: SkipReason, message: string): void {
    this.skippedByReason[reason] = (this.skippedByReason[reason] ?? 0) + 1;
    if (this.skippedRows.length < MAX_LISTED) this.skippedRows.push({ line, reason, message });
  }

  get rowsSkipped(): number {
    return Object.values(this.skippedByReason).reduce((sum, n) => sum + n, 0);
  }
}

export interface PreparedEvent {
  readonly event: TweetEvent;
  /** The event as one line of JSON, without the newline. */
  readonly json: string;
}

/**
 * Streams contract-valid events from the Kaggle files: one CSV row at a time, each paired image read
 * when its event is built, so memory stays flat whatever the input size (the one exception is the
 * set of ids seen, ~100 bytes per event, which collapses exact duplicate rows).
 */
export async function* prepareEvents(
  options: PrepareOptions,
  tally = new PrepareTally(),
): AsyncGenerator<PreparedEvent> {
  const seed = String(options.seed ?? 1);
  const inputs = await openPrepareInputs(options);
  try {
    tally.tweetsSource = inputs.tweets.name;
    tally.encoding =
      !options.encoding || options.encoding === 'auto'
        ? await detectEncoding(inputs.tweets)
        : options.encoding;
    const store = inputs.images;
    const images: readonly ImageFile[] = store?.images ?? [];
    tally.imagesFound = images.length;
    tally.imagesSkipped = store?.skipped ?? [];
    yield* buildEvents(inputs.tweets, store, images, seed, options, tally);
  } finally {
    inputs.close();
  }
}

async function* buildEvents(
  tweets: ByteSource,
  store: ImageStore | undefined,
  images: readonly ImageFile[],
  seed: string,
  options: PrepareOptions,
  tally: PrepareTally,
): AsyncGenerator<PreparedEvent> {
  const seen = new Set<string>();
  const checker = new EventChecker();
  for await (const record of readTweets(tweets, tally.encoding)) {
    options.signal?.throwIfAborted();
    tally.rowsRead++;
    if (tally.rowsRead % 10_000 === 0) options.onProgress?.(tally.rowsRead, tally.eventsWritten);
    if ('problem' in record) {
      tally.skip(record.line, record.problem.reason, record.problem.message);
      continue;
    }
    const { row } = record;
    const id = deriveEventId(row);
    if (seen.has(id)) {
      tally.skip(record.line, 'duplicate', `same ID, Time and Tweet as an earlier row (event ${id})`);
      continue;
    }
    seen.add(id);
    // An absent count stays absent (unknown), never 0; the spreads keep the field order stable.
    const event: TweetEvent = {
      schemaVersion: 1,
      id,
      tweetId: row.tweetId,
      createdAt: row.createdAt,
      text: row.text,
      ...(row.retweets === undefined ? {} : { retweets: row.retweets }),
      ...(row.replies === undefined ? {} : { replies: row.replies }),
      ...(row.likes === undefined ? {} : { likes: row.likes }),
    };
    if (store && images.length) {
      const image = images[pairImageIndex(id, seed, images.length)]!;
      // A folder's store reads synchronously (see imageDirectory); only a zip's read is awaited.
      const pending = store.read(image);
      const data = Buffer.isBuffer(pending) ? pending : await pending;
      event.image = {
        label: image.label,
        longitude: image.longitude,
        latitude: image.latitude,
        contentType: 'image/jpeg',
        data: data.toString('base64'),
      };
    }
    const result = checker.check(event);
    if (!result.ok) {
      tally.skip(record.line, 'invalid-event', result.errors.map((e) => `${e.path} ${e.message}`).join('; '));
      continue;
    }
    tally.eventsWritten++;
    if (event.image) tally.eventsWithImage++;
    if (record.unknownCounts) {
      tally.eventsWithUnknownCounts++;
      for (const { reason } of record.unknownCounts) {
        tally.unknownCountsByReason[reason] = (tally.unknownCountsByReason[reason] ?? 0) + 1;
      }
    }
    yield { event, json: JSON.stringify(event) };
  }
}

/** Prepares the Kaggle files into one NDJSON file of contract-valid events and summarizes the run. */
export async function prepare(options: PrepareOptions): Promise<PrepareSummary> {
  const started = performance.now();
  const tally = new PrepareTally();
  const toStdout = options.out === '-';
  const temporary = `${options.out}.partial-${process.pid}`;
  const output: NodeJS.WritableStream | WriteStream = toStdout
    ? process.stdout
    : createWriteStream(temporary);
  try {
    // Lines are encoded into ~1 MiB buffers: one write per 12 KB event, or joining strings, cost
    // more than building the events (measured: Array.join was the largest item of the profile).
    let buffer = Buffer.allocUnsafe(2 * WRITE_CHUNK);
    let used = 0;
    const flush = async () => {
      if (!used) return;
      const chunk = buffer.subarray(0, used);
      buffer = Buffer.allocUnsafe(2 * WRITE_CHUNK);
      used = 0;
      if (!output.write(chunk)) await once(output, 'drain');
    };
    for await (const { json } of prepareEvents(options, tally)) {
      // At most 3 bytes per UTF-16 unit: room is checked before writing, so nothing is cut.
      if (used + json.length * 3 + 1 > buffer.length) {
        await flush();
        if (json.length * 3 + 1 > buffer.length) buffer = Buffer.allocUnsafe(json.length * 3 + 1);
      }
      used += buffer.write(json, used, 'utf8');
      buffer[used++] = 0x0a;
      if (used >= WRITE_CHUNK) await flush();
    }
    await flush();
    if (!toStdout) {
      (output as WriteStream).end();
      await once(output, 'finish');
      await rename(temporary, options.out);
    }
  } catch (error) {
    if (!toStdout) {
      (output as WriteStream).destroy();
      await rm(temporary, { force: true });
    }
    throw error;
  }
  return {
    out: options.out,
    tweets: tally.tweetsSource,
    prepareVersion: PREPARE_VERSION,
    encoding: tally.encoding,
    seed: String(options.seed ?? 1),
    rowsRead: tally.rowsRead,
    eventsWritten: tally.eventsWritten,
    eventsWithImage: tally.eventsWithImage,
    rowsSkipped: tally.rowsSkipped,
    skippedByReason: tally.skippedByReason,
    skippedRows: tally.skippedRows,
    eventsWithUnknownCounts: tally.eventsWithUnknownCounts,
    unknownCountsByReason: tally.unknownCountsByReason,
    images: {
      found: tally.imagesFound,
      skipped: tally.imagesSkipped.length,
      skippedFiles: tally.imagesSkipped.slice(0, MAX_LISTED),
    },
    durationMs: Math.round(performance.now() - started),
  };
}
