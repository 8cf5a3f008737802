/* Generated from schemas/tweet-event.schema.json by `npm run -w schemas generate`. Do not edit. */

/**
 * One Hurricane Harvey tweet, optionally paired with a satellite image of hurricane damage. This schema is the single message contract: the ingest function, the producer and API Management all validate against it.
 */
export interface TweetEvent {
  /**
   * Version of this contract. Bumped on any incompatible change.
   */
  schemaVersion: 1;
  /**
   * Deterministic event id derived from the source row (see schemas/src/event-id.ts): 32 lowercase hex characters. A replay of the same row yields the same id, so every write is an idempotent upsert.
   */
  id: string;
  /**
   * The tweet's id as a decimal string. 64-bit tweet ids lose precision as JSON numbers, so they are never numbers here.
   */
  tweetId: string;
  /**
   * When the tweet was posted, ISO 8601 in UTC (for example 2017-08-25T20:05:00Z).
   */
  createdAt: string;
  /**
   * The tweet text. At most 280 characters (code points), Twitter's limit.
   */
  text: string;
  /**
   * Retweet count. Absent when the source row has none (unknown, not zero): a tweet without a count is still a tweet.
   */
  retweets?: number;
  /**
   * Reply count. Absent when the source row has none (unknown, not zero): a tweet without a count is still a tweet.
   */
  replies?: number;
  /**
   * Like count. Absent when the source row has none (unknown, not zero): a tweet without a count is still a tweet.
   */
  likes?: number;
  image?: SatelliteImage;
}
/**
 * A 128x128 satellite image of the area after the hurricane, with the location taken from its file name and the label from its folder.
 */
export interface SatelliteImage {
  /**
   * Whether the image shows damage.
   */
  label: 'damage' | 'no_damage';
  /**
   * Longitude in decimal degrees (WGS 84).
   */
  longitude: number;
  /**
   * Latitude in decimal degrees (WGS 84).
   */
  latitude: number;
  /**
   * Media type of the image bytes.
   */
  contentType: 'image/jpeg';
  /**
   * The JPEG bytes, standard base64 with padding. At most 64 KiB of bytes (87,384 base64 characters); the dataset's 128x128 JPEGs are 5-15 KB.
   */
  data: string;
}
