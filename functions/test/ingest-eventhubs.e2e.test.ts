import { EventHubConsumerClient, earliestEventPosition, type ReceivedEventData } from '@azure/event-hubs';
import { startEmulator, type RunningEmulator } from '@pipeline/eventhubs-emulator';
import type { HubEvent } from '@pipeline/schemas';
import { ingest } from '../src/functions/ingest';
import { closeClients } from '../src/lib/clients';
import { postRequest, quietContext, startTestServices, type TestServices } from './support';
import { tweetEvent } from './events';

/** The registered ingest handler with its real sinks: Azurite for blobs, the Event Hubs emulator over AMQP. */
describe('ingest to Event Hubs (emulator, real SDK)', () => {
  let services: TestServices;
  let hub: RunningEmulator;

  beforeAll(async () => {
    [services, hub] = await Promise.all([
      startTestServices(),
      startEmulator({
        port: 0,
        logLevel: 'error',
        config: { eventHubs: [{ name: 'tweets', partitionCount: 2, consumerGroups: ['cosmos-writer'] }] },
      }),
    ]);
    process.env.EventHub = hub.connectionString();
    process.env.EVENTHUB_NAME = 'tweets';
  }, 60_000);
  afterAll(async () => {
    await closeClients();
    await Promise.all([services?.stop(), hub?.stop()]);
  });

  it('publishes one slim event per accepted event, each under 1 KB and without the image bytes', async () => {
    const events = Array.from({ length: 30 }, (_, i) => tweetEvent(i));
    for (let i = 0; i < events.length; i += 10) {
      const body = JSON.stringify(events.slice(i, i + 10));
      // As the host hands it over: a body reaches the function only with its Content-Length.
      const headers = {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      };
      const response = await ingest(postRequest(body, headers), quietContext());
      expect(response.status).toBe(202);
    }

    const consumer = new EventHubConsumerClient('cosmos-writer', hub.connectionString(), 'tweets');
    const received: ReceivedEventData[] = [];
    await new Promise<void>((resolve, reject) => {
      const subscription = consumer.subscribe(
        {
          processEvents: async (batch) => {
            received.push(...batch);
            if (received.length >= events.length) await subscription.close().then(resolve, reject);
          },
          processError: (error) => Promise.resolve(reject(error)),
        },
        { startPosition: earliestEventPosition, maxBatchSize: 50, maxWaitTimeInSeconds: 1 },
      );
    });
    await consumer.close();

    const bodies = received.map((e) => e.body as HubEvent);
    expect(bodies.map((b) => b.id).sort()).toEqual(events.map((e) => e.id).sort());
    for (const event of received) {
      expect(event.contentType).toBe('application/json');
      expect(Buffer.byteLength(JSON.stringify(event.body))).toBeLessThan(1024);
      expect((event.body as HubEvent).image?.blob).toMatch(/^[0-9a-f]{64}\.jpeg$/);
    }
    expect(new Set(received.map((e) => e.partitionKey ?? 'none'))).toEqual(new Set(['none']));
  }, 60_000);
});
