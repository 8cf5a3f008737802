import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MAX_IMAGE_BYTES } from '@pipeline/schemas';
import { InputError } from './errors';
import type { ZipArchive } from './zip';

export type ImageLabel = 'damage' | 'no_damage';
export const IMAGE_LABELS: readonly ImageLabel[] = ['damage', 'no_damage'];
/** The splits of the Kaggle satellite dataset, in its own order. Any subset may be present. */
export const IMAGE_SPLITS = ['train_another', 'validation_another', 'test_another', 'test'] as const;

/** One image file of the tree: the label from its folder, the location from its name. */
export interface ImageFile {
  /** The file's path, or the entry's name in its zip archive. */
  readonly path: string;
  /** `<split>/<label>/<name>`, with forward slashes: the sort key, the same on every OS. */
  readonly relative: string;
  readonly split: string;
  readonly label: ImageLabel;
  readonly longitude: number;
  readonly latitude: number;
  readonly bytes: number;
}

export interface SkippedImage {
  readonly relative: string;
  readonly reason: 'malformed-name' | 'out-of-range' | 'too-large' | 'empty' | 'unknown-folder' | 'duplicate';
  readonly message: string;
}

export interface ImageListing {
  readonly images: readonly ImageFile[];
  readonly skipped: readonly SkippedImage[];
}

// `<lon>_<lat>.jpeg`, as in the Kaggle files (`-95.061894_29.828961.jpeg`).
const IMAGE_NAME = /^(-?[0-9]{1,3}(?:\.[0-9]+)?)_(-?[0-9]{1,3}(?:\.[0-9]+)?)\.jpe?g$/i;

/** Reads a location from an image file name, or explains why it cannot. */
export function parseImageName(
  name: string,
): { longitude: number; latitude: number } | { error: string; reason: 'malformed-name' | 'out-of-range' } {
  const match = IMAGE_NAME.exec(name);
  if (!match)
    return { reason: 'malformed-name', error: `${JSON.stringify(name)} is not <longitude>_<latitude>.jpeg` };
  const longitude = Number(match[1]);
  const latitude = Number(match[2]);
  if (Math.abs(longitude) > 180 || Math.abs(latitude) > 90) {
    return {
      reason: 'out-of-range',
      error: `${JSON.stringify(name)}: longitude ${longitude}, latitude ${latitude} out of range`,
    };
  }
  return { longitude, latitude };
}

/**
 * Lists the image tree `<root>/<split>/<damage|no_damage>/<lon>_<lat>.jpeg`, any subset of splits (or
 * a single split folder given as the root), sorted by relative path so that the pairing does not
 * depend on the order the file system returns. Only names and sizes are read here, not the bytes.
 */
