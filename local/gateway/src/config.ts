import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { APIM_NAMES, PIPELINE_NAMES } from '@pipeline/schemas';

/** An API as the infrastructure defines it: its path suffix, subscription setting and operations. */
export interface ApiDefinition {
  readonly id: string;
  /** Path suffix, without slashes: the API answers under `<gateway>/<path>/...`. */
  readonly path: string;
  readonly subscriptionRequired: boolean;
  readonly operations: readonly OperationDefinition[];
}

export interface OperationDefinition {
  readonly id: string;
  readonly method: string;
  /** A literal URL template such as `/events` (template parameters are not implemented). */
  readonly urlTemplate: string;
}

export interface ProductDefinition {
  readonly id: string;
  readonly apis: readonly string[];
}

/** One subscription to a product, with both keys valid at once so either can be rotated. */
export interface SubscriptionConfig {
  readonly id: string;
  readonly product: string;
  readonly primaryKey: string;
  readonly secondaryKey: string;
  /** Only `active` subscriptions are accepted (APIM: suspended/cancelled/expired keys get 401). */
  readonly state?: 'active' | 'suspended' | 'cancelled' | 'expired';
  /** Start of the subscription (ISO 8601); quota periods are counted from it, as in APIM. */
  readonly startedAt?: string;
}

/**
 * The ingest API as the infrastructure creates it (the contract's APIM_NAMES, schemas/src/names.ts):
 * `POST <gateway>/ingest/events`, subscription required.
 */
export const INGEST_API: ApiDefinition = {
  id: APIM_NAMES.api,
  path: APIM_NAMES.apiPath,
  subscriptionRequired: true,
  operations: [
    {
      id: APIM_NAMES.operation,
      method: APIM_NAMES.operationMethod,
      urlTemplate: APIM_NAMES.operationUrlTemplate,
    },
  ],
};

export const INGEST_PRODUCT: ProductDefinition = { id: APIM_NAMES.product, apis: [APIM_NAMES.api] };

/** The backend entity id the API policy names; locally it points at the functions host. */
export const INGEST_BACKEND_ID = APIM_NAMES.backend;

/** The named values the policy files use (created by the infrastructure, two of them Key Vault-backed). */
export const NAMED_VALUES = {
  basicAuthHeader: APIM_NAMES.namedValues.basicAuthHeader,
  ingestFunctionKey: APIM_NAMES.namedValues.functionKey,
  dashboardOrigin: APIM_NAMES.namedValues.dashboardOrigin,
} as const;

/** The gitignored file the local stack keeps: named values and subscriptions, mirroring Azure. */
export interface LocalGatewayConfig {
  readonly namedValues: Record<string, string>;
  readonly subscriptions: SubscriptionConfig[];
  /**
   * The products as the infrastructure creates them; default: the ingest product alone. A subscription
   * to a product that does not hold the ingest API (a second product locally) gets 401 there, as in APIM.
   */
  readonly products?: ProductDefinition[];
  /** The basic-auth credential behind `basic-auth-header`, so local clients can use it. */
  readonly basicAuth: { readonly user: string; readonly password: string };
}

export interface LocalConfigInput {
  /** The functions host's key for the ingest function; random when not given. */
  readonly functionKey?: string;
  readonly dashboardOrigin?: string;
  readonly basicAuth?: { readonly user: string; readonly password: string };
  readonly subscription?: { readonly primaryKey: string; readonly secondaryKey: string };
}

const randomKey = () => randomBytes(16).toString('hex');

export function basicAuthHeaderValue(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** Builds a local config with random secrets for whatever the caller does not supply. */
export function createLocalGatewayConfig(input: LocalConfigInput = {}): LocalGatewayConfig {
  const basicAuth = input.basicAuth ?? {
    user: PIPELINE_NAMES.basicAuthUser,
    password: randomBytes(18).toString('base64url'),
  };
  return {
    namedValues: {
      [NAMED_VALUES.basicAuthHeader]: basicAuthHeaderValue(basicAuth.user, basicAuth.password),
      [NAMED_VALUES.ingestFunctionKey]: input.functionKey ?? randomBytes(24).toString('base64url'),
      [NAMED_VALUES.dashboardOrigin]: input.dashboardOrigin ?? 'http://127.0.0.1:7072',
    },
    subscriptions: [
      {
        id: APIM_NAMES.subscription,
        product: INGEST_PRODUCT.id,
        primaryKey: input.subscription?.primaryKey ?? randomKey(),
        secondaryKey: input.subscription?.secondaryKey ?? randomKey(),
        state: 'active',
        startedAt: new Date().toISOString(),
      },
    ],
    basicAuth,
  };
}

/** Reads the local config file, or writes a new one (mode 0600) with random secrets on first run. */
export function loadOrCreateLocalGatewayConfig(
  path: string,
  input: LocalConfigInput = {},
): LocalGatewayConfig {
  if (existsSync(path)) return readLocalGatewayConfig(path);
  const config = createLocalGatewayConfig(input);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  return config;
}

export function readLocalGatewayConfig(path: string): LocalGatewayConfig {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LocalGatewayConfig>;
  if (
    !parsed.namedValues ||
    !Array.isArray(parsed.subscriptions) ||
    (parsed.products !== undefined && !Array.isArray(parsed.products))
  ) {
    throw new Error(
      `${path} needs "namedValues" and "subscriptions"; delete it and a new one will be generated`,
    );
  }
  return parsed as LocalGatewayConfig;
}

/** Regenerates one key of a subscription (APIM "Regenerate primary/secondary key"); the old key stops working. */
export function regenerateKey(
  subscription: SubscriptionConfig,
  which: 'primary' | 'secondary',
): SubscriptionConfig {
  return which === 'primary'
    ? { ...subscription, primaryKey: randomKey() }
    : { ...subscription, secondaryKey: randomKey() };
}

/** Accepts a value or the path of a JSON file holding it (or holding a local config with that key). */
export function resolveNamedValues(value: Record<string, string> | string): Map<string, string> {
  const record =
    typeof value === 'string'
      ? pick<Record<string, string>>(JSON.parse(readFileSync(value, 'utf8')), 'namedValues', value)
      : value;
  const map = new Map<string, string>();
  for (const [name, text] of Object.entries(record)) {
    if (typeof text !== 'string') throw new Error(`named value ${name} must be a string`);
    if (!/^[A-Za-z0-9._-]+$/.test(name))
      throw new Error(`named value name "${name}" may hold only letters, digits, dot, dash and underscore`);
    map.set(name, text);
  }
  return map;
}

export function resolveSubscriptions(value: readonly SubscriptionConfig[] | string): SubscriptionConfig[] {
  if (typeof value !== 'string') return [...value];
  return pick<SubscriptionConfig[]>(JSON.parse(readFileSync(value, 'utf8')), 'subscriptions', value);
}

function pick<T>(parsed: unknown, key: string, path: string): T {
  if (parsed && typeof parsed === 'object' && key in parsed) return (parsed as Record<string, T>)[key]!;
  if (parsed && typeof parsed === 'object') return parsed as T;
  throw new Error(`${path} does not hold ${key}`);
}
