import { encode } from 'jpeg-js';
import { deriveEventId, type TweetEvent } from '@pipeline/schemas';

/** A real 128x128 JPEG (the dataset's size) whose pixels depend on `seed`, so images differ by seed. */
export function jpeg(seed: number): Buffer {
  const width = 128;
  const height = 128;
  const data = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = (i * seed) % 256;
    data[i * 4 + 1] = (i + seed * 37) % 256;
    data[i * 4 + 2] = (seed * 91) % 256;
    data[i * 4 + 3] = 255;
  }
  return encode({ data, width, height }, 80).data;
}

/** A contract-valid event for tweet number `n`, with an image unless `withImage` is false. */
export function tweetEvent(n: number, options: { withImage?: boolean; imageSeed?: number } = {}): TweetEvent {
  const source = {
    tweetId: String(901234567890000000n + BigInt(n)),
    createdAt: new Date(Date.UTC(2017, 7, 25, 20, 5) + n * 60_000).toISOString().replace('.000Z', 'Z'),
    text: `Harvey update ${n}: water rising on the Texas coast #HurricaneHarvey`,
  };
  const event: TweetEvent = {
    schemaVersion: 1,
    id: deriveEventId(source),
    ...source,
    retweets: n % 7,
    replies: n % 3,
    likes: n % 11,
  };
  if (options.withImage !== false) {
    event.image = {
      label: n % 2 === 0 ? 'damage' : 'no_damage',
      longitude: -95.5 + (n % 100) / 100,
      latitude: 29.5 + (n % 50) / 100,
      contentType: 'image/jpeg',
      data: jpeg(options.imageSeed ?? n).toString('base64'),
    };
  }
  return event;
}
