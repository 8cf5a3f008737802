/**
 * The Event Hubs trigger end to end, with real processes on loopback: the Event Hubs emulator (AMQP),
 * Azurite (checkpoints, dead letters, raw archive), the Cosmos DB server, and the host CLI running the
 * functions app. Events go in through the host's HTTP ingest or straight onto the hub with the SDK.
 */
import { EventHubConsumerClient, EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { join } from 'node:path';
import { startEmulator, type RunningEmulator } from '@pipeline/eventhubs-emulator';
import {
  FIXTURE_APPS,
  FUNCTIONS_APP,
  NAMES,
  hubEvent,
  listBlobNames,
  pipelineSettings,
  startHost,
  startServices,
  tweet,
  waitFor,
  type Services,
  type SettingsFile,
  writeSettings,
} from './support';
import { functionsBaseUrl, ingestUrl } from '@pipeline/schemas';

type Host = Awaited<ReturnType<typeof startHost>>;

describe('Event Hubs trigger (host process, Event Hubs emulator, Cosmos DB, Azurite)', () => {
  let services: Services;
  let hub: RunningEmulator;
  let settings: SettingsFile;
  let host: Host | undefined;
  let producer: EventHubProducerClient;

  beforeAll(async () => {
    [services, hub] = await Promise.all([
      startServices(),
      startEmulator({
        port: 0,
        config: {
          eventHubs: [{ name: NAMES.hub, partitionCount: 2, consumerGroups: [NAMES.consumerGroup] }],
        },
        logLevel: 'warn',
        logger: () => {},
      }),
    ]);
    settings = writeSettings(pipelineSettings(services, hub.connectionString()));
    producer = new EventHubProducerClient(hub.connectionString(), NAMES.hub);
    host = await startHost(FUNCTIONS_APP, settings.path);
  }, 60_000);

  afterAll(async () => {
    await host?.stop();
    await producer?.close();
    await hub?.stop();
    await services?.stop();
    settings?.remove();
  }, 60_000);

  async function storedIds(): Promise<Set<string>> {
    const { resources } = await services.events().items.query<string>('SELECT VALUE c.id FROM c').fetchAll();
    return new Set(resources);
  }

  async function waitForIds(ids: readonly string[], timeoutMs = 60_000): Promise<void> {
    await waitFor(
      `${ids.length} documents in Cosmos DB`,
      async () => {
        const stored = await storedIds();
        return ids.every((id) => stored.has(id)) ? true : undefined;
      },
      timeoutMs,
      250,
    );
  }

  async function send(bodies: unknown[]): Promise<void> {
    let batch = await producer.createBatch();
    for (const body of bodies) {
      if (!batch.tryAdd({ body })) {
        await producer.sendBatch(batch);
        batch = await producer.createBatch();
        batch.tryAdd({ body });
      }
    }
    if (batch.count > 0) await producer.sendBatch(batch);
  }

  /** Events the host handed to `consume`, from its "Executed ... partition P, N events" lines. */
  const consumedCount = (lines: readonly string[]) =>
    lines
      .map((l) => /Executed 'Functions\.consume' \(Succeeded.*, (\d+) events$/.exec(l)?.[1])
      .reduce((sum, n) => sum + Number(n ?? 0), 0);

  it('carries events posted to the HTTP ingest through the hub into Cosmos DB', async () => {
    const events = Array.from({ length: 30 }, (_, i) => tweet(10_000 + i));
    const response = await fetch(ingestUrl(functionsBaseUrl(host!.url)), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': settings.functionKey },
      body: JSON.stringify(events),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ accepted: 30 });
    await waitForIds(events.map((e) => e.id));
    const { resource } = await services
      .events()
      .item(events[7]!.id, events[7]!.id)
      .read<Record<string, unknown>>();
    expect(resource).toMatchObject({
      id: events[7]!.id,
      tweetId: events[7]!.tweetId,
      rawBlob: expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/[0-9a-f]{64}\.ndjson$/) as unknown,
      rawLine: 7,
      partitionId: expect.stringMatching(/^[01]$/) as unknown,
      sequenceNumber: expect.any(Number) as unknown,
    });
  }, 120_000);

  it('stores every event of batches larger than maxEventBatchSize, and dead-letters a poison message', async () => {
    const events = Array.from({ length: 250 }, (_, i) => hubEvent(20_000 + i));
    await send([...events.slice(0, 120), Buffer.from('this is not JSON'), ...events.slice(120)]);
    await waitForIds(events.map((e) => e.id));
    const deadLetters = await waitFor('the dead letter', async () => {
      const names = await listBlobNames(services.blobs, 'dead-letters');
      return names.length > 0 ? names : undefined;
    });
    expect(deadLetters).toHaveLength(1);
    const letter = JSON.parse(
      (
        await services.blobs
          .getContainerClient('dead-letters')
          .getBlobClient(deadLetters[0]!)
          .downloadToBuffer()
      ).toString(),
    ) as { reason: string; message: unknown; position: { eventHubName: string } };
    expect(letter).toMatchObject({ message: 'this is not JSON', position: { eventHubName: NAMES.hub } });
    expect(letter.reason).toMatch(/not valid JSON/);
    // host.json says maxEventBatchSize 100: no invocation carried more.
    const sizes = host!.lines.map((l) => Number(/partition \d+, (\d+) events$/.exec(l)?.[1] ?? 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
  }, 120_000);

  it('resumes from its checkpoints after a restart instead of reprocessing from the start', async () => {
    const before = host!;
    await before.stop();
    const consumedBefore = consumedCount(before.lines);
    expect(consumedBefore).toBeGreaterThanOrEqual(281);
    const events = Array.from({ length: 12 }, (_, i) => hubEvent(30_000 + i));
    await send(events);
    host = await startHost(FUNCTIONS_APP, settings.path);
    await waitForIds(events.map((e) => e.id));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // anything else would arrive by now
    expect(consumedCount(host.lines)).toBe(12);
  }, 120_000);

  it('after SIGKILL, a new host takes the partitions over and every event lands exactly once', async () => {
    await host!.kill();
    const events = Array.from({ length: 40 }, (_, i) => hubEvent(40_000 + i));
    await send(events);
    host = await startHost(FUNCTIONS_APP, settings.path);
    // The killed host's partition ownership expires after 10 s; then the new host claims them.
    await waitForIds(
      events.map((e) => e.id),
      45_000,
    );
    const { resources } = await services
      .events()
      .items.query<number>('SELECT VALUE COUNT(1) FROM c')
      .fetchAll();
    expect(resources[0]).toBe(30 + 250 + 12 + 40);
  }, 150_000);

  it('retries while Cosmos DB is down and skips nothing once it is back', async () => {
    await services.stopCosmos();
    const events = Array.from({ length: 60 }, (_, i) => hubEvent(50_000 + i));
    await send(events);
    await waitFor('a failed invocation and a scheduled retry', () =>
      host!.lines.some((l) => /consume <- tweets\/cosmos-writer: retry \d+ of partition/.test(l))
        ? true
        : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // The server keeps data in memory only: it comes back empty and is provisioned again.
    await services.restartCosmos();
    await waitForIds(
      events.map((e) => e.id),
      90_000,
    );
    expect(host!.lines.some((l) => l.includes("Executed 'Functions.consume' (Failed"))).toBe(true);
  }, 150_000);

  // Flex Consumption scales the HTTP functions as one group and the consumer alone (scale-groups.ts):
  // the stack runs one process per group, and neither may do the other's work.
  it('runs one scale group per process: the http instance ingests only, the function:consume instance consumes only', async () => {
    await host!.stop();
    host = undefined;
    const http = await startHost(FUNCTIONS_APP, settings.path, { scaleGroup: 'http' });
    const consumer = await startHost(FUNCTIONS_APP, settings.path, { scaleGroup: 'function:consume' });
    try {
      expect([http.scaleGroup, consumer.scaleGroup]).toEqual(['http', 'function:consume']);
      expect(http.appScaleGroups).toEqual(['http', 'function:consume']);
      const events = Array.from({ length: 20 }, (_, i) => tweet(60_000 + i));
      const post = (base: string) =>
        fetch(ingestUrl(functionsBaseUrl(base)), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-functions-key': settings.functionKey },
          body: JSON.stringify(events),
        });
      expect((await post(consumer.url)).status).toBe(404);
      expect((await post(http.url)).status).toBe(202);
      await waitForIds(events.map((e) => e.id));
      expect(consumedCount(consumer.lines)).toBe(20);
      expect(http.lines.filter((l) => l.includes("'Functions.consume'"))).toEqual([]);
      expect(consumer.lines.filter((l) => l.includes("'Functions.ingest'"))).toEqual([]);
    } finally {
      await Promise.all([http.stop(), consumer.stop()]);
    }
  }, 120_000);
});

describe('Event Hubs trigger with cardinality one, binary data, blob and Event Hubs outputs (fixture app)', () => {
  let services: Services;
  let hub: RunningEmulator;
  let settings: SettingsFile;
  let host: Host | undefined;

  beforeAll(async () => {
    [services, hub] = await Promise.all([
      startServices(),
      startEmulator({
        port: 0,
        config: {
          eventHubs: [
            { name: 'inbox', partitionCount: 1 },
            { name: 'outbox', partitionCount: 1 },
          ],
        },
        logLevel: 'warn',
        logger: () => {},
      }),
    ]);
    await services.blobs.getContainerClient('relayed').createIfNotExists();
    settings = writeSettings({
      AzureWebJobsStorage: services.azurite.connectionString,
      EventHub: hub.connectionString(),
      RELAY_CONTAINER: 'relayed',
    });
    host = await startHost(join(FIXTURE_APPS, 'relay-app/index.js'), settings.path);
  }, 60_000);

  afterAll(async () => {
    await host?.stop();
    await hub?.stop();
    await services?.stop();
    settings?.remove();
  }, 60_000);

  it('invokes once per event with its bytes and metadata, and applies the blob and Event Hubs outputs', async () => {
    const producer = new EventHubProducerClient(hub.connectionString(), 'inbox');
    const bodies = ['first', 'second', 'third'].map((text) => Buffer.from(text));
    await producer.sendBatch(bodies.map((body) => ({ body })));
    await producer.close();

    const relayed: Record<string, unknown>[] = [];
    const consumer = new EventHubConsumerClient('$Default', hub.connectionString(), 'outbox');
    const subscription = consumer.subscribe(
      {
        processEvents: (events) => {
          relayed.push(...events.map((e) => e.body as Record<string, unknown>));
          return Promise.resolve();
        },
        processError: () => Promise.resolve(),
      },
      { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 },
    );
    try {
      await waitFor('three relayed events', () => (relayed.length >= 3 ? true : undefined), 60_000);
    } finally {
      await subscription.close();
      await consumer.close();
    }
    expect(relayed).toEqual([
      {
        bytes: 5,
        isBuffer: true,
        text: 'first',
        sequenceNumber: 0,
        partitionId: '0',
        consumerGroup: '$Default',
      },
      {
        bytes: 6,
        isBuffer: true,
        text: 'second',
        sequenceNumber: 1,
        partitionId: '0',
        consumerGroup: '$Default',
      },
      {
        bytes: 5,
        isBuffer: true,
        text: 'third',
        sequenceNumber: 2,
        partitionId: '0',
        consumerGroup: '$Default',
      },
    ]);
    const blobs = await listBlobNames(services.blobs, 'relayed');
    expect(blobs).toHaveLength(3);
    const contents = await Promise.all(
      blobs.map(async (name) =>
        (
          await services.blobs.getContainerClient('relayed').getBlobClient(name).downloadToBuffer()
        ).toString(),
      ),
    );
    expect(contents.sort()).toEqual(['first', 'second', 'third']);
    expect(host!.lines.filter((l) => l.includes("Executed 'Functions.relay' (Succeeded")).length).toBe(3);
  }, 90_000);
});
