import { CosmosClient } from '@azure/cosmos';
import { provisionContainers, provisionCosmosContainer } from '@pipeline/emulators';
import { APP_CONTAINERS, PIPELINE_NAMES } from '@pipeline/schemas';

/**
 * What the infrastructure creates in Azure, created here on the emulators (the contract's names, the
 * one provisioning in @pipeline/emulators): the functions' blob containers, the host's checkpoint
 * container and the Cosmos DB database and container. Idempotent.
 */
export { PIPELINE_NAMES };

export async function provisionStorage(connectionString: string): Promise<void> {
  await provisionContainers(connectionString, [...APP_CONTAINERS, PIPELINE_NAMES.containers.checkpoints]);
}

export async function provisionCosmos(endpoint: string, key: string): Promise<void> {
  const client = new CosmosClient({ endpoint, key, connectionPolicy: { enableEndpointDiscovery: false } });
  try {
    await provisionCosmosContainer(client);
  } finally {
    client.dispose();
  }
}
