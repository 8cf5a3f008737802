import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import { parse, type CsvError } from 'csv-parse';
import { asByteSource, type ByteSource } from './byte-source';
import { InputError } from './errors';
import { parseTweetTime } from './time';

/** Text encodings of the tweets CSV. `latin1` decodes as windows-1252, what "latin-1" files really are. */
export type CsvEncoding = 'utf-8' | 'latin1';

/** The columns we read, by header name (never by position: the original prototype's defect). */
export const TWEET_COLUMNS = ['ID', 'Time', 'Tweet', 'Retweets', 'Replies', 'Likes'] as const;
type TweetColumn = (typeof TWEET_COLUMNS)[number];

/** A count column: absent from the row when its cell is empty or unreadable. */
export type CountField = 'retweets' | 'replies' | 'likes';

/** Why a count is absent from a kept row (the row itself is kept: a tweet without a count is a tweet). */
export type UnknownCountReason = 'missing-count' | 'invalid-count';

/** A row that passed the field checks, with typed values. */
export interface TweetRow {
  readonly tweetId: string;
  readonly createdAt: string;
  readonly text: string;
  /** Absent when the cell is empty or not a count: unknown, never zero. */
  readonly retweets?: number;
  readonly replies?: number;
  readonly likes?: number;
}

/** A count the row does not carry, and why (counted in prepare's summary; the row is still written). */
export interface UnknownCount {
  readonly column: 'Retweets' | 'Replies' | 'Likes';
  readonly reason: UnknownCountReason;
}

/** Why a row was skipped: a stable key for counting, and a sentence for people. */
export interface RowProblem {
  readonly reason: SkipReason;
  readonly message: string;
}

export type SkipReason =
  | 'malformed-csv'
  | 'field-count'
  | 'missing-id'
  | 'invalid-id'
  | 'missing-time'
  | 'invalid-time'
  | 'missing-text'
  | 'duplicate'
  | 'invalid-event';

export type TweetRecord =
  | { readonly line: number; readonly row: TweetRow; readonly unknownCounts?: readonly UnknownCount[] }
  | { readonly line: number; readonly problem: RowProblem };

/**
 * Chooses the encoding: the whole file is checked as UTF-8 in a streaming pass (constant memory; a
 * 25 MB file takes a fraction of a second), and any invalid sequence means latin-1. Sniffing only the
 * head would miss a file whose first non-ASCII byte comes late.
 */
export async function detectEncoding(input: string | ByteSource): Promise<CsvEncoding> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const source = asByteSource(input);
  try {
    for await (const chunk of await source.open()) decoder.decode(chunk as Buffer, { stream: true });
    decoder.decode();
    return 'utf-8';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_ENCODING_INVALID_ENCODED_DATA') return 'latin1';
    throw error;
  }
}

/** Decodes bytes into text chunk by chunk; TextDecoder keeps a split multi-byte sequence for the next chunk. */
class DecodeStream extends Transform {
  readonly #decoder: TextDecoder;
  constructor(encoding: CsvEncoding) {
    super({ decodeStrings: false, readableObjectMode: false, encoding: 'utf8' });
    this.#decoder = new TextDecoder(encoding === 'latin1' ? 'windows-1252' : 'utf-8');
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.#decoder.decode(chunk, { stream: true }));
  }
  override _flush(callback: TransformCallback): void {
    callback(null, this.#decoder.decode());
  }
}

/**
 * Streams the rows of a Hurricane Harvey tweets CSV (either Kaggle version) as typed rows or reasons
 * to skip them. Quoted fields may hold commas, quotes and newlines; the header names the columns.
 */
export async function* readTweets(
  input: string | ByteSource,
  encoding: CsvEncoding,
): AsyncGenerator<TweetRecord> {
  const source = asByteSource(input);
  const path = source.name;
  const parser = parse({
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    info: true,
  });
  const malformed: TweetRecord[] = [];
  parser.on('skip', (error: CsvError) => {
    malformed.push({
      line: typeof error.lines === 'number' ? error.lines : 0,
      problem: { reason: 'malformed-csv', message: error.message },
    });
  });
  const bytes = await source.open();
  bytes.on('error', (error) =>
    parser.destroy(
      error instanceof InputError
        ? error
        : new InputError(`cannot read ${path}: ${error.message}`, { cause: error }),
    ),
  );
  bytes.pipe(new DecodeStream(encoding)).pipe(parser);

  let columns: Record<TweetColumn, number> | undefined;
  let width = 0;
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    while (malformed.length) yield malformed.shift()!;
    const { record, info } = item;
    if (!columns) {
      columns = headerColumns(record, path);
      width = record.length;
      continue;
    }
    const problem = record.length !== width ? fieldCountProblem(record.length, width) : undefined;
    yield problem ? { line: info.lines, problem } : toRow(record, columns, info.lines);
  }
  while (malformed.length) yield malformed.shift()!;
  if (!columns) throw new InputError(`${path} is empty: expected a header with ${TWEET_COLUMNS.join(', ')}`);
}

