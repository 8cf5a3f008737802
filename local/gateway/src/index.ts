export { startGateway, type GatewayOptions, type RunningGateway } from './gateway';
export {
  INGEST_API,
  INGEST_BACKEND_ID,
  INGEST_PRODUCT,
  NAMED_VALUES,
  basicAuthHeaderValue,
  createLocalGatewayConfig,
  loadOrCreateLocalGatewayConfig,
  readLocalGatewayConfig,
  regenerateKey,
  type ApiDefinition,
  type LocalConfigInput,
  type LocalGatewayConfig,
  type OperationDefinition,
  type ProductDefinition,
  type SubscriptionConfig,
} from './config';
export { buildIngestRequestSchema, INGEST_SCHEMA_ID, loadApimSchemas } from './apim-schemas';
export { PolicyError } from './xml';
export { TIERS, type Tier } from './tiers';
