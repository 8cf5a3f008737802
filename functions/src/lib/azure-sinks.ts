import { RestError } from '@azure/storage-blob';
import type { EventData } from '@azure/event-hubs';
import type { HubEvent } from '@pipeline/schemas';
import { blobContainer, eventHubProducer } from './clients';
import { containers } from './settings';
import type { IngestSinks } from './ingest-service';
import { StoredImages } from './stored-images';

/** One per worker process: what it has stored stays stored, whichever invocation stored it. */
const storedImages = new StoredImages();

/**
 * The ingest sinks on the real services: Blob Storage and Event Hubs through the Azure SDK clients.
 * `stored` is the process's cache of stored image hashes (a test passes its own).
 */
export function azureIngestSinks(stored: StoredImages = storedImages): IngestSinks {
  const images = blobContainer(containers.images());
  const raw = blobContainer(containers.raw());
  return {
    async putImage(image) {
      if (stored.has(image.sha256)) return;
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
        if (!(error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412)))
          throw error;
      }
      stored.add(image.sha256);
    },
    async putArchive(archive) {
      // One Put Blob: a request is at most 4 MiB and its archive (no image bytes) ~100 KB, far under
      // the 5000 MiB a single Put Blob takes in service versions since 2019-12-12
      // (https://learn.microsoft.com/rest/api/storageservices/put-blob#remarks). No if-none-match: a
      // retry overwrites the same bytes, which is what lets a half-failed request be retried whole.
      await raw.getBlockBlobClient(archive.name).uploadData(archive.body, {
        blobHTTPHeaders: { blobContentType: 'application/x-ndjson' },
        metadata: { events: String(archive.ids.length) },
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
