import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { decode } from 'jpeg-js';
import { IMAGE_SPLITS, generateSample, listImages, prepare, SAMPLE_CSV_NAME } from '../src';

jest.setTimeout(180_000);

const COMMITTED = join(__dirname, '..', 'sample');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'producer-sample-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every file under a folder with the SHA-256 of its bytes, by relative path. */
async function tree(root: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(root, path)] = createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  }
  return files;
}

describe('sample', () => {
  it('is deterministic for a seed, and another seed gives other data', async () => {
    const options = { tweets: 40, images: 3 };
    await generateSample({ ...options, out: join(dir, 'a'), seed: 7 });
    await generateSample({ ...options, out: join(dir, 'b'), seed: 7 });
    await generateSample({ ...options, out: join(dir, 'c'), seed: 8 });
    const a = await tree(join(dir, 'a'));
    expect(Object.keys(a)).toHaveLength(4);
    expect(await tree(join(dir, 'b'))).toEqual(a);
    const c = await tree(join(dir, 'c'));
    expect(c[SAMPLE_CSV_NAME]).not.toBe(a[SAMPLE_CSV_NAME]);
    expect(Object.keys(c).sort()).not.toEqual(Object.keys(a).sort());
  });

  it('writes the Kaggle layout: the real CSV columns and decodable 128x128 JPEGs named by location', async () => {
    const out = join(dir, 'layout');
    const summary = await generateSample({ out, tweets: 25, images: 5, seed: 3, timeFormat: 'us' });
    const csv = await readFile(join(out, SAMPLE_CSV_NAME), 'utf8');
    const lines = csv.split('\n');
    expect(lines[0]).toBe(',ID,Time,Tweet,Retweets,Replies,Likes');
    expect(lines[1]).toMatch(/^0,9[0-9]{17},8\/2[5-9]\/2017 [0-9]{1,2}:[0-9]{2},/);
    const { images, skipped } = await listImages(join(out, 'images'));
    expect(skipped).toEqual([]);
    expect(images).toHaveLength(5);
    expect(summary.imagesByLabel.damage + summary.imagesByLabel.no_damage).toBe(5);
    for (const image of images) {
      expect(image.relative).toMatch(
        /^[a-z_]+\/(damage|no_damage)\/-9[3-7]\.[0-9]{6}_(2[7-9]|30)\.[0-9]{6}\.jpeg$/,
      );
      expect(IMAGE_SPLITS).toContain(image.split);
      // Texas coast, where Harvey hit.
      expect(image.longitude).toBeGreaterThan(-97.6);
      expect(image.longitude).toBeLessThan(-93.6);
      const pixels = decode(await readFile(image.path), { useTArray: true });
      expect([pixels.width, pixels.height]).toEqual([128, 128]);
    }
    // And the producer's own prepare takes it whole.
    const prepared = await prepare({
      tweets: summary.csv,
      images: join(out, 'images'),
      out: join(out, 'events.ndjson'),
    });
    expect(prepared).toMatchObject({ rowsRead: 25, eventsWritten: 25, eventsWithImage: 25, rowsSkipped: 0 });
  });

  it('gives distinct bytes for copied tiles, which still decode', async () => {
    const out = join(dir, 'tiles');
    await generateSample({ out, tweets: 1, images: 12, seed: 5, distinctTiles: 2 });
    const files = Object.entries(await tree(join(out, 'images')));
    expect(new Set(files.map(([, hash]) => hash)).size).toBe(12);
    for (const { path } of (await listImages(join(out, 'images'))).images) {
      expect(decode(await readFile(path)).width).toBe(128);
    }
  });

  it('regenerates the committed sample exactly (producer sample --out producer/sample --prepare)', async () => {
    const out = join(dir, 'committed');
    await generateSample({ out });
    await prepare({
      tweets: join(out, SAMPLE_CSV_NAME),
      images: join(out, 'images'),
      out: join(out, 'events.ndjson'),
    });
    expect(await tree(out)).toEqual(await tree(COMMITTED));
  });
});
