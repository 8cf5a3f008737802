jest.setTimeout(60_000);

import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deriveEventId, validateTweetEvent, type TweetEvent } from '@pipeline/schemas';
import {
  InputError,
  detectEncoding,
  listImages,
  pairImageIndex,
  parseImageName,
  parseTweetTime,
  prepare,
  prepareEvents,
  PrepareTally,
} from '../src';

const SAMPLE = join(__dirname, '..', 'sample');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'producer-prepare-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readEvents(path: string): Promise<TweetEvent[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TweetEvent);
}

/** A JPEG-sized stand-in: prepare reads the bytes and checks names and sizes, not pixels. */
const JPEG_BYTES = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

async function imageTree(root: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    await mkdir(join(root, file, '..'), { recursive: true });
    await writeFile(join(root, file), Buffer.concat([JPEG_BYTES, Buffer.from(file)]));
  }
}

describe('prepare on the committed sample', () => {
  it('regenerates producer/sample/events.ndjson byte for byte', async () => {
    const out = join(dir, 'sample.ndjson');
    const summary = await prepare({
      tweets: join(SAMPLE, 'Hurricane_Harvey.csv'),
      images: join(SAMPLE, 'images'),
      out,
    });
    expect(await readFile(out)).toEqual(await readFile(join(SAMPLE, 'events.ndjson')));
    expect(summary).toMatchObject({
      encoding: 'utf-8',
      rowsRead: 300,
      eventsWritten: 300,
      eventsWithImage: 300,
      rowsSkipped: 0,
    });
    expect(summary.images).toMatchObject({ found: 100, skipped: 0 });
  });

  it('writes contract-valid events with string ids and derived event ids', async () => {
    const events = await readEvents(join(SAMPLE, 'events.ndjson'));
    for (const event of events) {
      expect(validateTweetEvent(event).ok).toBe(true);
      expect(event.id).toBe(deriveEventId(event));
      expect(typeof event.tweetId).toBe('string');
    }
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    // The image bytes are the file's bytes, from the folder named by the label and the name's location.
    const first = events[0]!;
    const listing = await listImages(join(SAMPLE, 'images'));
    const image = listing.images[pairImageIndex(first.id, '1', listing.images.length)]!;
    expect(first.image).toEqual({
      label: image.label,
      longitude: image.longitude,
      latitude: image.latitude,
      contentType: 'image/jpeg',
      data: (await readFile(image.path)).toString('base64'),
    });
  });
});

