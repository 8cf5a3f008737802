/**
 * The dashboard's data shaping, as pure functions: what the page shows for a stats answer (or a failure),
 * formatted for reading at a glance. No DOM and no Node APIs: the page bundles this file and the unit
 * tests import it directly.
 */
import type { CappedCount, ConsumerLag, MapPoint, Percentiles, Stats } from '@pipeline/schemas';

const NUMBER = new Intl.NumberFormat('en-US');

/** `12,345`; a capped count reads `≥ 10,000`. */
export function formatCount(value: number | CappedCount): string {
  if (typeof value === 'number') return NUMBER.format(value);
  return `${value.capped ? '≥ ' : ''}${NUMBER.format(value.count)}`;
}

/** `1 like`, `2 likes`, `1,200 likes`; `likes unknown` when the event has no count. */
export function countOf(value: number | undefined, singular: string, plural = `${singular}s`): string {
  // An event may lack a count (an empty cell in the source): unknown is not zero.
  if (value === undefined || value === null) return `${plural} unknown`;
  return `${formatCount(value)} ${value === 1 ? singular : plural}`;
}

/** Milliseconds for people: `850 ms`, `1.25 s`, `2 min 5 s`; `—` when nothing was measured. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms < 0) return `${formatDuration(-ms)} early`;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

/**
 * Whole-number percentages of two counts that always add up to 100 (largest remainder), or nulls when
 * both are zero, so the page never shows `NaN %` or `50 % + 51 %`.
 */
export function shares(a: number, b: number): { a: number; b: number } | null {
  const total = a + b;
  if (total <= 0) return null;
  const exactA = (a / total) * 100;
  let roundedA = Math.floor(exactA);
  let roundedB = Math.floor(100 - exactA);
  if (roundedA + roundedB < 100) {
    if (exactA - roundedA >= 100 - exactA - roundedB) roundedA++;
    else roundedB++;
  }
  return { a: roundedA, b: roundedB };
}

export interface MinuteSeries {
  /** `HH:MM` labels in the viewer's time zone (or the given one), oldest first. */
  readonly labels: string[];
  readonly counts: number[];
  /** Events in the last complete minute (the current minute is still filling). */
  readonly lastFullMinute: number;
  /** Peak of the hour. */
  readonly peak: number;
  readonly total: number;
}

export function minuteSeries(perMinute: Stats['perMinute'], timeZone?: string): MinuteSeries {
  const format = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    ...(timeZone ? { timeZone } : {}),
  });
  const counts = perMinute.map((m) => m.count);
  return {
    labels: perMinute.map((m) => format.format(new Date(m.minute))),
    counts,
    lastFullMinute: counts.length >= 2 ? counts[counts.length - 2]! : 0,
    peak: counts.reduce((max, n) => Math.max(max, n), 0),
    total: counts.reduce((sum, n) => sum + n, 0),
  };
}

export interface LatencyRow {
  readonly name: string;
  readonly p50: string;
  readonly p95: string;
  readonly p99: string;
  readonly max: string;
  readonly samples: string;
}

export function latencyRows(latency: Stats['latency']): LatencyRow[] {
  const row = (name: string, p: Percentiles): LatencyRow => ({
    name,
    p50: formatDuration(p.p50),
    p95: formatDuration(p.p95),
    p99: formatDuration(p.p99),
    max: formatDuration(p.max),
    samples: formatCount(p.count),
  });
  return [row('Hub → stored', latency.hubToStoreMs), row('API → stored', latency.ingestToStoreMs)];
}

export interface LagView {
  readonly value: string;
  readonly detail: string;
  /** ok: caught up; behind: events waiting; unknown: not measurable right now. */
  readonly tone: 'ok' | 'behind' | 'unknown';
}

export function lagView(lag: ConsumerLag): LagView {
  if (!lag.available) return { value: '—', detail: `Not measured: ${lag.reason}`, tone: 'unknown' };
  const partitions = lag.partitions.length;
  const where = `${partitions} partition${partitions === 1 ? '' : 's'}`;
  if (lag.events === 0) return { value: '0 events', detail: `Caught up on ${where}`, tone: 'ok' };
  const behind = lag.partitions.filter((p) => p.lag > 0).length;
  return {
    value: countOf(lag.events, 'event'),
    detail: `Waiting on ${behind} of ${where}`,
    tone: 'behind',
  };
}

export interface Bounds {
  readonly west: number;
  readonly south: number;
  readonly east: number;
  readonly north: number;
}

