import { BlobServiceClient } from '@azure/storage-blob';
import type { Container, CosmosClient } from '@azure/cosmos';
import { APP_CONTAINERS, PIPELINE_NAMES } from '@pipeline/schemas';

/**
 * What the infrastructure creates in Azure (cdktf/src/pipeline-stack.ts), created on the emulators
 * with the contract's names (schemas/src/names.ts): the blob containers and the Cosmos DB database and
 * container. One definition for the local stack, the functions' tests and the functions host's tests,
 * which each had their own copy. Idempotent: provisioning twice (a restarted emulator) is harmless.
 * It lives here, at the bottom of the workspace graph, so every workspace that starts emulators can
 * use it without a cycle.
 */

/**
 * Creates the blob containers: by default the functions' data containers (APP_CONTAINERS); the local
 * stack adds the host's checkpoint container.
 */
export async function provisionContainers(
  storage: BlobServiceClient | string,
  containers: readonly string[] = APP_CONTAINERS,
): Promise<void> {
  const service = typeof storage === 'string' ? BlobServiceClient.fromConnectionString(storage) : storage;
  await Promise.all(containers.map((name) => service.getContainerClient(name).createIfNotExists()));
}

/**
 * Creates the database and the events container (partitioned by the contract's key) through the
 * caller's client, which stays the caller's to dispose, and returns the container.
 */
export async function provisionCosmosContainer(client: CosmosClient): Promise<Container> {
  const { database } = await client.databases.createIfNotExists({ id: PIPELINE_NAMES.cosmosDatabase });
  const { container } = await database.containers.createIfNotExists({
    id: PIPELINE_NAMES.cosmosContainer,
    partitionKey: { paths: [PIPELINE_NAMES.partitionKey] },
  });
  return container;
}
