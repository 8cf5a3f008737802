import { app, output, type InvocationContext } from '@azure/functions';
import { blobContainer } from '../lib/clients';
import { processBatch, positionsFromTriggerMetadata, type DeadLetter } from '../lib/consume-core';
import { containers } from '../lib/settings';

/**
 * Cosmos DB output binding: the host upserts every document the handler returns (upsert by id, so a
 * redelivered batch rewrites the same documents). A failed write fails the invocation, and the retry
 * policy below runs it again before the batch is checkpointed.
 */
export const cosmosOutput = output.cosmosDB({
  connection: 'CosmosDb',
  databaseName: '%COSMOS_DATABASE%',
  containerName: '%COSMOS_CONTAINER%',
  createIfNotExists: false,
});

export type DeadLetterWriter = (deadLetters: readonly DeadLetter[]) => Promise<void>;

export function createConsumeHandler(writeDeadLetters: DeadLetterWriter) {
  return async function consume(messages: unknown[], context: InvocationContext): Promise<void> {
    const positions = positionsFromTriggerMetadata(context.triggerMetadata, messages.length);
    const { documents, deadLetters } = processBatch(messages, positions, new Date());
    // Dead letters are written before the documents are handed to the binding: if either fails, the
    // whole batch is retried, and both writes are idempotent.
    if (deadLetters.length > 0) {
      await writeDeadLetters(deadLetters);
      for (const letter of deadLetters)
        context.warn(`dead-lettered ${letter.blobName}: ${letter.record.reason}`);
    }
    context.extraOutputs.set(cosmosOutput, documents);
    context.log(
      `consume: ${documents.length} documents, ${deadLetters.length} dead letters, partition ${positions[0]?.partitionId ?? '-'}`,
    );
  };
}

async function writeDeadLettersToBlob(deadLetters: readonly DeadLetter[]): Promise<void> {
  const container = blobContainer(containers.deadLetters());
  await Promise.all(
    deadLetters.map((letter) => {
      const body = Buffer.from(JSON.stringify(letter.record, null, 2));
      return container
        .getBlockBlobClient(letter.blobName)
        .uploadData(body, { blobHTTPHeaders: { blobContentType: 'application/json' } });
    }),
  );
}

export const consume = createConsumeHandler(writeDeadLettersToBlob);

app.eventHub('consume', {
  connection: 'EventHub',
  eventHubName: '%EVENTHUB_NAME%',
  consumerGroup: '%EVENTHUB_CONSUMER_GROUP%',
  cardinality: 'many',
  extraOutputs: [cosmosOutput],
  // Retry forever with backoff: a batch that cannot be stored (Cosmos down, throttled) is never
  // skipped. Poison events do not block the partition: they are dead-lettered, not thrown.
  retry: {
    strategy: 'exponentialBackoff',
    maxRetryCount: -1,
    minimumInterval: { seconds: 1 },
    maximumInterval: { seconds: 60 },
  },
  handler: consume,
});
