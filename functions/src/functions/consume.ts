import { app, trigger, type InvocationContext } from '@azure/functions';
import { containerBulk, partitionKeyReader, upsertDocuments } from '../lib/bulk-upsert';
import { blobContainer, cosmosContainer } from '../lib/clients';
import {
  processBatch,
  positionsFromTriggerMetadata,
  type DeadLetter,
  type StoredEventDocument,
} from '../lib/consume-core';
import { containers } from '../lib/settings';
import { APP_SETTINGS, bindingExpression, CONNECTIONS, PIPELINE_NAMES } from '@pipeline/schemas';

export type DeadLetterWriter = (deadLetters: readonly DeadLetter[]) => Promise<void>;
export type DocumentWriter = (
  documents: readonly StoredEventDocument[],
  context: InvocationContext,
) => Promise<void>;

export function createConsumeHandler(writeDeadLetters: DeadLetterWriter, writeDocuments: DocumentWriter) {
  return async function consume(messages: unknown[], context: InvocationContext): Promise<void> {
    if (!Array.isArray(messages))
      throw new TypeError(`consume expects a batch (cardinality many), got ${typeof messages}`);
    const positions = positionsFromTriggerMetadata(context.triggerMetadata, messages.length);
    const { documents, deadLetters } = processBatch(messages, positions, new Date());
    // Dead letters are written before the documents: if either fails, the whole batch is retried, and
    // both writes are idempotent.
    if (deadLetters.length > 0) {
      await writeDeadLetters(deadLetters);
      for (const letter of deadLetters)
        context.warn(`dead-lettered ${letter.blobName}: ${letter.record.reason}`);
    }
    await writeDocuments(documents, context);
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

const partitionKeyOf = partitionKeyReader(PIPELINE_NAMES.partitionKey);

/**
 * Upserts the documents with Cosmos DB's bulk API, 100 per request, through the functions' one
 * CosmosClient (identity in Azure). Not the Cosmos DB output binding: the binding upserts one document
 * per request (its collector calls UpsertItemAsync for each item and never enables bulk:
 * azure-webjobs-sdk-extensions, src/WebJobs.Extensions.CosmosDB/Bindings/CosmosDBAsyncCollector.cs,
 * and the open request Azure/azure-webjobs-sdk-extensions#820), which was most of the consumer's work
 * per event (HOST-10). Upserts by id: a redelivered batch rewrites the same documents.
 */
async function upsertToCosmos(
  documents: readonly StoredEventDocument[],
  context: InvocationContext,
): Promise<void> {
  if (documents.length === 0) return;
  await upsertDocuments(
    containerBulk(cosmosContainer()),
    partitionKeyOf,
    documents as unknown as readonly Record<string, unknown>[],
    { onRetry: (message) => context.warn(message) },
  );
}

export const consume = createConsumeHandler(writeDeadLettersToBlob, upsertToCosmos);

/**
 * The Event Hubs trigger of `consume`, with a `dataType` (which `app.eventHub`'s typed options do not
 * offer; the library copies every trigger property into the binding metadata the host reads).
 */
export const consumeTrigger = {
  ...trigger.eventHub({
    connection: CONNECTIONS.eventHub,
    eventHubName: bindingExpression(APP_SETTINGS.eventHubName),
    consumerGroup: bindingExpression(APP_SETTINGS.consumerGroup),
    cardinality: 'many',
  }),
  // Bytes, not the default. Without a dataType the real host binds a batch as object[] through
  // Json.NET: one body that is not JSON (or is empty) fails the whole batch before this handler runs,
  // and with maxRetryCount -1 that batch is retried forever and the partition stalls
  // (azure-functions-nodejs-library #187, #340). A string collection is no better: the host drops
  // empty bodies from it (the Node.js worker does not declare IncludeEmptyEntriesInMessagePayload),
  // which mis-pairs messages with their metadata. byte[][] keeps every body, so every poison event
  // reaches the handler and is dead-lettered (azure-functions-host, src/WebJobs.Script.Grpc/
  // MessageExtensions/GrpcMessageConversionExtensions.cs: ToRpcByteArray, ToRpcStringArray).
  dataType: 'binary',
};

app.generic('consume', {
  trigger: consumeTrigger,
  // Retry forever with backoff: a batch that cannot be stored (Cosmos down, throttled) is never
  // skipped. Poison events do not block the partition: they reach the handler as bytes (above) and are
  // dead-lettered, not thrown.
  retry: {
    strategy: 'exponentialBackoff',
    maxRetryCount: -1,
    minimumInterval: { seconds: 1 },
    maximumInterval: { seconds: 60 },
  },
  handler: (messages: unknown, context: InvocationContext) => consume(messages as unknown[], context),
});
