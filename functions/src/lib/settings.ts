import { APP_SETTINGS, PIPELINE_NAMES } from '@pipeline/schemas';

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

// The names the infrastructure and the local stack give these resources are the contract's
// (schemas/src/names.ts); the setting only overrides them.
export const containers = {
  raw: () => readSetting(APP_SETTINGS.rawContainer, PIPELINE_NAMES.containers.raw),
  images: () => readSetting(APP_SETTINGS.imagesContainer, PIPELINE_NAMES.containers.images),
  deadLetters: () => readSetting(APP_SETTINGS.deadLetterContainer, PIPELINE_NAMES.containers.deadLetters),
};

export const eventHubName = () => readSetting(APP_SETTINGS.eventHubName, PIPELINE_NAMES.eventHub);
export const cosmosDatabase = () => readSetting(APP_SETTINGS.cosmosDatabase, PIPELINE_NAMES.cosmosDatabase);
export const cosmosContainerName = () =>
  readSetting(APP_SETTINGS.cosmosContainer, PIPELINE_NAMES.cosmosContainer);
