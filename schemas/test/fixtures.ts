import type { TweetEvent } from '../src';
import { deriveEventId } from '../src';

/** A 1x1 JPEG: small, real bytes for image fields in tests. */
export const TINY_JPEG_BASE64 =
  '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=';

export function validEvent(overrides: Partial<TweetEvent> = {}): TweetEvent {
  const base = {
    tweetId: '901234567890123456',
    createdAt: '2017-08-25T20:05:00Z',
    text: 'Hurricane Harvey making landfall near Rockport #HurricaneHarvey',
  };
  return {
    schemaVersion: 1,
    id: deriveEventId(base),
    ...base,
    retweets: 3,
    replies: 1,
    likes: 12,
    image: {
      label: 'damage',
      longitude: -95.061,
      latitude: 29.83,
      contentType: 'image/jpeg',
      data: TINY_JPEG_BASE64,
    },
    ...overrides,
  };
}
