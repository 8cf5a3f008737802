/**
 * The names every workspace agrees on: Azure resources inside the pipeline, the app settings that carry
 * them to the functions, the API Management entities and the policy files' naming rule. Each was
 * written two to five times before (cdktf, the functions' defaults, the local stack, the gateway, the
 * workflow scripts, the fault suite) and two copies had drifted (docs/decisions.md CONTRACT-1). One
 * definition here; schemas/test/names.test.ts fails when one of these values appears as a literal in
 * any other workspace's source.
 */

/**
 * Resources inside the pipeline. cdktf creates them in Azure (cdktf/src/pipeline-stack.ts), the local
 * stack creates the same ones on the emulators (local/stack/src/provision.ts), and the functions read
 * them through PIPELINE_APP_SETTINGS.
 */
export const PIPELINE_NAMES = {
  /** The Event Hub the ingest function publishes to and the consume function reads. */
  eventHub: 'tweets',
  /** The consume function's consumer group (the trigger binds it; the stats function reads its lag). */
  consumerGroup: 'cosmos-writer',
  /** Cosmos DB database and container of the stored events (consume writes, stats and audits read). */
  cosmosDatabase: 'harvey',
  cosmosContainer: 'events',
  /** The container's partition key: the event id, so an upsert by id is a point write. */
  partitionKey: '/id',
  containers: {
    /** Raw archive, one blob per accepted request (schemas/src/raw-archive.ts). */
    raw: 'raw-events',
    /** Images by content hash (the claim check). */
    images: 'images',
    /** Events the consumer could not store. */
    deadLetters: 'dead-letters',
    /** Event Hubs Capture's Avro files (Azure only). */
    capture: 'capture',
    /** Function app deployment packages, in the host storage account (Azure only). */
    deployments: 'deployments',
    /** Prepared datasets the replay workflow caches (.github/scripts/src/dataset-cache.ts). */
    datasets: 'datasets',
    /**
     * The Functions host's Event Hubs checkpoints in AzureWebJobsStorage. The host's own convention
     * (azure-functions-host: `azure-webjobs-eventhub`), created by the host in Azure and by
     * local/functions-host locally; the fault suite reads it.
     */
    checkpoints: 'azure-webjobs-eventhub',
  },
  /** The user of the basic-auth credential API Management sends (a Key Vault secret in Azure). */
  basicAuthUser: 'producer',
  /** Key Vault secrets (cdktf writes them; the deploy and replay workflows read them by these names). */
  secrets: {
    basicAuthHeader: 'basic-auth-header',
    basicAuthCredential: 'basic-auth-credential',
    subscriptionKey: 'apim-subscription-key',
    functionKey: 'ingest-function-key',
  },
  /**
   * The host function key APIM sends as `x-functions-key`. Terraform generates its value into the
   * `functionKey` secret; the deploy workflow sets it on the app after the code deploy
   * (`az functionapp keys set --key-type functionKeys --key-name <this> --key-value <secret>`).
   */
  functionHostKeyName: 'apim',
} as const;

/** The data containers the functions read and write, which every environment must provision. */
export const APP_CONTAINERS = [
  PIPELINE_NAMES.containers.raw,
  PIPELINE_NAMES.containers.images,
  PIPELINE_NAMES.containers.deadLetters,
] as const;

/**
 * App-setting keys holding the names above. Set by cdktf (Azure) and local/stack (locally), read by
 * functions/src/lib/settings.ts and, as `%KEY%` binding expressions, by the consume trigger.
 */
export const APP_SETTINGS = {
  eventHubName: 'EVENTHUB_NAME',
  consumerGroup: 'EVENTHUB_CONSUMER_GROUP',
  cosmosDatabase: 'COSMOS_DATABASE',
  cosmosContainer: 'COSMOS_CONTAINER',
  rawContainer: 'RAW_CONTAINER',
  imagesContainer: 'IMAGES_CONTAINER',
  deadLetterContainer: 'DEADLETTER_CONTAINER',
  /** How long the stats function reuses its last answer, in ms (functions/src/functions/stats.ts). */
  statsCacheMs: 'STATS_CACHE_MS',
} as const;

/**
 * Connection names, in the Functions convention: a bare `<name>` holds a connection string,
 * `<name>__<property>` an identity-based connection (functions/src/lib/settings.ts readConnection).
 */
export const CONNECTIONS = {
  /** The data storage account (raw archive, images, dead letters). */
  storage: 'PipelineStorage',
  eventHub: 'EventHub',
  cosmos: 'CosmosDb',
  /** The Functions host's own storage (checkpoints, keys): set by the platform, not by the app. */
  hostStorage: 'AzureWebJobsStorage',
} as const;

/** `%<key>%`: an app setting named in a trigger or binding, resolved by the Functions host. */
export function bindingExpression(key: string): string {
  return `%${key}%`;
}

/**
 * The name settings every function app gets, with their values: cdktf puts them in the app's settings,
 * the local stack in local.settings.json, so the two cannot name different resources.
 */