describe('prepare on crafted edge cases', () => {
  const header = ',ID,Time,Tweet,Retweets,Replies,Likes\r\n';
  let csv: string;
  let images: string;

  beforeAll(async () => {
    const rows = [
      '0,901234567890123456,2017-08-25 20:05:00,"Flooding on Main St, Houston",1,2,3', // line 2
      '1,901234567890123457,8/26/2017 3:07,"Line one\nline two ""quoted""",0,0,0', // lines 3-4
      '2,901234567890123458,2017-08-27 01:00:00,Stay safe 🙏🌀 #Harvey,5,,7', // 5: kept, replies unknown
      '3,901234567890123456,2017-08-25 20:05:00,"Flooding on Main St, Houston",1,2,3', // 6: duplicate of line 2
      '4,9.01234567890123e+17,2017-08-25 20:05:00,float id,1,1,1', // 7: id lost its precision
      '5,901234567890123459,2017-02-30 10:00:00,no such day,1,1,1', // 8: invalid time
      '6,901234567890123460,2017-08-28 10:00:00,,1,1,1', // 9: missing text
      '7,901234567890123461,2017-08-28 10:00:00,unquoted, comma,1,1,1', // 10: one field too many
      '8,901234567890123462,2017-08-29 12:30:00,counts from pandas,2.0,0.0,11.0', // 11
      '9,901234567890123463,2017-08-29 12:30:00,negative,-1,0,0', // 12: kept, retweets unreadable
      '10,901234567890123464,2017-08-30 09:00:00,no counts at all,,,', // 13: kept, every count unknown
      '11,,2017-08-30 09:00:00,no id,1,1,1', // 14: missing id
      '12,901234567890123465,,no time,1,1,1', // 15: missing time
    ];
    csv = join(dir, 'edge.csv');
    await writeFile(csv, header + rows.join('\r\n') + '\r\n');
    images = join(dir, 'edge-images');
    await imageTree(images, [
      'train_another/damage/-95.061894_29.828961.jpeg',
      'train_another/no_damage/-97.05_28.02.jpeg',
      'test/damage/-94.1_30.08.jpeg',
      'test/damage/not-a-location.jpeg',
      'test/no_damage/-95.1_129.8.jpeg',
      'test/other/-95.1_29.8.jpeg',
    ]);
  });

  it('writes the exact events, keeps a tweet with a count absent, and reports every skipped row with its line and reason', async () => {
    const out = join(dir, 'edge.ndjson');
    const summary = await prepare({ tweets: csv, images, out, seed: 'edge' });
    const events = await readEvents(out);
    const expected: Omit<TweetEvent, 'schemaVersion' | 'id'>[] = [
      {
        tweetId: '901234567890123456',
        createdAt: '2017-08-25T20:05:00Z',
        text: 'Flooding on Main St, Houston',
        retweets: 1,
        replies: 2,
        likes: 3,
      },
      {
        tweetId: '901234567890123457',
        createdAt: '2017-08-26T03:07:00Z',
        text: 'Line one\nline two "quoted"',
        retweets: 0,
        replies: 0,
        likes: 0,
      },
      // The empty Replies cell: the tweet is kept, replies absent (unknown), not 0.
      {
        tweetId: '901234567890123458',
        createdAt: '2017-08-27T01:00:00Z',
        text: 'Stay safe 🙏🌀 #Harvey',
        retweets: 5,
        likes: 7,
      },
      {
        tweetId: '901234567890123462',
        createdAt: '2017-08-29T12:30:00Z',
        text: 'counts from pandas',
        retweets: 2,
        replies: 0,
        likes: 11,
      },
      {
        tweetId: '901234567890123463',
        createdAt: '2017-08-29T12:30:00Z',
        text: 'negative',
        replies: 0,
        likes: 0,
      },
      { tweetId: '901234567890123464', createdAt: '2017-08-30T09:00:00Z', text: 'no counts at all' },
    ];
    const written = events.map(({ image: _image, ...rest }) => rest);
    expect(written).toEqual(expected.map((row) => ({ schemaVersion: 1, id: deriveEventId(row), ...row })));
    // Absent, not null: the contract has no null counts, and every kept event passes it.
    expect(JSON.stringify(written[2])).not.toContain('replies');
    for (const event of events) expect(validateTweetEvent(event).ok).toBe(true);
    for (const event of events) {
      expect(['damage', 'no_damage']).toContain(event.image!.label);
      expect(Buffer.from(event.image!.data, 'base64').subarray(0, 4)).toEqual(JPEG_BYTES.subarray(0, 4));
    }
    expect(summary.skippedByReason).toEqual({
      duplicate: 1,
      'invalid-id': 1,
      'invalid-time': 1,
      'missing-text': 1,
      'field-count': 1,
      'missing-id': 1,
      'missing-time': 1,
    });
    expect(summary.skippedRows.map((r) => [r.line, r.reason])).toEqual([
      [6, 'duplicate'],
      [7, 'invalid-id'],
      [8, 'invalid-time'],
      [9, 'missing-text'],
      [10, 'field-count'],
      [14, 'missing-id'],
      [15, 'missing-time'],
    ]);
    expect(summary).toMatchObject({
      rowsRead: 13,
      eventsWritten: 6,
      rowsSkipped: 7,
      eventsWithUnknownCounts: 3,
      unknownCountsByReason: { 'missing-count': 4, 'invalid-count': 1 },
    });
    expect(summary.images.found).toBe(3);
    expect(summary.images.skippedFiles.map((f) => [f.relative, f.reason])).toEqual([
      ['test/damage/not-a-location.jpeg', 'malformed-name'],
      ['test/no_damage/-95.1_129.8.jpeg', 'out-of-range'],
      ['test/other', 'unknown-folder'],
    ]);
  });

  it('gives byte-identical output for the same input and seed, and re-pairs for another seed', async () => {
    const a = join(dir, 'a.ndjson');
    const b = join(dir, 'b.ndjson');
    await prepare({
      tweets: join(SAMPLE, 'Hurricane_Harvey.csv'),
      images: join(SAMPLE, 'images'),
      out: a,
      seed: 42,
    });
    await prepare({
      tweets: join(SAMPLE, 'Hurricane_Harvey.csv'),
      images: join(SAMPLE, 'images'),
      out: b,
      seed: 42,
    });
    expect(await readFile(a)).toEqual(await readFile(b));
    const other = await readEvents(join(SAMPLE, 'events.ndjson'));
    const reseeded = await readEvents(a);
    // Same tweets and ids (the image is not part of the id), different pairing.
    expect(reseeded.map((e) => e.id)).toEqual(other.map((e) => e.id));
    expect(reseeded.filter((e, i) => e.image!.data !== other[i]!.image!.data).length).toBeGreaterThan(200);
  });

  it('reads a latin-1 file, detected or chosen, and the US time format', async () => {
    const latin1 = join(dir, 'latin1.csv');
    const body = `${header}0,901234567890123470,8/25/2017 20:05,Caf\xe9 on Westheimer closed \x96 stay safe,1,0,4\r\n`;
    await writeFile(latin1, Buffer.from(body, 'latin1'));
    expect(await detectEncoding(latin1)).toBe('latin1');
    const out = join(dir, 'latin1.ndjson');
    const detected = await prepare({ tweets: latin1, out });
    expect(detected.encoding).toBe('latin1');
    const [event] = await readEvents(out);
    expect(event).toMatchObject({
      text: 'Café on Westheimer closed – stay safe',
      createdAt: '2017-08-25T20:05:00Z',
      likes: 4,
    });
    expect(event!.image).toBeUndefined();
    // Forcing UTF-8 on latin-1 bytes gives replacement characters, not a crash.
    await prepare({ tweets: latin1, out, encoding: 'utf-8' });
    expect((await readEvents(out))[0]!.text).toContain('\ufffd');
  });

  it('strips a UTF-8 byte order mark and matches header names in any case', async () => {
    const path = join(dir, 'bom.csv');
    await writeFile(
      path,
      '\uFEFFid,time,tweet,likes,replies,retweets\n901234567890123480,2017-08-30 08:00:00,Columns in another order,9,8,7\n',
    );
    const tally = new PrepareTally();
    const events = [];
    for await (const { event } of prepareEvents({ tweets: path, out: '-' }, tally)) events.push(event);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ likes: 9, replies: 8, retweets: 7, text: 'Columns in another order' });
  });

  it('refuses a CSV without the expected columns, naming them', async () => {
    const path = join(dir, 'wrong.csv');
    await writeFile(path, 'a,b,c\n1,2,3\n');
    await expect(prepare({ tweets: path, out: join(dir, 'wrong.ndjson') })).rejects.toThrow(InputError);
    await expect(prepare({ tweets: path, out: join(dir, 'wrong.ndjson') })).rejects.toThrow(
      /lacks column\(s\) ID, Time, Tweet, Retweets, Replies, Likes/,
    );
  });
});

describe('field parsers', () => {
  it.each([
    ['2017-08-25 20:05:00', '2017-08-25T20:05:00Z'],
    ['2017-08-25T20:05:09Z', '2017-08-25T20:05:09Z'],
    ['8/25/2017 20:05', '2017-08-25T20:05:00Z'],
    ['12/1/2017 0:00:30', '2017-12-01T00:00:30Z'],
    ['2017-13-01 00:00:00', undefined],
    ['8/25/17 20:05', undefined],
    ['yesterday', undefined],
  ])('parseTweetTime(%j) = %j', (raw, expected) => {
    expect(parseTweetTime(raw)).toBe(expected);
  });

  it('reads image locations from Kaggle names and explains bad ones', () => {
    expect(parseImageName('-95.061894_29.828961.jpeg')).toEqual({
      longitude: -95.061894,
      latitude: 29.828961,
    });
    expect(parseImageName('-95.06_29.82.JPG')).toEqual({ longitude: -95.06, latitude: 29.82 });
    expect(parseImageName('-95.06-29.82.jpeg')).toMatchObject({ reason: 'malformed-name' });
    expect(parseImageName('-195.06_29.82.jpeg')).toMatchObject({ reason: 'out-of-range' });
  });
});
