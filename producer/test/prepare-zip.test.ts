import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  InputError,
  PREPARE_VERSION,
  ZipArchive,
  buildZip,
  chooseTweetsEntry,
  listImages,
  listZipImages,
  prepare,
} from '../src';
import { SAMPLE, sampleImagesZip, sampleTweetsZip } from './kaggle-archives';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'producer-zip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, data: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
}

describe('prepare straight from the Kaggle zip archives', () => {
  it.each([
    [
      'deflated, with data descriptors, under a prefix folder',
      { dataDescriptor: true, prefix: 'satellite/' },
    ],
    ['stored without compression', { compress: false }],
  ])('gives the same NDJSON as the extracted files (%s)', async (_name, options) => {
    const tweets = await write('tweets.zip', sampleTweetsZip(options));
    const images = await write('images.zip', sampleImagesZip(options));
    const out = join(dir, 'from-zip.ndjson');
    const summary = await prepare({ tweets, images, out });
    // The committed events.ndjson was prepared from the folder tree: same ids, same pairing, same bytes.
    expect(await readFile(out)).toEqual(await readFile(join(SAMPLE, 'events.ndjson')));
    expect(summary).toMatchObject({
      tweets: `${tweets}!Hurricane_Harvey.csv`,
      prepareVersion: PREPARE_VERSION,
      rowsRead: 300,
      eventsWritten: 300,
      eventsWithImage: 300,
      images: { found: 100, skipped: 0 },
    });
  });

  it('detects a latin-1 CSV inside the archive', async () => {
    const csv = Buffer.concat([
      Buffer.from(',ID,Time,Tweet,Retweets,Replies,Likes\n0,901234567890123456,2017-08-25 20:05:00,"Caf'),
      Buffer.from([0xe9]), // é in latin-1, invalid as UTF-8
      Buffer.from(' flooded",1,2,3\n'),
    ]);
    const tweets = await write('latin1.zip', buildZip([{ name: 'data/TS_Harvey_Tweets.csv', data: csv }]));
    const out = join(dir, 'latin1.ndjson');
    const summary = await prepare({ tweets, out });
    expect(summary.encoding).toBe('latin1');
    expect(JSON.parse(await readFile(out, 'utf8'))).toMatchObject({ text: 'Café flooded' });
  });

  it('fails with the cause when the archive is cut short or its bytes are damaged', async () => {
    const whole = sampleTweetsZip();
    const cut = await write('cut.zip', whole.subarray(0, Math.floor(whole.length * 0.7)));
    await expect(prepare({ tweets: cut, out: join(dir, 'x.ndjson') })).rejects.toThrow(
      /not a readable zip archive.*truncated download/,
    );
    // Same length, one byte of the compressed CSV flipped: only the CRC-32 check can tell.
    const damaged = Buffer.from(sampleTweetsZip({ compress: false }));
    damaged[200]! ^= 0x01;
    const bad = await write('bad.zip', damaged);
    const error = await prepare({ tweets: bad, out: join(dir, 'y.ndjson') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/Hurricane_Harvey\.csv fails its CRC-32 check/);
  });

  it('refuses an archive that is not a zip, and a folder given as the tweets file', async () => {
    const fake = await write('fake.zip', Buffer.from('PK\x03\x04 but nothing else'));
    await expect(prepare({ tweets: fake, out: join(dir, 'z.ndjson') })).rejects.toThrow(InputError);
  });
});

describe('choosing the CSV inside the tweets archive', () => {
  const archive = (...names: string[]) => ({
    path: 'hurricaneharvey.zip',
    entries: names.map((name) => ({ name, uncompressedSize: 1, compressedSize: 1, crc32: 0 })),
  });

  it('prefers the known names, in order, at any depth', () => {
    expect(chooseTweetsEntry(archive('a/TS_Harvey_Tweets.csv', 'b/Hurricane_Harvey.csv'))).toBe(
      'b/Hurricane_Harvey.csv',
    );
    expect(chooseTweetsEntry(archive('notes.txt', 'only.csv'))).toBe('only.csv');
  });

  it('never guesses between unknown CSVs, and honours --tweets-entry', () => {
    expect(() => chooseTweetsEntry(archive('one.csv', 'two.csv'))).toThrow(
      /several CSV files .* --tweets-entry \(one\.csv, two\.csv\)/,
    );
    expect(() => chooseTweetsEntry(archive('readme.md'))).toThrow(/holds no CSV/);
    expect(chooseTweetsEntry(archive('one.csv', 'dir/two.csv'), 'two.csv')).toBe('dir/two.csv');
    expect(() => chooseTweetsEntry(archive('one.csv'), 'three.csv')).toThrow(/no CSV "three\.csv"/);
  });
});

describe('listing the images of a zip', () => {
  it('skips what the folder listing skips, for the same reasons, plus repeated paths', async () => {
    const files = [
      'train_another/damage/-95.061894_29.828961.jpeg',
      'train_another/no_damage/-97.05_28.02.jpeg',
      'test/damage/-94.1_30.08.jpeg',
      'test/damage/not-a-location.jpeg',
      'test/damage/-94.2_30.1.jpeg', // empty
      'test/no_damage/-95.1_129.8.jpeg',
      'test/other/-95.1_29.8.jpeg',
    ];
    const tree = join(dir, 'tree');
    const entries = files.map((name) => ({
      name,
      data: name.includes('-94.2_') ? Buffer.alloc(0) : Buffer.from(`jpeg ${name}`),
    }));
    for (const { name, data } of entries) {
      await mkdir(join(tree, name, '..'), { recursive: true });
      await writeFile(join(tree, name), data);
    }
    const zipPath = await write(
      'tree.zip',
      buildZip([...entries, { name: 'copy/test/damage/-94.1_30.08.jpeg', data: Buffer.from('again') }]),
    );
    const fromFolder = await listImages(tree);
    const archive = await ZipArchive.open(zipPath);
    try {
      const fromZip = listZipImages(archive);
      const strip = (images: readonly { relative: string; bytes: number }[]) =>
        images.map(({ relative, bytes }) => ({ relative, bytes }));
      expect(strip(fromZip.images)).toEqual(strip(fromFolder.images));
      expect(fromZip.skipped.filter((s) => s.reason !== 'duplicate')).toEqual(
        expect.arrayContaining([...fromFolder.skipped]),
      );
      expect(fromZip.skipped.map((s) => s.reason).sort()).toEqual(
        [...fromFolder.skipped.map((s) => s.reason), 'duplicate'].sort(),
      );
      expect(await archive.readEntry('test/damage/-94.1_30.08.jpeg')).toEqual(
        Buffer.from('jpeg test/damage/-94.1_30.08.jpeg'),
      );
    } finally {
      archive.close();
    }
  });
});
