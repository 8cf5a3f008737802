import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import {
  CredentialSettingError,
  eventHubsCredential,
  managedIdentity,
  storageAccountName,
} from '../src/lib/credentials';
import { readConnection } from '../src/lib/settings';

/** Sets app settings for one test and restores the environment afterwards. */
const saved = { ...process.env };
function settings(values: Record<string, string>): void {
  for (const key of Object.keys(process.env))
    if (/^(PipelineStorage|CosmosDb|EventHub)(__|$)/.test(key)) delete process.env[key];
  Object.assign(process.env, values);
}
afterEach(() => {
  process.env = { ...saved };
});

describe('connection settings resolve as the Functions host resolves them', () => {
  it('the bare <Name> connection string wins over <Name>__<property> (EventHubClientFactory)', () => {
    settings({
      EventHub: 'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b',
      EventHub__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
    });
    expect(readConnection('EventHub', ['fullyQualifiedNamespace'])).toEqual({
      connectionString: 'Endpoint=sb://x/;SharedAccessKeyName=a;SharedAccessKey=b',
    });
    settings({ EventHub__fullyQualifiedNamespace: 'ns.servicebus.windows.net' });
    expect(readConnection('EventHub', ['fullyQualifiedNamespace'])).toEqual({
      identityEndpoint: 'ns.servicebus.windows.net',
    });
  });

  it('Azure settings (no local key) take a managed identity; __credential/__clientId are honoured', () => {
    expect(managedIdentity('A', {})).toBeInstanceOf(DefaultAzureCredential);
    expect(managedIdentity('B', { B__credential: 'managedidentity', B__clientId: 'abc' })).toBeInstanceOf(
      ManagedIdentityCredential,
    );
    expect(() => managedIdentity('C', { C__credential: 'connectionstring' })).toThrow(CredentialSettingError);
    expect(eventHubsCredential('EventHub', {})).toBeInstanceOf(DefaultAzureCredential);
    expect(() => eventHubsCredential('EventHub', { EventHub__sharedAccessKey: 'k' })).toThrow(
      /EventHub__sharedAccessKeyName/,
    );
  });

  it('the storage account comes from the service URI (Azure host names, Azurite paths)', () => {
    expect(storageAccountName('https://stpipe01.blob.core.windows.net/')).toBe('stpipe01');
    expect(storageAccountName('http://127.0.0.1:10000/devstoreaccount1')).toBe('devstoreaccount1');
    expect(storageAccountName('http://localhost:10000/devstoreaccount1/')).toBe('devstoreaccount1');
    expect(() => storageAccountName('http://127.0.0.1:10000/')).toThrow(CredentialSettingError);
  });
});
