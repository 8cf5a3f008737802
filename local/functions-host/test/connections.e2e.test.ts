import {
  AZURITE_ACCOUNT,
  AZURITE_ACCOUNT_KEY,
  COSMOS_EMULATOR_KEY,
  startAzurite,
  startCosmos,
  type RunningAzurite,
  type RunningCosmos,
} from '@pipeline/emulators';
import { createOutputBinding, SdkClients } from '../src/outputs';
import { resolveConnection } from '../src/settings';

jest.setTimeout(60_000);

describe('output bindings on identity-style connections, against the emulators', () => {
  let azurite: RunningAzurite;
  let cosmos: RunningCosmos;
  let clients: SdkClients;
  beforeAll(async () => {
    [azurite, cosmos] = await Promise.all([startAzurite({ port: 0 }), startCosmos({ port: 0 })]);
    clients = new SdkClients();
  });
  afterAll(async () => {
    await clients?.close();
    await Promise.all([azurite?.stop(), cosmos?.stop()]);
  });

  it('cosmosDB output with CosmosDb__accountEndpoint (+ local key) upserts the documents', async () => {
    const values = { CosmosDb__accountEndpoint: cosmos.endpoint, CosmosDb__accountKey: COSMOS_EMULATOR_KEY };
    const binding = createOutputBinding(
      'consume',
      'documents',
      {
        type: 'cosmosDB',
        direction: 'out',
        connection: 'CosmosDb',
        databaseName: 'idb',
        containerName: 'docs',
        createIfNotExists: true,
      },
      values,
      clients,
    );
    await binding.apply([{ id: 'a', n: 1 }]);
    const { resource } = await clients
      .cosmos(resolveConnection('CosmosDb', values, 'w', 'cosmosDB'))
      .database('idb')
      .container('docs')
      .item('a', 'a')
      .read<{ n: number }>();
    expect(resource?.n).toBe(1);
  });

  it('blob output with PipelineStorage__blobServiceUri signs with the shared key (a wrong key gets 403)', async () => {
    const good = {
      PipelineStorage__blobServiceUri: azurite.blobEndpoint,
      PipelineStorage__accountKey: AZURITE_ACCOUNT_KEY,
    };
    const container = clients
      .blobService(resolveConnection('PipelineStorage', good, 'w', 'blob'))
      .getContainerClient('out');
    await container.createIfNotExists();
    const info = {
      type: 'blob',
      direction: 'out' as const,
      connection: 'PipelineStorage',
      path: 'out/x.txt',
    };
    await createOutputBinding('f', 'b', info, good, clients).apply('hello');
    expect((await container.getBlockBlobClient('x.txt').downloadToBuffer()).toString()).toBe('hello');
    expect(azurite.blobEndpoint).toContain(AZURITE_ACCOUNT);

    const bad = { ...good, PipelineStorage__accountKey: Buffer.from('wrong').toString('base64') };
    await expect(createOutputBinding('f', 'b', info, bad, new SdkClients()).apply('x')).rejects.toMatchObject(
      {
        statusCode: 403,
      },
    );
  });
});
