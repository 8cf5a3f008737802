#!/usr/bin/env node
// `npm run faults`: runs the fault and fuzz scenarios one after another against stacks of their own,
// prints each verdict, and writes the figures to docs/reliability.md and docs/benchmarks/reliability.json.
// Usage: npm run faults [-- --only id,id] [--list]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { currentCommit, machineInfo, REPO_ROOT, writeMarkedSection } from '@pipeline/stack';
import { BEGIN, END, mergeResults, renderSection, type ReliabilityRun } from './report';
import type { ScenarioResult } from './scenario';
import { SCENARIOS } from './scenarios';

const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, list: { type: 'boolean', default: false } },
  });
  if (values.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.id}\t${s.title}\n`);
    return 0;
  }
  const wanted = values.only?.split(',').map((id) => id.trim());
  const unknown = wanted?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) {
    say(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
    return 2;
  }
  const selected = SCENARIOS.filter((s) => !wanted || wanted.includes(s.id));
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    say(`▶ ${scenario.title}`);
    const result = await scenario.run({ say: (line) => say(`  ${line}`) });
    results.push({ ...result, measuredAt: new Date().toISOString(), commit: currentCommit() });
    say(
      `${result.failures.length === 0 ? '✓' : '✗'} ${scenario.id}: ${result.accepted}/${result.offered} accepted, ${result.stored} stored, ${result.lost.length} lost, ${result.duplicated.length} duplicated, ${(result.durationMs / 1000).toFixed(0)} s`,
    );
    for (const failure of result.failures) say(`    ${failure}`);
  }

  const jsonFile = join(REPO_ROOT, 'docs', 'benchmarks', 'reliability.json');
  const previous = existsSync(jsonFile)
    ? (JSON.parse(readFileSync(jsonFile, 'utf8')) as ReliabilityRun)
    : undefined;
  const run: ReliabilityRun = {
    machine: machineInfo(),
    commit: currentCommit(),
    command: wanted ? `npm run faults -- --only ${wanted.join(',')}` : 'npm run faults',
    date: new Date().toISOString(),
    scenarios: mergeResults(
      previous?.scenarios ?? [],
      results,
      SCENARIOS.map((s) => s.id),
    ),
  };
  mkdirSync(join(REPO_ROOT, 'docs', 'benchmarks'), { recursive: true });
  writeFileSync(jsonFile, JSON.stringify(run, null, 2) + '\n');
  const docFile = join(REPO_ROOT, 'docs', 'reliability.md');
  await writeMarkedSection(docFile, renderSection(run), BEGIN, END);
  say('wrote docs/reliability.md and docs/benchmarks/reliability.json');
  return results.every((r) => r.failures.length === 0) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
