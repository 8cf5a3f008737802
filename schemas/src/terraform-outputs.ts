/**
 * The pipeline stack's Terraform output names: cdktf declares one output per name
 * (cdktf/src/pipeline-stack.ts, typed so that it must declare exactly these), and the deploy and
 * replay workflows read them through `cli.js tf-outputs --require ...` and `steps.<id>.outputs.<NAME>`.
 * Workflow YAML cannot import, so .github/scripts/test/workflows.test.ts fails when a workflow names
 * an output that is not here, and cdktf/test/pipeline-stack.test.ts when the stack's outputs and
 * these differ. The names are also what a person types (`terraform output -raw API_BASE_URL`).
 */
export const PIPELINE_OUTPUTS = {
  environment: 'ENVIRONMENT',
  location: 'AZURE_LOCATION',
  resourceGroup: 'RESOURCE_GROUP',
  /** `<gateway>/ingest`: the producer posts to `ingestUrl(<this>)`. */
  apiBaseUrl: 'API_BASE_URL',
  apimName: 'APIM_NAME',
  functionAppName: 'FUNCTION_APP_NAME',
  /** The app's origin (`https://<host>`): the stats endpoint is under `functionsBaseUrl(<this>)`. */
  functionAppUrl: 'FUNCTION_APP_URL',
  cosmosEndpoint: 'COSMOS_ENDPOINT',
  cosmosDatabase: 'COSMOS_DATABASE',
  cosmosContainer: 'COSMOS_CONTAINER',
  keyVaultName: 'KEY_VAULT_NAME',
  eventHubNamespace: 'EVENTHUB_NAMESPACE',
  eventHubName: 'EVENTHUB_NAME',
  storageAccount: 'STORAGE_ACCOUNT',
  datasetsContainer: 'DATASETS_CONTAINER',
  applicationInsightsName: 'APPLICATION_INSIGHTS_NAME',
  /** Key Vault secret names (the values stay in Key Vault). */
  subscriptionKeySecret: 'APIM_SUBSCRIPTION_KEY_SECRET',
  basicAuthSecret: 'BASIC_AUTH_SECRET',
  basicAuthHeaderSecret: 'BASIC_AUTH_HEADER_SECRET',
  functionKeySecretName: 'FUNCTION_KEY_SECRET_NAME',
  /** The host function key's name the deploy workflow sets after the code deploy. */
  functionKeyName: 'FUNCTION_KEY_NAME',
  /** `POST /ingest/events`, for people reading the outputs. */
  apimOperation: 'APIM_OPERATION',
  /** When the function app's role assignments have propagated (deploy code only after it exists). */
  functionRolesReady: 'FUNCTION_ROLES_READY',
} as const;

export type PipelineOutputName = (typeof PIPELINE_OUTPUTS)[keyof typeof PIPELINE_OUTPUTS];

/** Every pipeline output name, for the checks that compare sets. */
export const PIPELINE_OUTPUT_NAMES: readonly PipelineOutputName[] = Object.values(PIPELINE_OUTPUTS);