/** The Texas Gulf coast around Houston and Galveston: what the map shows before any point arrives. */
export const DEFAULT_BOUNDS: Bounds = { west: -97.6, south: 27.6, east: -93.6, north: 30.8 };

/**
 * The area the map frames: the points' extent, padded by 10 % and at least `minSpan` degrees wide and
 * tall (one point alone should still show the coast around it), or DEFAULT_BOUNDS when there are none.
 */
export function mapBounds(points: readonly Pick<MapPoint, 'longitude' | 'latitude'>[], minSpan = 1): Bounds {
  if (points.length === 0) return DEFAULT_BOUNDS;
  let west = Infinity;
  let east = -Infinity;
  let south = Infinity;
  let north = -Infinity;
  for (const p of points) {
    west = Math.min(west, p.longitude);
    east = Math.max(east, p.longitude);
    south = Math.min(south, p.latitude);
    north = Math.max(north, p.latitude);
  }
  const grow = (low: number, high: number): [number, number] => {
    const span = Math.max((high - low) * 1.2, minSpan);
    const middle = (low + high) / 2;
    return [middle - span / 2, middle + span / 2];
  };
  const [w, e] = grow(west, east);
  const [s, n] = grow(south, north);
  return { west: w, south: s, east: e, north: n };
}

export const IMAGE_NAME = /^[0-9a-f]{64}\.jpeg$/;

/** The thumbnail's URL relative to the page (`/api/dashboard/`), or undefined for a name we never serve. */
export function imagePath(blob: string): string | undefined {
  return IMAGE_NAME.test(blob) ? `../images/${blob}` : undefined;
}

/**
 * The function key from the page's URL fragment (`#key=...`). The fragment never leaves the browser:
 * not in requests, not in Referer headers, not in server logs.
 */
export function keyFromFragment(hash: string): string | undefined {
  for (const part of hash.replace(/^#/, '').split('&')) {
    const at = part.indexOf('=');
    const name = at < 0 ? part : part.slice(0, at);
    if (name !== 'key' && name !== 'code') continue;
    try {
      const value = decodeURIComponent(part.slice(at + 1).replace(/\+/g, ' ')).trim();
      if (at >= 0 && value) return value;
    } catch {
      return undefined; // malformed percent-encoding: no key rather than a wrong one
    }
  }
  return undefined;
}

export type Outcome =
  | { readonly ok: true; readonly stats: Stats; readonly at: number }
  | { readonly ok: false; readonly status: number | null; readonly message: string; readonly at: number };

export type ViewState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'empty'; readonly stats: Stats; readonly at: number }
  | { readonly kind: 'ready'; readonly stats: Stats; readonly at: number }
  | { readonly kind: 'unauthorized'; readonly message: string }
  | {
      readonly kind: 'error';
      readonly message: string;
      /** The last good answer, still shown (marked stale) while the endpoint is failing. */
      readonly stale: { readonly stats: Stats; readonly at: number } | null;
      readonly failures: number;
    };

/** What to show after a poll: a failure keeps the last good numbers on screen, marked stale. */
export function nextState(previous: ViewState, outcome: Outcome): ViewState {
  if (outcome.ok) {
    const empty = outcome.stats.totals.stored === 0 && outcome.stats.deadLetters.count === 0;
    return { kind: empty ? 'empty' : 'ready', stats: outcome.stats, at: outcome.at };
  }
  if (outcome.status === 401 || outcome.status === 403)
    return { kind: 'unauthorized', message: outcome.message };
  const stale =
    previous.kind === 'ready' || previous.kind === 'empty'
      ? { stats: previous.stats, at: previous.at }
      : previous.kind === 'error'
        ? previous.stale
        : null;
  const failures = previous.kind === 'error' ? previous.failures + 1 : 1;
  return { kind: 'error', message: outcome.message, stale, failures };
}

/** Poll again after 2 s, backing off to 30 s while the endpoint keeps failing. */
export function pollDelay(state: ViewState, baseMs = 2_000): number {
  if (state.kind !== 'error') return baseMs;
  return Math.min(30_000, baseMs * 2 ** Math.min(4, state.failures - 1));
}

/** A short, human description of a failed request. */
export function failureMessage(status: number | null, body: string): string {
  let detail = '';
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') detail = parsed.message;
  } catch {
    // not JSON: the status says enough
  }
  if (status === null) return 'The stats endpoint cannot be reached.';
  if (status === 401 || status === 403)
    return 'The stats endpoint needs a function key: open the dashboard with #key=<function key>.';
  return `The stats endpoint answered ${status}${detail ? `: ${detail}` : ''}`;
}
