#!/usr/bin/env node
// `npm run bench`: every stage's ceiling and the pipeline end to end at rising offered rates, in ONE
// run on this machine so the ratios hold however noisy it is. Writes docs/benchmarks/pipeline.json,
// docs/benchmarks/pipeline.svg and the marked section of docs/performance.md.
// Usage: npm run bench [-- --step-seconds 10 --rates 20,40,80,160]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../paths';
import { currentCommit, machineInfo, writeMarkedSection } from '../report-files';
import { measureCeilings } from './ceilings';
import { chartSpec, renderSvg } from './chart';
import { evaluateGoals } from './goals';
import { hubBodySizes } from './hub';
import { describeDataset, readDataset } from './load';
import { cpuShares, cpuSnapshot, functionsPids, peakRss } from './processes';
import { deriveRatios, saturationPerSecond } from './ratios';
import { BEGIN, END, renderSection } from './report';
import { withBenchStack } from './bench-stack';
import { halfSaturationRate, runStep, warmUp } from './steps';
import { PIPELINE_WARMUP_EVENTS } from './settings';
import type { BenchResult, HubBytes, ProcessUsage, StepResult } from './types';

const say = (line: string) => process.stderr.write(`${line}\n`);

/** A fixed-rate step that stores less than this share of its offered rate has saturated the pipeline. */
const KEEPS_UP = 0.9;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'step-seconds': { type: 'string', default: '10' },
      rates: { type: 'string', default: '20,40,80,160' },
    },
  });
  const stepSeconds = Number(values['step-seconds']);
  const rates = values.rates.split(',').map(Number);
  const base = readDataset();
  await withBenchStack('pipeline-bench', say, async ({ stack: running, progress: stepProgress, work }) => {
    const pids = {
      gateway: running.gateway.pid!,
      ...functionsPids(running.functions.instances),
      azurite: running.storage.azurite.pid,
      cosmos: running.storage.cosmos.pid,
      eventHubs: running.eventHubs.pid,
      producer: process.pid,
    };

    say('measuring stage ceilings, one at a time...');
    const { ceilings, cpuAlone } = await measureCeilings(running, base, work, say);

    say(
      `warming the pipeline up: ${PIPELINE_WARMUP_EVENTS} events as fast as it takes them (not measured)...`,
    );
    const warmedUp = await warmUp(running, base, PIPELINE_WARMUP_EVENTS, stepProgress);
    const steps: StepResult[] = [];
    const cpuBefore = cpuSnapshot(pids);
    const stepsBegan = Date.now();
    const step = async (kind: StepResult['kind'], rate: number | null) => {
      say(`step ${kind}: ${rate === null ? 'as fast as the gateway answers' : `${rate} events/s`}...`);
      const result = await runStep(running, base, kind, rate, stepSeconds, pids, stepProgress);
      say(`  ${JSON.stringify(result)}`);
      steps.push(result);
      return result;
    };
    for (const rate of rates) {
      const result = await step('rate', rate);
      if (result.storedPerSecond < rate * KEEPS_UP) break; // saturated: higher fixed rates say no more
    }
    await step('unlimited', null);
    // Measured, not inferred: the latency goal is about half the rate this run saturated at.
    await step('half-saturation', halfSaturationRate(saturationPerSecond(steps)));
    const stepsCpu = cpuShares(cpuBefore, cpuSnapshot(pids), (Date.now() - stepsBegan) / 1000);

    say('reading the slim events back from the hub...');
    // Every event on the hub, the warm-up's too: the claim-check goal is about every event. (Reading
    // all of them also began as a workaround for a close that hung mid-stream, fixed in EH-5.)
    const sizes = await hubBodySizes(
      running.eventHubs.connectionString,
      warmedUp + steps.reduce((sum, s) => sum + s.stored, 0),
    );
    const hub: HubBytes = {
      events: sizes.length,
      meanBodyBytes: sizes.length
        ? Math.round((sizes.reduce((a, b) => a + b, 0) / sizes.length) * 10) / 10
        : 0,
      maxBodyBytes: sizes.length ? Math.max(...sizes) : 0,
    };
    const rss = peakRss(pids);
    const processes: Record<string, ProcessUsage> = Object.fromEntries(
      Object.keys(pids).map((name) => [
        name,
        { peakRssMb: rss[name] ?? null, cpuShare: stepsCpu[name] ?? null },
      ]),
    );
    const result: BenchResult = {
      machine: machineInfo(),
      commit: currentCommit(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      dataset: describeDataset(base),
      warmupEvents: PIPELINE_WARMUP_EVENTS,
      date: new Date().toISOString(),
      ceilings,
      ceilingCpu: cpuAlone,
      steps,
      processes,
      hub,
      ratios: deriveRatios(ceilings, steps, hub),
    };
    const goals = evaluateGoals(result);
    const out = join(REPO_ROOT, 'docs', 'benchmarks');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'pipeline.json'), JSON.stringify({ ...result, goals }, null, 2) + '\n');
    writeFileSync(join(out, 'pipeline.svg'), (await renderSvg(chartSpec(result))) + '\n');
    const doc = join(REPO_ROOT, 'docs', 'performance.md');
    await writeMarkedSection(doc, renderSection(result, 'benchmarks/pipeline.svg'), BEGIN, END);
    for (const g of goals)
      say(`${g.met === null ? '?' : g.met ? 'met   ' : 'MISSED'} ${g.goal}: ${g.measured}`);
    say('wrote docs/benchmarks/pipeline.{json,svg} and the pipeline section of docs/performance.md');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
