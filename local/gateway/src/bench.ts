#!/usr/bin/env node
/**
 * Benchmark: throughput and latency of POST /ingest/events through the gateway (every repository
 * policy active, schema validation included) versus the same bare 202 backend hit directly, in one run.
 *
 *   npm run -w local/gateway bench -- [--duration 10] [--connections 16] [--events 1] [--rate N] [--policies DIR] [--json]
 *
 * Without --rate each connection sends back to back (maximum throughput); with --rate N requests are
 * sent at N per second and latency is counted from when each was due (the added-latency figure).
 *
 * The backend and the gateway each run in their own process (as in the local stack); this process
 * drives the load over keep-alive connections on 127.0.0.1. Rate-limit and quota figures are raised
 * in a temporary copy of policies/ so the benchmark measures their cost, not their refusals.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import {
  apiBaseUrl,
  APIM_NAMES,
  deriveEventId,
  functionsBaseUrl,
  ingestUrl,
  POLICY_FILE_NAMES,
} from '@pipeline/schemas';
import { createLocalGatewayConfig, NAMED_VALUES } from './config';
import { startGateway } from './gateway';

const repoPolicies = resolve(__dirname, '../../../../policies');

interface Role {
  role: 'backend' | 'gateway';
  backendUrl?: string;
  policiesDir?: string;
  config?: ReturnType<typeof createLocalGatewayConfig>;
}

async function child(role: Role): Promise<void> {
  let url: string;
  if (role.role === 'backend') {
    const body = JSON.stringify({ accepted: 1, ids: ['0'.repeat(32)] });
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = functionsBaseUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } else {
    const gateway = await startGateway({
      port: 0,
      policiesDir: role.policiesDir!,
      backendUrl: role.backendUrl!,
      namedValues: role.config!.namedValues,
      subscriptions: role.config!.subscriptions,
      // The log line is built and serialized as in normal operation, then dropped.
      logger: (line) => void JSON.stringify(line),
    });
    url = gateway.url;
  }
  process.on('SIGINT', () => process.exit(0));
  process.on('message', (message) => {
    if (message === 'cpu') process.send!({ cpu: process.cpuUsage() });
  });
  process.send!({ url });
}

interface ChildProcessHandle {
  url: string;
  /** CPU time the process has used so far, in ms (user, system). */
  cpuMs(): Promise<{ user: number; system: number }>;
  kill(signal?: NodeJS.Signals): void;
}

function spawnRole(role: Role): Promise<ChildProcessHandle> {
  return new Promise((done, fail) => {
    // BENCH_PROFILE=<dir> writes a CPU profile of the gateway process there (node --cpu-prof).
    const profile =
      role.role === 'gateway' && process.env.BENCH_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
        : [];
    const process_ = fork(__filename, ['--child', JSON.stringify(role)], {
      stdio: 'inherit',
      execArgv: [...process.execArgv, ...profile],
    });
    const cpuMs = () =>
      new Promise<{ user: number; system: number }>((reply) => {
        const onMessage = (message: { cpu?: NodeJS.CpuUsage }) => {
          if (!message.cpu) return;
          process_.off('message', onMessage);
          reply({ user: message.cpu.user / 1000, system: message.cpu.system / 1000 });
        };
        process_.on('message', onMessage);
        process_.send('cpu');
      });
    process_.once('message', (message: { url: string }) =>
      done({ url: message.url, cpuMs, kill: (signal) => process_.kill(signal) }),
    );
    process_.once('exit', (code) => fail(new Error(`${role.role} exited with ${code}`)));
  });
}

/** One ~12 KB valid event: a tweet with a ~9 KB image, as the producer sends them. */
function sampleEvent(index: number): Record<string, unknown> {
  const tweetId = String(901000000000000000n + BigInt(index));
  const createdAt = '2017-08-25T20:05:00Z';
  const text = `Flooding reported near the bayou, stay safe #HurricaneHarvey ${index}`;
  return {
    schemaVersion: 1,
    id: deriveEventId({ tweetId, createdAt, text }),
    tweetId,
    createdAt,
    text,
    retweets: 12,
    replies: 3,
    likes: 40,
    image: {
      label: 'damage',
      longitude: -95.3698,
      latitude: 29.7604,
      contentType: 'image/jpeg',
      data: randomBytes(8800).toString('base64'),
    },
  };
}

interface RunResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
}

