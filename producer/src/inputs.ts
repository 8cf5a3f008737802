import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ByteSource } from './byte-source';
import { fileSource } from './byte-source';
import { InputError } from './errors';
import { imageDirectory, zipImageStore, type ImageStore } from './images';
import { looksLikeZip, ZipArchive } from './zip';

/** The tweets CSV's names in the Kaggle dataset's versions, in order of preference. */
export const KNOWN_TWEET_FILES = ['Hurricane_Harvey.csv', 'TS_Harvey_Tweets.csv'] as const;

/** What prepare reads, opened: the CSV's bytes and the images, from files or straight from zip archives. */
export interface PrepareInputs {
  readonly tweets: ByteSource;
  readonly images?: ImageStore | undefined;
  /** Releases the archives' file descriptors. */
  close(): void;
}

export interface PrepareInputOptions {
  /** The CSV, or a zip archive holding it (the Kaggle download as is). */
  readonly tweets: string | ByteSource;
  /** The image tree, or a zip archive of it. */
  readonly images?: string | ImageStore | undefined;
  /** The CSV's name inside the tweets archive, when it holds several and none is a known name. */
  readonly tweetsEntry?: string | undefined;
}

/** Is this path a zip archive (by its first bytes, not its name)? A folder is not. */
export async function isZipFile(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) return false;
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return looksLikeZip(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

export async function openPrepareInputs(options: PrepareInputOptions): Promise<PrepareInputs> {
  const archives: ZipArchive[] = [];
  const close = () => archives.forEach((a) => a.close());
  try {
    let tweets: ByteSource;
    if (typeof options.tweets !== 'string') tweets = options.tweets;
    else if (await isZipFile(options.tweets)) {
      const archive = await ZipArchive.open(options.tweets);
      archives.push(archive);
      const entry = chooseTweetsEntry(archive, options.tweetsEntry);
      tweets = { name: `${archive.path}!${entry}`, open: () => archive.openEntry(entry) };
    } else tweets = fileSource(options.tweets);

    let images: ImageStore | undefined;
    if (options.images === undefined || typeof options.images !== 'string') images = options.images;
    else if (await isZipFile(options.images)) {
      const archive = await ZipArchive.open(options.images);
      archives.push(archive);
      images = zipImageStore(archive);
    } else images = await imageDirectory(options.images);
    return { tweets, images, close };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * The CSV to read from the tweets archive: the named one, else the first known name (at any depth),
 * else the only CSV; several unknown CSVs are an error naming them, never a guess.
 */
export function chooseTweetsEntry(archive: Pick<ZipArchive, 'path' | 'entries'>, wanted?: string): string {
  const csvs = archive.entries.map((e) => e.name).filter((name) => /\.csv$/i.test(name));
  if (wanted !== undefined) {
    const match = csvs.find((name) => name === wanted) ?? csvs.find((name) => basename(name) === wanted);
    if (!match)
      throw new InputError(
        `${archive.path} has no CSV ${JSON.stringify(wanted)} (its CSVs: ${csvs.join(', ') || 'none'})`,
      );
    return match;
  }
  for (const known of KNOWN_TWEET_FILES) {
    const match = csvs.find((name) => basename(name).toLowerCase() === known.toLowerCase());
    if (match) return match;
  }
  if (csvs.length === 1) return csvs[0]!;
  throw new InputError(
    csvs.length === 0
      ? `${archive.path} holds no CSV file: is it the tweets dataset?`
      : `${archive.path} holds several CSV files and none is ${KNOWN_TWEET_FILES.join(' or ')}: choose one with --tweets-entry (${csvs.join(', ')})`,
  );
}
