import { nearestRank, storeLatencies, summarize } from '../src/summary';

const at = (ms: number) => new Date(Date.UTC(2026, 10, 28, 12) + ms).toISOString();

describe('replay summary (pure)', () => {
  it('takes nearest-rank percentiles of measured values only', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([nearestRank(values, 50), nearestRank(values, 99), nearestRank(values, 100)]).toEqual([
      50, 99, 100,
    ]);
    expect(nearestRank([], 50)).toBeNull();
  });

  it('measures accepted -> stored per document, ignoring unparsable times', () => {
    const stored = [
      { id: 'a', ingestedAt: at(0), storedAt: at(30) },
      { id: 'b', ingestedAt: at(0), storedAt: at(10) },
      { id: 'c', ingestedAt: 'not a time', storedAt: at(5) },
    ];
    expect(storeLatencies(stored)).toEqual([10, 30]);
  });

  it('counts distinct accepted ids and names the ones not stored', () => {
    const summary = summarize(
      { sent: 4, accepted: ['a', 'b', 'b', 'c'], rejected: 1, failed: 0 },
      [
        { id: 'a', ingestedAt: at(0), storedAt: at(20) },
        { id: 'b', ingestedAt: at(0), storedAt: at(40) },
      ],
      2,
    );
    expect(summary).toEqual({
      sent: 4,
      accepted: 3,
      rejected: 1,
      failed: 0,
      stored: 2,
      missing: 1,
      deadLettered: 2,
      latencyMs: { p50: 20, p99: 40, max: 40 },
    });
  });
});