async function load(
  url: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  seconds: number,
  connections: number,
  rate?: number,
): Promise<RunResult> {
  const origin = new URL(url).origin;
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  /** One request; latency counts from when it was due, so a stalled server cannot hide its backlog. */
  const one = async (due: number) => {
    try {
      const response = await pool.request({ path, method: 'POST', headers, body });
      await response.body.dump();
      latencies.push(performance.now() - due);
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
    } catch {
      errors += 1;
    }
  };
  if (rate === undefined) {
    // Closed loop: each connection sends its next request as soon as the previous one is answered.
    const worker = async () => {
      while (performance.now() < deadline) await one(performance.now());
    };
    await Promise.all(Array.from({ length: connections }, worker));
  } else {
    // Open loop at a fixed rate (autocannon-style coordinated-omission correction).
    const total = Math.floor(rate * seconds);
    const inFlight: Promise<void>[] = [];
    let sent = 0;
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
        while (sent < due) inFlight.push(one(started + (sent++ * 1000) / rate));
        if (sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    await Promise.all(inFlight);
  }
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    requests: latencies.length,
    errors,
    statuses,
    seconds: elapsed,
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '16' },
      events: { type: 'string', default: '1' },
      rate: { type: 'string' },
      json: { type: 'boolean', default: false },
      policies: { type: 'string', default: repoPolicies },
      child: { type: 'string' },
    },
  });
  if (values.child) return child(JSON.parse(values.child) as Role);
  const seconds = Number(values.duration);
  const warmup = Number(values.warmup);
  const connections = Number(values.connections);
  const count = Number(values.events);
  const rate = values.rate === undefined ? undefined : Number(values.rate);

  const folder = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
  cpSync(resolve(values.policies), folder, { recursive: true });
  const product = join(folder, POLICY_FILE_NAMES.product(APIM_NAMES.product));
  if (existsSync(product))
    writeFileSync(
      product,
      readFileSync(product, 'utf8')
        .replace(/(<rate-limit calls=")\d+/, '$1100000000')
        .replace(/(<quota calls=")\d+(" bandwidth=")\d+/, '$1100000000$2100000000'),
    );
  const config = createLocalGatewayConfig();
  const backend = await spawnRole({ role: 'backend' });
  const gateway = await spawnRole({ role: 'gateway', backendUrl: backend.url, policiesDir: folder, config });
  try {
    const events = Array.from({ length: count }, (_, index) => sampleEvent(index));
    const body = JSON.stringify(count === 1 ? events[0] : events);
    const direct = {
      'content-type': 'application/json',
      'x-functions-key': config.namedValues[NAMED_VALUES.ingestFunctionKey]!,
    };
    const viaGateway = {
      'content-type': 'application/json',
      'ocp-apim-subscription-key': config.subscriptions[0]!.primaryKey,
      authorization: config.namedValues[NAMED_VALUES.basicAuthHeader]!,
    };
    const backendPath = ingestUrl(new URL(backend.url).pathname);
    const gatewayPath = ingestUrl(apiBaseUrl(''));
    await load(backend.url, backendPath, direct, body, warmup, connections);
    await load(gateway.url, gatewayPath, viaGateway, body, warmup, connections);
    const backendCpu0 = await backend.cpuMs();
    const bare = await load(backend.url, backendPath, direct, body, seconds, connections, rate);
    const backendCpu1 = await backend.cpuMs();
    const gatewayCpu1 = await gateway.cpuMs();
    const through = await load(gateway.url, gatewayPath, viaGateway, body, seconds, connections, rate);
    const gatewayCpu2 = await gateway.cpuMs();
    // CPU per request is far less sensitive to a busy machine than requests/s.
    const perRequest = (
      from: { user: number; system: number },
      to: { user: number; system: number },
      requests: number,
    ) => ({
      user: (to.user - from.user) / requests,
      system: (to.system - from.system) / requests,
    });
    const cpuPerRequestMs = {
      backend: perRequest(backendCpu0, backendCpu1, bare.requests),
      gateway: perRequest(gatewayCpu1, gatewayCpu2, through.requests),
    };
    const report = {
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        node: process.version,
        loadAverage: loadavg().map((n) => Number(n.toFixed(2))),
      },
      settings: {
        seconds,
        connections,
        rate: rate ?? 'closed loop',
        eventsPerRequest: count,
        bodyBytes: Buffer.byteLength(body),
      },
      direct: bare,
      gateway: through,
      throughputRatio: through.rps / bare.rps,
      addedLatencyMs: { p50: through.p50 - bare.p50, p99: through.p99 - bare.p99 },
      cpuPerRequestMs,
    };
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else {
      const row = (name: string, r: RunResult) =>
        `${name.padEnd(8)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  (${r.requests} requests, statuses ${JSON.stringify(r.statuses)}, ${r.errors} errors)`;
      process.stdout.write(
        [
          `POST of ${report.settings.bodyBytes} bytes (${count} event(s)), ${connections} connections, ${rate === undefined ? 'closed loop' : `${rate} req/s`}, ${seconds} s each, ${report.machine.cpus} CPUs, Node ${process.version}, load average ${report.machine.loadAverage.join(' ')}`,
          row('direct', bare),
          row('gateway', through),
          `gateway keeps ${(report.throughputRatio * 100).toFixed(1)}% of direct throughput; adds p50 ${report.addedLatencyMs.p50.toFixed(2)} ms, p99 ${report.addedLatencyMs.p99.toFixed(2)} ms`,
          `CPU per request (user + system): backend ${cpuPerRequestMs.backend.user.toFixed(3)} + ${cpuPerRequestMs.backend.system.toFixed(3)} ms, gateway ${cpuPerRequestMs.gateway.user.toFixed(3)} + ${cpuPerRequestMs.gateway.system.toFixed(3)} ms`,
        ].join('\n') + '\n',
      );
    }
  } finally {
    gateway.kill('SIGINT');
    backend.kill();
    rmSync(folder, { recursive: true, force: true });
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
