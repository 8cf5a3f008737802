import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { encode as encodeJpeg } from 'jpeg-js';
import { SeededRandom } from './random';
import { IMAGE_SPLITS, type ImageLabel } from './images';

export interface SampleOptions {
  /** The folder to write: `<out>/Hurricane_Harvey.csv` and `<out>/images/<split>/<label>/<lon>_<lat>.jpeg`. */
  readonly out: string;
  readonly tweets?: number | undefined;
  readonly images?: number | undefined;
  readonly seed?: string | number | undefined;
  /** `iso` writes `2017-08-25 20:05:00` (Hurricane_Harvey.csv); `us` writes `8/25/2017 20:05` (the other version). */
  readonly timeFormat?: 'iso' | 'us' | undefined;
  /** JPEG quality 1-100; default 50, which keeps the committed sample small. */
  readonly quality?: number | undefined;
  /**
   * Per-pixel noise amplitude (0-64, default 0). Real aerial photos are grainy, which is what makes
   * the dataset's JPEGs 5-15 KB; the full-size benchmark uses grain to get files of that size.
   */
  readonly grain?: number | undefined;
  /**
   * Encode at most this many distinct tiles; further files reuse one with a JPEG comment naming the
   * file, so every file still has its own bytes. jpeg-js spends ~0.2 s setting up each encode, which
   * makes 23,000 distinct tiles take over an hour; the full-size benchmark uses a few hundred.
   */
  readonly distinctTiles?: number | undefined;
  readonly onProgress?: ((kind: 'tweets' | 'images', done: number, total: number) => void) | undefined;
}

export interface SampleSummary {
  readonly out: string;
  readonly csv: string;
  readonly tweets: number;
  readonly images: number;
  readonly imagesByLabel: Record<ImageLabel, number>;
  readonly imageBytes: number;
  readonly csvBytes: number;
}

export const SAMPLE_CSV_NAME = 'Hurricane_Harvey.csv';
export const DEFAULT_SAMPLE = { tweets: 300, images: 100, seed: 1 } as const;

/** Places on the Texas coast that Harvey hit, with their real coordinates. */
const PLACES = [
  { name: 'Rockport', lat: 28.0206, lon: -97.0544 },
  { name: 'Port Aransas', lat: 27.8339, lon: -97.0611 },
  { name: 'Corpus Christi', lat: 27.8006, lon: -97.3964 },
  { name: 'Aransas Pass', lat: 27.9095, lon: -97.15 },
  { name: 'Victoria', lat: 28.8053, lon: -97.0036 },
  { name: 'Refugio', lat: 28.3053, lon: -97.2753 },
  { name: 'Houston', lat: 29.7604, lon: -95.3698 },
  { name: 'Katy', lat: 29.7858, lon: -95.8245 },
  { name: 'Kingwood', lat: 30.0335, lon: -95.2616 },
  { name: 'Dickinson', lat: 29.4608, lon: -95.0513 },
  { name: 'Friendswood', lat: 29.5294, lon: -95.201 },
  { name: 'Galveston', lat: 29.3013, lon: -94.7977 },
  { name: 'Beaumont', lat: 30.0802, lon: -94.1266 },
  { name: 'Port Arthur', lat: 29.885, lon: -93.94 },
  { name: 'Orange', lat: 30.093, lon: -93.7366 },
  { name: 'Wharton', lat: 29.3116, lon: -96.1027 },
] as const;

