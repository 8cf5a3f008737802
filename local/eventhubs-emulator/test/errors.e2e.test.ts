import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  type MessagingError,
} from '@azure/event-hubs';
import { connect, types, type Connection, type EventContext, type Message } from 'rhea';
import { createHmac } from 'node:crypto';
import {
  ConfigError,
  EMULATOR_KEY,
  EMULATOR_KEY_NAME,
  INVALID_SIGNATURE,
  startEmulator,
  type RunningEmulator,
} from '../src';
import { captureLogs, receive, sleep, waitFor } from './helpers';

jest.setTimeout(60_000);

let emulator: RunningEmulator;
const noRetry = { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } };

beforeAll(async () => {
  emulator = await startEmulator({
    port: 0,
    logger: captureLogs().sink,
    config: { eventHubs: [{ name: 'tweets', consumerGroups: ['cosmos-writer'] }] },
  });
});

afterAll(async () => {
  await emulator?.stop();
});

describe('errors the SDK surfaces as it does against the service', () => {
  it('an event over 1 MB: MessageTooLargeError, and createBatch refuses it from the link size', async () => {
    const producer = new EventHubProducerClient(emulator.connectionString('tweets'), noRetry);
    try {
      const big = { body: Buffer.alloc(1024 * 1024 + 10, 1) };
      await expect(producer.sendBatch([big])).rejects.toMatchObject({
        name: 'MessagingError',
        code: 'MessageTooLargeError',
      });
      const batch = await producer.createBatch();
      expect(batch.maxSizeInBytes).toBe(1024 * 1024);
      expect(batch.tryAdd(big)).toBe(false);
      // The link is still usable afterwards.
      await producer.sendBatch([{ body: 'small' }]);
    } finally {
      await producer.close();
    }
  });

  it('an unknown hub: MessagingEntityNotFoundError for properties and for sends', async () => {
    const producer = new EventHubProducerClient(emulator.connectionString('nope'), noRetry);
    try {
      await expect(producer.getEventHubProperties()).rejects.toMatchObject({
        code: 'MessagingEntityNotFoundError',
        retryable: false,
      });
      await expect(producer.sendBatch([{ body: 1 }])).rejects.toMatchObject({
        code: 'MessagingEntityNotFoundError',
      });
    } finally {
      await producer.close();
    }
  });

  it('an unknown partition: ArgumentOutOfRangeError for sends, receives and properties', async () => {
    const producer = new EventHubProducerClient(emulator.connectionString('tweets'), noRetry);
    try {
      await expect(producer.sendBatch([{ body: 1 }], { partitionId: '7' })).rejects.toMatchObject({
        code: 'ArgumentOutOfRangeError',
      });
      await expect(producer.getPartitionProperties('7')).rejects.toMatchObject({
        code: 'ArgumentOutOfRangeError',
      });
      await expect(
        receive(emulator.connectionString('tweets'), {
          count: 1,
          partitionId: '7',
          startPosition: earliestEventPosition,
        }),
      ).rejects.toMatchObject({
        code: 'ArgumentOutOfRangeError',
      });
    } finally {
      await producer.close();
    }
  });

  it('an unknown consumer group: MessagingEntityNotFoundError', async () => {
    await expect(
      receive(emulator.connectionString('tweets'), {
        count: 1,
        partitionId: '0',
        consumerGroup: 'nobody',
        startPosition: earliestEventPosition,
      }),
    ).rejects.toMatchObject({ code: 'MessagingEntityNotFoundError' });
  });

  it('owner level: a higher one takes the partition over, a lower or a non-epoch one is refused', async () => {
    const cs = emulator.connectionString('tweets');
    const errors: Record<string, MessagingError[]> = { low: [], high: [], lower: [], none: [] };
    const clients: EventHubConsumerClient[] = [];
    const subscribe = (name: keyof typeof errors, ownerLevel?: number) => {
      const client = new EventHubConsumerClient('cosmos-writer', cs);
      clients.push(client);
      return client.subscribe(
        '1',
        {
          processEvents: () => Promise.resolve(),
          processError: (err) => {
            errors[name]!.push(err as MessagingError);
            return Promise.resolve();
          },
        },
        { startPosition: earliestEventPosition, ...(ownerLevel === undefined ? {} : { ownerLevel }) },
      );
    };
    try {
      const low = subscribe('low', 1);
      await sleep(500);
      const high = subscribe('high', 2);
      await waitFor('the owner-level-1 receiver to be disconnected', () => errors.low!.length > 0);
      expect(errors.low![0]).toMatchObject({ code: 'ReceiverDisconnectedError' });
      expect(errors.low![0]!.message).toMatch(/higher epoch of '2'/);
      await low.close();
      subscribe('lower', 1);
      subscribe('none');
      await waitFor(
        'the lower and the non-epoch receivers to be refused',
        () => errors.lower!.length > 0 && errors.none!.length > 0,
      );
      expect(errors.lower![0]).toMatchObject({ code: 'ReceiverDisconnectedError' });
      expect(errors.none![0]).toMatchObject({ code: 'ReceiverDisconnectedError' });
      expect(errors.none![0]!.message).toMatch(/non-epoch receiver is not allowed/);
      expect(errors.high).toEqual([]);
      await high.close();
    } finally {
      for (const c of clients) await c.close();
    }
  });
});

