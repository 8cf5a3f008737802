import { BlobServiceClient } from '@azure/storage-blob';
import { CosmosClient } from '@azure/cosmos';
import { APP_CONTAINERS, PIPELINE_NAMES } from '@pipeline/schemas';
import {
  provisionContainers,
  provisionCosmosContainer,
  startAzurite,
  startCosmos,
  type RunningAzurite,
  type RunningCosmos,
} from '../src';

// The one provisioning the stack and the tests share: what cdktf creates in Azure, by the contract's
// names, and safe to run again (a restarted Cosmos DB server is provisioned a second time).
describe('provisioning the emulators with the contract names', () => {
  let azurite: RunningAzurite;
  let cosmos: RunningCosmos;
  beforeAll(async () => {
    [azurite, cosmos] = await Promise.all([startAzurite({ port: 0 }), startCosmos({ port: 0 })]);
  });
  afterAll(() => Promise.all([azurite?.stop(), cosmos?.stop()]));

  test("creates the functions' containers, and more when asked, idempotently", async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    await provisionContainers(service);
    await provisionContainers(azurite.connectionString, [PIPELINE_NAMES.containers.checkpoints]);
    await provisionContainers(service);
    const names: string[] = [];
    for await (const container of service.listContainers()) names.push(container.name);
    expect(names.sort()).toEqual([...APP_CONTAINERS, PIPELINE_NAMES.containers.checkpoints].sort());
  });

  test('creates the database and the events container partitioned by the contract key, idempotently', async () => {
    const client = new CosmosClient({
      endpoint: cosmos.endpoint,
      key: 'local',
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    try {
      const first = await provisionCosmosContainer(client);
      await first.items.upsert({ id: 'kept' });
      const again = await provisionCosmosContainer(client);
      expect([again.database.id, again.id]).toEqual([
        PIPELINE_NAMES.cosmosDatabase,
        PIPELINE_NAMES.cosmosContainer,
      ]);
      const { resource } = await again.read();
      expect(resource?.partitionKey?.paths).toEqual([PIPELINE_NAMES.partitionKey]);
      // Provisioning again kept the document: it created nothing new.
      const kept = await again.item('kept', 'kept').read<{ id: string }>();
      expect(kept.resource?.id).toBe('kept');
    } finally {
      client.dispose();
    }
  });
});
