import { execFileSync } from 'node:child_process';
import { chartSpec } from '../src/bench/chart';
import { REPO_ROOT } from '../src/paths';
import { benchResult } from './bench-fixture';

describe('bench chart', () => {
  const r = benchResult();

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
