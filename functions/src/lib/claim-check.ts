import { createHash } from 'node:crypto';
import type { HubEvent, TweetEvent } from '@pipeline/schemas';

/** An image decoded from an event, named by its content so each distinct image is stored once. */
export interface ImageBlob {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: Buffer;
}

export function imageBlobOf(event: TweetEvent): ImageBlob | undefined {
  if (!event.image) return undefined;
  const bytes = Buffer.from(event.image.data, 'base64');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { name: `${sha256}.jpeg`, sha256, bytes };
}

/**
 * The raw archive name: the tweet's UTC date as folders, then the event id. Deterministic, so a retry
 * or a replay overwrites the same blob, and the folders let a person (or a lifecycle rule by prefix)
 * find a day's events.
 */
export function rawBlobName(event: TweetEvent): string {
  const day = new Date(event.createdAt).toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/${event.id}.json`;
}

/** The slim event for Event Hubs: the metadata and the image's blob reference, never its bytes. */
export function toHubEvent(event: TweetEvent, image: ImageBlob | undefined, ingestedAt: Date): HubEvent {
  const hubEvent: HubEvent = {
    schemaVersion: 1,
    id: event.id,
    tweetId: event.tweetId,
    createdAt: event.createdAt,
    text: event.text,
    retweets: event.retweets,
    replies: event.replies,
    likes: event.likes,
    rawBlob: rawBlobName(event),
    ingestedAt: ingestedAt.toISOString(),
  };
  if (event.image && image) {
    hubEvent.image = {
      label: event.image.label,
      longitude: event.image.longitude,
      latitude: event.image.latitude,
      contentType: event.image.contentType,
      blob: image.name,
      sha256: image.sha256,
      bytes: image.bytes.length,
    };
  }
  return hubEvent;
}