const TAGS = [
  '#HurricaneHarvey',
  '#Harvey',
  '#HarveyFlood',
  '#houstonflood',
  '#TexasStrong',
  '#HoustonStrong',
  '#txwx',
];
const EMOJI = ['🙏', '🌀', '⚠️', '💔', '🌧️', '🚤', '❤️', '🇺🇸', '😢'];
const TEMPLATES = [
  'Water rising fast on {street} in {place}. Stay safe everyone {tag}',
  'Praying for everyone in {place} tonight {emoji} {tag}',
  '"We lost everything," says a {place} resident as floodwaters recede. {tag}',
  'Shelter at {place} high school is open, bring ID and meds if you can. {tag} {tag2}',
  'Need rescue: family of {n} stuck on roof at {street}, {place}. Please RT {tag}',
  'Power is out across {place}, {n}0,000 customers without electricity {tag}',
  'Harvey now a Cat {cat} hurricane. Landfall expected near {place} {emoji}',
  'Roads closed:\n- {street}\n- I-{hwy} at {place}\nAvoid the area {tag}',
  'Volunteers with boats meeting at {place} church parking lot at {hour} am {tag}',
  'Rainfall totals near {place}: {n}.{n2} inches in the last hour and still falling {emoji} {tag}',
  "Can't reach my grandma in {place}, last heard from her yesterday. Anyone near {street}? {tag}",
  'Donating water, diapers & food at the {place} community center. Thank you all {emoji}',
  'The Coast Guard has rescued {n}{n2}0 people around {place} today {tag} {tag2}',
  'Curfew in effect for {place} from midnight to 5 am {tag}',
  '{place} looks like a lake from the air {emoji} {tag}',
  'Boil water notice issued for {place} until further notice {tag}',
  'Neighbors helping neighbors in {place}, this is Texas {emoji} {tag2}',
  'Wind gusts of {n}{n2} mph reported in {place} {tag} #txwx',
  'Stay off the roads in {place}, "turn around, don\'t drown" {tag}',
  'FEMA assistance: call 1-800-621-3362 or apply online. {place} residents, share this {tag}',
];
const STREETS = [
  'Main St',
  'Westheimer Rd',
  'Gessner Dr',
  'Bay Area Blvd',
  'FM 1960',
  'Beltway 8',
  'Fulton Beach Rd',
  'Calder Ave',
  'Memorial Dr',
];

// Harvey's Texas days: landfall near Rockport on 2017-08-26 03:00 UTC, rain over Houston until the 30th.
const START_MS = Date.UTC(2017, 7, 25, 0, 0, 0);
const END_MS = Date.UTC(2017, 8, 1, 0, 0, 0);
const TWITTER_EPOCH_MS = 1288834974657n;

/**
 * Generates a small dataset in exactly the Kaggle layout, deterministic for a seed: the tweets CSV
 * with the real columns (an unnamed index, ID, Time, Tweet, Retweets, Replies, Likes) and 128x128
 * JPEGs named by their location, so the whole pipeline runs where the real files cannot be had.
 */
export async function generateSample(options: SampleOptions): Promise<SampleSummary> {
  const tweets = options.tweets ?? DEFAULT_SAMPLE.tweets;
  const images = options.images ?? DEFAULT_SAMPLE.images;
  const seed = options.seed ?? DEFAULT_SAMPLE.seed;
  await mkdir(options.out, { recursive: true });
  const csv = join(options.out, SAMPLE_CSV_NAME);
  const csvBytes = await writeTweetsCsv(csv, tweets, new SeededRandom(`tweets:${seed}`), options);
  const written = await writeImages(
    join(options.out, 'images'),
    images,
    new SeededRandom(`images:${seed}`),
    options,
  );
  return { out: options.out, csv, tweets, csvBytes, ...written };
}

async function writeTweetsCsv(
  path: string,
  count: number,
  random: SeededRandom,
  options: SampleOptions,
): Promise<number> {
  // Times first, sorted, so ids (which encode time, as Twitter's do) rise with them.
  const times = Array.from({ length: count }, () => tweetTime(random)).sort((a, b) => a - b);
  const output = createWriteStream(path);
  let bytes = 0;
  const write = async (line: string) => {
    bytes += Buffer.byteLength(line);
    if (!output.write(line)) await once(output, 'drain');
  };
  await write(',ID,Time,Tweet,Retweets,Replies,Likes\n');
  const ids = new Set<bigint>();
  for (let i = 0; i < count; i++) {
    const ms = times[i]!;
    let id: bigint;
    do id = ((BigInt(ms) - TWITTER_EPOCH_MS) << 22n) | BigInt(random.nextUint32() & 0x3fffff);
    while (ids.has(id));
    ids.add(id);
    const likes = Math.floor(Math.exp(random.between(0, 7))) - 1;
    const retweets = Math.floor(likes * random.between(0, 0.8));
    const replies = Math.floor(likes * random.between(0, 0.15));
    const time = options.timeFormat === 'us' ? usTime(ms) : isoTime(ms);
    await write(`${i},${id},${time},${csvField(tweetText(random))},${retweets},${replies},${likes}\n`);
    if ((i + 1) % 10_000 === 0) options.onProgress?.('tweets', i + 1, count);
  }
  output.end();
  await once(output, 'finish');
  return bytes;
}

