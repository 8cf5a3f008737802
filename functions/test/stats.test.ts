import { distinctLocations, lastMinutes, partitionLag, percentiles } from '../src/lib/stats-core';
import { deadLetterPosition } from '../src/lib/stats-queries';

describe('stats helpers (pure)', () => {
  it('lists the last 60 minutes ending with the current one', () => {
    const minutes = lastMinutes(new Date('2026-11-28T12:34:56Z'), 60);
    expect(minutes).toHaveLength(60);
    expect(minutes[59]).toEqual({ start: '2026-11-28T12:34:00.000Z', end: '2026-11-28T12:35:00.000Z' });
    expect(minutes[0]!.start).toBe('2026-11-28T11:35:00.000Z');
  });

  it('computes nearest-rank percentiles and ignores unmeasurable values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles([...values, NaN])).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([])).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null });
  });
});

describe('map locations and consumer lag (pure)', () => {
  it('keeps one point per exact location, labelled by the newest row, counting each label', () => {
    const points = distinctLocations([
      { longitude: -95.1, latitude: 29.7, label: 'damage' },
      { longitude: -95.1, latitude: 29.7, label: 'no_damage' },
      { longitude: -95.2, latitude: 29.7, label: 'no_damage' },
      { longitude: -95.1, latitude: 29.7, label: 'damage' },
      { longitude: -95.3 }, // no image location: skipped
      { longitude: -95.4, latitude: 29.1, label: 'flooded' }, // not a dataset label: skipped
    ]);
    expect(points).toEqual([
      { longitude: -95.1, latitude: 29.7, label: 'damage', damage: 2, noDamage: 1 },
      { longitude: -95.2, latitude: 29.7, label: 'no_damage', damage: 0, noDamage: 1 },
    ]);
  });

  it('measures lag from the last stored sequence number, ignoring events that expired from the hub', () => {
    const hub = {
      beginSequenceNumber: 0,
      lastEnqueuedSequenceNumber: 41,
      isEmpty: false,
      lastEnqueuedAt: new Date(0),
    };
    expect(partitionLag('0', hub, 41).lag).toBe(0);
    expect(partitionLag('0', hub, 30).lag).toBe(11);
    expect(partitionLag('0', hub, null)).toMatchObject({ lag: 42, lastProcessedSequenceNumber: -1 });
    expect(partitionLag('0', { ...hub, beginSequenceNumber: 40 }, 10).lag).toBe(2);
    expect(partitionLag('1', { ...hub, isEmpty: true, lastEnqueuedSequenceNumber: -1 }, null)).toEqual({
      partitionId: '1',
      lastEnqueuedSequenceNumber: -1,
      lastProcessedSequenceNumber: -1,
      lag: 0,
      lastEnqueuedAt: null,
    });
  });
});

describe('dead letter names', () => {
  it('carry the hub position', () => {
    expect(deadLetterPosition('tweets/1/130.json')).toEqual({ partitionId: '1', sequenceNumber: 130 });
    expect(deadLetterPosition('tweets/1/x.json')).toBeUndefined();
    expect(deadLetterPosition('other.json')).toBeUndefined();
  });
});
