import fc from 'fast-check';
import {
  countOf,
  DEFAULT_BOUNDS,
  failureMessage,
  formatCount,
  formatDuration,
  imagePath,
  keyFromFragment,
  lagView,
  latencyRows,
  mapBounds,
  minuteSeries,
  nextState,
  pollDelay,
  shares,
  type ViewState,
} from '../src/shared/dashboard-model';
import type { Stats } from '@pipeline/schemas';

function stats(stored: number, deadLetters = 0): Stats {
  const none = { count: 0, p50: null, p95: null, p99: null, max: null };
  return {
    generatedAt: '2026-11-28T12:00:00.000Z',
    totals: { stored, damage: 0, noDamage: 0, withoutImage: stored },
    perMinute: [],
    latest: [],
    latency: { window: 0, hubToStoreMs: none, ingestToStoreMs: none },
    deadLetters: { count: deadLetters, capped: false },
    accepted: { count: stored, capped: false },
    map: { points: [], window: 0, capped: false },
    consumerLag: { available: false, reason: 'test' },
  };
}

describe('formatting', () => {
  it('formats counts with separators, and capped counts as lower bounds', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount({ count: 10000, capped: true })).toBe('≥ 10,000');
    expect(formatCount({ count: 42, capped: false })).toBe('42');
  });

  it('pluralizes counted words', () => {
    expect(countOf(1, 'like')).toBe('1 like');
    expect(countOf(0, 'like')).toBe('0 likes');
    expect(countOf(1200, 'reply', 'replies')).toBe('1,200 replies');
  });

  it('shows an absent count as unknown, never as zero', () => {
    expect(countOf(undefined, 'like')).toBe('likes unknown');
    expect(countOf(undefined, 'reply', 'replies')).toBe('replies unknown');
  });

  it('formats durations in the unit a person reads fastest', () => {
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(NaN)).toBe('—');
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(849.6)).toBe('850 ms');
    expect(formatDuration(1250)).toBe('1.25 s');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(120_000)).toBe('2 min');
    // Clocks on two machines can disagree: a negative latency is shown as such, not hidden.
    expect(formatDuration(-20)).toBe('20 ms early');
  });

  it('splits two counts into whole percentages that always add up to 100', () => {
    expect(shares(0, 0)).toBeNull();
    expect(shares(1, 0)).toEqual({ a: 100, b: 0 });
    expect(shares(1, 2)).toEqual({ a: 33, b: 67 });
    expect(shares(1, 1)).toEqual({ a: 50, b: 50 });
    fc.assert(
      fc.property(fc.nat(1e6), fc.nat(1e6), (a, b) => {
        const s = shares(a, b);
        if (a + b === 0) return s === null;
        return s !== null && s.a + s.b === 100 && Math.abs(s.a - (a / (a + b)) * 100) < 1;
      }),
    );
  });
});

describe('series and tables', () => {
  it('labels the minutes in the given time zone and reads the last full minute, peak and total', () => {
    const perMinute = [
      { minute: '2026-11-28T11:58:00.000Z', count: 3 },
      { minute: '2026-11-28T11:59:00.000Z', count: 7 },
      { minute: '2026-11-28T12:00:00.000Z', count: 1 },
    ];
    expect(minuteSeries(perMinute, 'UTC')).toEqual({
      labels: ['11:58', '11:59', '12:00'],
      counts: [3, 7, 1],
      lastFullMinute: 7,
      peak: 7,
      total: 11,
    });
    expect(minuteSeries(perMinute, 'America/Chicago').labels[0]).toBe('05:58');
    expect(minuteSeries([], 'UTC')).toMatchObject({ lastFullMinute: 0, peak: 0, total: 0 });
  });

  it('turns percentiles into table rows', () => {
    const rows = latencyRows({
      window: 3,
      hubToStoreMs: { count: 3, p50: 40, p95: 1500, p99: 1500, max: 1500 },
      ingestToStoreMs: { count: 0, p50: null, p95: null, p99: null, max: null },
    });
    expect(rows).toEqual([
      {
        name: 'Hub → stored',
        p50: '40 ms',
        p95: '1.50 s',
        p99: '1.50 s',
        max: '1.50 s',
        samples: '3',
      },
      { name: 'API → stored', p50: '—', p95: '—', p99: '—', max: '—', samples: '0' },
    ]);
  });

  it('says whether the consumer is caught up, behind, or not measurable', () => {
    expect(lagView({ available: false, reason: 'no hub' })).toEqual({
      value: '—',
      detail: 'Not measured: no hub',
      tone: 'unknown',
    });
    const partition = (partitionId: string, lag: number) => ({
      partitionId,
      lag,
      lastEnqueuedSequenceNumber: 10,
      lastProcessedSequenceNumber: 10 - lag,
      lastEnqueuedAt: null,
    });
    expect(
      lagView({ available: true, events: 0, partitions: [partition('0', 0), partition('1', 0)] }),
    ).toEqual({
      value: '0 events',
      detail: 'Caught up on 2 partitions',
      tone: 'ok',
    });
    expect(
      lagView({ available: true, events: 1200, partitions: [partition('0', 1200), partition('1', 0)] }),
    ).toEqual({ value: '1,200 events', detail: 'Waiting on 1 of 2 partitions', tone: 'behind' });
  });
});

