import { BEGIN, END, mergeResults, renderSection, replaceSection, type ReliabilityRun } from '../src/report';
import type { ScenarioResult } from '../src/scenario';

function result(id: string, overrides: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    id,
    title: `Scenario ${id}`,
    seed: 1,
    offered: 100,
    accepted: 100,
    stored: 100,
    lost: [],
    duplicated: [],
    deadLettered: 0,
    statuses: { '503': 2, '202': 10 },
    hubEvents: 104,
    recoveryMs: 1500,
    durationMs: 42_000,
    peakRssMb: { gateway: 90 },
    notes: ['a note'],
    failures: [],
    ...overrides,
  };
}

const run = (scenarios: ScenarioResult[]): ReliabilityRun => ({
  machine: {
    cores: 2,
    cpuModel: 'test CPU',
    memoryGiB: 24,
    node: 'v20.0.0',
    load: '1.00 2.00 3.00 1/100 42',
  },
  commit: 'abc1234',
  command: 'npm run faults',
  date: '2026-12-02T05:00:00.000Z',
  scenarios,
});

describe('the reliability report', () => {
  it('has one row per scenario with its figures, and its failures in the details', () => {
    const section = renderSection(
      run([result('a'), result('b', { lost: ['x (not in Cosmos DB)'], failures: ['lost: x'] })]),
    );
    expect(section.startsWith(BEGIN) && section.endsWith(END)).toBe(true);
    expect(section).toContain(
      '| Scenario a | 100 | 100 | 100 | 0 | 0 | 0 | 202: 10, 503: 2 | 104 | 1.5 s | 42.0 s | passed |',
    );
    expect(section).toContain('| Scenario b | 100 | 100 | 100 | 1 | 0 | 0 |');
    expect(section).toContain('**failed** (1)');
    expect(section).toContain('- **failure:** lost: x');
    expect(section).toContain(
      'commit `abc1234`, 2 cores (test CPU), 24 GiB, Node v20.0.0 (load average 1.00 2.00 3.00)',
    );
  });

  it('replaces the section between the markers and keeps the rest of the document', () => {
    const doc = `# Title\n\nintro\n\n${BEGIN}\nold\n${END}\n\n## After\n`;
    const next = replaceSection(doc, `${BEGIN}\nnew\n${END}`);
    expect(next).toBe(`# Title\n\nintro\n\n${BEGIN}\nnew\n${END}\n\n## After\n`);
    expect(replaceSection('# Title\n', `${BEGIN}\nnew\n${END}`)).toBe(`# Title\n\n${BEGIN}\nnew\n${END}\n`);
  });

  it('merges a partial run into the previous one in the suite order', () => {
    const merged = mergeResults(
      [result('a'), result('b')],
      [result('b', { stored: 99 }), result('c')],
      ['c', 'a', 'b'],
    );
    expect(merged.map((r) => [r.id, r.stored])).toEqual([
      ['c', 100],
      ['a', 100],
      ['b', 99],
    ]);
  });
});

it('says when nothing was stored after a fault', () => {
  expect(renderSection(run([result('a', { recoveryMs: null })]))).toContain('| — |');
});