describe('$cbs', () => {
  let connection: Connection;

  beforeAll(async () => {
    connection = connect({ host: '127.0.0.1', port: emulator.port, reconnect: false });
    await new Promise((resolve) => connection.once('connection_open', resolve));
  });

  afterAll(() => connection?.close());

  /** Sends one put-token request on fresh links and returns the reply's application properties. */
  async function putToken(props: Record<string, unknown>, body: unknown): Promise<Record<string, unknown>> {
    const replyTo = `cbs-reply-${Math.random().toString(36).slice(2)}`;
    const receiver = connection.open_receiver({
      source: { address: '$cbs' },
      name: replyTo,
      credit_window: 10,
    });
    const sender = connection.open_sender({ target: { address: '$cbs' } });
    await new Promise((resolve) => sender.once('sendable', resolve));
    const reply = new Promise<Message>((resolve) =>
      receiver.once('message', (ctx: EventContext) => resolve(ctx.message!)),
    );
    sender.send({ message_id: 'req-1', reply_to: replyTo, application_properties: props, body });
    const msg = await reply;
    expect(msg.correlation_id).toBe('req-1');
    sender.close();
    receiver.close();
    return msg.application_properties as Record<string, unknown>;
  }

  const audience = 'sb://127.0.0.1/tweets';
  const future = Math.floor(Date.now() / 1000) + 3600;
  // Signed as @azure/core-amqp signs: HMAC-SHA256 of "<encoded audience>\n<expiry>" with the key.
  const sas = (se: number, key = EMULATOR_KEY) => {
    const sr = encodeURIComponent(audience);
    const sig = createHmac('sha256', key).update(`${sr}\n${se}`).digest('base64');
    return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=${EMULATOR_KEY_NAME}`;
  };

  it('rejects a token signed with another key with 401 InvalidSignature', async () => {
    const reply = await putToken(
      { operation: 'put-token', name: audience, type: 'servicebus.windows.net:sastoken' },
      sas(future, 'not-the-key'),
    );
    expect(reply['status-code']).toBe(401);
    expect(reply['status-description']).toBe(INVALID_SIGNATURE);
  });

  it('accepts a SAS token signed with the configured key with 202', async () => {
    const reply = await putToken(
      { operation: 'put-token', name: audience, type: 'servicebus.windows.net:sastoken' },
      sas(future),
    );
    expect(reply['status-code']).toBe(202);
  });

  it('rejects a malformed request with 400 and says why', async () => {
    const reply = await putToken(
      { operation: 'put-token', type: 'servicebus.windows.net:sastoken' },
      'not a token',
    );
    expect(reply['status-code']).toBe(400);
    expect(reply['status-description']).toMatch(/audience/);
    expect(reply['status-description']).toMatch(/malformed/);
  });

  it('rejects an expired token with 401', async () => {
    const reply = await putToken(
      { operation: 'put-token', name: audience, type: 'servicebus.windows.net:sastoken' },
      sas(1000),
    );
    expect(reply['status-code']).toBe(401);
  });
});

describe('startup errors', () => {
  it('a port in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startEmulator({ port, logger: captureLogs().sink })).rejects.toThrow(
        `port ${port} on 127.0.0.1 is already in use`,
      );
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('a data directory that is not a directory', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'eh-notadir-')), 'file');
    writeFileSync(file, 'x');
    try {
      await expect(startEmulator({ port: 0, dataDir: file, logger: captureLogs().sink })).rejects.toThrow(
        `cannot use the data directory ${file}`,
      );
    } finally {
      rmSync(dirname(file), { recursive: true, force: true });
    }
  });

  it('a bad config lists every problem', async () => {
    const attempt = startEmulator({
      port: 0,
      logger: captureLogs().sink,
      config: { eventHubs: [{ name: 'bad name', partitionCount: 0, consumerGroups: ['ok', ''] }] },
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/eventHubs\[0\]\.name.*partitionCount.*consumerGroups/);
  });
});

// A frame can arrive on a channel whose session has just ended: closing a busy receiver, the SDK's
// rhea sends `end`, then answers transfers still in flight with `flow` on that channel. The service's
// AMQP stack ignores a late `end` or `detach` there and closes the connection with amqp:not-found for
// anything else (missing-channel.ts); the emulator used to drop the socket without a `close`, and the
// SDK's close() then waited forever.
describe('frames on a channel whose session has ended', () => {
  interface RawConnection {
    _write_frame(channel: number, frame: unknown): void;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- rhea's frame encoders are not in its typings
  const frames = require('rhea/lib/frames') as {
    flow(fields: Record<string, unknown>): unknown;
    end(fields?: Record<string, unknown>): unknown;
  };

  async function endedChannel(): Promise<{ connection: Connection; channel: number }> {
    const connection = connect({ host: '127.0.0.1', port: emulator.port, reconnect: false });
    await new Promise((resolve) => connection.once('connection_open', resolve));
    const session = connection.create_session() as unknown as {
      begin(): void;
      end(): void;
      local: { channel: number };
      once(event: string, listener: () => void): void;
    };
    session.begin();
    await new Promise<void>((resolve) => session.once('session_open', resolve));
    const channel = session.local.channel;
    session.end();
    await new Promise<void>((resolve) => session.once('session_close', resolve));
    await sleep(50); // rhea frees the channel on the next ticks
    return { connection, channel };
  }

  it('ignores a late end: the connection stays open and takes a new session', async () => {
    const { connection, channel } = await endedChannel();
    const dropped = new Promise<string>((resolve) =>
      connection.once('disconnected', () => resolve('dropped')),
    );
    (connection as unknown as RawConnection)._write_frame(channel, frames.end());
    const session = connection.create_session() as unknown as {
      begin(): void;
      once(e: string, l: () => void): void;
    };
    session.begin();
    const opened = new Promise<string>((resolve) => session.once('session_open', () => resolve('opened')));
    expect(await Promise.race([opened, dropped])).toBe('opened');
    connection.close();
  });

  it('closes the connection with amqp:not-found for a flow, with a close frame the client sees', async () => {
    const { connection, channel } = await endedChannel();
    const closed = new Promise<unknown>((resolve) =>
      connection.once('connection_close', (ctx: EventContext) => resolve(ctx.connection.error)),
    );
    const dropped = new Promise<string>((resolve) =>
      connection.once('disconnected', () => resolve('dropped without a close frame')),
    );
    (connection as unknown as RawConnection)._write_frame(
      channel,
      frames.flow({ next_incoming_id: 0, incoming_window: 2048, next_outgoing_id: 0, outgoing_window: 2048 }),
    );
    expect(await Promise.race([closed, dropped])).toMatchObject({ condition: 'amqp:not-found' });
  });
});

describe('a receiver that detaches with deliveries still queued', () => {
  // Deliveries the emulator queued beyond the client's session window would otherwise go out after
  // its detach answer, on a handle the client has freed: the SDK's rhea throws "Invalid handle" and
  // drops the connection. AMQP allows no transfer on a detached link (broker.ts, dropOutbound).
  it('sends nothing more on the link: no error, no dropped connection', async () => {
    const producer = new EventHubProducerClient(emulator.connectionString(), 'tweets');
    const padding = 'x'.repeat(500);
    for (let batch = 0; batch < 8; batch++)
      await producer.sendBatch(
        Array.from({ length: 500 }, (_, i) => ({ body: `${batch}-${i}-${padding}` })),
        { partitionId: '1' },
      );
    await producer.close();
    // A session window of 10 deliveries, kept full until after the detach, as a busy SDK receiver's
    // is: the emulator has queued deliveries it may not send yet when the detach arrives.
    const connection = connect({
      host: '127.0.0.1',
      port: emulator.port,
      reconnect: false,
      session_buffer_size: 10,
    });
    const problems: string[] = [];
    connection.on('error', (error: Error) => problems.push(error.message));
    connection.on('disconnected', () => problems.push('disconnected'));
    try {
      const receiver = connection.open_receiver({
        source: {
          address: 'tweets/ConsumerGroups/$Default/Partitions/1',
          filter: {
            'apache.org:selector-filter:string': types.wrap_described(
              "amqp.annotation.x-opt-offset > '-1'",
              0x468c00000004,
            ),
          },
        },
        credit_window: 0,
        autoaccept: false,
      });
      const held: EventContext[] = [];
      receiver.on('message', (ctx: EventContext) => void held.push(ctx));
      await new Promise((resolve) => receiver.once('receiver_open', resolve));
      receiver.add_credit(4000);
      await waitFor('a full session window', () => held.length >= 10);
      receiver.close();
      await new Promise((resolve) => receiver.once('receiver_close', resolve));
      // Settling frees the window: the client's rhea asks for more on the session, as the SDK's does.
      for (const ctx of held) ctx.delivery!.accept();
      await sleep(1000); // anything still queued for the link would have arrived by now
      expect(problems).toEqual([]);
    } finally {
      connection.close();
    }
  });
});
