import { readFileSync } from 'node:fs';

/**
 * The host's settings, from a file in the local.settings.json format:
 * `{ "Values": { ...app settings... }, "FunctionKeys": { "default": "<key>", "<function>": "<key>" } }`.
 * `Values` become the process's environment (as app settings do in Azure); `FunctionKeys.default` is
 * accepted by every function (a host key), a key under a function's name only by that function.
 */
export interface HostSettings {
  readonly values: Readonly<Record<string, string>>;
  readonly functionKeys?: Readonly<Record<string, string>>;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

export function readSettingsFile(path: string): HostSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SettingsError(`Cannot read the settings file ${path}: ${(error as Error).message}`);
  }
  return parseLocalSettings(parsed, path);
}

export function parseLocalSettings(parsed: unknown, source = 'settings'): HostSettings {
  if (typeof parsed !== 'object' || parsed === null)
    throw new SettingsError(`${source}: expected a JSON object`);
  const { Values, FunctionKeys, IsEncrypted } = parsed as Record<string, unknown>;
  if (IsEncrypted === true)
    throw new SettingsError(`${source}: encrypted settings are not supported (set "IsEncrypted": false)`);
  return {
    values: stringMap(Values ?? {}, `${source}: Values`),
    functionKeys: stringMap(FunctionKeys ?? {}, `${source}: FunctionKeys`),
  };
}

function stringMap(value: unknown, what: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SettingsError(`${what} must be an object of strings`);
  const result: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw new SettingsError(`${what}.${key} must be a string`);
    result[key] = entry;
  }
  return result;
}

/** Resolves `%NAME%` app-setting expressions in a binding property, as the Functions host does. */
export function resolveSettingExpressions(
  text: string,
  values: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  return text.replace(/%([^%]+)%/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined || value === '')
      throw new SettingsError(`${where}: the app setting "${name}" (from "%${name}%") is not set`);
    return value;
  });
}

/**
 * The endpoint property of an identity-based connection, per service, as the Functions docs name them
 * (https://learn.microsoft.com/azure/azure-functions/functions-reference#configure-an-identity-based-connection;
 * the Event Hubs trigger: `<CONNECTION_NAME_PREFIX>__fullyQualifiedNamespace`, the Cosmos DB bindings:
 * `__accountEndpoint`, Blob Storage: `__serviceUri` or `__blobServiceUri`).
 */
export const IDENTITY_ENDPOINT_PROPERTIES = {
  eventHubs: ['fullyQualifiedNamespace'],
  cosmosDB: ['accountEndpoint'],
  blob: ['blobServiceUri', 'serviceUri'],
} as const;

export type ConnectionService = keyof typeof IDENTITY_ENDPOINT_PROPERTIES;

/** A connection as the host resolved it: a connection string, or an endpoint with its credential. */
export type ResolvedConnection =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      readonly service: ConnectionService;
      readonly endpoint: string;
      readonly credential: LocalCredential;
    };

/**
 * The credential of an identity-based connection in the local twin. In Azure the host builds a token
 * credential from `<name>__credential` / `__clientId` (a managed identity); the emulators take keys,
 * so the local stack adds one local-only property to the same connection (`__accountKey` for Blob
 * Storage and Cosmos DB, `__sharedAccessKeyName` + `__sharedAccessKey` for Event Hubs), a name the
 * infrastructure's security rule `app-settings-identity-only` refuses in Azure.
 */
export type LocalCredential =
  | { readonly kind: 'accountKey'; readonly accountName: string; readonly key: string }
  | { readonly kind: 'sharedAccessKey'; readonly keyName: string; readonly key: string };

/**
 * Resolves a binding's `connection` as the host's extensions do: a non-empty value at the bare name is
 * a connection string and wins; otherwise the `<name>__<endpoint property>` setting names the service
 * and the other `<name>__*` properties the credential (azure-sdk-for-net
 * sdk/eventhub/Microsoft.Azure.WebJobs.Extensions.EventHubs/src/Config/EventHubClientFactory.cs and
 * azure-webjobs-sdk-extensions src/WebJobs.Extensions.CosmosDB/Config/DefaultCosmosDBServiceFactory.cs,
 * `ResolveConnectionInformation`). Their error texts for a missing endpoint are kept.
 */
