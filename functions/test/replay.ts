import type { TweetEvent } from '@pipeline/schemas';
import type { Container } from '@azure/cosmos';
import { consume, cosmosOutput } from '../src/functions/consume';
import { azureIngestSinks } from '../src/lib/azure-sinks';
import { ingestEvents } from '../src/lib/ingest-service';
import { quietContext } from './support';

let nextSequenceNumber = 0;

/**
 * Carries events through the pipeline's own code without the hub: the ingest service stores images and
 * raw events in Azurite and hands over the slim events; the consume handler turns them (and any poison
 * messages) into documents and dead letters, and the documents are upserted as its Cosmos output binding
 * would. Used until the Event Hubs emulator can carry them for real.
 */
export async function replayWithoutHub(
  events: readonly TweetEvent[],
  cosmos: Container,
  poison: readonly unknown[] = [],
  partitionId = '0',
): Promise<void> {
  const published: unknown[] = [];
  await ingestEvents(
    events,
    {
      ...azureIngestSinks(),
      publish: (hubEvents) => {
        published.push(...hubEvents);
        return Promise.resolve();
      },
    },
    new Date(),
  );
  const messages = [...published, ...poison];
  const first = nextSequenceNumber;
  nextSequenceNumber += messages.length;
  const context = quietContext({
    partitionContext: { partitionId, eventHubName: 'tweets', consumerGroup: 'cosmos-writer' },
    enqueuedTimeUtcArray: messages.map(() => new Date(Date.now() - 40).toISOString()),
    sequenceNumberArray: messages.map((_, i) => first + i),
    offsetArray: messages.map((_, i) => String((first + i) * 1000)),
  });
  await consume(messages, context);
  const documents = context.extraOutputs.get(cosmosOutput) as { id: string }[];
  for (const document of documents) await cosmos.items.upsert(document);
}
