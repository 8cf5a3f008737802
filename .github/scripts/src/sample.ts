import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the producer keeps the committed sample and how its generator lays a dataset out (the
 * Kaggle layout; see producer/README and issue 5). Kept here, in one place, so a move is one edit.
 */
export const SAMPLE_LAYOUT = {
  /** The committed sample, relative to the repository root. */
  committedDir: 'producer/sample',
  /** Inside a dataset folder: the tweets CSV and the image tree. */
  tweetsFile: 'Hurricane_Harvey.csv',
  imagesDir: 'satellite-images',
} as const;

/** Images to generate for N tweets: the real datasets pair ~150,000 tweets with ~23,000 images. */
export function imagesFor(tweets: number): number {
  return Math.max(1, Math.min(23_000, Math.round(tweets * (23_000 / 150_000))));
}

export function runNode(cli: string, args: readonly string[], log: (text: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', log);
    child.stderr.setEncoding('utf8').on('data', log);
    child.on('error', reject);
    child.on('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${args[0] ?? cli} exited with ${code ?? signal}`)),
    );
  });
}

export async function prepare(
  cli: string,
  datasetDir: string,
  out: string,
  log: (text: string) => void,
): Promise<number> {
  await runNode(
    cli,
    [
      'prepare',
      '--tweets',
      join(datasetDir, SAMPLE_LAYOUT.tweetsFile),
      '--images',
      join(datasetDir, SAMPLE_LAYOUT.imagesDir),
      '--out',
      out,
    ],
    log,
  );
  return countLines(out);
}

export function prepareCommittedSample(
  cli: string,
  root: string,
  out: string,
  log: (text: string) => void,
): Promise<number> {
  return prepare(cli, join(root, SAMPLE_LAYOUT.committedDir), out, log);
}

export async function prepareGeneratedSample(
  cli: string,
  tweets: number,
  out: string,
  log: (text: string) => void,
): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'generated-'));
  try {
    await runNode(
      cli,
      ['sample', '--out', dir, '--tweets', String(tweets), '--images', String(imagesFor(tweets))],
      log,
    );
    return await prepare(cli, dir, out, log);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Non-empty lines of a file, streamed. */
export async function countLines(path: string): Promise<number> {
  let lines = 0;
  let inLine = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte === 0x0a) {
        if (inLine) lines++;
        inLine = false;
      } else if (byte !== 0x0d && byte !== 0x20) inLine = true;
    }
  }
  return lines + (inLine ? 1 : 0);
}
