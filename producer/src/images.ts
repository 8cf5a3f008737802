import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MAX_IMAGE_BYTES } from '@pipeline/schemas';
import { InputError } from './errors';

export type ImageLabel = 'damage' | 'no_damage';
export const IMAGE_LABELS: readonly ImageLabel[] = ['damage', 'no_damage'];
/** The splits of the Kaggle satellite dataset, in its own order. Any subset may be present. */
export const IMAGE_SPLITS = ['train_another', 'validation_another', 'test_another', 'test'] as const;

/** One image file of the tree: the label from its folder, the location from its name. */
export interface ImageFile {
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
  readonly reason: 'malformed-name' | 'out-of-range' | 'too-large' | 'empty' | 'unknown-folder';
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
        const relative = `${split.name}/${label}/${name}`;
        const location = parseImageName(name);
        if ('error' in location) {
          skipped.push({ relative, reason: location.reason, message: location.error });
          continue;
        }
        const path = join(dir, name);
        const { size } = await stat(path);
        if (size === 0) {
          skipped.push({ relative, reason: 'empty', message: `${relative} is empty` });
        } else if (size > MAX_IMAGE_BYTES) {
          skipped.push({
            relative,
            reason: 'too-large',
            message: `${relative} has ${size} bytes; the contract allows ${MAX_IMAGE_BYTES}`,
          });
        } else {
          images.push({
            path,
            relative,
            split: split.name,
            label: label as ImageLabel,
            ...location,
            bytes: size,
          });
        }
      }
    }
  }
  return { images, skipped };
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
