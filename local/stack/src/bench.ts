#!/usr/bin/env node
// `npm run bench`: the pipeline's throughput and latency on this machine, with the ceilings of its
// slowest stages measured in the same run so the ratios hold on a noisy machine. Writes a section of
// docs/performance.md and docs/benchmarks/pipeline.json. Usage: npm run bench [-- --step-seconds 10]
import { execSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BlobServiceClient } from '@azure/storage-blob';
import { EventHubProducerClient } from '@azure/event-hubs';
import { startEmulator } from '@pipeline/eventhubs-emulator';
import { replay } from '@pipeline/producer';
import type { TweetEvent } from '@pipeline/schemas';
import { startStack, type RunningStack } from './launcher';
import { paths, REPO_ROOT } from './paths';
import { PIPELINE_NAMES } from './provision';
import { sampleProcess } from './process-stats';
import { nearestRank, storeLatencies, waitForStored } from './summary';

interface StepResult {
  readonly offeredPerSecond: number | null;
  readonly events: number;
  readonly acceptedPerSecond: number;
  readonly errors: number;
  readonly latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  readonly stored: number;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Runs `op` with `concurrency` workers for `seconds` and returns operations per second. */
async function sustained(
  seconds: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  const begin = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await op(done++);
    }),
  );
  return done / ((Date.now() - begin) / 1000);
}

/** Sample events with fresh, unique ids for one step, so each step's documents are its own. */
function eventsForStep(base: readonly TweetEvent[], step: string, count: number): TweetEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const event = base[i % base.length]!;
    return { ...event, id: createHash('sha256').update(`${step}/${i}`).digest('hex').slice(0, 32) };
  });
}

