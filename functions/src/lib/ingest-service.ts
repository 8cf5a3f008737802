import { serializeArchive, type HubEvent, type RawArchive, type TweetEvent } from '@pipeline/schemas';
import { archivedEvent, imageBlobOf, toHubEvent, type ImageBlob } from './claim-check';

/** Where accepted events go. Each write is idempotent, so retrying a whole request is always safe. */
export interface IngestSinks {
  /** Stores an image under its content hash; storing the same image again is a no-op. */
  putImage(image: ImageBlob): Promise<void>;
  /**
   * Archives the request's raw events (one blob, named by its content), overwriting an earlier copy:
   * a retried request has the same bytes, so the same name.
   */
  putArchive(archive: RawArchive): Promise<void>;
  /** Sends the slim events to Event Hubs. */
  publish(events: readonly HubEvent[]): Promise<void>;
}

/** A dependency (storage or the hub) failed: the request can be retried as a whole. */
export class DependencyError extends Error {
  constructor(
    readonly dependency: 'storage' | 'event-hubs',
    cause: unknown,
  ) {
    super(`${dependency === 'storage' ? 'Blob Storage' : 'Event Hubs'} is unavailable: ${describe(cause)}`, {
      cause,
    });
    this.name = 'DependencyError';
  }
}

/**
 * Stores then publishes a validated request's events: each distinct image once (claim check) and the
 * request's raw events as ONE archive blob, then the slim events to the hub, each pointing at its line
 * of that archive. The hub only ever references blobs that exist; a failure anywhere fails the whole
 * request (503) and the client's retry rewrites the same blobs, never duplicates. One archive per
 * request instead of one blob per event: storage transactions, not validation, bounded throughput
 * (docs/decisions.md, "One raw archive blob per request").
 * `ingestedAt` is stamped once the blobs are stored, right before publishing: the moment the event is
 * as good as accepted, so end-to-end latency is measured from the 202, not from the request's arrival.
 * Returns the accepted ids in request order.
 */
export async function ingestEvents(
  events: readonly TweetEvent[],
  sinks: IngestSinks,
  clock: () => Date = () => new Date(),
): Promise<string[]> {
  // A repeated id in one request is one event: the last copy's content, at the first copy's place.
  const unique = new Map<string, TweetEvent>();
  for (const event of events) unique.set(event.id, event);
  const imagesByEvent = new Map<string, ImageBlob | undefined>();
  const images = new Map<string, ImageBlob>();
  for (const event of unique.values()) {
    const image = imageBlobOf(event);
    imagesByEvent.set(event.id, image);
    if (image) images.set(image.sha256, image);
  }
  const archive = serializeArchive(
    [...unique.values()].map((event) => archivedEvent(event, imagesByEvent.get(event.id))),
  );
  try {
    await Promise.all([
      ...[...images.values()].map((image) => sinks.putImage(image)),
      sinks.putArchive(archive),
    ]);
  } catch (error) {
    throw new DependencyError('storage', error);
  }
  const ingestedAt = clock();
  const hubEvents = [...unique.values()].map((event, line) =>
    toHubEvent(event, imagesByEvent.get(event.id), { blob: archive.name, line }, ingestedAt),
  );
  try {
    await sinks.publish(hubEvents);
  } catch (error) {
    throw new DependencyError('event-hubs', error);
  }
  return events.map((event) => event.id);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
