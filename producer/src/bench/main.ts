// The producer's benchmark (`npm run bench:producer`): prepares a generated full-size dataset
// (150,000 tweets, 23,000 images) in a child process, reporting wall time and peak RSS, then replays
// the prepared events against a bare local 202 server in another process, reporting the rates held.
// Figures go to stdout; nothing here asserts a speed (the machine is shared and noisy).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { functionsBaseUrl } from '@pipeline/schemas';
import { generateSample, SAMPLE_CSV_NAME } from '../sample';
import { replay, type ReplayOptions } from '../replay/engine';
import type { ReplayReport } from '../replay/report';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    tweets: { type: 'string', default: '150000' },
    images: { type: 'string', default: '23000' },
    duration: { type: 'string', default: '15' },
  },
});
const tweets = Number(values.tweets);
const images = Number(values.images);
const durationMs = Number(values.duration) * 1000;
const dir = values.dir ?? join(tmpdir(), `producer-bench-${tweets}-${images}`);

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Runs a script in a fresh Node process and returns its last stdout line as JSON. */
function child<T>(script: string, onLine?: (line: string) => void): Promise<{ result: T; kill: () => void }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        onLine?.(line);
        try {
          resolve({ result: JSON.parse(line) as T, kill: () => proc.kill() });
        } catch {
          // not the result line
        }
      }
    });
    proc.on('error', reject);
    proc.on('exit', (code) => (code ? reject(new Error(`child exited ${code}`)) : undefined));
  });
}

async function main(): Promise<void> {
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  log(
    `bench: ${machine}; load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')}`,
  );
  const csv = join(dir, SAMPLE_CSV_NAME);
  if (!existsSync(csv)) {
    log(`bench: generating ${tweets} tweets and ${images} images in ${dir} (once; reused by later runs)`);
    const started = performance.now();
    await generateSample({
      out: dir,
      tweets,
      images,
      seed: 1,
      quality: 90,
      grain: 20,
      distinctTiles: Math.min(images, 300),
      onProgress: (kind, done, total) => log(`  ${kind} ${done}/${total}`),
    });
    log(`bench: generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  const out = join(dir, 'events.ndjson');
  const prepareModule = JSON.stringify(join(__dirname, '..', 'prepare.js'));
  const { result: prepared } = await child<{
    wallMs: number;
    cpuMs: number;
    maxRssMb: number;
    summary: { eventsWritten: number; rowsSkipped: number };
  }>(`
    const { prepare } = require(${prepareModule});
    const started = performance.now();
    const cpu = process.cpuUsage();
    prepare({ tweets: ${JSON.stringify(csv)}, images: ${JSON.stringify(join(dir, 'images'))}, out: ${JSON.stringify(out)} }).then((summary) => {
      console.log(JSON.stringify({ wallMs: Math.round(performance.now() - started), cpuMs: Math.round((process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), summary }));
    });
  `);
  const bytes = (await stat(out)).size;
  const eventBytes = Math.round(bytes / prepared.summary.eventsWritten);
  log(
    `prepare: ${prepared.summary.eventsWritten} events (${(bytes / 1e6).toFixed(0)} MB, ${eventBytes} B/event) in ${(prepared.wallMs / 1000).toFixed(1)} s (${(prepared.cpuMs / 1000).toFixed(1)} CPU-s), ` +
      `peak RSS ${prepared.maxRssMb} MB (goal: < 60 s, < 300 MB)`,
  );

  // The bare server: drains each body and answers 202, in its own process (its own core).
  const { result: server, kill } = await child<{ port: number }>(`
    const http = require('node:http');
    const server = http.createServer((req, res) => {
      req.on('data', () => {});
      req.on('end', () => { res.writeHead(202, { 'content-type': 'application/json' }); res.end('{"accepted":0}'); });
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
  `);
  const url = functionsBaseUrl(`http://127.0.0.1:${server.port}`);
  const runs: { name: string; options: Partial<ReplayOptions> }[] = [
    { name: 'max rate, pre-flight off', options: { preflight: false } },
    { name: 'max rate, pre-flight on', options: { preflight: true } },
    { name: '5,000/s, pre-flight off', options: { preflight: false, rate: 5000 } },
  ];
  const results: Record<string, unknown>[] = [];
  try {
    for (const run of runs) {
      const cpuBefore = process.cpuUsage();
      const report: ReplayReport = await replay({
        input: out,
        url,
        loop: true,
        durationMs,
        batchSize: 100,
        concurrency: 8,
        ...run.options,
      });
      const cpu = process.cpuUsage(cpuBefore);
      const cpuSeconds = (cpu.user + cpu.system) / 1e6;
      const line = {
        run: run.name,
        // Load-independent: what one core of the producer does per second of its own CPU time.
        eventsPerCpuSecond: Math.round(report.events.accepted / cpuSeconds),
        eventsPerSecond: report.throughput.eventsPerSecond,
        megabytesPerSecond: report.throughput.megabytesPerSecond,
        requests: report.requests.total,
        accepted: report.events.accepted,
        failed: report.events.failed,
        latencyMs: report.latencyMs,
      };
      results.push(line);
      log(
        `replay ${run.name}: ${line.eventsPerSecond} events/s (${line.eventsPerCpuSecond} per producer CPU-second), ${line.megabytesPerSecond} MB/s, ${line.requests} requests, ` +
          `latency p50 ${report.latencyMs.p50} ms p99 ${report.latencyMs.p99} ms (goal: >= 5,000 events/s)`,
      );
    }
  } finally {
    kill();
  }
  process.stdout.write(
    JSON.stringify(
      {
        machine,
        dataset: { tweets, images, dir, eventBytes },
        prepare: prepared,
        replay: results,
        replayMaxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      },
      null,
      2,
    ) + '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
