import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  latestEventPosition,
  type LastEnqueuedEventProperties,
  type ReceivedEventData,
} from '@azure/event-hubs';
import { connect, types, type EventContext, type Message } from 'rhea';
import { startEmulator, type RunningEmulator } from '../src';
import { captureLogs, receive, sleep, waitFor } from './helpers';

jest.setTimeout(60_000);

let emulator: RunningEmulator;
let producer: EventHubProducerClient;
/** The 10 events on partition 0: 0..4 sent first, 5..9 after a pause (distinct enqueued times). */
let stored: ReceivedEventData[];

beforeAll(async () => {
  emulator = await startEmulator({ port: 0, logger: captureLogs().sink });
  producer = new EventHubProducerClient(emulator.connectionString('tweets'));
  await producer.sendBatch(
    [0, 1, 2, 3, 4].map((i) => ({ body: i })),
    { partitionId: '0' },
  );
  await sleep(50);
  await producer.sendBatch(
    [5, 6, 7, 8, 9].map((i) => ({ body: i })),
    { partitionId: '0' },
  );
  stored = (
    await receive(emulator.connectionString('tweets'), {
      count: 10,
      partitionId: '0',
      startPosition: earliestEventPosition,
    })
  ).map((r) => r.event);
});

afterAll(async () => {
  await producer?.close();
  await emulator?.stop();
});

const bodies = (events: { event: ReceivedEventData }[]): number[] => events.map((r) => Number(r.event.body));

async function from(
  startPosition: Parameters<typeof receive>[1]['startPosition'],
  count: number,
): Promise<number[]> {
  return bodies(
    await receive(emulator.connectionString('tweets'), {
      count,
      partitionId: '0',
      startPosition,
      settleMs: 500,
    }),
  );
}

describe('start positions', () => {
  it('earliest returns every event', () => {
    expect(stored.map((e) => Number(e.body))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('sequence number, inclusive and exclusive', async () => {
    expect(await from({ sequenceNumber: 3, isInclusive: true }, 7)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(await from({ sequenceNumber: 3 }, 6)).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('offset, inclusive and exclusive', async () => {
    const offset = stored[6]!.offset;
    expect(await from({ offset, isInclusive: true }, 4)).toEqual([6, 7, 8, 9]);
    expect(await from({ offset }, 3)).toEqual([7, 8, 9]);
  });

  it('enqueued time: events enqueued after it', async () => {
    const first = stored[0]!.enqueuedTimeUtc;
    expect(stored[5]!.enqueuedTimeUtc.getTime()).toBeGreaterThan(first.getTime());
    expect(await from({ enqueuedOn: first }, 5)).toEqual([5, 6, 7, 8, 9]);
    expect(await from({ enqueuedOn: first.getTime() - 1 }, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('latest returns only events sent after the receiver attached', async () => {
    let marker = 100;
    let sending = true;
    const sender = (async () => {
      while (sending) {
        await producer.sendBatch([{ body: marker++ }], { partitionId: '0' });
        await sleep(100);
      }
    })();
    try {
      const got = await from(latestEventPosition, 2);
      expect(got.length).toBeGreaterThanOrEqual(2);
      for (const b of got) expect(b).toBeGreaterThanOrEqual(100);
      // Consecutive markers: nothing skipped once the receiver was attached.
      got.forEach((b, i) => expect(b).toBe(got[0]! + i));
    } finally {
      sending = false;
      await sender;
    }
  });

  it('a sequence number past the end is refused as the service does', async () => {
    await expect(from({ sequenceNumber: 10_000, isInclusive: true }, 1)).rejects.toMatchObject({
      code: 'ArgumentOutOfRangeError',
    });
  });
});

describe('runtime metrics', () => {
  it('tells a receiver that tracks them about the last enqueued event', async () => {
    const partition = await producer.getPartitionProperties('0');
    const client = new EventHubConsumerClient('$Default', emulator.connectionString('tweets'));
    let seen: LastEnqueuedEventProperties | undefined;
    const sub = client.subscribe(
      '0',
      {
        processEvents: (events, ctx) => {
          if (events.length > 0) seen = { ...ctx.lastEnqueuedEventProperties };
          return Promise.resolve();
        },
        processError: () => Promise.resolve(),
      },
      { startPosition: earliestEventPosition, trackLastEnqueuedEventProperties: true, maxBatchSize: 5 },
    );
    try {
      await waitFor('an event with runtime metrics', () => seen !== undefined);
      expect(seen).toMatchObject({
        sequenceNumber: partition.lastEnqueuedSequenceNumber,
        offset: partition.lastEnqueuedOffset,
      });
      expect(seen!.enqueuedOn!.getTime()).toBe(partition.lastEnqueuedOnUtc.getTime());
      expect(seen!.retrievedOn).toBeInstanceOf(Date);
    } finally {
      await sub.close();
      await client.close();
    }
  });
});

describe('flow control', () => {
  it('delivers no more events than the receiver gave credit for', async () => {
    const connection = connect({ host: '127.0.0.1', port: emulator.port, reconnect: false });
    try {
      const received: Message[] = [];
      const receiver = connection.open_receiver({
        source: {
          address: 'tweets/ConsumerGroups/$Default/Partitions/0',
          filter: {
            'apache.org:selector-filter:string': types.wrap_described(
              "amqp.annotation.x-opt-offset > '-1'",
              0x468c00000004,
            ),
          },
        },
        credit_window: 0,
        autoaccept: true,
      });
      receiver.on('message', (ctx: EventContext) => void received.push(ctx.message!));
      await new Promise((r) => receiver.once('receiver_open', r));
      receiver.add_credit(3);
      await waitFor('3 events', () => received.length >= 3);
      await sleep(500);
      expect(received).toHaveLength(3);
      receiver.add_credit(2);
      await waitFor('5 events', () => received.length >= 5);
      await sleep(500);
      expect(received).toHaveLength(5);
      expect(received.map((m) => m.message_annotations?.['x-opt-sequence-number'] as number)).toEqual([
        0, 1, 2, 3, 4,
      ]);
    } finally {
      connection.close();
    }
  });
});
