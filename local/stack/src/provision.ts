import { BlobServiceClient } from '@azure/storage-blob';
import { CosmosClient } from '@azure/cosmos';

/**
 * What the infrastructure creates in Azure, created here on the emulators: the blob containers and
 * the Cosmos DB database and container (partition key /id). Idempotent.
 */
export const PIPELINE_NAMES = {
  eventHub: 'tweets',
  consumerGroup: 'cosmos-writer',
  cosmosDatabase: 'harvey',
  cosmosContainer: 'events',
  containers: {
    raw: 'raw-events',
    images: 'images',
    deadLetters: 'dead-letters',
    checkpoints: 'azure-webjobs-eventhub',
  },
} as const;

export async function provisionStorage(connectionString: string): Promise<void> {
  const service = BlobServiceClient.fromConnectionString(connectionString);
  await Promise.all(
    Object.values(PIPELINE_NAMES.containers).map((name) =>
      service.getContainerClient(name).createIfNotExists(),
    ),
  );
}

export async function provisionCosmos(endpoint: string, key: string): Promise<void> {
  const client = new CosmosClient({ endpoint, key, connectionPolicy: { enableEndpointDiscovery: false } });
  const { database } = await client.databases.createIfNotExists({ id: PIPELINE_NAMES.cosmosDatabase });
  await database.containers.createIfNotExists({
    id: PIPELINE_NAMES.cosmosContainer,
    partitionKey: { paths: ['/id'] },
  });
  client.dispose();
}
