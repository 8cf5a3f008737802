import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonBody, parseUtf8Json } from '../src/utf8-json';

/** The old rule: the body decoded as UTF-8 text, then parsed. */
function oldParse(bytes: Buffer): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(bytes.toString('utf8')) };
  } catch (error) {
    return { error: String(error) };
  }
}

function newParse(bytes: Buffer): { value?: unknown; error?: string } {
  try {
    return { value: parseUtf8Json(bytes) };
  } catch (error) {
    return { error: String(error) };
  }
}

/** Same value, same key order everywhere (JSON.stringify walks own keys in order), same error. */
function expectSameAsUtf8(bytes: Buffer): void {
  expect(isUtf8(bytes)).toBe(true);
  const expected = oldParse(bytes);
  const actual = newParse(bytes);
  expect(actual.error).toBe(expected.error);
  expect(actual.value).toStrictEqual(expected.value);
  expect(JSON.stringify(actual.value)).toBe(JSON.stringify(expected.value));
}

function generator(seed: number) {
  let state = seed >>> 0;
  return (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

// ASCII, Latin-1 (one-byte in V8), BMP above U+00FF, an astral character, and JSON escapes other than
// \u (which yield ASCII); the Latin-1 reading of a multi-byte sequence includes bytes such as 0xA0
// and 0xC2, and 'Ã' 'Â' as characters test that real Latin-1 text is not mistaken for them.
const PIECES = [
  'a',
  'Z',
  '0',
  ' ',
  'é',
  'Ã',
  'Â',
  '\u00a0',
  'ÿ',
  '—',
  '⚠️',
  '🌀',
  '😀',
  '中',
  '\\n',
  '\\"',
  '\\\\',
  '\\/',
  '\\t',
];

/** With \u escapes too, which make the whole body take the UTF-8 path. */
const PIECES_WITH_U = [...PIECES, '\\u00e9', '\\u00c3\\u00a9', '\\ud83c\\udf00'];

function randomString(next: (n: number) => number, pieces = PIECES): string {
  let text = '';
  for (let i = next(12); i > 0; i--) text += pieces[next(pieces.length)]!;
  return `"${text}"`;
}

function randomJson(next: (n: number) => number, depth: number, pieces = PIECES): string {
  const kind = depth > 3 ? next(3) : next(6);
  if (kind === 0) return randomString(next, pieces);
  if (kind === 1) return String(next(1000) - 500);
  if (kind === 2) return ['true', 'false', 'null', '1.5e3'][next(4)]!;
  if (kind === 3)
    return `[${Array.from({ length: next(4) }, () => randomJson(next, depth + 1, pieces)).join(',')}]`;
  // Objects with non-ASCII keys, integer-like keys (which V8 orders first), __proto__ and repeated keys.
  const keys = ['"id"', '"text"', '"2"', '"10"', '"__proto__"', '"clé"', '"ключ"', '"🌀"', '"a\\nb"'];
  const members = Array.from(
    { length: next(6) },
    () =>
      `${next(3) === 0 ? randomString(next, pieces) : keys[next(keys.length)]!}:${randomJson(next, depth + 1, pieces)}`,
  );
  return `{${members.join(',')}}`;
}

describe('parseUtf8Json against JSON.parse of the UTF-8 text', () => {
  it('gives the same values for the sample, sent as the producer sends it (25 events a request)', () => {
    const lines = readFileSync(join(__dirname, '..', '..', 'producer', 'sample', 'events.ndjson'), 'utf8')
      .trim()
      .split('\n');
    let withEmoji = 0;
    for (let i = 0; i < lines.length; i += 25) {
      const body = Buffer.from(`[${lines.slice(i, i + 25).join(',')}]`);
      if ([...body.toString('utf8')].some((c) => c.codePointAt(0)! > 0xff)) withEmoji++;
      expectSameAsUtf8(body);
    }
    expect(withEmoji).toBeGreaterThan(0);
  });

  it('gives the same values for 20,000 generated JSON texts with non-ASCII strings, keys and escapes', () => {
    const next = generator(42);
    for (let i = 0; i < 20_000; i++) expectSameAsUtf8(Buffer.from(randomJson(next, 0)));
  });

  it('gives the same values for 5,000 generated JSON texts with \\u escapes among them', () => {
    const next = generator(7);
    for (let i = 0; i < 5_000; i++) expectSameAsUtf8(Buffer.from(randomJson(next, 0, PIECES_WITH_U)));
  });

  it.each([
    ['a repeated key (the last one wins, at the first one’s place)', '{"clé":1,"a":2,"clé":3}'],
    ['a __proto__ key with a non-ASCII neighbour', '{"__proto__":{"x":"é"},"ключ":"значение"}'],
    ['integer-like keys after non-ASCII ones', '{"é":1,"2":"—","1":"🌀"}'],
    ['Latin-1 text that looks like UTF-8 read as Latin-1', '["Ã©", "Ã", "Â\u00a0"]'],
    ['\\u escapes next to raw characters', '{"text":"\\u00c3\\u00a9 é \\ud83c\\udf00 🌀"}'],
    ['an escaped backslash before a u', '["\\\\u00e9 é"]'],
    ['a top-level string', '"Harvey 🌀"'],
    ['a top-level number', ' 42 '],
    ['not JSON, with an emoji in the wrong place', '{"text": 🌀}'],
    ['not JSON, truncated inside a string', '["é'],
    ['not JSON, a non-ASCII space outside strings', '{"a":\u00a01}'],
    ['not JSON, a raw control character in a string', '["é\u0001"]'],
  ])('gives the same for %s', (_name, text) => {
    expectSameAsUtf8(Buffer.from(text));
  });

  it('keeps __proto__ an own property, as JSON.parse does, when it renames the keys around it', () => {
    const value = parseUtf8Json(Buffer.from('{"__proto__":{"polluted":true},"clé":1}')) as Record<
      string,
      unknown
    >;
    expect(Object.keys(value)).toEqual(['__proto__', 'clé']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('walks a deeply nested body without overflowing the stack', () => {
    const depth = 200_000;
    const body = Buffer.from(`${'['.repeat(depth)}"é"${']'.repeat(depth)}`);
    let value = parseUtf8Json(body);
    for (let i = 0; i < depth; i++) value = (value as unknown[])[0];
    expect(value).toBe('é');
  });
});

describe('parseJsonBody: the verdicts of a fatal TextDecoder, then JSON.parse', () => {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  /** The old rule of ingest and the gateway: strict decode (a leading BOM dropped), then parse. */
  function oldBody(bytes: Buffer) {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      return { ok: false, problem: 'utf8' };
    }
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (error) {
      return { ok: false, problem: 'json', reason: (error as Error).message };
    }
  }

  it.each([
    ['a valid body', Buffer.from('{"text":"Harvey 🌀"}')],
    ['a body with a byte order mark', Buffer.from('\ufeff[{"a":"é"}]')],
    ['two byte order marks (the second is not dropped)', Buffer.from('\ufeff\ufeff{}')],
    ['an overlong encoding', Buffer.from([0x7b, 0xc0, 0xaf, 0x7d])],
    ['an encoded surrogate', Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])],
    ['a truncated sequence', Buffer.from([0x22, 0xe2, 0x82])],
    ['not JSON', Buffer.from('{"text": 🌀}')],
    ['empty', Buffer.alloc(0)],
  ])('agrees for %s', (_name, bytes) => {
    expect(parseJsonBody(bytes)).toEqual(oldBody(bytes));
  });
});
