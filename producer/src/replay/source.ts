import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_REQUEST_BYTES, type ValidationIssue } from '@pipeline/schemas';
import { EventChecker } from '../checker';
import { InputError, UsageError } from '../errors';
import { prepareEvents } from '../prepare';

/** What replay reads: a prepared NDJSON file, a folder (its events.ndjson, or the Kaggle files prepared on the fly), or events in memory. */
export type ReplayInput = string | Iterable<unknown> | AsyncIterable<unknown>;

/** One event on its way out: the JSON text that is sent, and what we know about it. */
export interface ReplayItem {
  /** 0-based position in the input (counting every pass when looping). */
  readonly position: number;
  /** 1-based line in the NDJSON file, when read from one. */
  readonly line?: number | undefined;
  /** The event's JSON as UTF-8 bytes, exactly as they go into the request body (copied, never re-serialized). */
  readonly raw: Buffer;
  /** The event id, when the value has one. */
  readonly id: string | undefined;
  /** Why the event is rejected before sending (set by the pre-flight check, or when the line is not JSON). */
  readonly problems?: readonly ValidationIssue[] | undefined;
}

/** One entry of an input pass: bytes of a JSON text (files), or a value (in memory). */
export interface SourceEntry {
  readonly line?: number;
  readonly raw?: Buffer;
  readonly value?: unknown;
}

/** Room for the brackets of the array body. */
export const MAX_EVENT_BYTES = MAX_REQUEST_BYTES - 2;

/**
 * The default ceiling of one request body, in bytes. API Management validates bodies up to 100 KiB on
 * every tier (the limits table; schemas/src/apim-tiers.ts): 96 KiB stays under it even if "100 KB"
 * were read as 100,000 bytes, and leaves room for a proxy that re-encodes nothing but counts itself.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 96 * 1024;
/** Smallest ceiling that can hold any event at all: `[`, `]` and a minimal event. */
export const MIN_MAX_REQUEST_BYTES = 1024;

/** Turns the input into a factory of fresh passes over it (a pass per loop). */
export async function openInput(
  input: ReplayInput,
  seed?: string | number,
): Promise<() => AsyncIterable<SourceEntry>> {
  if (typeof input !== 'string') {
    if (Array.isArray(input)) return () => fromValues(input);
    // A one-shot iterable cannot be looped; a second pass finds it empty, which ends the run.
    return () => fromValues(input);
  }
  let info;
  try {
    info = await stat(input);
  } catch {
    throw new UsageError('--input', `${input} does not exist`);
  }
  if (info.isFile()) return () => readNdjsonLines(input);
  const entries = await readdir(input);
  if (entries.includes('events.ndjson')) return () => readNdjsonLines(join(input, 'events.ndjson'));
  const csv = entries.filter((name) => name.toLowerCase().endsWith('.csv')).sort()[0];
  if (!csv) throw new InputError(`${input} holds neither events.ndjson nor a tweets CSV`);
  const images = entries.includes('images') ? join(input, 'images') : undefined;
  return () => fromPrepared(join(input, csv), images, seed);
}

async function* fromValues(
  values: Iterable<unknown> | AsyncIterable<unknown>,
): AsyncGenerator<{ value: unknown }> {
  for await (const value of values) yield { value };
}

/**
 * Splits an NDJSON file into lines as byte slices. readline decodes every chunk and concatenates
 * strings for 12 KB lines, which made it the replay's bottleneck (~25 MB/s); searching the bytes for
 * newlines and copying slices runs at disk speed, and the bytes go into the body unchanged.
 */
export async function* readNdjsonLines(path: string): AsyncGenerator<{ line: number; raw: Buffer }> {
  let carry: Buffer | undefined;
  let line = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const data = chunk as Buffer;
    let start = 0;
    for (let end = data.indexOf(10); end >= 0; end = data.indexOf(10, start)) {
      line++;
      // Only a line that straddles two chunks is copied; the others are views into the chunk.
      const raw = carry
        ? trimBytes(Buffer.concat([carry, data.subarray(0, end)]))
        : trimBytes(data.subarray(start, end));
      carry = undefined;
      if (raw) yield { line, raw };
      start = end + 1;
    }
    if (start < data.length)
      carry = carry ? Buffer.concat([carry, data.subarray(start)]) : Buffer.from(data.subarray(start));
  }
  if (carry) {
    line++;
    const raw = trimBytes(carry);
    if (raw) yield { line, raw };
  }
}

/** The bytes without surrounding ASCII whitespace (the CR of CRLF files included); undefined when blank. */
function trimBytes(data: Buffer): Buffer | undefined {
  let start = 0;
  let end = data.length;
  while (start < end && isSpace(data[start]!)) start++;
  while (end > start && isSpace(data[end - 1]!)) end--;
  return end > start ? data.subarray(start, end) : undefined;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;
}

async function* fromPrepared(
  csv: string,
  images: string | undefined,
  seed?: string | number,
): AsyncGenerator<SourceEntry> {
  for await (const { json } of prepareEvents({ tweets: csv, images, out: '-', seed }))
    yield { raw: Buffer.from(json) };
}

/**
 * Makes a ReplayItem: parses the text once (for the id), and with `preflight` validates it with the
 * shared validator. A line that is not JSON is always rejected here: it cannot go inside a JSON array.
 */
export function toItem(
  position: number,
  entry: SourceEntry,
  preflight: boolean,
  checker = new EventChecker(),
): ReplayItem {
  let value = entry.value;
  let raw = entry.raw;
  if (raw === undefined) {
    raw = Buffer.from(JSON.stringify(value) ?? 'null');
  } else {
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      return {
        position,
        line: entry.line,
        raw,
        id: undefined,
        problems: [{ path: '$', message: `is not valid JSON (${(error as Error).message})` }],
      };
    }
  }
  const id =
    typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string'
      ? (value as { id: string }).id
      : undefined;
  if (!preflight) return { position, line: entry.line, raw, id };
  const problems: ValidationIssue[] = [];
  const result = checker.check(value);
  if (!result.ok) problems.push(...result.errors);
  if (raw.length > MAX_EVENT_BYTES)
    problems.push({ path: '$', message: `is larger than the ${MAX_REQUEST_BYTES}-byte request limit` });
  return { position, line: entry.line, raw, id, problems: problems.length ? problems : undefined };
}
