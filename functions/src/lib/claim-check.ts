import { createHash } from 'node:crypto';
import type { ArchivedEvent, HubEvent, ImageReference, TweetEvent } from '@pipeline/schemas';

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

/** Where the image's bytes are stored and what they show: the claim check, in the archive and the hub. */
export function imageReference(event: TweetEvent, image: ImageBlob | undefined): ImageReference | undefined {
  if (!event.image || !image) return undefined;
  return {
    label: event.image.label,
    longitude: event.image.longitude,
    latitude: event.image.latitude,
    contentType: event.image.contentType,
    blob: image.name,
    sha256: image.sha256,
    bytes: image.bytes.length,
  };
}

/**
 * The event as the raw archive keeps it: every field as received, in the order received (so a retried
 * request serializes to the same bytes), with the base64 image replaced by its reference; the bytes
 * themselves are in the images container under the same hash.
 */
export function archivedEvent(event: TweetEvent, image: ImageBlob | undefined): ArchivedEvent {
  const reference = imageReference(event, image);
  if (!reference) {
    const { image: _none, ...rest } = event;
    return rest;
  }
  return { ...event, image: reference };
}

/** Where an event's raw JSON is: its request's archive blob and its line there. */
export interface RawLocation {
  readonly blob: string;
  readonly line: number;
}

/** The slim event for Event Hubs: the metadata and the blob references, never the image's bytes. */
export function toHubEvent(
  event: TweetEvent,
  image: ImageBlob | undefined,
  raw: RawLocation,
  ingestedAt: Date,
): HubEvent {
  const hubEvent: HubEvent = {
    schemaVersion: 2,
    id: event.id,
    tweetId: event.tweetId,
    createdAt: event.createdAt,
    text: event.text,
    // An absent count stays absent (unknown), never undefined on the wire (AMQP would encode a null).
    ...(event.retweets === undefined ? {} : { retweets: event.retweets }),
    ...(event.replies === undefined ? {} : { replies: event.replies }),
    ...(event.likes === undefined ? {} : { likes: event.likes }),
    rawBlob: raw.blob,
    rawLine: raw.line,
    ingestedAt: ingestedAt.toISOString(),
  };
  const reference = imageReference(event, image);
  if (reference) hubEvent.image = reference;
  return hubEvent;
}
