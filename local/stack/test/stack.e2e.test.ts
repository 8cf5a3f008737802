import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { generateSample, prepare } from '@pipeline/producer';
import { ingestUrl, parseArchive, type TweetEvent } from '@pipeline/schemas';
import { StoreProgress } from '../src/bench/progress';
import { startStack, type RunningStack } from '../src/launcher';
import { paths, REPO_ROOT } from '../src/paths';
import { PIPELINE_NAMES } from '../src/provision';
import { waitForStored } from '../src/summary';
import { replayIntoStack } from '../src/replay';
import { PROBE_CASES, type ProbeReport } from '../../../.github/scripts/src/probe';
import { probeCommand } from '../../../.github/scripts/src/probe-cli';

/**
 * The whole pipeline on loopback, every service in its own process on ephemeral ports: producer ->
 * gateway (the APIM policy files) -> functions host (ingest) -> Azurite + Event Hubs emulator ->
 * functions host (consume) -> Cosmos DB. Asserts on what the stores hold afterwards.
 */
const ALL_EPHEMERAL = { gateway: 0, functions: 0, blob: 0, cosmos: 0, eventHubs: 0 };
const work = mkdtempSync(join(tmpdir(), 'stack-e2e-'));
const quiet = () => undefined;
let stack: RunningStack;
let events: TweetEvent[];
let invalidIds: Set<string>;
let datasetFile: string;

async function blobNames(container: string): Promise<string[]> {
  const names: string[] = [];
  const client = BlobServiceClient.fromConnectionString(
    stack.storage.azurite.connectionString,
  ).getContainerClient(container);
  for await (const blob of client.listBlobsFlat()) names.push(blob.name);
  return names;
}

/** The request archives (one per accepted request) and the event ids on their lines. */
async function rawArchive(): Promise<{ names: string[]; ids: string[] }> {
  const container = BlobServiceClient.fromConnectionString(
    stack.storage.azurite.connectionString,
  ).getContainerClient(PIPELINE_NAMES.containers.raw);
  const names: string[] = [];
  const ids: string[] = [];
  for await (const blob of container.listBlobsFlat()) {
    names.push(blob.name);
    ids.push(...parseArchive(await container.getBlobClient(blob.name).downloadToBuffer()).map((e) => e.id));
  }
  return { names: names.sort(), ids };
}
let archivesAfterFirstReplay: string[] = [];

async function storedIds(): Promise<string[]> {
  const { resources } = await stack
    .eventsContainer()
    .items.query<string>('SELECT VALUE c.id FROM c')
    .fetchAll();
  return resources;
}

