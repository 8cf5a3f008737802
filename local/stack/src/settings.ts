import { writeFileSync } from 'node:fs';
import { APP_SETTINGS, CONNECTIONS, PIPELINE_APP_SETTINGS } from '@pipeline/schemas';
import type { LocalSecrets } from './secrets';

/** Where the emulators listen and the keys they accept. */
export interface Endpoints {
  /** The functions host's own storage (checkpoints): a connection string, as `func` expects too. */
  readonly hostStorageConnectionString: string;
  readonly storage: { readonly blobServiceUri: string; readonly accountKey: string };
  readonly cosmos: { readonly accountEndpoint: string; readonly accountKey: string };
  readonly eventHubs: {
    /** `host:port` of the emulator's TLS listener. */
    readonly fullyQualifiedNamespace: string;
    readonly keyName: string;
    readonly key: string;
    /** Plain AMQP, `UseDevelopmentEmulator=true`: only for `func start` (see `funcSettings`). */
    readonly connectionString: string;
  };
}

/**
 * The app settings of the functions in the local.settings.json format, with the SAME names as in
 * Azure (cdktf/src/pipeline-stack.ts): `PipelineStorage__blobServiceUri`,
 * `EventHub__fullyQualifiedNamespace`, `CosmosDb__accountEndpoint`. So the identity-based path
 * (settings resolution, then the SDK constructor taking an endpoint and a credential) runs locally
 * too. Only the credential is local: one key property per connection that Azure never has
 * (`__accountKey`, `__sharedAccessKeyName` + `__sharedAccessKey`; see functions/src/lib/credentials.ts).
 * Regenerated on every start (ports may change).
 */
export function functionsSettings(endpoints: Endpoints, secrets: LocalSecrets) {
  return {
    IsEncrypted: false,
    Values: {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      [CONNECTIONS.hostStorage]: endpoints.hostStorageConnectionString,
      [`${CONNECTIONS.storage}__blobServiceUri`]: endpoints.storage.blobServiceUri,
      [`${CONNECTIONS.storage}__accountKey`]: endpoints.storage.accountKey,
      [`${CONNECTIONS.eventHub}__fullyQualifiedNamespace`]: endpoints.eventHubs.fullyQualifiedNamespace,
      [`${CONNECTIONS.eventHub}__sharedAccessKeyName`]: endpoints.eventHubs.keyName,
      [`${CONNECTIONS.eventHub}__sharedAccessKey`]: endpoints.eventHubs.key,
      [`${CONNECTIONS.cosmos}__accountEndpoint`]: endpoints.cosmos.accountEndpoint,
      [`${CONNECTIONS.cosmos}__accountKey`]: endpoints.cosmos.accountKey,
      ...PIPELINE_APP_SETTINGS,
      [APP_SETTINGS.statsCacheMs]: '2000',
    },
    FunctionKeys: { default: secrets.functionKey },
  };
}

/**
 * The same settings for Azure Functions Core Tools (`func start`). Its .NET extensions would ask
 * Entra ID for a token for an identity-based connection (they know no local key), so the Event Hubs
 * trigger's connection (`EventHub`), which the host itself binds, and the Cosmos DB connection
 * (`CosmosDb`; the app's own client since consume writes in bulk, HOST-10, once the host's output
 * binding) also get a connection string under the bare name, which wins over the `__` settings in the
 * real host's resolution (and in the app's, which follows it). The hub's connection string is
 * plain AMQP with `UseDevelopmentEmulator=true`, as for Microsoft's own emulator.
 */
export function funcSettings(endpoints: Endpoints, secrets: LocalSecrets) {
  const settings = functionsSettings(endpoints, secrets);
  return {
    ...settings,
    Values: {
      ...settings.Values,
      [CONNECTIONS.eventHub]: endpoints.eventHubs.connectionString,
      [CONNECTIONS.cosmos]: `AccountEndpoint=${endpoints.cosmos.accountEndpoint};AccountKey=${endpoints.cosmos.accountKey};`,
    },
    // Core Tools reads the port and CORS from "Host"; keys are not read from this file by `func`.
    Host: { CORS: '*' },
  };
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
}
