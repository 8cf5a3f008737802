import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import tweetSchema from '../tweet-event.schema.json';
import { BASE64_PATTERN, contractRegExp, isStandardBase64 } from '../src/base64';
import { MAX_REQUEST_BYTES, validateTweetEvent } from '../src';
import { validEvent } from './fixtures';

/** The old rule: the contract's pattern as ajv compiled it before (unicodeRegExp is on by default). */
const oldRule = new RegExp(tweetSchema.$defs.SatelliteImage.properties.data.pattern, 'u');

/** A small deterministic generator, so a failure names a reproducible input. */
function generator(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
// Near misses: padding, URL-safe base64, whitespace, line breaks, NUL, Latin-1, a BMP character,
// both halves of an astral character and each half alone.
const OTHERS = [
  '=',
  '=',
  '=',
  '-',
  '_',
  ' ',
  '\n',
  '\r',
  '\t',
  '\0',
  '\u00e9',
  '\u20ac',
  '\ud83d',
  '\ude00',
  '😀',
];

function randomText(next: (n: number) => number): string {
  const length = next(4) === 0 ? next(9) : next(40);
  let text = '';
  for (let i = 0; i < length; i++) {
    text += next(8) === 0 ? OTHERS[next(OTHERS.length)]! : ALPHABET[next(ALPHABET.length)]!;
  }
  // Often end like real padding, so the padded branches are reached with every kind of prefix.
  const ending = next(4);
  if (ending === 0) text += '==';
  else if (ending === 1) text += '=';
  return text;
}

describe('isStandardBase64 against the contract pattern', () => {
  it('is the pattern the contract states', () => {
    expect(tweetSchema.$defs.SatelliteImage.properties.data.pattern).toBe(BASE64_PATTERN);
  });

  it.each([
    '',
    '=',
    '==',
    '===',
    '====',
    'A',
    'AA',
    'AAA',
    'AAAA',
    'AA==',
    'AAA=',
    'A===',
    'AA=A',
    '=AAA',
    'AAAA====',
    'AAAAAA==',
    'AAAAAAA=',
    'AAAA\n',
    'AAAA\r\n',
    'AA==\n',
    ' AAAA',
    'AAAA ',
    'AA-_',
    'AB+/',
    '+/+/',
    '////',
    'AAA\u00e9',
    'AA😀',
    'AAA\ud83d',
    '\ude00AAA',
    'AAAAAAA\0',
  ])('gives the old verdict for %j', (text) => {
    expect(isStandardBase64(text)).toBe(oldRule.test(text));
  });

  it('gives the old verdict on 200,000 generated strings, both verdicts well represented', () => {
    const next = generator(16);
    let accepted = 0;
    let mismatches = 0;
    for (let i = 0; i < 200_000; i++) {
      const text = randomText(next);
      const expected = oldRule.test(text);
      if (isStandardBase64(text) !== expected) mismatches++;
      if (expected) accepted++;
    }
    expect(mismatches).toBe(0);
    expect(accepted).toBeGreaterThan(10_000);
    expect(accepted).toBeLessThan(190_000);
  });

  it('gives the old verdict for every image of the sample and for each of them broken in one place', () => {
    const sample = readFileSync(join(__dirname, '..', '..', 'producer', 'sample', 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { image?: { data: string } });
    const next = generator(7);
    let checked = 0;
    for (const event of sample) {
      const data = event.image?.data;
      if (!data) continue;
      expect(isStandardBase64(data)).toBe(true);
      const at = next(data.length);
      const broken = data.slice(0, at) + OTHERS[next(OTHERS.length)]! + data.slice(at + 1);
      expect(isStandardBase64(broken)).toBe(oldRule.test(broken));
      expect(isStandardBase64(data.slice(0, -1))).toBe(false);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });
});

describe('contractRegExp (the ajv engine)', () => {
  it('answers other patterns with the RegExp ajv builds by default', () => {
    const engine = contractRegExp('^[0-9a-f]{32}$', 'u');
    expect(engine).toBeInstanceOf(RegExp);
    expect(String(engine as RegExp)).toBe(String(new RegExp('^[0-9a-f]{32}$', 'u')));
  });

  it("keeps the pattern's own key, so ajv's pattern cache cannot mix it up with another", () => {
    // ajv's usePattern (vocabularies/code.js) calls toString() on what the engine returns.
    const engine = contractRegExp(BASE64_PATTERN, 'u') as { toString(): string };
    expect(engine.toString()).toBe(String(oldRule));
  });

  it('leaves a string longer than any request body to the regular expression, which overflows as before', () => {
    // V8 overflows this pattern's backtracking past ~4.5 million characters; the old rule turned that
    // into a RangeError, and so must the engine (validation.ts reports it as "too large").
    const huge = 'A'.repeat(16_000_000);
    expect(() => oldRule.test(huge)).toThrow(RangeError);
    expect(() => contractRegExp(BASE64_PATTERN, 'u').test(huge)).toThrow(RangeError);
    const large = 'A'.repeat(MAX_REQUEST_BYTES);
    expect(contractRegExp(BASE64_PATTERN, 'u').test(large)).toBe(oldRule.test(large));
  });

  it('is what validateTweetEvent uses: the same verdicts and messages on image data', () => {
    const next = generator(3);
    for (let i = 0; i < 2_000; i++) {
      const data = `/9j/${randomText(next)}`;
      const result = validateTweetEvent(validEvent({ image: { ...validEvent().image!, data } }));
      const patternError =
        !result.ok && result.errors.some((e) => e.path === '$.image.data' && /base64/.test(e.message));
      expect(patternError).toBe(!oldRule.test(data));
    }
  });
});
