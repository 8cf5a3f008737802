import { RestError } from '@azure/storage-blob';
import type { EventData } from '@azure/event-hubs';
import type { HubEvent } from '@pipeline/schemas';
import { blobContainer, eventHubProducer } from './clients';
import { containers } from './settings';
import type { IngestSinks } from './ingest-service';

/** The ingest sinks on the real services: Blob Storage and Event Hubs through the Azure SDK clients. */
export function azureIngestSinks(): IngestSinks {
  const images = blobContainer(containers.images());
  const raw = blobContainer(containers.raw());
  return {
    async putImage(image) {
      try {
        await images.getBlockBlobClient(image.name).uploadData(image.bytes, {
          blobHTTPHeaders: {
            blobContentType: 'image/jpeg',
            blobCacheControl: 'public, max-age=31536000, immutable',
          },
          // Content-addressed: an existing blob already holds these bytes. Not rewriting it avoids a
          // new blob version (versioning is on in Azure) for every event that shares an image.
          conditions: { ifNoneMatch: '*' },
        });
      } catch (error) {
        if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)) return;
        throw error;
      }
    },
    async putRaw(name, event) {
      const body = Buffer.from(JSON.stringify(event));
      await raw.getBlockBlobClient(name).uploadData(body, {
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
    },
    publish: (events) => sendInBatches(events),
  };
}

/** Sends events in as few AMQP batches as the hub's size limit allows. */
async function sendInBatches(events: readonly HubEvent[]): Promise<void> {
  const producer = eventHubProducer();
  let batch = await producer.createBatch();
  for (const event of events) {
    const data: EventData = { body: event, contentType: 'application/json', messageId: event.id };
    if (batch.tryAdd(data)) continue;
    if (batch.count === 0) throw new Error(`event ${event.id} is larger than the hub's maximum batch size`);
    await producer.sendBatch(batch);
    batch = await producer.createBatch();
    if (!batch.tryAdd(data)) throw new Error(`event ${event.id} is larger than the hub's maximum batch size`);
  }
  if (batch.count > 0) await producer.sendBatch(batch);
}