function tweetTime(random: SeededRandom): number {
  // Most tweets around landfall and the Houston flooding (26th-29th).
  const peak = random.chance(0.7);
  const from = peak ? Date.UTC(2017, 7, 26) : START_MS;
  const to = peak ? Date.UTC(2017, 7, 30) : END_MS;
  const ms = random.between(from, to);
  return Math.floor(ms / 60_000) * 60_000 + (random.chance(0.5) ? random.int(0, 59) * 1000 : 0);
}

function tweetText(random: SeededRandom): string {
  const place = random.pick(PLACES).name;
  const text = random.pick(TEMPLATES).replace(/\{(\w+)\}/g, (_match, slot: string) => {
    switch (slot) {
      case 'place':
        return place;
      case 'street':
        return random.pick(STREETS);
      case 'tag':
        return random.pick(TAGS);
      case 'tag2':
        return random.pick(TAGS);
      case 'emoji':
        return random.pick(EMOJI);
      case 'n':
        return String(random.int(2, 9));
      case 'n2':
        return String(random.int(0, 9));
      case 'cat':
        return String(random.int(1, 4));
      case 'hwy':
        return random.pick(['10', '45', '69', '610']);
      case 'hour':
        return String(random.int(5, 10));
      default:
        return slot;
    }
  });
  return random.chance(0.15)
    ? `RT @${random.pick(['KHOU', 'HoustonTX', 'NWSHouston', 'USCG', 'abc13houston'])}: ${text}`
    : text;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function usTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${d.getUTCHours()}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/** RFC 4180 quoting: only fields holding a comma, quote or line break are quoted. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function writeImages(
  root: string,
  count: number,
  random: SeededRandom,
  options: SampleOptions,
): Promise<{ images: number; imagesByLabel: Record<ImageLabel, number>; imageBytes: number }> {
  const names = new Set<string>();
  const byLabel: Record<ImageLabel, number> = { damage: 0, no_damage: 0 };
  let imageBytes = 0;
  const tiles: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    // Kaggle's proportions: most images in train_another, the rest spread over the other splits.
    const split = random.chance(0.5) ? IMAGE_SPLITS[0] : random.pick(IMAGE_SPLITS.slice(1));
    const label: ImageLabel = random.chance(0.55) ? 'damage' : 'no_damage';
    const place = random.pick(PLACES);
    let name: string;
    do
      name = `${(place.lon + random.between(-0.06, 0.06)).toFixed(6)}_${(place.lat + random.between(-0.06, 0.06)).toFixed(6)}.jpeg`;
    while (names.has(`${split}/${label}/${name}`));
    names.add(`${split}/${label}/${name}`);
    const distinct = options.distinctTiles ?? count;
    let jpeg: Buffer;
    if (i < distinct) {
      jpeg = satelliteJpeg(random, label === 'damage', options.quality ?? 50, options.grain ?? 0);
      if (distinct < count) tiles.push(jpeg);
    } else {
      jpeg = withComment(tiles[random.int(0, tiles.length - 1)]!, `${split}/${label}/${name}`);
    }
    const dir = join(root, split, label);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, name), jpeg);
    byLabel[label]++;
    imageBytes += jpeg.length;
    if ((i + 1) % 1000 === 0) options.onProgress?.('images', i + 1, count);
  }
  return { images: count, imagesByLabel: byLabel, imageBytes };
}

const SIZE = 128;
type Rgb = readonly [number, number, number];

/**
 * Paints a plausible 128x128 aerial tile: ground, a road grid, houses with roofs and trees; a
 * damaged tile adds brown flood water and debris. The point is realistic bytes (a real JPEG of the
 * dataset's size), not realistic pixels.
 */
export function satelliteJpeg(random: SeededRandom, damaged: boolean, quality: number, grain = 0): Buffer {
  const pixels = Buffer.alloc(SIZE * SIZE * 4);
  const noise = valueNoise(random, 8);
  const ground: Rgb = random.pick([
    [96, 120, 70],
    [120, 128, 82],
    [140, 130, 100],
  ] as Rgb[]);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const n = noise(x, y);
      set(pixels, x, y, [ground[0] + n * 40 - 20, ground[1] + n * 40 - 20, ground[2] + n * 30 - 15]);
    }
  }
  const road: Rgb = [150, 150, 145];
  const spacing = random.int(36, 56);
  const offset = random.int(4, spacing);
  for (let r = offset; r < SIZE; r += spacing) {
    fill(pixels, 0, r, SIZE, 5, road);
    if (random.chance(0.6)) fill(pixels, r, 0, 5, SIZE, road);
  }
  const roofs: Rgb[] = [
    [90, 90, 95],
    [120, 85, 70],
    [170, 165, 160],
    [150, 110, 80],
    [70, 70, 80],
  ];
  for (let h = random.int(6, 14); h > 0; h--) {
    const w = random.int(8, 14);
    const d = random.int(8, 12);
    const x = random.int(0, SIZE - w);
    const y = random.int(0, SIZE - d);
    const roof = random.pick(roofs);
    fill(pixels, x, y, w, d, roof);
    fill(pixels, x, y + Math.floor(d / 2), w, 1, [roof[0] - 25, roof[1] - 25, roof[2] - 25]);
    if (damaged && random.chance(0.3))
      fill(pixels, x + 2, y + 2, Math.floor(w / 2), Math.floor(d / 2), [40, 90, 170]);
  }
  for (let t = random.int(5, 20); t > 0; t--)
    disc(pixels, random.int(0, SIZE), random.int(0, SIZE), random.int(2, 5), [40, 70, 35]);
  if (damaged) {
    const water = valueNoise(random, 4);
    const level = random.between(0.35, 0.65);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const w = water(x, y);
        if (w < level) set(pixels, x, y, [120 + w * 30, 105 + w * 25, 80 + w * 20]);
      }
    }
    for (let d = random.int(20, 60); d > 0; d--)
      fill(pixels, random.int(0, SIZE - 2), random.int(0, SIZE - 2), 2, 2, random.pick(roofs));
  }
  if (grain > 0) {
    for (let i = 0; i < pixels.length; i += 4) {
      const n = (random.next() - 0.5) * 2 * grain;
      pixels[i] = clamp(pixels[i]! + n);
      pixels[i + 1] = clamp(pixels[i + 1]! + n);
      pixels[i + 2] = clamp(pixels[i + 2]! + n);
    }
  }
  return Buffer.from(encodeJpeg({ data: pixels, width: SIZE, height: SIZE }, quality).data);
}

