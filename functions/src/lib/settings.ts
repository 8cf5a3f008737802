/**
 * App settings the functions read, with the defaults the infrastructure and the local stack use.
 * Connection settings follow the Functions convention: `<Name>__<property>` for identity-based
 * connections (Azure), or the bare `<Name>` holding a connection string (local emulators only).
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
  /** Identity-based: the service URI or namespace; credentials come from the managed identity. */
  readonly identityEndpoint?: string;
  /** Local emulators only: a full connection string. */
  readonly connectionString?: string;
}

/** Reads `<name>__<property>` (first one set) or, failing that, `<name>` as a connection string. */
export function readConnection(name: string, identityProperties: readonly string[]): ConnectionSetting {
  for (const property of identityProperties) {
    const value = process.env[`${name}__${property}`];
    if (value) return { identityEndpoint: value };
  }
  const connectionString = process.env[name];
  if (connectionString) return { connectionString };
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
