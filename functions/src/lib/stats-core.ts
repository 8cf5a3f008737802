/** Pure helpers for the stats function: time windows, percentiles, map locations, consumer lag. */
import type { ImageLabel, MapPoint, PartitionLag, Percentiles } from '@pipeline/schemas';

export type { Percentiles };

export interface MinuteWindow {
  /** Start of the minute, ISO 8601. */
  readonly start: string;
  /** End of the minute (exclusive), ISO 8601. */
  readonly end: string;
}

/** The `count` whole minutes that end with the current (partial) minute, oldest first. */
export function lastMinutes(now: Date, count: number): MinuteWindow[] {
  const currentMinuteStart = Math.floor(now.getTime() / 60_000) * 60_000;
  return Array.from({ length: count }, (_, i) => {
    const start = currentMinuteStart - (count - 1 - i) * 60_000;
    return { start: new Date(start).toISOString(), end: new Date(start + 60_000).toISOString() };
  });
}

/** Nearest-rank percentiles (no interpolation: every reported value is one that was measured). */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const rank = (p: number) =>
    sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : null;
  return {
    count: sorted.length,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted.length ? sorted[sorted.length - 1]! : null,
  };
}

/** Milliseconds between two ISO timestamps, or NaN when either is missing or unparsable. */
export function millisBetween(from: string | undefined, to: string | undefined): number {
  if (!from || !to) return NaN;
  return Date.parse(to) - Date.parse(from);
}

/**
 * Distinct locations among image rows ordered newest first (the emulator has no DISTINCT or GROUP BY, so
 * a bounded TOP query is deduplicated here). A location is its exact coordinates, as in the dataset's
 * file names; its label is the newest row's, and each label is counted.
 */
export function distinctLocations(
  rows: readonly { readonly longitude?: unknown; readonly latitude?: unknown; readonly label?: unknown }[],
): MapPoint[] {
  const byLocation = new Map<
    string,
    { longitude: number; latitude: number; label: ImageLabel; damage: number; noDamage: number }
  >();
  for (const row of rows) {
    const { longitude, latitude, label } = row;
    if (typeof longitude !== 'number' || typeof latitude !== 'number') continue;
    if (label !== 'damage' && label !== 'no_damage') continue;
    const key = `${longitude},${latitude}`;
    let point = byLocation.get(key);
    if (!point) byLocation.set(key, (point = { longitude, latitude, label, damage: 0, noDamage: 0 }));
    if (label === 'damage') point.damage++;
    else point.noDamage++;
  }
  return [...byLocation.values()];
}

/**
 * Per-partition lag: events the hub accepted after the newest one processed (stored or dead-lettered). Events
 * that expired from the hub (before `beginSequenceNumber`) can no longer be consumed, so they do not count.
 */
export function partitionLag(
  partitionId: string,
  hub: {
    beginSequenceNumber: number;
    lastEnqueuedSequenceNumber: number;
    isEmpty: boolean;
    lastEnqueuedAt?: Date | string | null;
  },
  lastProcessedSequenceNumber: number | null | undefined,
): PartitionLag {
  const stored = typeof lastProcessedSequenceNumber === 'number' ? lastProcessedSequenceNumber : -1;
  const lastEnqueued = hub.isEmpty ? -1 : hub.lastEnqueuedSequenceNumber;
  const consumedUpTo = Math.max(stored, hub.beginSequenceNumber - 1);
  const lastEnqueuedAt =
    hub.isEmpty || !hub.lastEnqueuedAt ? null : new Date(hub.lastEnqueuedAt).toISOString();
  return {
    partitionId,
    lastEnqueuedSequenceNumber: lastEnqueued,
    lastProcessedSequenceNumber: stored,
    lag: hub.isEmpty ? 0 : Math.max(0, lastEnqueued - consumedUpTo),
    lastEnqueuedAt,
  };
}
