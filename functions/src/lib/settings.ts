/**
 * App settings the functions read, with the defaults the infrastructure and the local stack use.
 * Connection settings follow the Functions convention for a connection named `<Name>`: the bare
 * `<Name>` holding a connection string, or identity-based `<Name>__<property>` settings (Azure, and
 * the local stack too, where only the credential differs: see credentials.ts).
 */
export class MissingSettingError extends Error {
  constructor(readonly settingNames: readonly string[]) {
    super(`Missing app setting: set ${settingNames.join(' or ')}`);
    this.name = 'MissingSettingError';
  }
}

export function readSetting(name: string, fallback?: string): string {
  const value = process.env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new MissingSettingError([name]);
}

export interface ConnectionSetting {
  /** Identity-based: the service URI or namespace (`<Name>__blobServiceUri`, ...). */
  readonly identityEndpoint?: string;
  /** A full connection string (the bare `<Name>` setting). */
  readonly connectionString?: string;
}

/**
 * Resolves a connection as the Functions host's extensions do: the bare `<name>` setting, when set,
 * is a connection string and wins; otherwise the first `<name>__<property>` set is the endpoint of an
 * identity-based connection (azure-sdk-for-net
 * sdk/eventhub/Microsoft.Azure.WebJobs.Extensions.EventHubs/src/Config/EventHubClientFactory.cs
 * `ResolveConnectionInformation`; the Cosmos DB and Storage extensions follow the same rule;
 * https://learn.microsoft.com/azure/azure-functions/functions-reference#connections). Same rule
 * here, so the app's own clients and the host's bindings never pick different settings.
 */
export function readConnection(name: string, identityProperties: readonly string[]): ConnectionSetting {
  const connectionString = process.env[name];
  if (connectionString) return { connectionString };
  for (const property of identityProperties) {
    const value = process.env[`${name}__${property}`];
    if (value) return { identityEndpoint: value };
  }
  throw new MissingSettingError([...identityProperties.map((p) => `${name}__${p}`), name]);
}

export const containers = {
  raw: () => readSetting('RAW_CONTAINER', 'raw-events'),
  images: () => readSetting('IMAGES_CONTAINER', 'images'),
  deadLetters: () => readSetting('DEADLETTER_CONTAINER', 'dead-letters'),
};

export const eventHubName = () => readSetting('EVENTHUB_NAME', 'tweets');
export const cosmosDatabase = () => readSetting('COSMOS_DATABASE', 'harvey');
export const cosmosContainerName = () => readSetting('COSMOS_CONTAINER', 'events');
