// The dataset, re-keyed per step, and a closed-loop driver for the store ceilings.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TweetEvent } from '@pipeline/schemas';
import { paths } from '../paths';

export function readDataset(): TweetEvent[] {
  return readFileSync(paths.sampleEvents, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TweetEvent);
}

export function describeDataset(events: readonly TweetEvent[]): string {
  const bytes = events.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0) / events.length;
  const withImages = events.filter((e) => e.image).length;
  return `producer/sample/events.ndjson (${events.length} events, ${withImages} with images, ~${Math.round(bytes)} bytes each), re-keyed per step`;
}

/** Events with fresh, unique ids, so each step's documents are its own and none is deduplicated. */
export function eventsForStep(base: readonly TweetEvent[], step: string, count: number): TweetEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const event = base[i % base.length]!;
    return { ...event, id: createHash('sha256').update(`${step}/${i}`).digest('hex').slice(0, 32) };
  });
}

/** Runs `op` with `concurrency` workers for `seconds` and returns operations per second. */
export async function sustained(
  seconds: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  const begin = Date.now();
  const end = begin + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await op(done++);
    }),
  );
  return done / ((Date.now() - begin) / 1000);
}

/** One measured window of a store ceiling: operations per second, and the store's CPU share meanwhile. */
export interface Window {
  readonly perSecond: number;
  readonly cpu: number | null;
}

/** The window with the most operations per second: noise from other work only ever lowers a window. */
export function bestWindow(windows: readonly Window[]): Window {
  if (windows.length === 0) throw new Error('a ceiling needs at least one measured window');
  return windows.reduce((best, w) => (w.perSecond > best.perSecond ? w : best));
}
