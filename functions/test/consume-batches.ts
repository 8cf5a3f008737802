import { serializeArchive, type HubEvent } from '@pipeline/schemas';
import { archivedEvent, toHubEvent, imageBlobOf } from '../src/lib/claim-check';
import { tweetEvent } from './events';

/** Events and trigger metadata as the Functions host hands a batch to consume (its unit and e2e tests). */
export function hubEvent(n: number): HubEvent {
  const event = tweetEvent(n);
  const image = imageBlobOf(event);
  const raw = { blob: serializeArchive([archivedEvent(event, image)]).name, line: 0 };
  return toHubEvent(event, image, raw, new Date('2026-11-28T12:00:00Z'));
}

export function triggerMetadata(count: number, partitionId = '1', firstSequenceNumber = 100) {
  return {
    partitionContext: { partitionId, eventHubName: 'tweets', consumerGroup: 'cosmos-writer' },
    enqueuedTimeUtcArray: Array.from({ length: count }, (_, i) =>
      new Date(Date.UTC(2026, 10, 28, 12, 0, i)).toISOString(),
    ),
    sequenceNumberArray: Array.from({ length: count }, (_, i) => firstSequenceNumber + i),
    offsetArray: Array.from({ length: count }, (_, i) => String((firstSequenceNumber + i) * 1000)),
  };
}
