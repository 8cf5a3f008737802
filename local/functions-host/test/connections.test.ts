import { connectionString, resolveConnection, SettingsError } from '../src/settings';

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
