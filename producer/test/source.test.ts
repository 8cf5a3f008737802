import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventChecker, readNdjsonLines, toItem } from '../src';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'producer-source-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function lines(path: string): Promise<[number, string][]> {
  const out: [number, string][] = [];
  for await (const { line, raw } of readNdjsonLines(path)) out.push([line, raw.toString('utf8')]);
  return out;
}

describe('readNdjsonLines', () => {
  it('splits CRLF and LF lines, skips blank ones and keeps a last line without a newline', async () => {
    const path = join(dir, 'small.ndjson');
    await writeFile(path, '{"a":1}\r\n\r\n  {"b":"é"}\n\n{"c":3}');
    expect(await lines(path)).toEqual([
      [1, '{"a":1}'],
      [3, '{"b":"é"}'],
      [5, '{"c":3}'],
    ]);
  });

  it('joins lines that straddle the 1 MiB read chunks, byte for byte', async () => {
    const path = join(dir, 'big.ndjson');
    // Lines of ~300 KB and ~700 KB with multi-byte characters, so chunk ends fall inside lines and characters.
    const expected = Array.from({ length: 9 }, (_v, i) =>
      JSON.stringify({ i, s: 'ü🌀x'.repeat(i % 2 ? 50_000 : 110_000) }),
    );
    await writeFile(path, expected.join('\n') + '\n');
    const got = await lines(path);
    expect(got.map(([line]) => line)).toEqual(expected.map((_l, i) => i + 1));
    expect(got.map(([, text]) => text)).toEqual(expected);
  });

  it('rejects a line that is not JSON even without pre-flight, naming the line', () => {
    const item = toItem(4, { line: 5, raw: Buffer.from('{"id": oops}') }, false);
    expect(item.problems?.[0]).toMatchObject({ path: '$' });
    expect(item.problems?.[0]!.message).toMatch(/^is not valid JSON/);
    expect(item.line).toBe(5);
  });
});

describe('EventChecker', () => {
  const base = {
    schemaVersion: 1,
    id: '0123456789abcdef0123456789abcdef',
    tweetId: '901234567890123456',
    createdAt: '2017-08-25T20:05:00Z',
    text: 'hello',
    retweets: 0,
    replies: 0,
    likes: 0,
  };
  const image = {
    label: 'damage',
    longitude: -95.1,
    latitude: 29.8,
    contentType: 'image/jpeg',
    data: Buffer.alloc(3000, 7).toString('base64'),
  };

  it('validates every field of every event, even when the image was checked before', () => {
    const checker = new EventChecker();
    expect(checker.check({ ...base, image })).toEqual({ ok: true, value: { ...base, image } });
    expect(checker.check({ ...base, likes: -1, image })).toEqual({
      ok: false,
      errors: [{ path: '$.likes', message: 'must be >= 0' }],
    });
    expect(checker.check({ ...base, image: { ...image, latitude: 99 } })).toEqual({
      ok: false,
      errors: [{ path: '$.image.latitude', message: 'must be <= 90' }],
    });
  });

  it('checks image data in full until it has passed once', () => {
    const checker = new EventChecker();
    const bad = { ...image, data: `${image.data.slice(0, -4)}!!!!` };
    for (let i = 0; i < 2; i++) {
      expect(checker.check({ ...base, image: bad })).toMatchObject({
        ok: false,
        errors: [{ path: '$.image.data' }],
      });
    }
  });
});
