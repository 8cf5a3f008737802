import { isAscii, isUtf8 } from 'node:buffer';

/** A character that stands for a byte 0x80-0xFF of the UTF-8 text in the Latin-1 reading. */
const NOT_ASCII = /[\u0080-\u00ff]/;
/** `\u`: a JSON escape can stand for any character, so a Latin-1 reading cannot tell them from bytes. */
const UNICODE_ESCAPE = Buffer.from('\\u');

/**
 * `JSON.parse(bytes.toString('utf8'))` for bytes already known to be well-formed UTF-8: the same value
 * (keys in the same order) or the same SyntaxError, without building the UTF-8 text when that is slow.
 *
 * Why: one character above U+00FF (an emoji, a dash) makes V8 decode the whole body into a two-byte
 * string, and an ingest request of ~87 KB becomes a ~175 KB string: past V8's largest regular heap
 * object, so each one is a large-object allocation (fresh pages, ~0.8 ms of CPU, half of it in the
 * kernel). That decode cost more than parsing and validating the request (docs/decisions.md HOST-6).
 * Read as Latin-1 instead (one byte, one character: a one-byte string in the young generation), the
 * text parses to the same structure: JSON's structural characters and whitespace are ASCII, bytes
 * 0x80-0xFF can only sit inside strings, and they are allowed there in either reading. Only the
 * strings (and keys) holding such bytes differ, and each is turned back into its UTF-8 reading; an
 * escape other than `\u` yields ASCII, which cannot fall inside a multi-byte sequence. A body with a
 * `\u` escape, or one that is not JSON (for the exact error message), is parsed as UTF-8 text.
 */
export function parseUtf8Json(bytes: Buffer): unknown {
  if (isAscii(bytes)) return JSON.parse(bytes.toString('latin1'));
  if (bytes.includes(UNICODE_ESCAPE)) return JSON.parse(bytes.toString('utf8'));
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('latin1'));
  } catch {
    return JSON.parse(bytes.toString('utf8'));
  }
  return toUtf8Reading(value);
}

function fromLatin1(text: string): string {
  return NOT_ASCII.test(text) ? Buffer.from(text, 'latin1').toString('utf8') : text;
}

/** Every string and key of a parsed Latin-1 reading in its UTF-8 reading. A loop: JSON nests deep. */
function toUtf8Reading(root: unknown): unknown {
  if (typeof root === 'string') return fromLatin1(root);
  const pending: object[] = [];
  if (root !== null && typeof root === 'object') pending.push(root);
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    const record = node as Record<string, unknown>;
    const keys = Object.keys(record);
    let renamed = false;
    for (const key of keys) {
      const value = record[key];
      if (typeof value === 'string') record[key] = fromLatin1(value);
      else if (value !== null && typeof value === 'object') pending.push(value);
      if (!Array.isArray(node) && NOT_ASCII.test(key)) renamed = true;
    }
    if (renamed) renameKeys(record, keys);
  }
  return root;
}

/** Gives an object its keys' UTF-8 readings in the same order (own data properties, `__proto__` too). */
function renameKeys(record: Record<string, unknown>, keys: readonly string[]): void {
  const values = keys.map((key) => record[key]);
  for (const key of keys) delete record[key];
  keys.forEach((key, i) =>
    Object.defineProperty(record, fromLatin1(key), {
      value: values[i],
      writable: true,
      enumerable: true,
      configurable: true,
    }),
  );
}

/** A request body read as JSON: its value, or why it is not JSON (`utf8`: not well-formed UTF-8). */
export type JsonBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: 'utf8' }
  | { readonly ok: false; readonly problem: 'json'; readonly reason: string };

/**
 * A request body as JSON, for ingest and for the gateway's validate-content (both read every request,
 * so both take the fast path: HOST-6, HOST-9). The verdicts of a fatal `TextDecoder` then `JSON.parse`:
 * the UTF-8 check is `isUtf8` (surrogates, overlong forms and truncated sequences rejected), a leading
 * byte order mark is dropped as the decoder drops it, and the parse is `parseUtf8Json`.
 */
export function parseJsonBody(body: Buffer): JsonBody {
  if (!isUtf8(body)) return { ok: false, problem: 'utf8' };
  const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  try {
    return { ok: true, value: parseUtf8Json(bom ? body.subarray(3) : body) };
  } catch (error) {
    return { ok: false, problem: 'json', reason: error instanceof Error ? error.message : String(error) };
  }
}
