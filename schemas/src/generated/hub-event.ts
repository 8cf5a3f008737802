/* Generated from schemas/hub-event.schema.json by `npm run -w schemas generate`. Do not edit. */

/**
 * The slim event the ingest function sends to Event Hubs (claim check): the tweet's metadata and a reference to the image blob, never the image bytes. Internal contract between the ingest and consume functions.
 */
export interface HubEvent {
  /**
   * 2 since the raw archive holds one blob per request (rawBlob + rawLine); 1 named one blob per event.
   */
  schemaVersion: 2;
  id: string;
  tweetId: string;
  createdAt: string;
  text: string;
  /**
   * Absent when the event has no retweet count (unknown, not zero); likewise replies and likes.
   */
  retweets?: number;
  replies?: number;
  likes?: number;
  image?: ImageReference;
  /**
   * Name of the request's archive in the raw-events container (NDJSON, one raw event per line, images by reference): the UTC day of its earliest event, then the SHA-256 of its bytes.
   */
  rawBlob: string;
  /**
   * The event's line in that archive, from 0 (at most 99: a request holds at most 100 events).
   */
  rawLine: number;
  /**
   * When the ingest function accepted the event (ISO 8601, UTC).
   */
  ingestedAt: string;
}
/**
 * Where the image bytes were stored (content-addressed) and what they show.
 */
export interface ImageReference {
  label: 'damage' | 'no_damage';
  longitude: number;
  latitude: number;
  contentType: 'image/jpeg';
  /**
   * Name of the image in the images container: its SHA-256 in hex plus .jpeg.
   */
  blob: string;
  sha256: string;
  bytes: number;
}
