/**
 * The Event Hubs trigger's delivery, in process: the real functions app (tsc output) registered through
 * this host's `@azure/functions-core`, the real `consume` handler and @azure/functions invocation model,
 * its bulk upserts against the Cosmos DB server (HOST-10), dead letters and checkpoints (the real
 * BlobCheckpointStore) in Azurite. Only the receiving side is not here: batches are handed over the way
 * the SDK's EventHubConsumerClient hands them to `processEvents` (the end-to-end tests with the Event
 * Hubs emulator cover that).
 */
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { Registry } from '../src/core-module';
import {
  createBatchDelivery,
  CHECKPOINT_CONTAINER,
  type BatchContext,
  type DeliveredEvent,
} from '../src/event-hub-trigger';
import { eventHubDataType, NODE_WORKER_CAPABILITIES } from '../src/event-hub-binding';
import { readHostConfig } from '../src/host-json';
import type { HostLogger } from '../src/logger';
import { createOutputBinding, SdkClients } from '../src/outputs';
import {
  FUNCTIONS_APP,
  NAMES,
  listBlobNames,
  pipelineSettings,
  startServices,
  waitFor,
  type Services,
} from './support';
import { join } from 'node:path';
import { deriveEventId } from '@pipeline/schemas';

const mockRegistry = new Registry(() => {});
jest.mock('@azure/functions-core', () => mockRegistry.coreApi(), { virtual: true });

const HUB_CONNECTION =
  'Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true';

function hubEvent(n: number) {
  const source = {
    tweetId: String(901234567890000000n + BigInt(n)),
    createdAt: '2017-08-25T20:05:00Z',
    text: `Harvey update ${n}`,
  };
  const id = deriveEventId(source);
  return {
    schemaVersion: 2,
    id,
    ...source,
    retweets: 1,
    replies: 2,
    likes: 3,
    rawBlob: `2017/08/25/${id}${id}.ndjson`,
    rawLine: 0,
    ingestedAt: '2026-11-28T12:00:00.000Z',
  };
}

function received(bodies: (object | string)[], firstSequenceNumber: number): DeliveredEvent[] {
  return bodies.map((body, i) => ({
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    sequenceNumber: firstSequenceNumber + i,
    offset: String((firstSequenceNumber + i) * 512),
    enqueuedTimeUtc: new Date(Date.UTC(2026, 10, 28, 12, 0, 0, firstSequenceNumber + i)),
    partitionKey: null,
    properties: {},
  }));
}

