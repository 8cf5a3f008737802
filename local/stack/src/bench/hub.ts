// Event Hubs: the emulator's send and receive ceilings (a separate emulator process, so the events do
// not reach the stack's consumer), and the size of the real slim events on the stack's hub.
import { join } from 'node:path';
import { EMULATOR_KEY, EMULATOR_KEY_NAME } from '@pipeline/eventhubs-emulator';
import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  type ReceivedEventData,
} from '@azure/event-hubs';
import type { HubEvent, TweetEvent } from '@pipeline/schemas';
import { PIPELINE_NAMES } from '../provision';
import { startEventHubsService } from '../services/eventhubs';
import { HUB_CEILING } from './settings';

/** An event shaped like ingest's slim event (metadata + blob references, no image bytes). */
export function slimLike(event: TweetEvent): HubEvent {
  const sha256 = 'f'.repeat(64);
  const { image, ...rest } = event;
  return {
    ...rest,
    schemaVersion: 2,
    // A request archive's name and a two-digit line: as long as ingest's references get.
    rawBlob: `2017/08/25/${sha256}.ndjson`,
    rawLine: 99,
    ingestedAt: new Date().toISOString(),
    ...(image
      ? {
          image: {
            label: image.label,
            longitude: image.longitude,
            latitude: image.latitude,
            contentType: image.contentType,
            blob: `${sha256}.jpeg`,
            sha256,
            bytes: Math.round((image.data.length * 3) / 4),
          },
        }
      : {}),
  };
}

/** Subscribes from the earliest event and hands each batch to `onEvents` until it returns true. */
async function receiveUntil(
  connectionString: string,
  onEvents: (events: ReceivedEventData[]) => boolean,
  idleMs: number,
): Promise<void> {
  const client = new EventHubConsumerClient('$Default', connectionString, PIPELINE_NAMES.eventHub);
  let idle: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      // A hub with fewer events than expected ends the read after `idleMs` without any.
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(resolve, idleMs);
      };
      arm();
      client.subscribe(
        {
          processEvents: (events) => {
            if (events.length) arm();
            if (onEvents(events)) resolve();
            return Promise.resolve();
          },
          processError: (error) => {
            reject(error);
            return Promise.resolve();
          },
        },
        // Raw bodies: the bytes that travel on the hub, not the SDK's parse of them.
        {
          startPosition: earliestEventPosition,
          maxBatchSize: 1000,
          maxWaitTimeInSeconds: 1,
          skipParsingBodyAsJson: true,
        },
      );
    });
  } finally {
    clearTimeout(idle);
    await client.close();
  }
}

/** Send then receive ceilings, events per second, on an emulator process of their own. */
export async function hubCeilings(
  event: HubEvent,
  workDir: string,
): Promise<{ sendPerSecond: number; receivePerSecond: number }> {
  const emulator = await startEventHubsService({
    host: '127.0.0.1',
    port: 0,
    tlsPort: 0,
    sharedAccessKey: { keyName: EMULATOR_KEY_NAME, key: EMULATOR_KEY },
    configDir: join(workDir, 'hub-ceiling'),
    log: () => undefined,
  });
  try {
    const producer = new EventHubProducerClient(emulator.connectionString, PIPELINE_NAMES.eventHub);
    const batches = HUB_CEILING.events / HUB_CEILING.batch;
    let next = 0;
    const sendBegan = Date.now();
    await Promise.all(
      Array.from({ length: HUB_CEILING.sendsInFlight }, async () => {
        while (next++ < batches) {
          const batch = await producer.createBatch();
          for (let i = 0; i < HUB_CEILING.batch; i++) batch.tryAdd({ body: event });
          await producer.sendBatch(batch);
        }
      }),
    );
    const sendPerSecond = HUB_CEILING.events / ((Date.now() - sendBegan) / 1000);
    await producer.close();
    let received = 0;
    const receiveBegan = Date.now();
    await receiveUntil(
      emulator.connectionString,
      (events) => (received += events.length) >= HUB_CEILING.events,
      10_000,
    );
    if (received < HUB_CEILING.events)
      throw new Error(`hub ceiling: received ${received} of ${HUB_CEILING.events} events`);
    return { sendPerSecond, receivePerSecond: received / ((Date.now() - receiveBegan) / 1000) };
  } finally {
    await emulator.stop();
  }
}

/** Reads the stack's hub from the start (its own consumer group) and measures each event's body. */
export async function hubBodySizes(connectionString: string, expected: number): Promise<number[]> {
  const sizes: number[] = [];
  await receiveUntil(
    connectionString,
    (events) => {
      for (const e of events) {
        const body: unknown = e.body;
        sizes.push(Buffer.isBuffer(body) ? body.length : Buffer.byteLength(JSON.stringify(body)));
      }
      return sizes.length >= expected;
    },
    5_000,
  );
  return sizes;
}
