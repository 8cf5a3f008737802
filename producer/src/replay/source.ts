import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { MAX_REQUEST_BYTES, validateTweetEvent, type ValidationIssue } from '@pipeline/schemas';
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
  /** The event's JSON text, exactly as it goes into the request body. */
  readonly raw: string;
  /** The event id, when the value has one. */
  readonly id: string | undefined;
  /** Why the event is rejected before sending (set by the pre-flight check, or when the line is not JSON). */
  readonly problems?: readonly ValidationIssue[] | undefined;
}

/** Room for the brackets of the array body. */
export const MAX_EVENT_BYTES = MAX_REQUEST_BYTES - 2;

/** Turns the input into a factory of fresh passes over it (a pass per loop). */
export async function openInput(
  input: ReplayInput,
  seed?: string | number,
): Promise<() => AsyncIterable<{ line?: number; raw?: string; value?: unknown }>> {
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
  if (info.isFile()) return () => fromNdjson(input);
  const entries = await readdir(input);
  if (entries.includes('events.ndjson')) return () => fromNdjson(join(input, 'events.ndjson'));
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

async function* fromNdjson(path: string): AsyncGenerator<{ line: number; raw: string }> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim()) yield { line, raw: text.trim() };
  }
}

async function* fromPrepared(
  csv: string,
  images: string | undefined,
  seed?: string | number,
): AsyncGenerator<{ raw: string }> {
  for await (const { json } of prepareEvents({ tweets: csv, images, out: '-', seed })) yield { raw: json };
}

/**
 * Makes a ReplayItem: parses the text once (for the id), and with `preflight` validates it with the
 * shared validator. A line that is not JSON is always rejected here: it cannot go inside a JSON array.
 */
export function toItem(
  position: number,
  entry: { line?: number; raw?: string; value?: unknown },
  preflight: boolean,
): ReplayItem {
  let value = entry.value;
  let raw = entry.raw;
  if (raw === undefined) {
    raw = JSON.stringify(value) ?? 'null';
  } else {
    try {
      value = JSON.parse(raw);
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
  const result = validateTweetEvent(value);
  if (!result.ok) problems.push(...result.errors);
  if (Buffer.byteLength(raw) > MAX_EVENT_BYTES)
    problems.push({ path: '$', message: `is larger than the ${MAX_REQUEST_BYTES}-byte request limit` });
  return { position, line: entry.line, raw, id, problems: problems.length ? problems : undefined };
}
