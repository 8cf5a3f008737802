/** Pure helpers for the stats function: time windows and percentiles. */

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

export interface Percentiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
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
