import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the producer keeps the committed sample and how its generator lays a dataset out
 * (producer/README, `producer sample --help`). Kept here, in one place, so a move is one edit.
 */
export const SAMPLE_LAYOUT = {
  /** The committed sample's prepared events, relative to the repository root. */
  committedEvents: 'producer/sample/events.ndjson',
  /** What `producer sample --prepare` writes inside its --out folder. */
  preparedFile: 'events.ndjson',
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
      code === 0 ? resolve() : reject(new Error(`producer ${args[0] ?? ''} exited with ${code ?? signal}`)),
    );
  });
}

/** The committed sample, already prepared by the producer and checked in CI: a copy. */
export async function prepareCommittedSample(root: string, out: string): Promise<number> {
  await copyFile(join(root, SAMPLE_LAYOUT.committedEvents), out);
  return countLines(out);
}

/** A generated dataset in the Kaggle layout, prepared by the producer (`sample --prepare`). */
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
      [
        'sample',
        '--out',
        dir,
        '--tweets',
        String(tweets),
        '--images',
        String(imagesFor(tweets)),
        '--prepare',
      ],
      log,
    );
    await copyFile(join(dir, SAMPLE_LAYOUT.preparedFile), out);
    return await countLines(out);
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