describe('map framing', () => {
  it('frames the Texas coast before any point arrives', () => {
    expect(mapBounds([])).toBe(DEFAULT_BOUNDS);
  });

  it('frames every point with a margin, and at least one degree around a single point', () => {
    expect(mapBounds([{ longitude: -95, latitude: 29.5 }])).toEqual({
      west: -95.5,
      east: -94.5,
      south: 29,
      north: 30,
    });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            longitude: fc.double({ min: -98, max: -93, noNaN: true }),
            latitude: fc.double({ min: 26, max: 31, noNaN: true }),
          }),
          {
            minLength: 1,
            maxLength: 50,
          },
        ),
        (points) => {
          const b = mapBounds(points);
          return (
            points.every(
              (p) =>
                p.longitude >= b.west &&
                p.longitude <= b.east &&
                p.latitude >= b.south &&
                p.latitude <= b.north,
            ) &&
            b.east - b.west >= 1 - 1e-9 &&
            b.north - b.south >= 1 - 1e-9
          );
        },
      ),
    );
  });
});

describe('keys and image paths', () => {
  it('reads the function key from the fragment only', () => {
    expect(keyFromFragment('#key=abc%2F123%3D%3D')).toBe('abc/123==');
    expect(keyFromFragment('#view=map&code=xyz')).toBe('xyz');
    expect(keyFromFragment('')).toBeUndefined();
    expect(keyFromFragment('#key=')).toBeUndefined();
    expect(keyFromFragment('#key')).toBeUndefined();
    expect(keyFromFragment('#key=%E0%A4%A')).toBeUndefined();
  });

  it('builds thumbnail paths only for content-addressed image names', () => {
    const name = `${'ab'.repeat(32)}.jpeg`;
    expect(imagePath(name)).toBe(`../images/${name}`);
    expect(imagePath('../../secrets.jpeg')).toBeUndefined();
    expect(imagePath(`${'AB'.repeat(32)}.jpeg`)).toBeUndefined();
  });
});

describe('view state', () => {
  const ok = (s: Stats, at = 1) => ({ ok: true as const, stats: s, at });
  const failed = (status: number | null, at = 2) => ({ ok: false as const, status, message: 'down', at });

  it('distinguishes empty from ready', () => {
    expect(nextState({ kind: 'loading' }, ok(stats(0))).kind).toBe('empty');
    expect(nextState({ kind: 'loading' }, ok(stats(3))).kind).toBe('ready');
    // Only dead letters so far is not "nothing happened".
    expect(nextState({ kind: 'loading' }, ok(stats(0, 2))).kind).toBe('ready');
  });

  it('keeps the last good answer through failures and backs off while failing', () => {
    const ready = nextState({ kind: 'loading' }, ok(stats(5), 100));
    let state: ViewState = nextState(ready, failed(503));
    expect(state).toMatchObject({ kind: 'error', failures: 1, stale: { at: 100 } });
    expect(pollDelay(state)).toBe(2_000);
    state = nextState(state, failed(null));
    state = nextState(state, failed(503));
    expect(state).toMatchObject({ kind: 'error', failures: 3, stale: { at: 100 } });
    expect(pollDelay(state)).toBe(8_000);
    for (let i = 0; i < 10; i++) state = nextState(state, failed(503));
    expect(pollDelay(state)).toBe(30_000);
    expect(nextState(state, ok(stats(6))).kind).toBe('ready');
    expect(nextState({ kind: 'loading' }, failed(503))).toMatchObject({ kind: 'error', stale: null });
  });

  it('asks for a key on 401 and 403', () => {
    expect(nextState({ kind: 'loading' }, failed(401)).kind).toBe('unauthorized');
    expect(nextState({ kind: 'loading' }, failed(403)).kind).toBe('unauthorized');
  });

  it('describes failures for people', () => {
    expect(
      failureMessage(503, '{"error":"ServiceUnavailable","message":"The statistics store is unavailable"}'),
    ).toBe('The stats endpoint answered 503: The statistics store is unavailable');
    expect(failureMessage(502, '<html>bad gateway</html>')).toBe('The stats endpoint answered 502');
    expect(failureMessage(null, '')).toBe('The stats endpoint cannot be reached.');
    expect(failureMessage(401, '')).toContain('#key=');
  });
});
