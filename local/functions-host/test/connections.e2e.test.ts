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
import { connectionString, resolveConnection, SettingsError } from '../src/settings';

jest.setTimeout(60_000);

describe('connections resolve as the real host resolves them', () => {
  it('a connection string at the bare name wins over identity properties (EventHubClientFactory)', () => {
    expect(
      resolveConnection(
        'EventHub',
        {
          EventHub: 'Endpoint=sb://a/;SharedAccessKeyName=n;SharedAccessKey=k',
          EventHub__fullyQualifiedNamespace: 'b',
        },
        'w',
        'eventHubs',
      ),
    ).toEqual({
      kind: 'connectionString',
      connectionString: 'Endpoint=sb://a/;SharedAccessKeyName=n;SharedAccessKey=k',
    });
  });

  it('identity properties by service: fullyQualifiedNamespace, accountEndpoint, blobServiceUri/serviceUri', () => {
    const values = {
      EventHub__fullyQualifiedNamespace: '127.0.0.1:5671',
      EventHub__sharedAccessKeyName: 'RootManageSharedAccessKey',
      EventHub__sharedAccessKey: 'SAS_KEY_VALUE',
      CosmosDb__accountEndpoint: 'http://127.0.0.1:8081/',
      CosmosDb__accountKey: 'c2VjcmV0',
      PipelineStorage__serviceUri: 'http://127.0.0.1:10000/devstoreaccount1',
      PipelineStorage__accountKey: 'a2V5',
    };
    expect(resolveConnection('EventHub', values, 'w', 'eventHubs')).toEqual({
      kind: 'identity',
      service: 'eventHubs',
      endpoint: '127.0.0.1:5671',
      credential: { kind: 'sharedAccessKey', keyName: 'RootManageSharedAccessKey', key: 'SAS_KEY_VALUE' },
    });
    expect(resolveConnection('PipelineStorage', values, 'w', 'blob')).toMatchObject({
      credential: { kind: 'accountKey', accountName: 'devstoreaccount1', key: 'a2V5' },
    });
    // The trigger builds its client from a connection string: the equivalent one, over TLS (no
    // UseDevelopmentEmulator), as the SDK connects with a credential.
    expect(connectionString('EventHub', values, 'w')).toBe(
      'Endpoint=sb://127.0.0.1:5671/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE',
    );
    expect(connectionString('CosmosDb', values, 'w')).toBe(
      'AccountEndpoint=http://127.0.0.1:8081/;AccountKey=c2VjcmV0;',
    );
  });

  it('a section without the endpoint property gets the extension error; nothing set names both forms', () => {
    expect(() => resolveConnection('CosmosDb', { CosmosDb__accountKey: 'k' }, 'w', 'cosmosDB')).toThrow(
      'connection "CosmosDb" should have a \'accountEndpoint\' property or be a string representing a connection string',
    );
    expect(() => resolveConnection('CosmosDb', {}, 'w', 'cosmosDB')).toThrow(
      'connection "CosmosDb" is not set (add "CosmosDb" with a connection string, or "CosmosDb__accountEndpoint")',
    );
    expect(() =>
      resolveConnection(
        'CosmosDb',
        {
          CosmosDb__accountEndpoint: 'https://x.documents.azure.com/',
          CosmosDb__credential: 'managedidentity',
        },
        'w',
        'cosmosDB',
      ),
    ).toThrow(SettingsError);
  });
});

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