function headerColumns(header: string[], path: string): Record<TweetColumn, number> {
  const names = header.map((name) =>
    name
      .replace(/^\uFEFF/, '')
      .trim()
      .toLowerCase(),
  );
  const missing: string[] = [];
  const columns = {} as Record<TweetColumn, number>;
  for (const column of TWEET_COLUMNS) {
    const index = names.indexOf(column.toLowerCase());
    if (index < 0) missing.push(column);
    columns[column] = index;
  }
  if (missing.length) {
    throw new InputError(
      `${path}: the header lacks column(s) ${missing.join(', ')} (found: ${header.map((h) => JSON.stringify(h)).join(', ')})`,
    );
  }
  return columns;
}

function fieldCountProblem(got: number, expected: number): RowProblem {
  return {
    reason: 'field-count',
    message: `has ${got} fields where the header has ${expected} (an unquoted comma?)`,
  };
}

const TWEET_ID = /^[0-9]{1,20}$/;
// pandas writes an integer column holding a missing value as floats ("12.0").
const COUNT = /^([0-9]{1,10})(?:\.0+)?$/;

const COUNT_COLUMNS = [
  ['Retweets', 'retweets'],
  ['Replies', 'replies'],
  ['Likes', 'likes'],
] as const;

function toRow(record: string[], columns: Record<TweetColumn, number>, line: number): TweetRecord {
  const field = (column: TweetColumn) => record[columns[column]] ?? '';
  const fail = (reason: SkipReason, message: string): TweetRecord => ({ line, problem: { reason, message } });

  const tweetId = field('ID').trim();
  if (!tweetId) return fail('missing-id', 'ID is empty');
  if (!TWEET_ID.test(tweetId)) {
    return fail(
      'invalid-id',
      `ID ${JSON.stringify(tweetId)} is not a decimal tweet id (a float loses the id's precision)`,
    );
  }
  const time = field('Time').trim();
  if (!time) return fail('missing-time', 'Time is empty');
  const createdAt = parseTweetTime(time);
  if (!createdAt)
    return fail(
      'invalid-time',
      `Time ${JSON.stringify(time)} is in neither 2017-08-25 20:05:00 nor 8/25/2017 20:05 form`,
    );
  const text = field('Tweet');
  if (!text.trim()) return fail('missing-text', 'Tweet is empty');

  // A count is context, not identity: the id, time and text make the event (and its id), so an
  // empty or unreadable count leaves the field absent (unknown) instead of dropping the tweet.
  const row: { -readonly [K in keyof TweetRow]: TweetRow[K] } = { tweetId, createdAt, text };
  const unknownCounts: UnknownCount[] = [];
  for (const [column, key] of COUNT_COLUMNS) {
    const raw = field(column).trim();
    const match = raw ? COUNT.exec(raw) : null;
    if (match) row[key] = Number(match[1]);
    else unknownCounts.push({ column, reason: raw ? 'invalid-count' : 'missing-count' });
  }
  return unknownCounts.length ? { line, row, unknownCounts } : { line, row };
}