async function bareServerCeiling(base: readonly TweetEvent[], events: number): Promise<number> {
  const server = createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end('{"accepted":0,"ids":[]}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const report = await replay({
    input: eventsForStep(base, 'bare', events),
    url: `http://127.0.0.1:${port}/api`,
    concurrency: 8,
    batchSize: 50,
  });
  server.close();
  return report.throughput.eventsPerSecond;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'step-seconds': { type: 'string', default: '10' },
      rates: { type: 'string', default: '20,40,80,160,0' },
    },
  });
  const stepSeconds = Number(values['step-seconds']);
  const rates = values.rates.split(',').map(Number);
  const base = readFileSync(paths.sampleEvents, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TweetEvent);
  const eventBytes = Math.round(
    base.reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0) / base.length,
  );
  const work = mkdtempSync(join(tmpdir(), 'pipeline-bench-'));
  let stack: RunningStack | undefined;
  try {
    say('starting the stack (in memory, ephemeral ports)...');
    stack = await startStack({
      ports: { gateway: 0, functions: 0, blob: 0, cosmos: 0, eventHubs: 0 },
      dataDir: join(work, 'data'),
      inMemory: true,
      appEntry: paths.functionsApp,
      policiesDir: paths.policiesDir,
      say,
    });
    const running = stack;
    const pids = {
      gateway: running.gateway.pid!,
      functions: running.functions.pid,
      azurite: running.storage.azurite.pid,
      cosmos: running.storage.cosmos.pid,
      eventHubs: running.eventHubs.pid,
    };

    say('measuring stage ceilings...');
    const blob = BlobServiceClient.fromConnectionString(
      running.storage.azurite.connectionString,
    ).getContainerClient('bench');
    await blob.createIfNotExists();
    const payload = randomBytes(12 * 1024);
    const azuritePuts = await sustained(5, 16, (i) => blob.getBlockBlobClient(`b/${i}`).uploadData(payload));
    const cosmosDb = running.eventsContainer().database;
    const { container: benchContainer } = await cosmosDb.containers.createIfNotExists({
      id: 'bench',
      partitionKey: { paths: ['/id'] },
    });
    const doc = { ...base[0]!, image: undefined, rawBlob: 'x', ingestedAt: new Date().toISOString() };
    const cosmosUpserts = await sustained(5, 16, (i) => benchContainer.items.upsert({ ...doc, id: `d${i}` }));
    // A separate emulator instance: events sent to the stack's hub would reach the consumer and
    // delay the pipeline steps behind them.
    const separateHub = await startEmulator({ port: 0, logLevel: 'error' });
    const hub = new EventHubProducerClient(separateHub.connectionString(), PIPELINE_NAMES.eventHub);
    const hubEvent = { ...doc, id: 'x'.repeat(32) };
    const hubSends =
      (await sustained(5, 4, async () => {
        const batch = await hub.createBatch();
        for (let i = 0; i < 100; i++) batch.tryAdd({ body: hubEvent });
        await hub.sendBatch(batch);
      })) * 100;
    await hub.close();
    await separateHub.stop();
    const bare = await bareServerCeiling(base, 3000);
    const ceilings = {
      bareHttp202EventsPerSecond: bare,
      azuriteBlobPutsPerSecond: azuritePuts,
      // Ingest writes two blobs per event (the raw event, and its image unless already stored).
      azuriteEventsPerSecond: azuritePuts / 2,
      cosmosUpsertsPerSecond: cosmosUpserts,
      eventHubsSendEventsPerSecond: hubSends,
    };
    say(`ceilings: ${JSON.stringify(ceilings)}`);

    const steps: StepResult[] = [];
    const cpuBefore = Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => [k, sampleProcess(pid)?.cpuSeconds ?? 0]),
    );
    const pipelineBegan = Date.now();
    for (const rate of rates) {
      const count = rate > 0 ? rate * stepSeconds : 3000;
      const stepEvents = eventsForStep(base, `rate-${rate}-${Date.now()}`, count);
      say(`step: ${rate > 0 ? `${rate} events/s` : 'unlimited'}, ${count} events...`);
      const began = Date.now();
      const report = await replay({
        input: stepEvents,
        url: running.urls.ingest,
        subscriptionKey: running.secrets.subscription.primaryKey,
        basicUser: running.secrets.basicAuth.user,
        basicPassword: running.secrets.basicAuth.password,
        rate: rate > 0 ? rate : undefined,
        concurrency: 16,
        batchSize: 25,
        maxRetries: 10,
      });
      const stored = await waitForStored(running.eventsContainer(), report.acceptedIds, {
        timeoutMs: 180_000,
      });
      const seconds = (Date.now() - began) / 1000;
      const latencies = storeLatencies(stored);
      const result: StepResult = {
        offeredPerSecond: rate > 0 ? rate : null,
        events: count,
        acceptedPerSecond: Math.round((stored.length / seconds) * 10) / 10,
        errors: report.events.failed + report.events.rejected,
        latencyMs: {
          p50: nearestRank(latencies, 50),
          p95: nearestRank(latencies, 95),
          p99: nearestRank(latencies, 99),
          max: latencies.at(-1) ?? null,
        },
        stored: stored.length,
      };
      steps.push(result);
      say(`  ${JSON.stringify(result)}`);
    }
    const pipelineSeconds = (Date.now() - pipelineBegan) / 1000;
    const processes = Object.fromEntries(
      Object.entries(pids).map(([name, pid]) => {
        const sample = sampleProcess(pid);
        return [
          name,
          {
            peakRssMb: sample ? Math.round(sample.peakRssMb) : null,
            cpuShare: sample
              ? Math.round(((sample.cpuSeconds - cpuBefore[name]!) / pipelineSeconds) * 100) / 100
              : null,
          },
        ];
      }),
    );
    const slowest = Math.min(azuritePuts / 2, cosmosUpserts, hubSends, bare);
    const best = Math.max(...steps.map((s) => s.acceptedPerSecond));
    const result = {
      machine: {
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        load: readFileSync('/proc/loadavg', 'utf8').trim(),
      },
      commit: execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT, encoding: 'utf8' }).trim(),
      command: 'npm run bench',
      dataset: `producer/sample/events.ndjson (300 events with images, ~${eventBytes} bytes each), re-keyed per step`,
      date: new Date().toISOString(),
      ceilings,
      steps,
      processes,
      ratios: { pipelineOverSlowestCeiling: Math.round((best / slowest) * 100) / 100 },
    };
    mkdirSync(join(REPO_ROOT, 'docs', 'benchmarks'), { recursive: true });
    writeFileSync(
      join(REPO_ROOT, 'docs', 'benchmarks', 'pipeline.json'),
      JSON.stringify(result, null, 2) + '\n',
    );
    writeSection(result);
    say('wrote docs/benchmarks/pipeline.json and the pipeline section of docs/performance.md');
  } finally {
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const BEGIN = '<!-- pipeline-bench:begin -->';
const END = '<!-- pipeline-bench:end -->';

function writeSection(r: {
  machine: { cores: number; memoryGiB: number; node: string; load: string };
  commit: string;
  dataset: string;
  date: string;
  ceilings: Record<string, number>;
  steps: StepResult[];
  processes: Record<string, { peakRssMb: number | null; cpuShare: number | null }>;
  ratios: { pipelineOverSlowestCeiling: number };
}): void {
  const n = (v: number | null) => (v === null ? '—' : String(Math.round(v)));
  const lines = [
    BEGIN,
    '## The pipeline end to end (`npm run bench`)',
    '',
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC at commit \`${r.commit}\` on ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node} (load average at the end: ${r.machine.load.split(' ').slice(0, 3).join(' ')}). Dataset: ${r.dataset}. Producer -> gateway (every policy) -> functions host (ingest) -> Azurite + Event Hubs emulator -> functions host (consume) -> Cosmos DB emulator, each in its own process.`,
    '',
    '| stage ceiling (alone, same run) | per second |',
    '| --- | --- |',
    ...Object.entries(r.ceilings).map(([k, v]) => `| ${k} | ${n(v)} |`),
    '',
    '| offered events/s | events | stored events/s | errors | latency p50 (ms) | p95 | p99 | max |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.steps.map(
      (s) =>
        `| ${s.offeredPerSecond ?? 'unlimited'} | ${s.events} | ${s.acceptedPerSecond} | ${s.errors} | ${n(s.latencyMs.p50)} | ${n(s.latencyMs.p95)} | ${n(s.latencyMs.p99)} | ${n(s.latencyMs.max)} |`,
    ),
    '',
    "Latency is accept (ingest) -> document produced by the consumer, from the documents' own timestamps.",
    '',
    '| process | peak RSS (MB) | CPU share during the steps |',
    '| --- | --- | --- |',
    ...Object.entries(r.processes).map(([k, v]) => `| ${k} | ${n(v.peakRssMb)} | ${v.cpuShare ?? '—'} |`),
    '',
    `Best stored throughput / slowest stage ceiling (in events/s; Azurite counts two blob writes per event): **${r.ratios.pipelineOverSlowestCeiling}** (goal ≥ 0.7).`,
    END,
  ];
  const file = join(REPO_ROOT, 'docs', 'performance.md');
  const current = readFileSync(file, 'utf8');
  const section = lines.join('\n');
  const next = current.includes(BEGIN)
    ? current.replace(new RegExp(`${BEGIN}[\\s\\S]*${END}`), section)
    : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
