// Measures the local functions host (build first: npx tsc -b). Usage:
//   node local/functions-host/scripts/bench.mjs [--events 5000] [--seconds 5] [--connections 16]
// 1. HTTP: an anonymous function through the host vs a bare Node server answering the same JSON
//    (requests/s and latency with N keep-alive connections for S seconds).
// 2. Event Hubs -> consume -> Cosmos DB: N events put on the emulator's hub, time until all N are
//    documents, and the host process's peak RSS.
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = join(import.meta.dirname, '..');
const { spawnFunctionsHost } = require(join(root, 'dist/src/index.js'));
const {
  provisionContainers,
  provisionCosmosContainer,
  sampleProcess,
  startAzurite,
  startCosmos,
} = require('@pipeline/emulators');
const { startEmulator } = require('@pipeline/eventhubs-emulator');
const { EventHubProducerClient } = require('@azure/event-hubs');
const { CosmosClient } = require('@azure/cosmos');
const {
  CONNECTIONS: SETTING_CONNECTIONS,
  deriveEventId,
  PIPELINE_APP_SETTINGS,
  PIPELINE_NAMES,
} = require('@pipeline/schemas');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '16' },
  },
});
const EVENTS = Number(values.events);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);

async function load(url, seconds, connections) {
  const latencies = [];
  const deadline = Date.now() + seconds * 1000;
  let errors = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) {
        const started = performance.now();
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.status !== 200) errors++;
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(1);
  return `${Math.round(latencies.length / seconds)} req/s, p50 ${pct(50)} ms, p99 ${pct(99)} ms, ${errors} errors`;
}

// /proc on Linux; macOS tells no other process's peak, so the figure says so.
const peakRss = (pid) => {
  const peak = sampleProcess(pid)?.peakRssMb;
  return peak === undefined ? 'unavailable on this system' : `${Math.round(peak)} MB`;
};

const work = mkdtempSync(join(tmpdir(), 'functions-host-bench-'));
const [azurite, cosmos, hub] = await Promise.all([
  startAzurite({ port: 0 }),
  startCosmos({ port: 0 }),
  startEmulator({
    port: 0,
    config: {
      eventHubs: [
        { name: PIPELINE_NAMES.eventHub, partitionCount: 2, consumerGroups: [PIPELINE_NAMES.consumerGroup] },
      ],
    },
    logLevel: 'warn',
    logger: () => {},
  }),
]);
await provisionContainers(azurite.connectionString);
const cosmosClient = new CosmosClient({
  endpoint: cosmos.endpoint,
  key: 'local',
  connectionPolicy: { enableEndpointDiscovery: false },
});
const container = await provisionCosmosContainer(cosmosClient);
const database = container.database;
const settingsPath = join(work, 'local.settings.json');
writeFileSync(
  settingsPath,
  JSON.stringify({
    Values: {
      [SETTING_CONNECTIONS.hostStorage]: azurite.connectionString,
      [SETTING_CONNECTIONS.storage]: azurite.connectionString,
      [SETTING_CONNECTIONS.cosmos]: cosmos.connectionString,
      [SETTING_CONNECTIONS.eventHub]: hub.connectionString(),
      ...PIPELINE_APP_SETTINGS,
    },
    FunctionKeys: { default: 'bench' },
  }),
);

const bare = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ finished: true }));
});
await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve));
const echo = await spawnFunctionsHost({
  appEntry: join(root, 'test/fixtures/echo-app/index.js'),
  settingsFile: settingsPath,
  port: 0,
});
console.log(`HTTP, ${CONNECTIONS} connections, ${SECONDS} s:`);
console.log(
  `  bare Node server:        ${await load(`http://127.0.0.1:${bare.address().port}/`, SECONDS, CONNECTIONS)}`,
);
console.log(`  host, anonymous function: ${await load(`${echo.url}/api/slow?ms=0`, SECONDS, CONNECTIONS)}`);
console.log(`  host process peak RSS: ${peakRss(echo.pid)}`);
await echo.stop();
bare.close();

// The ceiling of the slowest stage: the Cosmos DB server's upserts from a plain client, 16 at a time
// (the host's output binding concurrency), on a container of its own.
const { container: ceiling } = await database.containers.createIfNotExists({
  id: 'ceiling',
  partitionKey: { paths: [PIPELINE_NAMES.partitionKey] },
});
const ceilingStarted = performance.now();
let nextDoc = 0;
await Promise.all(
  Array.from({ length: 16 }, async () => {
    while (nextDoc < EVENTS) {
      const n = nextDoc++;
      await ceiling.items.upsert({ id: `doc-${n}`, n, text: `Harvey update ${n}` });
    }
  }),
);
const ceilingRate = Math.round(EVENTS / ((performance.now() - ceilingStarted) / 1000));

const invocations = [];
const host = await spawnFunctionsHost({
  appEntry: join(root, '../../functions/dist/src/index.js'),
  settingsFile: settingsPath,
  port: 0,
  onLine: (line) => {
    const match =
      /Executed 'Functions\.consume' \(Succeeded, Id=\S+, Duration=(\d+)ms\) partition \d+, (\d+) events/.exec(
        line,
      );
    if (match) invocations.push({ ms: Number(match[1]), events: Number(match[2]) });
  },
});
const producer = new EventHubProducerClient(hub.connectionString(), PIPELINE_NAMES.eventHub);
const sendStarted = performance.now();
let batch = await producer.createBatch();
for (let n = 0; n < EVENTS; n++) {
  const source = {
    tweetId: String(901234567890000000n + BigInt(n)),
    createdAt: '2017-08-25T20:05:00Z',
    text: `Harvey update ${n}`,
  };
  const id = deriveEventId(source);
  const body = {
    schemaVersion: 2,
    id,
    ...source,
    retweets: 1,
    replies: 2,
    likes: 3,
    rawBlob: `2017/08/25/${id}${id}.ndjson`,
    rawLine: 0,
    ingestedAt: new Date().toISOString(),
  };
  if (!batch.tryAdd({ body })) {
    await producer.sendBatch(batch);
    batch = await producer.createBatch();
    batch.tryAdd({ body });
  }
}
if (batch.count > 0) await producer.sendBatch(batch);
const sentMs = performance.now() - sendStarted;
for (;;) {
  const { resources } = await container.items.query('SELECT VALUE COUNT(1) FROM c').fetchAll();
  if (resources[0] >= EVENTS) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const totalMs = performance.now() - sendStarted;
console.log(`Event Hubs -> consume -> Cosmos DB, ${EVENTS} events:`);
console.log(`  ceiling: Cosmos DB server alone, ${ceilingRate} upserts/s (16 in flight)`);
console.log(
  `  sent in ${Math.round(sentMs)} ms; all stored after ${Math.round(totalMs)} ms: ${Math.round(EVENTS / (totalMs / 1000))} events/s end to end`,
);
const busyMs = invocations.reduce((sum, i) => sum + i.ms, 0);
console.log(
  `  ${invocations.length} invocations, ${(EVENTS / invocations.length).toFixed(1)} events each on average, ${Math.round(busyMs / invocations.length)} ms each (handler + Cosmos upserts)`,
);
const ms = invocations.map((i) => i.ms);
console.log(`  invocation ms, first five: ${ms.slice(0, 5).join(' ')}; last five: ${ms.slice(-5).join(' ')}`);
console.log(`  host process peak RSS: ${peakRss(host.pid)}`);
await host.stop();
await producer.close();
cosmosClient.dispose();
await Promise.all([hub.stop(), azurite.stop(), cosmos.stop()]);
rmSync(work, { recursive: true, force: true });
