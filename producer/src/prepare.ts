import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { deriveEventId, validateTweetEvent, type TweetEvent } from '@pipeline/schemas';
import { listImages, pairImageIndex, type ImageFile, type SkippedImage } from './images';
import { detectEncoding, readTweets, type CsvEncoding, type SkipReason } from './tweets';

export interface PrepareOptions {
  /** The tweets CSV as downloaded (`Hurricane_Harvey.csv` or `TS_Harvey_Tweets.csv`). */
  readonly tweets: string;
  /** The satellite image tree; without it the events carry no image. */
  readonly images?: string | undefined;
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
  readonly encoding: CsvEncoding;
  readonly seed: string;
  readonly rowsRead: number;
  readonly eventsWritten: number;
  readonly eventsWithImage: number;
  readonly rowsSkipped: number;
  readonly skippedByReason: Partial<Record<SkipReason, number>>;
  /** The first 100 skipped rows, with their line in the CSV. */
  readonly skippedRows: readonly SkippedRow[];
  readonly images: {
    readonly found: number;
    readonly skipped: number;
    readonly skippedFiles: readonly SkippedImage[];
  };
  readonly durationMs: number;
}

const MAX_LISTED = 100;

/** Counters shared by `prepareEvents` and its caller; the generator fills them while it runs. */
export class PrepareTally {
  encoding: CsvEncoding = 'utf-8';
  rowsRead = 0;
  eventsWritten = 0;
  eventsWithImage = 0;
  readonly skippedByReason: Partial<Record<SkipReason, number>> = {};
  readonly skippedRows: SkippedRow[] = [];
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
  tally.encoding =
    !options.encoding || options.encoding === 'auto'
      ? await detectEncoding(options.tweets)
      : options.encoding;
  let images: readonly ImageFile[] = [];
  if (options.images) {
    const listing = await listImages(options.images);
    images = listing.images;
    tally.imagesFound = images.length;
    tally.imagesSkipped = listing.skipped;
  }
  const seen = new Set<string>();
  for await (const record of readTweets(options.tweets, tally.encoding)) {
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
    const event: TweetEvent = {
      schemaVersion: 1,
      id,
      tweetId: row.tweetId,
      createdAt: row.createdAt,
      text: row.text,
      retweets: row.retweets,
      replies: row.replies,
      likes: row.likes,
    };
    if (images.length) {
      const image = images[pairImageIndex(id, seed, images.length)]!;
      const data = await readFile(image.path);
      event.image = {
        label: image.label,
        longitude: image.longitude,
        latitude: image.latitude,
        contentType: 'image/jpeg',
        data: data.toString('base64'),
      };
    }
    const result = validateTweetEvent(event);
    if (!result.ok) {
      tally.skip(record.line, 'invalid-event', result.errors.map((e) => `${e.path} ${e.message}`).join('; '));
      continue;
    }
    tally.eventsWritten++;
    if (event.image) tally.eventsWithImage++;
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
    // Lines are gathered into ~1 MB writes: one write per 12 KB event costs more than the JSON itself.
    let pending: string[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (!pending.length) return;
      const chunk = pending.join('');
      pending = [];
      pendingBytes = 0;
      if (!output.write(chunk)) await once(output, 'drain');
    };
    for await (const { json } of prepareEvents(options, tally)) {
      pending.push(json, '\n');
      pendingBytes += json.length + 1;
      if (pendingBytes >= 1 << 20) await flush();
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
    encoding: tally.encoding,
    seed: String(options.seed ?? 1),
    rowsRead: tally.rowsRead,
    eventsWritten: tally.eventsWritten,
    eventsWithImage: tally.eventsWithImage,
    rowsSkipped: tally.rowsSkipped,
    skippedByReason: tally.skippedByReason,
    skippedRows: tally.skippedRows,
    images: {
      found: tally.imagesFound,
      skipped: tally.imagesSkipped.length,
      skippedFiles: tally.imagesSkipped.slice(0, MAX_LISTED),
    },
    durationMs: Math.round(performance.now() - started),
  };
}
