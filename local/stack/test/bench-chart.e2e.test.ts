import { execFileSync } from 'node:child_process';
import { chartSpec, latencyRows, offeredAxis, throughputRows } from '../src/bench/chart';
import { REPO_ROOT } from '../src/paths';
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

  // vega and vega-lite are ES modules with top-level await, which jest's CommonJS runtime cannot load;
  // a child Node compiles and renders the spec exactly as renderSvg does, offline.
  it('renders to an SVG with both charts and every series', () => {
    const render = `
      const chunks = [];
      for await (const c of process.stdin) chunks.push(c);
      const vega = await import('vega');
      const { compile } = await import('vega-lite');
      const view = new vega.View(vega.parse(compile(JSON.parse(Buffer.concat(chunks))).spec), { renderer: 'none' });
      process.stdout.write(await view.toSVG());`;
    const svg = execFileSync(process.execPath, ['--input-type=module', '-e', render], {
      cwd: REPO_ROOT,
      input: JSON.stringify(chartSpec(r)),
      encoding: 'utf8',
    });
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of [
      'Throughput: stored vs offered',
      'Latency accept -&gt; stored (log scale)',
      '>stored<',
      '>offered (keeps up)<',
      'slowest stage ceiling: Azurite',
      '>p50<',
      '>p95<',
      '>p99<',
      'goal: p99 &lt; 1 s at half saturation',
    ])
      expect(svg).toContain(text);
  });
});
