import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

/**
 * The credential behind an identity-based connection `<Name>__<endpoint property>`.
 *
 * In Azure: a managed identity, as the Functions host builds it from the same settings
 * (https://learn.microsoft.com/azure/azure-functions/functions-reference#common-properties-for-identity-based-connections):
 * `<Name>__credential` = `managedidentity` with an optional `<Name>__clientId` (a user-assigned identity);
 * without them, DefaultAzureCredential (the managed identity in Azure, `az login` on a laptop).
 *
 * Locally: the emulators accept keys, not Entra ID tokens, so the local stack adds the key as one more
 * property of the same connection, a name Azure never has (the infrastructure's security rule
 * `app-settings-identity-only` refuses any setting ending in `AccountKey` or `SharedAccessKey`):
 * - Blob Storage: `<Name>__accountKey` (shared key; the account name comes from the service URI),
 * - Cosmos DB: `<Name>__accountKey`,
 * - Event Hubs: `<Name>__sharedAccessKeyName` and `<Name>__sharedAccessKey`.
 * Everything else (the endpoint setting, the client constructor, its options) is the Azure path.
 */
export class CredentialSettingError extends Error {
  override name = 'CredentialSettingError';
}

/** The shape of @azure/core-auth's NamedKeyCredential (a SAS policy name and key). */
export interface SharedAccessKeyCredential {
  readonly name: string;
  readonly key: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const tokenCredentials = new Map<string, TokenCredential>();

/** One token credential per identity (it caches tokens), shared by every connection using it. */
export function managedIdentity(connection: string, env: Env = process.env): TokenCredential {
  const kind = env[`${connection}__credential`];
  const clientId = env[`${connection}__clientId`];
  if (kind !== undefined && kind.toLowerCase() !== 'managedidentity')
    throw new CredentialSettingError(
      `${connection}__credential is "${kind}": the only supported value is "managedidentity"`,
    );
  const key = kind ? `managedidentity:${clientId ?? ''}` : 'default';
  let credential = tokenCredentials.get(key);
  if (!credential) {
    credential = kind
      ? new ManagedIdentityCredential(clientId ? { clientId } : {})
      : new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
    tokenCredentials.set(key, credential);
  }
  return credential;
}

export function storageCredential(
  connection: string,
  serviceUri: string,
  env: Env = process.env,
): StorageSharedKeyCredential | TokenCredential {
  const accountKey = env[`${connection}__accountKey`];
  if (!accountKey) return managedIdentity(connection, env);
  return new StorageSharedKeyCredential(storageAccountName(serviceUri, connection), accountKey);
}

export function eventHubsCredential(
  connection: string,
  env: Env = process.env,
): SharedAccessKeyCredential | TokenCredential {
  const name = env[`${connection}__sharedAccessKeyName`];
  const key = env[`${connection}__sharedAccessKey`];
  if (!name && !key) return managedIdentity(connection, env);
  if (!name || !key)
    throw new CredentialSettingError(
      `${connection}: set both ${connection}__sharedAccessKeyName and ${connection}__sharedAccessKey, or neither`,
    );
  return { name, key };
}

/**
 * The CosmosClient options that carry the credential. The local Cosmos DB server also needs endpoint
 * discovery off (it serves no regional endpoints), which only ever goes with its key.
 */
export function cosmosCredential(
  connection: string,
  env: Env = process.env,
):
  | { key: string; connectionPolicy: { enableEndpointDiscovery: false } }
  | { aadCredentials: TokenCredential } {
  const key = env[`${connection}__accountKey`];
  if (key) return { key, connectionPolicy: { enableEndpointDiscovery: false } };
  return { aadCredentials: managedIdentity(connection, env) };
}

/**
 * The account a blob service URI belongs to: the first label of the host
 * (`https://<account>.blob.core.windows.net/`), or, for an IP address or `localhost` (Azurite's
 * path-style URLs), the first path segment (`http://127.0.0.1:10000/<account>`).
 */
export function storageAccountName(serviceUri: string, connection = 'storage'): string {
  let url: URL;
  try {
    url = new URL(serviceUri);
  } catch {
    throw new CredentialSettingError(`${connection}: "${serviceUri}" is not a URL`);
  }
  const pathStyle = /^(\d+\.\d+\.\d+\.\d+|\[.*\]|localhost)$/i.test(url.hostname);
  const account = pathStyle ? url.pathname.split('/').find(Boolean) : url.hostname.split('.')[0];
  if (!account) throw new CredentialSettingError(`${connection}: no account name in "${serviceUri}"`);
  return account;
}
