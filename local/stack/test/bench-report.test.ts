import { BEGIN, END, renderSection, replaceSection, saturationCpu } from '../src/bench/report';
import { benchResult } from './bench-fixture';

describe('bench report section (pure)', () => {
  const r = benchResult();
  const section = renderSection(r, 'benchmarks/pipeline.svg');

  it('names the machine, the commit, the dataset and the command', () => {
    expect(section).toContain(
      'commit `abc1234` with `npm run bench` on 2 cores (Test CPU), 24 GiB, Node v20.20.2',
    );
    expect(section).toContain('load average at the end 3.00 2.00 1.00');
    expect(section).toContain('Dataset: producer/sample/events.ndjson (300 events)');
  });

  it('says how many events warmed the pipeline up before the steps, when it was', () => {
    expect(section).not.toContain('Before the steps');
    expect(renderSection({ ...r, warmupEvents: 12_000 }, 'benchmarks/pipeline.svg')).toContain(
      'Before the steps, 12,000 events ran through the whole pipeline as fast as it took them, unmeasured',
    );
  });

  it('links the chart and states every goal with its verdict', () => {
    expect(section).toContain('](benchmarks/pipeline.svg)');
    expect(section).toContain('### Goals (6 of 6 met)');
    expect(section).toContain(
      '| stored events/s at saturation ≥ 50% of the Cosmos DB emulator ceiling (same run) | 54% (150 of 280 upserts/s) | **met** |',
    );
    expect(section).toContain(
      '| functions host CPU ≤ 0.7 ms per stored event at saturation (ingest + consume, all its processes) | 0.6 ms (CPU ms per stored event: functions 0.6, azurite 0.4, producer 0.07) | **met** |',
    );
    expect(section).toContain(
      '| p99 < 1 s at half the saturation rate | 400 ms at 75 events/s offered | **met** |',
    );
  });

  it('has a row per stage ceiling, per step and per process', () => {
    expect(section).toContain('| Event Hubs receive | 12,000 |');
    expect(section).toContain(
      '| unlimited | unlimited | 180 | 150 | 3000 | 0 | 5,000 | 8,000 | 9,000 | 9,500 | 1.95 |',
    );
    expect(section).toContain('| half saturation | 75 |');
    expect(section).toContain('| producer | 180 | 0.1 | 0.1 | 0.07 |');
  });

  it('says who used the CPU at saturation, and the ratios', () => {
    expect(saturationCpu(r)).toEqual([
      ['functions', 0.9],
      ['azurite', 0.6],
      ['producer', 0.1],
    ]);
    expect(section).toContain(
      'together used 1.60 of 2 cores while the machine as a whole was busy 1.95 cores',
    );
    // 1.6 cores / 150 events/s = 10.7 ms per event; 2 cores / 10.67 ms = 187.5, just under.
    expect(section).toContain('10.7 ms of CPU per stored event');
    expect(section).toContain('bound it near 187 events/s');
    expect(section).toContain('Azurite alone did 8 blob PUTs/s (it used 0.95 cores alone)');
    expect(section).toContain('one archive blob per request of 25');
    expect(section).toContain('Gateway / bare backend: **0.2** (2,000 vs 10,000 events/s');
    expect(section).toContain('Hub bytes per event: **619**');
  });

  it('replaces only what is between the markers, or appends the section', () => {
    const doc = `# Performance\n\nbefore\n\n${BEGIN}\nold\n${END}\n\nafter\n`;
    const next = replaceSection(doc, `${BEGIN}\nnew\n${END}`);
    expect(next).toBe(`# Performance\n\nbefore\n\n${BEGIN}\nnew\n${END}\n\nafter\n`);
    expect(replaceSection('# Performance\n', `${BEGIN}\nnew\n${END}`)).toBe(
      `# Performance\n\n${BEGIN}\nnew\n${END}\n`,
    );
  });
});
