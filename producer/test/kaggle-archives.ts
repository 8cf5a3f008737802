import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { buildZip, type ZipInput, type ZipWriteOptions } from '../src';

/** The committed sample (300 tweets, 100 images in the Kaggle layout). */
export const SAMPLE = join(__dirname, '..', 'sample');

function filesUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The tweets archive as Kaggle serves `dan195/hurricaneharvey`: the CSV at the top. */
export function sampleTweetsZip(options: ZipWriteOptions & { extra?: readonly ZipInput[] } = {}): Buffer {
  return buildZip(
    [
      { name: 'Hurricane_Harvey.csv', data: readFileSync(join(SAMPLE, 'Hurricane_Harvey.csv')) },
      ...(options.extra ?? []),
    ],
    options,
  );
}

/**
 * The images archive as `kmader/satellite-images-of-hurricane-damage`: `<split>/<label>/<lon>_<lat>.jpeg`,
 * optionally under a prefix folder, in an order other than sorted (the zip's order must not matter).
 */
export function sampleImagesZip(options: ZipWriteOptions & { prefix?: string } = {}): Buffer {
  const root = join(SAMPLE, 'images');
  const files = filesUnder(root)
    .reverse()
    .map((path) => ({
      name: `${options.prefix ?? ''}${relative(root, path).split(sep).join('/')}`,
      data: readFileSync(path),
    }));
  return buildZip(files, options);
}
