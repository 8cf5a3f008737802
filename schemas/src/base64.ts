import type { RegExpEngine, RegExpLike } from 'ajv/dist/types';
import { MAX_REQUEST_BYTES } from './limits';

/**
 * The contract's pattern for `image.data` (tweet-event.schema.json): standard base64 with padding.
 * The schema keeps it as the one definition (APIM's validate-content reads the same schema); this
 * module only answers it faster for ajv, the same verdict by construction and by test
 * (test/base64.test.ts compares both on every kind of input).
 */
export const BASE64_PATTERN = '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';

/** 1 for the 64 characters of the standard alphabet (RFC 4648 section 4), by char code. */
const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  ALPHABET[c.charCodeAt(0)] = 1;
const EQUALS = 0x3d;

function alphabetOnly(text: string, end: number): boolean {
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || ALPHABET[code] === 0) return false;
  }
  return true;
}

/**
 * What `new RegExp(BASE64_PATTERN, 'u').test(text)` answers: a length that is a multiple of 4, every
 * character from the alphabet, except a final `=` or `==` closing the last group of four. One pass
 * over char codes instead of the regular expression's backtracking groups: the pattern was ~1.4% of
 * the functions host's CPU under the bench load, 20 us per 3 KB image (docs/decisions.md HOST-6).
 * A char code outside the alphabet (a lone surrogate or an astral character's halves included) fails,
 * as the `u` pattern fails on any code point outside the class; `$` without the `m` flag does not
 * accept a trailing line break.
 */
export function isStandardBase64(text: string): boolean {
  const length = text.length;
  if (length % 4 !== 0) return false;
  if (length === 0) return true;
  if (text.charCodeAt(length - 1) !== EQUALS) return alphabetOnly(text, length);
  if (text.charCodeAt(length - 2) === EQUALS) return alphabetOnly(text, length - 2);
  return alphabetOnly(text, length - 1);
}

/**
 * ajv's `code.regExp` engine: the contract's base64 pattern answered by `isStandardBase64`, every
 * other pattern by a RegExp exactly as ajv builds it by default (`new RegExp(pattern, u)`).
 *
 * A string longer than any ingest request body goes to the regular expression itself: V8 overflows
 * its backtracking stack on this pattern past ~4.47 million characters (Node 20) and ajv's caller
 * turns that RangeError into "too large or too deeply nested" (validation.ts); only the regular
 * expression can answer those exactly as before.
 */
export const contractRegExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string): RegExpLike => {
    const regExp = new RegExp(pattern, flags);
    if (pattern !== BASE64_PATTERN) return regExp;
    const fast: RegExpLike & { toString(): string } = {
      test: (text: string) => (text.length > MAX_REQUEST_BYTES ? regExp.test(text) : isStandardBase64(text)),
      // ajv keys its compiled patterns by toString(): keep the RegExp's, so each pattern stays distinct.
      toString: () => regExp.toString(),
    };
    return fast;
  },
  // Only read when ajv generates standalone code, which this package does not.
  { code: 'new RegExp' },
);