beforeAll(async () => {
  // The stack runs the deployment bundle, as Azure would: the run's global setup built it from the
  // current sources (jest/functions-bundle.js), and paths.functionsApp names it.

  // 1,000 events with images from the producer's own generator and prepare step, 10 of them invalid.
  const sampleDir = join(work, 'dataset');
  await generateSample({ out: sampleDir, tweets: 1000, images: 60, seed: 'stack-e2e', distinctTiles: 12 });
  const prepared = join(work, 'prepared.ndjson');
  await prepare({
    tweets: join(sampleDir, 'Hurricane_Harvey.csv'),
    images: join(sampleDir, 'images'),
    out: prepared,
    seed: 'stack-e2e',
  });
  const all = readFileSync(prepared, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as TweetEvent);
  const unique = [...new Map(all.map((e) => [e.id, e])).values()].filter((e) => e.image).slice(0, 1000);
  expect(unique).toHaveLength(1000);
  events = unique.map((event, i) =>
    i % 100 === 7 ? { ...event, image: { ...event.image!, latitude: 95 } } : event,
  );
  invalidIds = new Set(events.filter((_, i) => i % 100 === 7).map((e) => e.id));
  datasetFile = join(work, 'events.ndjson');
  writeFileSync(datasetFile, events.map((e) => JSON.stringify(e)).join('\n') + '\n');

  stack = await startStack({
    ports: ALL_EPHEMERAL,
    dataDir: join(work, 'data'),
    inMemory: true,
    appEntry: paths.functionsApp,
    policiesDir: paths.policiesDir,
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('the local stack, end to end', () => {
  it('stores 990 of 1,000 events, reports the 10 invalid ones with reasons, and dead-letters nothing', async () => {
    const result = await replayIntoStack(stack, {
      input: datasetFile,
      say: quiet,
      preflight: false,
      storeTimeoutMs: 120_000,
    });
    expect(result.report.events).toMatchObject({ read: 1000, accepted: 990, rejected: 10, failed: 0 });
    expect(new Set(result.report.rejected.map((r) => r.id))).toEqual(invalidIds);
    for (const rejected of result.report.rejected) expect(rejected.errors.length).toBeGreaterThan(0);
    expect(result).toMatchObject({ accepted: 990, stored: 990, missing: 0, deadLettered: 0 });

    const expectedIds = events
      .filter((e) => !invalidIds.has(e.id))
      .map((e) => e.id)
      .sort();
    expect((await storedIds()).sort()).toEqual(expectedIds);
    const { resource } = await stack
      .eventsContainer()
      .item(expectedIds[0]!, expectedIds[0])
      .read<Record<string, unknown>>();
    const source = events.find((e) => e.id === expectedIds[0])!;
    expect(resource).toMatchObject({
      id: source.id,
      tweetId: source.tweetId,
      text: source.text,
      createdAt: source.createdAt,
      image: { label: source.image!.label },
    });
    expect(resource).not.toHaveProperty('image.data');

    // One archive per accepted request, every accepted event on exactly one line of one of them.
    const archive = await rawArchive();
    expect(archive.ids.sort()).toEqual(expectedIds);
    expect(archive.names.length).toBeLessThan(990 / 10);
    archivesAfterFirstReplay = archive.names;
    const distinctImages = new Set(events.filter((e) => !invalidIds.has(e.id)).map((e) => e.image!.data));
    expect(await blobNames(PIPELINE_NAMES.containers.images)).toHaveLength(distinctImages.size);
    expect(await blobNames(PIPELINE_NAMES.containers.deadLetters)).toEqual([]);

    // `npm run bench` knows a step is stored from the host's own checkpoints: read under other names,
    // every partition (none is empty now) would stay behind and this would time out false.
    const progress = new StoreProgress({
      eventHubsConnectionString: stack.eventHubs.connectionString,
      storageConnectionString: stack.storage.azurite.connectionString,
    });
    try {
      expect(await progress.waitUntilStored(15_000)).toBe(true);
    } finally {
      await progress.close();
    }
  }, 300_000);

  it('carries slim events on the hub: every one under 1 KB, none with image bytes', async () => {
    const consumer = new EventHubConsumerClient(
      '$Default',
      stack.eventHubs.connectionString,
      PIPELINE_NAMES.eventHub,
    );
    const received: ReceivedEventData[] = [];
    await new Promise<void>((resolve, reject) => {
      const subscription = consumer.subscribe(
        {
          processEvents: async (batch) => {
            received.push(...batch);
            if (received.length >= 990) await subscription.close().then(resolve, reject);
          },
          processError: (error) => Promise.resolve(reject(error)),
        },
        { startPosition: earliestEventPosition, maxBatchSize: 500, maxWaitTimeInSeconds: 1 },
      );
    });
    await consumer.close();
    expect(received.length).toBe(990);
    const sizes = received.map((e) => Buffer.byteLength(JSON.stringify(e.body)));
    expect(Math.max(...sizes)).toBeLessThan(1024);
    expect(received.every((e) => !JSON.stringify(e.body).includes('"data"'))).toBe(true);
  }, 120_000);

  it('is idempotent: replaying the same 1,000 again leaves 990 documents and rewrites the same request archives', async () => {
    const result = await replayIntoStack(stack, {
      input: datasetFile,
      say: quiet,
      preflight: false,
      storeTimeoutMs: 120_000,
    });
    expect(result).toMatchObject({ accepted: 990, stored: 990, missing: 0 });
    expect(await storedIds()).toHaveLength(990);
    // The same requests again (the producer batches by count): the same bytes, so the same names.
    const archive = await rawArchive();
    expect(archive.names).toEqual(archivesAfterFirstReplay);
    expect(archive.ids).toHaveLength(990);
  }, 300_000);

  it("finds an event's raw JSON by its id (npm run raw) through the settings the stack wrote", () => {
    const source = events.find((e) => !invalidIds.has(e.id))!;
    const output = execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, 'functions', 'dist', 'src', 'tools', 'raw-cli.js'),
        source.id,
        '--original',
        '--settings',
        join(work, 'data', 'functions.settings.json'),
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.stringify(JSON.parse(output))).toBe(JSON.stringify(source));
  });

  it('dead-letters a poison event put straight on the hub, and the events around it still land', async () => {
    const producer = new EventHubProducerClient(stack.eventHubs.connectionString, PIPELINE_NAMES.eventHub);
    const extra = events.find((e) => !invalidIds.has(e.id))!;
    const { image: _image, ...noImage } = extra;
    const goodNew = {
      ...noImage,
      schemaVersion: 2,
      id: 'f'.repeat(32),
      rawBlob: `2017/08/25/${'f'.repeat(64)}.ndjson`,
      rawLine: 0,
      ingestedAt: new Date().toISOString(),
    };
    await producer.sendBatch(
      [{ body: Buffer.from('{"this is": not json') }, { body: goodNew, contentType: 'application/json' }],
      { partitionId: '0' },
    );
    await producer.close();

    const deadline = Date.now() + 60_000;
    let letters: string[] = [];
    while (Date.now() < deadline && (letters.length === 0 || !(await storedIds()).includes(goodNew.id))) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      letters = await blobNames(PIPELINE_NAMES.containers.deadLetters);
    }
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatch(/^tweets\/0\/\d+\.json$/);
    const body = await BlobServiceClient.fromConnectionString(stack.storage.azurite.connectionString)
      .getContainerClient(PIPELINE_NAMES.containers.deadLetters)
      .getBlobClient(letters[0]!)
      .downloadToBuffer();
    expect(JSON.parse(body.toString())).toMatchObject({
      reason: expect.stringMatching(/not valid JSON/) as unknown,
    });
    expect(await storedIds()).toContain(goodNew.id);
  }, 120_000);

  it('loses nothing when the functions host is killed mid-replay and restarted', async () => {
    const fresh = events
      .filter((e) => !invalidIds.has(e.id))
      .slice(0, 400)
      .map((e, i) => ({
        ...e,
        tweetId: String(1_000_000 + i),
        id: `${'a'.repeat(24)}${String(i).padStart(8, '0')}`,
      }));
    const file = join(work, 'fresh.ndjson');
    writeFileSync(file, fresh.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const replaying = replayIntoStack(stack, { input: file, say: quiet, rate: 100, storeTimeoutMs: 120_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const killed = stack.functions.instances.map((i) => i.pid);
    await stack.functions.kill();
    await stack.restartFunctions();
    // Every scale group's instance died and came back (Flex Consumption: ingest and consume apart).
    expect(stack.functions.instances.map((i) => i.scaleGroup)).toEqual(['http', 'function:consume']);
    for (const instance of stack.functions.instances) expect(killed).not.toContain(instance.pid);
    const result = await replaying;
    expect(result.report.failed.slice(0, 3)).toEqual([]);
    expect(result.report.events).toMatchObject({ read: 400, accepted: 400, failed: 0 });
    expect(result).toMatchObject({ stored: 400, missing: 0 });
    const ids = await storedIds();
    expect(ids.length).toBe(new Set(ids).size);
    for (const event of fresh) expect(ids).toContain(event.id);
  }, 300_000);

  // Flex Consumption runs the consumer on instances of its own (HOST-8): its crash leaves ingest up.
  it('keeps accepting while the consumer process is down, and stores it all once the consumer is back', async () => {
    const consumer = stack.functions.instances.find((i) => i.scaleGroup === 'function:consume')!;
    process.kill(consumer.pid, 'SIGKILL');
    await waitUntilGone(consumer.pid);
    let restarted = false;
    try {
      const fresh = events
        .filter((e) => !invalidIds.has(e.id))
        .slice(400, 420) // under the API's 100 KB body limit
        .map((e, i) => ({
          ...e,
          tweetId: String(3_000_000 + i),
          id: `${'c'.repeat(24)}${String(i).padStart(8, '0')}`,
        }));
      const response = await fetch(ingestUrl(stack.urls.ingest), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'ocp-apim-subscription-key': stack.secrets.subscription.primaryKey,
          authorization: `Basic ${Buffer.from(`${stack.secrets.basicAuth.user}:${stack.secrets.basicAuth.password}`).toString('base64')}`,
        },
        body: JSON.stringify(fresh),
      });
      expect(`${response.status} ${await response.text()}`).toMatch(/^202 /);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const container = stack.eventsContainer();
      const readWhileDown = await Promise.all(fresh.map((e) => container.item(e.id, e.id).read()));
      expect(readWhileDown.filter((r) => r.statusCode !== 404)).toHaveLength(0);
      const httpPid = stack.functions.pid;
      await stack.restartFunctions('function:consume');
      restarted = true;
      // Only the consumer's process was replaced; the HTTP one served throughout.
      expect(stack.functions.pid).toBe(httpPid);
      expect(stack.functions.instances.map((i) => i.scaleGroup)).toEqual(['http', 'function:consume']);
      const stored = await waitForStored(
        container,
        fresh.map((e) => e.id),
        { timeoutMs: 60_000 },
      );
      expect(stored).toHaveLength(fresh.length);
    } finally {
      // The later suites need a whole stack, whatever failed here.
      if (!restarted) await stack.restartFunctions('function:consume');
    }
  }, 120_000);
});

async function waitUntilGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`process ${pid} still alive after SIGKILL`);
}

