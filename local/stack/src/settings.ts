import { writeFileSync } from 'node:fs';
import { PIPELINE_NAMES } from './provision';
import type { LocalSecrets } from './secrets';

export interface Endpoints {
  readonly storageConnectionString: string;
  readonly cosmosConnectionString: string;
  readonly eventHubsConnectionString: string;
}

/**
 * The functions host's settings in the local.settings.json format: the same app setting names as in
 * Azure, but each connection holds an emulator's connection string under the bare name where Azure
 * has identity-based `__serviceUri`-style settings. Regenerated on every start (ports may change).
 */
export function functionsSettings(endpoints: Endpoints, secrets: LocalSecrets) {
  return {
    IsEncrypted: false,
    Values: {
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsStorage: endpoints.storageConnectionString,
      PipelineStorage: endpoints.storageConnectionString,
      EventHub: endpoints.eventHubsConnectionString,
      CosmosDb: endpoints.cosmosConnectionString,
      EVENTHUB_NAME: PIPELINE_NAMES.eventHub,
      EVENTHUB_CONSUMER_GROUP: PIPELINE_NAMES.consumerGroup,
      COSMOS_DATABASE: PIPELINE_NAMES.cosmosDatabase,
      COSMOS_CONTAINER: PIPELINE_NAMES.cosmosContainer,
      RAW_CONTAINER: PIPELINE_NAMES.containers.raw,
      IMAGES_CONTAINER: PIPELINE_NAMES.containers.images,
      DEADLETTER_CONTAINER: PIPELINE_NAMES.containers.deadLetters,
      STATS_CACHE_MS: '2000',
    },
    FunctionKeys: { default: secrets.functionKey },
  };
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
}