export function resolveConnection(
  name: string,
  values: Readonly<Record<string, string | undefined>>,
  where: string,
  service: ConnectionService,
): ResolvedConnection {
  const value = values[name];
  if (value && value.trim() !== '') return { kind: 'connectionString', connectionString: value };
  const properties = IDENTITY_ENDPOINT_PROPERTIES[service];
  const section = Object.keys(values).filter((key) => key.startsWith(`${name}__`) && values[key]);
  if (section.length === 0)
    throw new SettingsError(
      `${where}: connection "${name}" is not set (add "${name}" with a connection string, or ${properties.map((p) => `"${name}__${p}"`).join(' or ')})`,
    );
  const property = properties.find((p) => values[`${name}__${p}`]);
  if (!property)
    throw new SettingsError(
      `${where}: connection "${name}" should have a '${properties[0]}' property or be a string representing a connection string (found ${section.join(', ')})`,
    );
  const endpoint = values[`${name}__${property}`]!;
  return {
    kind: 'identity',
    service,
    endpoint,
    credential: localCredential(name, service, endpoint, values, where),
  };
}

function localCredential(
  name: string,
  service: ConnectionService,
  endpoint: string,
  values: Readonly<Record<string, string | undefined>>,
  where: string,
): LocalCredential {
  const get = (property: string) => values[`${name}__${property}`] || undefined;
  const identity = [get('credential') && `${name}__credential`, get('clientId') && `${name}__clientId`]
    .filter(Boolean)
    .join(', ');
  const noTokens = `${where}: connection "${name}" is identity-based${identity ? ` (${identity})` : ''}; the local twin cannot get Entra ID tokens, so it needs the emulator's key as`;
  if (service === 'eventHubs') {
    const keyName = get('sharedAccessKeyName');
    const key = get('sharedAccessKey');
    if (!keyName || !key)
      throw new SettingsError(`${noTokens} "${name}__sharedAccessKeyName" and "${name}__sharedAccessKey"`);
    return { kind: 'sharedAccessKey', keyName, key };
  }
  const key = get('accountKey');
  if (!key) throw new SettingsError(`${noTokens} "${name}__accountKey"`);
  return {
    kind: 'accountKey',
    accountName: service === 'blob' ? storageAccountName(endpoint, where) : '',
    key,
  };
}

/**
 * The account a blob service URI belongs to: the host's first label in Azure
 * (`https://<account>.blob.core.windows.net/`), the first path segment for Azurite's path-style URLs.
 */
export function storageAccountName(serviceUri: string, where = 'storage'): string {
  let url: URL;
  try {
    url = new URL(serviceUri);
  } catch {
    throw new SettingsError(`${where}: "${serviceUri}" is not a URL`);
  }
  const pathStyle = /^(\d+\.\d+\.\d+\.\d+|\[.*\]|localhost)$/i.test(url.hostname);
  const account = pathStyle ? url.pathname.split('/').find(Boolean) : url.hostname.split('.')[0];
  if (!account) throw new SettingsError(`${where}: no account name in "${serviceUri}"`);
  return account;
}

/**
 * The connection string behind a binding's `connection` setting, for code that constructs its SDK
 * client from one (the Event Hubs trigger, the checkpoint store). A connection string setting is
 * returned as is; an identity-based connection becomes the equivalent connection string with its
 * local key: for Event Hubs `Endpoint=sb://<fullyQualifiedNamespace>/;SharedAccessKeyName=...;
 * SharedAccessKey=...` without `UseDevelopmentEmulator`, so the SDK connects over TLS exactly as with
 * a credential. The service is recognised by the endpoint property the connection has.
 */
export function connectionString(
  name: string,
  values: Readonly<Record<string, string | undefined>>,
  where: string,
): string {
  const service =
    (Object.keys(IDENTITY_ENDPOINT_PROPERTIES) as ConnectionService[]).find((s) =>
      IDENTITY_ENDPOINT_PROPERTIES[s].some((p) => values[`${name}__${p}`]),
    ) ?? 'blob';
  const connection = resolveConnection(name, values, where, service);
  return connection.kind === 'connectionString'
    ? connection.connectionString
    : toConnectionString(connection);
}

export function toConnectionString(connection: Extract<ResolvedConnection, { kind: 'identity' }>): string {
  const { endpoint, credential } = connection;
  if (credential.kind === 'sharedAccessKey')
    return `Endpoint=sb://${endpoint.replace(/^sb:\/\//, '').replace(/\/?$/, '/')};SharedAccessKeyName=${credential.keyName};SharedAccessKey=${credential.key}`;
  if (connection.service === 'cosmosDB') return `AccountEndpoint=${endpoint};AccountKey=${credential.key};`;
  const protocol = new URL(endpoint).protocol.replace(':', '');
  return `DefaultEndpointsProtocol=${protocol};AccountName=${credential.accountName};AccountKey=${credential.key};BlobEndpoint=${endpoint};`;
}
