import { EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { partitionForKey, startEmulator, type RunningEmulator } from '../src';
import { captureLogs, receive, type Received } from './helpers';

jest.setTimeout(90_000);

let emulator: RunningEmulator;
let producer: EventHubProducerClient;

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    logger: captureLogs().sink,
    config: { eventHubs: [{ name: 'tweets', partitionCount: 2, consumerGroups: ['cosmos-writer'] }] },
  });
  producer = new EventHubProducerClient(emulator.connectionString('tweets'));
});

afterAll(async () => {
  await producer?.close();
  await emulator?.stop();
});

const KEYS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];

/** Sends `n` events in batches of 100; `mode` says how each batch is routed. */
async function sendMany(n: number, mode: 'key' | 'none' | 'partition', first: number): Promise<void> {
  for (let start = 0; start < n; start += 100) {
    const events = Array.from({ length: Math.min(100, n - start) }, (_, i) => ({
      body: { i: first + start + i, mode },
      properties: { mode, i: first + start + i },
    }));
    if (mode === 'key') {
      const key = KEYS[(start / 100) % KEYS.length]!;
      await producer.sendBatch(
        events.map((e) => ({ ...e, properties: { ...e.properties, key } })),
        { partitionKey: key },
      );
    } else if (mode === 'partition') {
      await producer.sendBatch(events, { partitionId: String((start / 100) % 2) });
    } else {
      await producer.sendBatch(events);
    }
  }
}

describe('10,000 events with the real SDK', () => {
  let received: Received[];

  beforeAll(async () => {
    await sendMany(4000, 'key', 0);
    await sendMany(3000, 'none', 4000);
    await sendMany(3000, 'partition', 7000);
    received = await receive(emulator.connectionString('tweets'), {
      count: 10_000,
      startPosition: earliestEventPosition,
      maxBatchSize: 500,
    });
  });

  it('receives every event exactly once', () => {
    expect(received).toHaveLength(10_000);
    const ids = new Set(received.map((r) => (r.event.body as { i: number }).i));
    expect(ids.size).toBe(10_000);
  });

  it('delivers each partition in sequence order, with offsets that only grow', () => {
    for (const id of ['0', '1']) {
      const events = received.filter((r) => r.partitionId === id).map((r) => r.event);
      expect(events.length).toBeGreaterThan(0);
      events.forEach((e, i) => expect(e.sequenceNumber).toBe(i));
      for (let i = 1; i < events.length; i++)
        expect(Number(events[i]!.offset)).toBeGreaterThan(Number(events[i - 1]!.offset));
    }
  });

  it('keeps keyed events on one partition, the one the service hash picks', () => {
    for (const key of KEYS) {
      const partitions = new Set(
        received.filter((r) => r.event.properties?.key === key).map((r) => r.partitionId),
      );
      expect([...partitions]).toEqual([String(partitionForKey(key, 2))]);
      for (const r of received.filter((x) => x.event.properties?.key === key))
        expect(r.event.partitionKey).toBe(key);
    }
  });

  it('spreads unkeyed batches over both partitions and honours explicit partitions', () => {
    const unkeyed = new Set(
      received.filter((r) => r.event.properties?.mode === 'none').map((r) => r.partitionId),
    );
    expect([...unkeyed].sort()).toEqual(['0', '1']);
    for (const r of received.filter((x) => x.event.properties?.mode === 'partition')) {
      const i = r.event.properties!.i as number;
      expect(r.partitionId).toBe(String(Math.floor((i - 7000) / 100) % 2));
    }
  });

  it('reports partition properties that match what was received', async () => {
    for (const id of ['0', '1']) {
      const props = await producer.getPartitionProperties(id);
      const events = received.filter((r) => r.partitionId === id).map((r) => r.event);
      const last = events[events.length - 1]!;
      expect(props).toMatchObject({
        partitionId: id,
        eventHubName: 'tweets',
        beginningSequenceNumber: 0,
        lastEnqueuedSequenceNumber: events.length - 1,
        lastEnqueuedOffset: last.offset,
        isEmpty: false,
      });
      expect(props.lastEnqueuedOnUtc.getTime()).toBe(last.enqueuedTimeUtc.getTime());
    }
  });

  it('lets a second consumer group read every event too', async () => {
    const other = await receive(emulator.connectionString('tweets'), {
      count: 10_000,
      startPosition: earliestEventPosition,
      consumerGroup: 'cosmos-writer',
      maxBatchSize: 500,
    });
    expect(other).toHaveLength(10_000);
    expect(new Set(other.map((r) => (r.event.body as { i: number }).i)).size).toBe(10_000);
  });
});

describe('event content', () => {
  it('preserves body, properties, message id, content type and correlation id, and stamps system properties', async () => {
    const before = await producer.getPartitionProperties('1');
    const batch = await producer.createBatch({ partitionId: '1' });
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    expect(
      batch.tryAdd({
        body: { text: 'Harvey', n: 1 },
        properties: { source: 'test', count: 3, ok: true },
        messageId: 'msg-1',
        contentType: 'application/json',
        correlationId: 'corr-1',
      }),
    ).toBe(true);
    expect(batch.tryAdd({ body: binary })).toBe(true);
    const t0 = Date.now();
    await producer.sendBatch(batch);
    const got = await receive(emulator.connectionString('tweets'), {
      count: 2,
      partitionId: '1',
      startPosition: { sequenceNumber: before.lastEnqueuedSequenceNumber, isInclusive: false },
    });
    expect(got).toHaveLength(2);
    const [a, b] = got.map((g) => g.event);
    expect(a).toMatchObject({
      body: { text: 'Harvey', n: 1 },
      properties: { source: 'test', count: 3, ok: true },
      messageId: 'msg-1',
      contentType: 'application/json',
      correlationId: 'corr-1',
      sequenceNumber: before.lastEnqueuedSequenceNumber + 1,
    });
    expect(Buffer.from(b!.body as Uint8Array)).toEqual(binary);
    expect(b!.sequenceNumber).toBe(a!.sequenceNumber + 1);
    expect(Math.abs(a!.enqueuedTimeUtc.getTime() - t0)).toBeLessThan(10_000);
    expect(a!.partitionKey).toBeUndefined();
  });
});