/** Inserts a COM segment after the SOI marker: the image decodes the same, the bytes differ. */
export function withComment(jpeg: Buffer, comment: string): Buffer {
  const text = Buffer.from(comment, 'utf8').subarray(0, 60_000);
  const segment = Buffer.alloc(4);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), segment, text, jpeg.subarray(2)]);
}

function valueNoise(random: SeededRandom, cells: number): (x: number, y: number) => number {
  const grid = Array.from({ length: (cells + 1) * (cells + 1) }, () => random.next());
  const step = SIZE / cells;
  return (x, y) => {
    const gx = x / step;
    const gy = y / step;
    const x0 = Math.floor(gx);
    const y0 = Math.floor(gy);
    const fx = gx - x0;
    const fy = gy - y0;
    const at = (i: number, j: number) => grid[j * (cells + 1) + i]!;
    const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
    const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
    return top * (1 - fy) + bottom * fy;
  };
}

function set(pixels: Buffer, x: number, y: number, [r, g, b]: Rgb): void {
  const i = (y * SIZE + x) * 4;
  pixels[i] = clamp(r);
  pixels[i + 1] = clamp(g);
  pixels[i + 2] = clamp(b);
  pixels[i + 3] = 255;
}

function fill(pixels: Buffer, x: number, y: number, w: number, h: number, color: Rgb): void {
  for (let j = Math.max(0, y); j < Math.min(SIZE, y + h); j++)
    for (let i = Math.max(0, x); i < Math.min(SIZE, x + w); i++) set(pixels, i, j, color);
}

function disc(pixels: Buffer, cx: number, cy: number, radius: number, color: Rgb): void {
  for (let j = -radius; j <= radius; j++) {
    for (let i = -radius; i <= radius; i++) {
      const x = cx + i;
      const y = cy + j;
      if (i * i + j * j <= radius * radius && x >= 0 && y >= 0 && x < SIZE && y < SIZE)
        set(pixels, x, y, color);
    }
  }
}

function clamp(value: number): number {
  return Math.max(0, Math.min(255, Math.round(value)));
}