export const PIPELINE_APP_SETTINGS: Readonly<Record<string, string>> = {
  [APP_SETTINGS.eventHubName]: PIPELINE_NAMES.eventHub,
  [APP_SETTINGS.consumerGroup]: PIPELINE_NAMES.consumerGroup,
  [APP_SETTINGS.cosmosDatabase]: PIPELINE_NAMES.cosmosDatabase,
  [APP_SETTINGS.cosmosContainer]: PIPELINE_NAMES.cosmosContainer,
  [APP_SETTINGS.rawContainer]: PIPELINE_NAMES.containers.raw,
  [APP_SETTINGS.imagesContainer]: PIPELINE_NAMES.containers.images,
  [APP_SETTINGS.deadLetterContainer]: PIPELINE_NAMES.containers.deadLetters,
};

/**
 * HTTP routes of the functions that another workspace calls. APIM forwards `POST /<apiPath>/events` to
 * the function app's `<base>/api/events`, so the ingest function's route is the operation's URL
 * template without its slash.
 */
export const FUNCTION_ROUTES = {
  ingest: 'events',
} as const;

/**
 * The Functions host's HTTP route prefix: functions/host.json sets it (`extensions.http.routePrefix`,
 * https://learn.microsoft.com/azure/azure-functions/functions-host-json#http; `api` is also the
 * platform's default), and the local host reads it from there. schemas/test/names.test.ts pins the
 * JSON file to this value.
 */
export const FUNCTION_ROUTE_PREFIX = 'api';

/**
 * API Management entities. cdktf creates them (cdktf/src/constructs/api-management.ts); the local
 * gateway mirrors them (local/gateway/src/config.ts); the policy XML files name some of them
 * (policies/, which cannot import: schemas/test/names.test.ts checks those mentions instead).
 */
export const APIM_NAMES = {
  api: 'ingest',
  /** The API's path suffix: the API answers under `<gateway>/<apiPath>/...`. */
  apiPath: 'ingest',
  operation: 'post-events',
  /** The operation's method and URL template (`POST /ingest/events`). */
  operationMethod: 'POST',
  operationUrlTemplate: `/${FUNCTION_ROUTES.ingest}`,
  product: 'ingest',
  /** The backend entity the API policy's `set-backend-service` names: the ingest function. */
  backend: 'ingest-function',
  /** The global schema validate-content names (`policies/schemas/<schema>.json`). */
  schema: 'tweet-event',
  /** The subscription the producer (and the replay workflow) uses. */
  subscription: 'producer',
  namedValues: {
    /** Key Vault-backed: the whole `Basic ...` header the backend checks. */
    basicAuthHeader: PIPELINE_NAMES.secrets.basicAuthHeader,
    /** Key Vault-backed: the host function key sent as `x-functions-key`. */
    functionKey: PIPELINE_NAMES.secrets.functionKey,
    /** The dashboard's origin, for the CORS policy. */
    dashboardOrigin: 'dashboard-origin',
  },
} as const;

const withoutTrailingSlashes = (base: string): string => base.replace(/\/+$/, '');

/** `<app>/api`: the base of a function app's HTTP functions, given the app's origin. */
export function functionsBaseUrl(appOrigin: string): string {
  return `${withoutTrailingSlashes(appOrigin)}/${FUNCTION_ROUTE_PREFIX}`;
}

/** `<gateway>/ingest`: the ingest API's base, given API Management's (or the local gateway's) origin. */
export function apiBaseUrl(gatewayOrigin: string): string {
  return `${withoutTrailingSlashes(gatewayOrigin)}/${APIM_NAMES.apiPath}`;
}

/**
 * The ingest URL under a base: `<apiBase>/events` through API Management (`apiBaseUrl`), or
 * `<functionsBase>/events` straight to the function (`functionsBaseUrl`): the operation's URL template
 * is the function's route, so one rule serves both. A base that already ends with the route is
 * returned as it is (the producer's `--url` takes either). With an empty origin the helpers give the
 * paths alone (`ingestUrl(apiBaseUrl(''))` is `/ingest/events`), for raw HTTP requests.
 */
export function ingestUrl(base: string): string {
  const trimmed = withoutTrailingSlashes(base);
  return trimmed.endsWith(APIM_NAMES.operationUrlTemplate)
    ? trimmed
    : `${trimmed}${APIM_NAMES.operationUrlTemplate}`;
}

/**
 * The policy files' naming rule: one XML file per scope in policies/, named by the entity ids above.
 * cdktf deploys them verbatim (cdktf/src/policy-files.ts); the gateway maps each file to its scope
 * (local/gateway/src/policy-set.ts). Schemas live beside them as `schemas/<schema-id>.json`.
 */
export const POLICY_FILE_NAMES = {
  global: (): string => 'global.xml',
  product: (productId: string): string => `product-${productId}.xml`,
  api: (apiId: string): string => `api-${apiId}.xml`,
  operation: (apiId: string, operationId: string): string => `operation-${apiId}-${operationId}.xml`,
  /** Folder under policies/ holding the APIM schemas, one `<schema-id>.json` each. */
  schemasFolder: 'schemas',
  schema: (schemaId: string): string => `${schemaId}.json`,
} as const;

/**
 * What a deployment uses when no variable overrides it: cdktf's environments (cdktf/src/config.ts)
 * and the preflight, which computes the same resource names without loading the CDKTF app
 * (.github/scripts/src/pipeline-names.ts).
 */
export const DEPLOYMENT_DEFAULTS = {
  /** The workload part of every resource name (`rg-<workload>-<environment>`). */
  workload: 'harvey',
  location: 'swedencentral',
  apimSku: 'Consumption_0',
} as const;
