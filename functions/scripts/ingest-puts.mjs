// Ingest-only measurement: blob PUTs per event and events/s of the ingest function against a real
// Azurite, with the hub left out (publish is a no-op), so the figure is the archive's share alone.
// Usage (after `npx tsc -b functions`):
//   node functions/scripts/ingest-puts.mjs [--events 3000] [--batch 50] [--concurrency 8] [--app functions/dist]
// --app points at a compiled functions tree (dist), so the same script measures another build.
// The events are the sample's (producer/sample/events.ndjson) repeated with distinct texts, so ids
// differ and images repeat as in the dataset (fewer images than tweets).
import { createServer, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '3000' },
    batch: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
    app: { type: 'string', default: join(repo, 'functions', 'dist') },
  },
});
const app = resolve(values.app);
const require = createRequire(join(app, 'src', 'index.js'));
const { provisionContainers, startAzurite } = require('@pipeline/emulators');
const { CONNECTIONS, deriveEventId, PIPELINE_NAMES } = require('@pipeline/schemas');
const { HttpRequest, InvocationContext } = require('@azure/functions');

const sample = readFileSync(join(repo, 'producer', 'sample', 'events.ndjson'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const events = Array.from({ length: Number(values.events) }, (_, i) => {
  const base = sample[i % sample.length];
  const text = `${base.text} #${Math.floor(i / sample.length)}`.slice(0, 280);
  return { ...base, text, id: deriveEventId({ tweetId: base.tweetId, createdAt: base.createdAt, text }) };
});

const azurite = await startAzurite({ port: 0 });
// A counting proxy in front of Azurite: every request the storage client sends, by method and container.
const counts = {};
const target = new URL(azurite.blobEndpoint);
const proxy = createServer((req, res) => {
  const container = decodeURIComponent(req.url.split('?')[0].split('/')[2] ?? '');
  const key = `${req.method} ${container}`;
  counts[key] = (counts[key] ?? 0) + 1;
  const upstream = httpRequest(
    { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  req.pipe(upstream);
});
await new Promise((ok) => proxy.listen(0, '127.0.0.1', ok));
const proxied = `http://127.0.0.1:${proxy.address().port}${target.pathname}`;
process.env[CONNECTIONS.storage] = azurite.connectionString.replace(
  /BlobEndpoint=[^;]+/,
  `BlobEndpoint=${proxied}`,
);

await provisionContainers(azurite.connectionString, [
  PIPELINE_NAMES.containers.raw,
  PIPELINE_NAMES.containers.images,
]);

const { createIngestHandler } = require(join(app, 'src', 'functions', 'ingest.js'));
const { azureIngestSinks } = require(join(app, 'src', 'lib', 'azure-sinks.js'));
const ingest = createIngestHandler(() => ({ ...azureIngestSinks(), publish: async () => {} }));
const context = () => new InvocationContext({ functionName: 'ingest', logHandler: () => {} });

const size = Number(values.batch);
const bodies = [];
for (let i = 0; i < events.length; i += size) bodies.push(JSON.stringify(events.slice(i, i + size)));
let next = 0;
const started = process.hrtime.bigint();
await Promise.all(
  Array.from({ length: Number(values.concurrency) }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const response = await ingest(
        new HttpRequest({
          method: 'POST',
          url: 'http://127.0.0.1/api/events',
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
          body: { string: body },
        }),
        context(),
      );
      if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const puts = Object.entries(counts)
  .filter(([key]) => key.startsWith('PUT '))
  .reduce((sum, [, n]) => sum + n, 0);
console.log(
  JSON.stringify(
    {
      app,
      events: events.length,
      requests: bodies.length,
      batch: size,
      concurrency: Number(values.concurrency),
      distinctImages: new Set(events.map((e) => e.image?.data).filter(Boolean)).size,
      requestsByMethodAndContainer: counts,
      blobPutsPerEvent: Number((puts / events.length).toFixed(3)),
      seconds: Number(seconds.toFixed(2)),
      eventsPerSecond: Math.round(events.length / seconds),
    },
    null,
    2,
  ),
);
proxy.close();
await azurite.stop();
process.exit(0);
