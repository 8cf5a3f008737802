// The throughput and latency curves as an SVG image beside the tables: a person reads a curve faster
// than a table. The spec is plain data (unit-tested); vega-lite compiles it and vega renders it
// headless (renderer 'none', no canvas, no browser, no network).
import { saturationPerSecond, stageCeilings } from './ratios';
import type { BenchResult, StepResult } from './types';

/** A Vega-Lite spec, kept as plain JSON here: vega-lite's own types are an ES module's. */
export type ChartSpec = Record<string, unknown>;

/**
 * Where a step sits on the offered-rate axis. The unlimited step had no schedule, so it sits at the
 * rate the producer actually achieved against the gateway: what it offered in practice.
 */
export function offeredAxis(step: StepResult): number {
  return step.offeredPerSecond ?? Math.round(step.acceptedPerSecond);
}

export interface ThroughputRow {
  readonly offered: number;
  readonly eventsPerSecond: number;
  readonly series: string;
}

export interface LatencyRow {
  readonly offered: number;
  readonly ms: number;
  readonly series: string;
}

export function throughputRows(r: Pick<BenchResult, 'steps' | 'ceilings'>): ThroughputRow[] {
  const steps = [...r.steps].sort((a, b) => offeredAxis(a) - offeredAxis(b));
  const xs = steps.map(offeredAxis);
  const slowest = stageCeilings(r.ceilings).reduce((a, b) => (b.eventsPerSecond < a.eventsPerSecond ? b : a));
  const edges = xs.length ? [Math.min(0, ...xs), Math.max(...xs)] : [];
  return [
    ...steps.map((s) => ({ offered: offeredAxis(s), eventsPerSecond: s.storedPerSecond, series: 'stored' })),
    // The diagonal: what a pipeline that keeps up with every offered rate would store.
    ...edges.map((x) => ({ offered: x, eventsPerSecond: x, series: 'offered (keeps up)' })),
    ...edges.map((x) => ({
      offered: x,
      eventsPerSecond: Math.round(slowest.eventsPerSecond),
      series: `slowest stage ceiling: ${slowest.stage}`,
    })),
  ];
}

export function latencyRows(r: Pick<BenchResult, 'steps'>): LatencyRow[] {
  const steps = [...r.steps].sort((a, b) => offeredAxis(a) - offeredAxis(b));
  return steps.flatMap((s) =>
    (['p50', 'p95', 'p99'] as const).flatMap((p) => {
      const ms = s.latencyMs[p];
      // A log axis cannot show 0 ms; 1 ms is below anything this pipeline measures anyway.
      return ms === null ? [] : [{ offered: offeredAxis(s), ms: Math.max(1, ms), series: p }];
    }),
  );
}

export function chartSpec(
  r: Pick<BenchResult, 'steps' | 'ceilings' | 'machine' | 'commit' | 'date'>,
): ChartSpec {
  const x = { field: 'offered', type: 'quantitative', title: 'offered events/s' };
  const saturation = saturationPerSecond(r.steps);
  // labelLimit 0: no truncation, the stage's name is the point of the label.
  const legend = { orient: 'bottom', columns: 1, labelLimit: 0 };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Pipeline end to end (npm run bench)',
      subtitle: `${r.date.slice(0, 16).replace('T', ' ')} UTC, commit ${r.commit}, ${r.machine.cores} cores, Node ${r.machine.node}; saturation ${Math.round(saturation)} events/s`,
    },
    background: 'white',
    hconcat: [
      {
        title: 'Throughput: stored vs offered',
        width: 360,
        height: 260,
        data: { values: throughputRows(r) },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'eventsPerSecond', type: 'quantitative', title: 'events/s' },
          // Color and dash on the same field merge into one legend: the reference lines are dashed.
          color: { field: 'series', type: 'nominal', title: null, legend },
          strokeDash: { field: 'series', type: 'nominal', title: null, legend },
        },
      },
      {
        title: 'Latency accept -> stored (log scale)',
        width: 360,
        height: 260,
        layer: [
          {
            data: { values: latencyRows(r) },
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'ms', type: 'quantitative', title: 'ms', scale: { type: 'log' } },
              color: {
                field: 'series',
                type: 'nominal',
                title: null,
                sort: ['p50', 'p95', 'p99'],
                legend: { orient: 'bottom', direction: 'horizontal' },
              },
            },
          },
          {
            data: { values: [{ ms: 1000, label: 'goal: p99 < 1 s at half saturation' }] },
            mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' },
            encoding: { y: { field: 'ms', type: 'quantitative' } },
          },
          {
            data: { values: [{ ms: 1000, label: 'goal: p99 < 1 s at half saturation' }] },
            mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: 'gray' },
            encoding: { y: { field: 'ms', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } },
          },
        ],
      },
    ],
    resolve: { scale: { color: 'independent', strokeDash: 'independent' } },
  };
}

/** Compiles the spec with vega-lite and renders it with vega, headless; both are ES modules. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
