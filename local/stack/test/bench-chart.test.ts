import { latencyRows, offeredAxis, throughputRows } from '../src/bench/chart';
import { benchResult } from './bench-fixture';

describe('bench chart', () => {
  const r = benchResult();

  it('places the unlimited step at the rate the producer achieved', () => {
    expect(r.steps.map(offeredAxis)).toEqual([20, 80, 180, 75]);
  });

  it('has the stored series, the diagonal and the slowest ceiling, sorted by offered rate', () => {
    const rows = throughputRows(r);
    expect(
      rows.filter((row) => row.series === 'stored').map((row) => [row.offered, row.eventsPerSecond]),
    ).toEqual([
      [20, 20],
      [75, 20],
      [80, 79],
      [180, 150],
    ]);
    expect(
      rows.filter((row) => row.series === 'offered (keeps up)').map((row) => row.eventsPerSecond),
    ).toEqual([0, 180]);
    expect(
      rows.some(
        (row) => row.series.startsWith('slowest stage ceiling: Azurite') && row.eventsPerSecond === 200,
      ),
    ).toBe(true);
  });

  it('has p50, p95 and p99 per step, never 0 on the log axis', () => {
    const rows = latencyRows(
      benchResult({ steps: [{ ...r.steps[0]!, latencyMs: { p50: 0, p95: 10, p99: null, max: 10 } }] }),
    );
    expect(rows).toEqual([
      { offered: 20, ms: 1, series: 'p50' },
      { offered: 20, ms: 10, series: 'p95' },
    ]);
    expect(new Set(latencyRows(r).map((row) => row.series))).toEqual(new Set(['p50', 'p95', 'p99']));
  });
});