export async function listImages(root: string): Promise<ImageListing> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw new InputError(`cannot read the image folder ${root}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const folders = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort(byCodeUnit);
  const isSplit = folders.some((name) => (IMAGE_LABELS as readonly string[]).includes(name));
  const splits = isSplit
    ? [{ name: basename(root), dir: root }]
    : folders.map((name) => ({ name, dir: join(root, name) }));

  const images: ImageFile[] = [];
  const skipped: SkippedImage[] = [];
  for (const split of splits) {
    const labels = (await readdir(split.dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort(byCodeUnit);
    for (const label of labels) {
      if (!(IMAGE_LABELS as readonly string[]).includes(label)) {
        skipped.push({
          relative: `${split.name}/${label}`,
          reason: 'unknown-folder',
          message: `folder ${label} is neither damage nor no_damage`,
        });
        continue;
      }
      const dir = join(split.dir, label);
      const names = (await readdir(dir, { withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => e.name)
        .sort(byCodeUnit);
      for (const name of names) {
        if ('error' in parseImageName(name)) {
          classifyImage(split.name, label as ImageLabel, name, '', 0, images, skipped);
          continue;
        }
        const path = join(dir, name);
        const { size } = await stat(path);
        classifyImage(split.name, label as ImageLabel, name, path, size, images, skipped);
      }
    }
  }
  return { images, skipped };
}

/**
 * Sorts one file into the images or the skipped list: the checks every image source shares, so a
 * tree and a zip of the same tree give the same listing.
 */
function classifyImage(
  split: string,
  label: ImageLabel,
  name: string,
  path: string,
  size: number,
  images: ImageFile[],
  skipped: SkippedImage[],
): void {
  const relative = `${split}/${label}/${name}`;
  const location = parseImageName(name);
  if ('error' in location) {
    skipped.push({ relative, reason: location.reason, message: location.error });
  } else if (size === 0) {
    skipped.push({ relative, reason: 'empty', message: `${relative} is empty` });
  } else if (size > MAX_IMAGE_BYTES) {
    skipped.push({
      relative,
      reason: 'too-large',
      message: `${relative} has ${size} bytes; the contract allows ${MAX_IMAGE_BYTES}`,
    });
  } else {
    images.push({ path, relative, split, label, ...location, bytes: size });
  }
}

const IMAGE_FILE = /\.jpe?g$/i;

/**
 * Lists the images of a zip archive of the same tree (`[<prefix>/]<split>/<damage|no_damage>/<lon>_<lat>.jpeg`):
 * the split and label are the two folders above each file, whatever prefix the archive adds, and the
 * listing is sorted as listImages sorts a folder, so a zip and its extracted tree pair every tweet
 * with the same image. A second file with the same `<split>/<label>/<name>` is skipped as a duplicate.
 */
export function listZipImages(archive: Pick<ZipArchive, 'path' | 'entries'>): ImageListing {
  const images: ImageFile[] = [];
  const skipped: SkippedImage[] = [];
  const unknownFolders = new Set<string>();
  const seen = new Set<string>();
  const archiveName = basename(archive.path).replace(/\.zip$/i, '');
  const entries = archive.entries
    .map((entry) => {
      const parts = entry.name.split('/').filter(Boolean);
      const name = parts.at(-1) ?? '';
      const folder = parts.at(-2) ?? '';
      const split = parts.at(-3) ?? archiveName;
      return { entry, name, folder, split };
    })
    .sort(
      (a, b) =>
        byCodeUnit(a.split, b.split) ||
        byCodeUnit(a.folder, b.folder) ||
        byCodeUnit(a.name, b.name) ||
        // Of two copies of one path, the one nearer the archive's root is listed, the other skipped.
        a.entry.name.length - b.entry.name.length ||
        byCodeUnit(a.entry.name, b.entry.name),
    );
  for (const { entry, name, folder, split } of entries) {
    if (!(IMAGE_LABELS as readonly string[]).includes(folder)) {
      const where = `${split}/${folder}`;
      if (IMAGE_FILE.test(name) && folder && !unknownFolders.has(where)) {
        unknownFolders.add(where);
        skipped.push({
          relative: where,
          reason: 'unknown-folder',
          message: `folder ${folder} is neither damage nor no_damage`,
        });
      }
      continue;
    }
    const relative = `${split}/${folder}/${name}`;
    if (seen.has(relative)) {
      skipped.push({
        relative,
        reason: 'duplicate',
        message: `${entry.name} repeats ${relative}, already listed from another folder of the archive`,
      });
      continue;
    }
    seen.add(relative);
    classifyImage(split, folder as ImageLabel, name, entry.name, entry.uncompressedSize, images, skipped);
  }
  return { images, skipped };
}

/** Where prepare takes the images from: a listing and a way to read each one's bytes. */
export interface ImageStore extends ImageListing {
  read(image: ImageFile): Buffer | Promise<Buffer>;
}

/** The images of a folder tree, read from disk. */
export async function imageDirectory(root: string): Promise<ImageStore> {
  const listing = await listImages(root);
  // Synchronous on purpose: an async read is four thread-pool round trips per 10 KB file, and the
  // pipeline waited on them more than it worked (measured: 60% idle); a page-cache read is ~20 µs.
  return { ...listing, read: (image) => readFileSync(image.path) };
}

/** The images of a zip archive, each read (inflated, CRC-checked) when its event is built. */
export function zipImageStore(archive: ZipArchive): ImageStore {
  return { ...listZipImages(archive), read: (image) => archive.readEntry(image.path) };
}

/**
 * The pairing rule: a tweet gets the image at index H mod M, where H is the first 48 bits of
 * SHA-256("pair/v1", seed, event id) and M the number of images, sorted by relative path. It depends
 * only on the tweet, the seed and the image set, so a tweet keeps its image when other rows change.
 */
export function pairImageIndex(eventId: string, seed: string, imageCount: number): number {
  const digest = createHash('sha256').update(`pair/v1\n${seed}\n${eventId}`).digest();
  return digest.readUIntBE(0, 6) % imageCount;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