describe('Event Hubs batch delivery (consume, in process)', () => {
  let services: Services;
  let clients: SdkClients;
  let store: BlobCheckpointStore;
  const lines: string[] = [];
  const logger: HostLogger = {
    info: (l) => {
      lines.push(l);
      if (process.env.FH_DEBUG) console.log(l);
    },
    warn: (l) => {
      lines.push(`warn: ${l}`);
      if (process.env.FH_DEBUG) console.log(l);
    },
    error: (l) => {
      lines.push(`error: ${l}`);
      if (process.env.FH_DEBUG) console.log(l);
    },
    debug: () => {},
  };

  beforeAll(async () => {
    services = await startServices();
    Object.assign(process.env, pipelineSettings(services, HUB_CONNECTION));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(FUNCTIONS_APP);
    mockRegistry.completeStartup();
    clients = new SdkClients();
    const checkpoints = services.blobs.getContainerClient(CHECKPOINT_CONTAINER);
    await checkpoints.createIfNotExists();
    store = new BlobCheckpointStore(checkpoints);
  }, 60_000);

  afterAll(async () => {
    await clients?.close();
    const { closeClients } = jest.requireActual<{ closeClients(): Promise<void> }>(
      join(FUNCTIONS_APP, '../lib/clients.js'),
    );
    await closeClients();
    await services?.stop();
  }, 30_000);

  /** The delivery of the real `consume` registration; a test may drop its dataType or change host.json. */
  function delivery(
    options: {
      withoutDataType?: boolean;
      eventHubs?: Partial<ReturnType<typeof readHostConfig>['eventHubs']>;
    } = {},
  ) {
    const fn = mockRegistry.functions.get('consume')!;
    const [bindingName, binding] = Object.entries(fn.metadata.bindings).find(
      ([, b]) => b.type === 'eventHubTrigger',
    )!;
    // Whatever output bindings the registration declares (consume declares none since HOST-10: it
    // upserts in bulk itself), applied as the host applies them.
    const outputs = Object.entries(fn.metadata.bindings)
      .filter(([, b]) => b.direction === 'out')
      .map(([name, b]) => createOutputBinding('consume', name, b, process.env, clients));
    return createBatchDelivery({
      fn,
      bindingName,
      many: binding.cardinality === 'many',
      dataType: eventHubDataType(options.withoutDataType ? undefined : binding.dataType, 'consume'),
      capabilities: NODE_WORKER_CAPABILITIES,
      namespace: '127.0.0.1',
      description: 'consume <- tweets/cosmos-writer',
      config: {
        ...readHostConfig(join(FUNCTIONS_APP, '../../../host.json')).eventHubs,
        ...options.eventHubs,
      },
      outputs,
      registry: mockRegistry,
      logger,
    });
  }

  function partition(partitionId: string): BatchContext & { checkpoints: number[] } {
    const checkpoints: number[] = [];
    return {
      partitionId,
      eventHubName: NAMES.hub,
      consumerGroup: NAMES.consumerGroup,
      checkpoints,
      async updateCheckpoint(event) {
        await store.updateCheckpoint({
          fullyQualifiedNamespace: '127.0.0.1',
          eventHubName: NAMES.hub,
          consumerGroup: NAMES.consumerGroup,
          partitionId,
          sequenceNumber: event.sequenceNumber,
          offset: event.offset,
        });
        checkpoints.push(event.sequenceNumber);
      },
    };
  }

  async function storedCheckpoint(partitionId: string): Promise<number | undefined> {
    const all = await store.listCheckpoints('127.0.0.1', NAMES.hub, NAMES.consumerGroup);
    return all.find((c) => c.partitionId === partitionId)?.sequenceNumber;
  }

  it('registers consume with its trigger and retry policy from the real app, and no output binding', () => {
    expect([...mockRegistry.functions.keys()]).toEqual(
      expect.arrayContaining(['consume', 'ingest', 'stats']),
    );
    expect(mockRegistry.functions.get('consume')!.metadata.retryOptions).toMatchObject({ maxRetryCount: -1 });
    // Bytes: every body reaches the handler, poison included (see the next tests).
    const consumeBindings = Object.values(mockRegistry.functions.get('consume')!.metadata.bindings);
    expect(consumeBindings.find((b) => b.type === 'eventHubTrigger')).toMatchObject({
      cardinality: 'many',
      dataType: 'binary',
    });
    // It writes Cosmos DB with the SDK's bulk API itself (HOST-10), not through the output binding.
    expect(consumeBindings.filter((b) => b.direction === 'out')).toEqual([]);
  });

  it('stores every event of a batch with its hub position, dead-letters poison, then checkpoints', async () => {
    const valid = Array.from({ length: 40 }, (_, i) => hubEvent(i));
    const bodies: (object | string)[] = [
      ...valid.slice(0, 20),
      'not json {',
      '',
      { ...hubEvent(99), likes: 'many' },
      ...valid.slice(20),
    ];
    const context = partition('0');
    await delivery().process(received(bodies, 1000), context);

    const { resources } = await services
      .events()
      .items.query<{ id: string; partitionId: string; sequenceNumber: number; enqueuedAt: string }>(
        'SELECT c.id, c.partitionId, c.sequenceNumber, c.enqueuedAt FROM c',
      )
      .fetchAll();
    expect(resources.map((r) => r.id).sort()).toEqual(valid.map((e) => e.id).sort());
    const twentyFirst = resources.find((r) => r.id === valid[20]!.id)!;
    // Position 23 of the batch (three poison messages before it, one of them empty): sequence 1023,
    // enqueued at +1023 ms, read from the host's int64 and offset-less time shapes.
    expect(twentyFirst).toMatchObject({
      partitionId: '0',
      sequenceNumber: 1023,
      enqueuedAt: '2026-11-28T12:00:01.023Z',
    });

    const deadLetters = await listBlobNames(services.blobs, 'dead-letters');
    expect(deadLetters).toEqual(
      expect.arrayContaining(['tweets/0/1020.json', 'tweets/0/1021.json', 'tweets/0/1022.json']),
    );
    const poison = JSON.parse(
      (
        await services.blobs
          .getContainerClient('dead-letters')
          .getBlobClient('tweets/0/1020.json')
          .downloadToBuffer()
      ).toString(),
    ) as { reason: string; message: unknown };
    expect(poison.reason).toMatch(/not valid JSON/);
    expect(poison.message).toBe('not json {');

    expect(context.checkpoints).toEqual([1042]);
    expect(await storedCheckpoint('0')).toBe(1042);
    expect(
      lines.some((l) =>
        /Executed 'Functions.consume' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\) partition 0, 43 events/.test(
          l,
        ),
      ),
    ).toBe(true);
  }, 30_000);

  it('retries a batch while Cosmos DB is down, checkpoints only after it is stored, and skips nothing', async () => {
    const batch = Array.from({ length: 25 }, (_, i) => hubEvent(500 + i));
    const context = partition('1');
    await services.stopCosmos();
    const outageStarted = Date.now();
    const delivered = delivery().process(received(batch, 7000), context);
    await waitFor(
      'a retry to be scheduled',
      () => (lines.some((l) => /retry 2 of partition 1, sequence 7000-7024/.test(l)) ? true : undefined),
      30_000,
    );
    expect(context.checkpoints).toEqual([]);
    expect(await storedCheckpoint('1')).toBeUndefined();
    await services.restartCosmos();
    await delivered;
    const outageMs = Date.now() - outageStarted;

    const { resources } = await services.events().items.query<string>('SELECT VALUE c.id FROM c').fetchAll();
    expect(resources.sort()).toEqual(batch.map((e) => e.id).sort());
    expect(context.checkpoints).toEqual([7024]);
    expect(await storedCheckpoint('1')).toBe(7024);
    expect(
      lines.filter((l) => l.includes("Executed 'Functions.consume' (Failed")).length,
    ).toBeGreaterThanOrEqual(2);
    expect(outageMs).toBeLessThan(60_000);
  }, 90_000);

  it('abandons a failing batch unchecked when the host stops, so it is delivered again after a restart', async () => {
    await services.stopCosmos();
    const context = partition('2');
    const running = delivery();
    const delivered = running.process(received([hubEvent(900)], 50), context);
    await waitFor(
      'a retry to be scheduled',
      () => (lines.some((l) => /retry 1 of partition 2/.test(l)) ? true : undefined),
      30_000,
    );
    await running.stop();
    await delivered;
    expect(context.checkpoints).toEqual([]);
    expect(await storedCheckpoint('2')).toBeUndefined();
    await services.restartCosmos();
  }, 60_000);

  it('without a dataType, one body that is not JSON fails the whole invocation before the handler, and the batch is retried unchecked', async () => {
    const context = partition('3');
    const running = delivery({ withoutDataType: true });
    const delivered = running.process(received([hubEvent(700), 'not json {', hubEvent(701)], 300), context);
    await waitFor(
      'a retry of the batch',
      () => (lines.some((l) => /retry 1 of partition 3, sequence 300-302/.test(l)) ? true : undefined),
      30_000,
    );
    await running.stop();
    await delivered;
    expect(
      lines.some((l) =>
        /Executed 'Functions.consume' \(Failed, .*partition 3, 3 events: Exception binding parameter '\w+': event 1 \(sequence number 301\) is not JSON/.test(
          l,
        ),
      ),
    ).toBe(true);
    // The handler never ran: nothing stored, nothing dead-lettered, no checkpoint (the partition stalls).
    const { resources } = await services
      .events()
      .items.query<string>({
        query: 'SELECT VALUE c.id FROM c WHERE c.id IN (@a, @b)',
        parameters: [
          { name: '@a', value: hubEvent(700).id },
          { name: '@b', value: hubEvent(701).id },
        ],
      })
      .fetchAll();
    expect(resources).toEqual([]);
    expect(await listBlobNames(services.blobs, 'dead-letters')).not.toContain('tweets/3/301.json');
    expect(context.checkpoints).toEqual([]);
  }, 60_000);

  it('with minEventBatchSize 3, dispatches the first batch at once, then holds two events until maxWaitTime passes', async () => {
    const context = partition('4');
    const running = delivery({ eventHubs: { minEventBatchSize: 3, maxWaitTimeMs: 400 } });
    await running.process(received([hubEvent(800)], 60), context);
    expect(context.checkpoints).toEqual([60]);
    await running.process(received([hubEvent(801), hubEvent(802)], 61), context);
    expect(context.checkpoints).toEqual([60]);
    await new Promise((resolve) => setTimeout(resolve, 450));
    await running.process([], context); // the receiver's empty hand-over once its own wait is over
    expect(context.checkpoints).toEqual([60, 62]);
    const { resource } = await services
      .events()
      .item(hubEvent(802).id, hubEvent(802).id)
      .read<{ sequenceNumber: number }>();
    expect(resource?.sequenceNumber).toBe(62);
    await running.stop();
  }, 30_000);
});
