import { createHash } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import type { ContainerClient } from '@azure/storage-blob';
import { archivedEventAt, type ArchivedEvent, type TweetEvent } from '@pipeline/schemas';

/** Where the lookup reads: the events in Cosmos DB, the raw archive and the images. */
export interface RawEventSources {
  readonly events: Container;
  readonly raw: ContainerClient;
  readonly images: ContainerClient;
}

export interface RawEventFound {
  /** The request archive and the event's line there, as its Cosmos DB document records them. */
  readonly rawBlob: string;
  readonly rawLine: number;
  /** The event as archived (its image as a reference), or as received when asked to re-join the image. */
  readonly event: ArchivedEvent | TweetEvent;
}

/** The event cannot be found, or what was found does not hold together; the message says which. */
export class RawEventError extends Error {
  override name = 'RawEventError';
}

/**
 * Finds an event's raw JSON by its id: its Cosmos DB document names the request archive and the line
 * (`rawBlob`, `rawLine`), the archive holds the event as received with its image by reference, and,
 * with `original`, the image's bytes are fetched by their hash and put back as base64, which gives the
 * event exactly as the producer sent it. An event that never reached Cosmos DB (not consumed yet, or
 * dead-lettered: its dead letter carries the same two fields) is reported as such.
 */
export async function findRawEvent(
  id: string,
  sources: RawEventSources,
  options: { original?: boolean } = {},
): Promise<RawEventFound> {
  if (!/^[0-9a-f]{32}$/.test(id)) throw new RawEventError(`"${id}" is not an event id (32 hex characters)`);
  const { resource } = await sources.events.item(id, id).read<{ rawBlob?: unknown; rawLine?: unknown }>();
  if (!resource)
    throw new RawEventError(
      `no document ${id} in Cosmos DB: the event was never accepted, is not consumed yet, or was dead-lettered (its dead letter holds rawBlob and rawLine)`,
    );
  const { rawBlob, rawLine } = resource;
  if (typeof rawBlob !== 'string' || typeof rawLine !== 'number')
    throw new RawEventError(
      `document ${id} has no rawBlob/rawLine pair (written before hub event version 2, when the archive was ${sources.raw.containerName}/<yyyy>/<mm>/<dd>/${id}.json)`,
    );
  const body = await download(sources.raw, rawBlob);
  const archived = archivedEventAt(body, rawLine);
  if (!archived || archived.id !== id)
    throw new RawEventError(`line ${rawLine} of ${rawBlob} does not hold event ${id}`);
  return { rawBlob, rawLine, event: options.original ? await withImage(archived, sources.images) : archived };
}

/** The event as the producer sent it: the image reference replaced by the stored bytes, checked by hash. */
async function withImage(event: ArchivedEvent, images: ContainerClient): Promise<TweetEvent> {
  const { image } = event;
  if (!image) return event as TweetEvent;
  const bytes = await download(images, image.blob);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== image.sha256)
    throw new RawEventError(
      `image ${image.blob} holds other bytes (SHA-256 ${sha256}, expected ${image.sha256})`,
    );
  // Spread, then replaced: the image keeps its place among the fields, as it was received.
  return {
    ...event,
    image: {
      label: image.label,
      longitude: image.longitude,
      latitude: image.latitude,
      contentType: image.contentType,
      data: bytes.toString('base64'),
    },
  };
}

async function download(container: ContainerClient, name: string): Promise<Buffer> {
  try {
    return await container.getBlobClient(name).downloadToBuffer();
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404)
      throw new RawEventError(`blob ${container.containerName}/${name} does not exist`);
    throw error;
  }
}