describe('the post-deploy smoke test, run against the local stack', () => {
  it('passes with the same script and flags the deploy workflow uses', () => {
    const output = execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, '.github/scripts/dist/src/cli.js'),
        'smoke',
        '--url',
        stack.urls.ingest,
        '--stats-url',
        `${stack.urls.functions}/stats`,
        '--input',
        paths.sampleEvents,
        '--secrets-file',
        join(work, 'data', 'secrets.json'),
        '--json',
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 },
    );
    const result = JSON.parse(output) as { ok: boolean; message: string; ids: string[]; missing: string[] };
    expect(result).toMatchObject({ ok: true, missing: [] });
    expect(result.ids.length).toBeGreaterThan(0);
    expect(result.message).toBe(`all ${result.ids.length} event(s) were accepted and stored`);
  }, 300_000);
});

/**
 * The fidelity probe (issue 20) against the whole twin: gateway -> functions host -> emulators. The
 * deploy workflow runs the same command against Azure after the smoke test; here it pins the twin's
 * answers, so a change to the twin that the probe would report as a difference fails `npm test`.
 * It runs after the smoke test because its burst leaves the subscription throttled for a minute.
 */
describe('the fidelity probe, run against the local stack', () => {
  it('gets the expected answer to every case, stores every event it had accepted, and writes the job summary', async () => {
    const summaryFile = join(work, 'probe-summary.md');
    const reportFile = join(work, 'probe-report.json');
    writeFileSync(summaryFile, '');
    let stderr = '';
    const code = await probeCommand({
      argv: ['--url', stack.urls.ingest, '--report-file', reportFile],
      // The credentials the deploy workflow reads from Key Vault, here the stack's generated ones.
      env: {
        API_SUBSCRIPTION_KEY: stack.secrets.subscription.primaryKey,
        API_BASIC_CREDENTIAL: `${stack.secrets.basicAuth.user}:${stack.secrets.basicAuth.password}`,
        GITHUB_STEP_SUMMARY: summaryFile,
      },
      stdout: new PassThrough(),
      stderr: new PassThrough().on('data', (chunk: Buffer) => (stderr += chunk.toString())),
    });
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ProbeReport;
    const summary = readFileSync(summaryFile, 'utf8');
    // On failure the summary is the readable diff, as the job summary would show it.
    expect({ code, failed: report.ok ? '' : summary, stderr }).toEqual({ code: 0, failed: '', stderr: '' });
    expect(report.cases.map((c) => c.id)).toEqual(PROBE_CASES.map((c) => c.id));
    expect(summary).toContain('the target answers as the twin does');
    expect(report.burst?.statuses['429']).toBeGreaterThan(0);

    // A 202 is a promise: every event an accepted case carried reaches Cosmos DB through Event Hubs
    // and the consume function (the chunked case's included, so its body reached the function).
    const credentials = {
      subscriptionKey: stack.secrets.subscription.primaryKey,
      basicUser: stack.secrets.basicAuth.user,
      basicPassword: stack.secrets.basicAuth.password,
    };
    const acceptedIds = new Set(
      PROBE_CASES.filter((c) => c.expect.status === 202).flatMap((c) => {
        const body = JSON.parse(c.request(credentials).body.toString('utf8')) as unknown;
        return (Array.isArray(body) ? body : [body]).map((event) => (event as { id: string }).id);
      }),
    );
    expect(acceptedIds.size).toBeGreaterThan(100);
    const deadline = Date.now() + 60_000;
    let missing = [...acceptedIds];
    while (missing.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stored = new Set(await storedIds());
      missing = missing.filter((id) => !stored.has(id));
    }
    expect(missing).toEqual([]);
  }, 180_000);
});

describe('the local stack, startup', () => {
  it('fails fast naming the service and the port when a port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      await expect(
        startStack({
          ports: { ...ALL_EPHEMERAL, cosmos: taken },
          dataDir: join(work, 'taken'),
          inMemory: true,
          appEntry: paths.functionsApp,
          policiesDir: paths.policiesDir,
        }),
      ).rejects.toThrow(
        `Port ${taken} for the Cosmos DB emulator is already in use on 127.0.0.1. Stop whatever uses it, or set COSMOS_PORT to another port.`,
      );
    } finally {
      blocker.close();
    }
  });
});
