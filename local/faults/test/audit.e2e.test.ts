import { CosmosClient, type Container } from '@azure/cosmos';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import {
  COSMOS_EMULATOR_KEY,
  startAzurite,
  startCosmos,
  type RunningAzurite,
  type RunningCosmos,
} from '@pipeline/emulators';
import { serializeArchive, type ArchivedEvent } from '@pipeline/schemas';
import { archivedIds, compareIds, waitUntilReadable } from '../src/audit';

describe('archivedIds (against Azurite)', () => {
  let azurite: RunningAzurite;
  let container: ContainerClient;
  beforeAll(async () => {
    azurite = await startAzurite({ port: 0 });
    container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'raw-events',
    );
    await container.create();
  }, 60_000);
  afterAll(() => azurite?.stop());

  const event = (n: number): ArchivedEvent => ({
    schemaVersion: 1,
    id: n.toString(16).padStart(32, '0'),
    tweetId: String(n),
    createdAt: '2017-08-25T20:05:00Z',
    text: `tweet ${n}`,
    retweets: 0,
    replies: 0,
    likes: 0,
  });
  const put = async (events: ArchivedEvent[]) => {
    const archive = serializeArchive(events);
    await container.getBlockBlobClient(archive.name).uploadData(archive.body);
  };

  it('collects every line of every request archive, so the audit names missing, extra and twice-archived ids', async () => {
    await put([event(1), event(2)]);
    await put([event(1), event(2)]); // a retry: the same blob again
    await put([event(3), event(9)]);
    await put([event(2)]); // the same id in another request's archive
    const { archives, ids } = await archivedIds(container);
    expect(archives).toBe(3);
    expect(ids.sort()).toEqual([event(1).id, event(2).id, event(2).id, event(3).id, event(9).id].sort());
    const accepted = new Set([event(1).id, event(2).id, event(3).id, event(4).id]);
    expect(compareIds(accepted, ids)).toEqual({
      missing: [event(4).id],
      repeated: [event(2).id],
      unexpected: [event(9).id],
    });
  });
});

describe('waitUntilReadable (against the Cosmos DB emulator)', () => {
  let cosmos: RunningCosmos;
  let container: Container;
  beforeAll(async () => {
    cosmos = await startCosmos({ port: 0 });
    const client = new CosmosClient({
      endpoint: cosmos.endpoint,
      key: COSMOS_EMULATOR_KEY,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    const { database } = await client.databases.createIfNotExists({ id: 'audit' });
    ({ container } = await database.containers.createIfNotExists({
      id: 'events',
      partitionKey: { paths: ['/id'] },
    }));
  }, 60_000);
  afterAll(() => cosmos?.stop());

  it('returns the ids it could not read by the deadline, and waits for one written meanwhile', async () => {
    await Promise.all(['a', 'b', 'c'].map((id) => container.items.upsert({ id })));
    expect(await waitUntilReadable(container, ['a', 'b', 'x', 'c', 'y'], Date.now(), 2)).toEqual(['x', 'y']);
    setTimeout(() => void container.items.upsert({ id: 'late' }), 500);
    expect(await waitUntilReadable(container, ['a', 'late'], Date.now() + 20_000)).toEqual([]);
  });
});
