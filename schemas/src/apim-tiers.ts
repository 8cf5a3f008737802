/**
 * API Management tiers: which policies each tier runs, and the gateway limits each tier enforces.
 * One table for every workspace: the local gateway enforces it, the producer sizes its requests by
 * it, and cdktf refuses at synth a SKU that cannot run the policy files (cdktf/src/policy-files.ts).
 *
 * Where Microsoft's pages disagree, every documented value is kept with its source and date, and the
 * value in force locally is the STRICTEST of them (`strictest`): a twin kinder than Azure lets a bug
 * pass every local test and fail only after deployment.
 */
export const APIM_TIERS = [
  'Consumption',
  'Developer',
  'Basic',
  'Standard',
  'Premium',
  'BasicV2',
  'StandardV2',
  'PremiumV2',
] as const;
export type ApimTier = (typeof APIM_TIERS)[number];

export type ApimTierFamily = 'classic' | 'v2' | 'consumption';

export const CLASSIC_TIERS: readonly ApimTier[] = ['Developer', 'Basic', 'Standard', 'Premium'];
export const V2_TIERS: readonly ApimTier[] = ['BasicV2', 'StandardV2', 'PremiumV2'];

export function tierFamily(tier: ApimTier): ApimTierFamily {
  if (tier === 'Consumption') return 'consumption';
  return V2_TIERS.includes(tier) ? 'v2' : 'classic';
}

/** Case-insensitive; also takes a cdktf SKU such as `BasicV2_1` or `Consumption_0`. */
export function parseApimTier(value: string): ApimTier {
  const name = value.replace(/_\d+$/, '');
  const tier = APIM_TIERS.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  if (!tier)
    throw new Error(`unknown API Management tier "${value}"; expected one of ${APIM_TIERS.join(', ')}`);
  return tier;
}

/**
 * Policies available only on some tiers (Microsoft Learn, the "APPLIES TO" line of each policy's
 * reference page, checked 2026-11-28). Every other policy the gateway implements runs on all tiers.
 */
export const TIER_RESTRICTED_POLICIES: Readonly<Record<string, readonly ApimTier[]>> = {
  // https://learn.microsoft.com/azure/api-management/rate-limit-by-key-policy: not Consumption.
  'rate-limit-by-key': [...CLASSIC_TIERS, ...V2_TIERS],
  // https://learn.microsoft.com/azure/api-management/quota-by-key-policy: classic tiers only.
  'quota-by-key': CLASSIC_TIERS,
  // https://learn.microsoft.com/azure/api-management/limit-concurrency-policy: not Consumption.
  'limit-concurrency': [...CLASSIC_TIERS, ...V2_TIERS],
  // https://learn.microsoft.com/azure/api-management/llm-token-limit-policy: not Consumption.
  'llm-token-limit': [...CLASSIC_TIERS, ...V2_TIERS],
  // The built-in cache does not exist on Consumption (an external Redis cache is needed there):
  // https://learn.microsoft.com/azure/api-management/api-management-howto-cache
  'cache-lookup': [...CLASSIC_TIERS, ...V2_TIERS],
  'cache-store': [...CLASSIC_TIERS, ...V2_TIERS],
  'cache-lookup-value': [...CLASSIC_TIERS, ...V2_TIERS],
  'cache-store-value': [...CLASSIC_TIERS, ...V2_TIERS],
  'cache-remove-value': [...CLASSIC_TIERS, ...V2_TIERS],
  // https://learn.microsoft.com/azure/api-management/azure-openai-token-limit-policy: not Consumption.
  'azure-openai-token-limit': [...CLASSIC_TIERS, ...V2_TIERS],
};

/** The tiers a policy element runs on, or undefined when it runs on every tier. */
export function tiersForPolicy(policy: string): readonly ApimTier[] | undefined {
  return TIER_RESTRICTED_POLICIES[policy];
}

/** A page that documents a limit: where, and the date the page carried when it was read. */
export interface LimitSource {
  readonly url: string;
  /** The page's own date (`ms.date`) when it was read, ISO 8601. */
  readonly pageDate: string;
  /** The file in github.com/MicrosoftDocs/azure-docs the page is built from, when known. */
  readonly repositoryPath?: string;
}

export const SOURCES = {
  /** The per-tier gateway runtime limits table (columns Classic, V2, Consumption). */
  gatewayLimits2026_04: {
    url: 'https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#api-management-limits',
    pageDate: '2026-04-08',
    repositoryPath: 'includes/api-management-gateway-constraints.md',
  },
  /** The earlier version of the same table: one column for every gateway. */
  gatewayLimits2026_02: {
    url: 'https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#api-management-limits',
    pageDate: '2026-02-05',
    repositoryPath: 'includes/api-management-gateway-constraints.md',
  },
  /**
   * The validate-content reference page: `max-size` "Maximum allowed value: 4 MB", as read for issue 20
   * and by the gateway's policy compiler (2026-11-28); not re-read for this table.
   */
  validateContentPolicy2026_08: {
    url: 'https://learn.microsoft.com/azure/api-management/validate-content-policy',
    pageDate: '2026-08',
    repositoryPath: 'articles/api-management/validate-content-policy.md',
  },
  /** The same page, earlier: `max-size` "Maximum allowed value: 102,400 bytes (100 KB)". */
  validateContentPolicy2022_12: {
    url: 'https://learn.microsoft.com/azure/api-management/validate-content-policy',
    pageDate: '2022-12-05',
    repositoryPath: 'articles/api-management/validate-content-policy.md',
  },
  /** The rate-limit pages' include: "The v2 tiers use a token bucket algorithm ... sliding window ... classic tiers". */
  rateLimitImplementation: {
    url: 'https://learn.microsoft.com/azure/api-management/rate-limit-policy',
    pageDate: '2025-11-14',
    repositoryPath: 'includes/api-management-rate-limit-implementation-v2.md',
  },
  /** The cors reference page: `terminate-unmatched-request` default true. */
  corsPolicy: {
    url: 'https://learn.microsoft.com/azure/api-management/cors-policy',
    pageDate: '2026-11-28',
    repositoryPath: 'articles/api-management/cors-policy.md',
  },
} as const satisfies Record<string, LimitSource>;

/** One documented value of a limit; `null` means the page says "Unlimited". */
export interface DocumentedValue<T> {
  readonly value: T | null;
  readonly source: LimitSource;
}

/** Every documented value of one limit for one tier family; the strictest one is in force. */
export type Documented<T> = Readonly<Record<ApimTierFamily, readonly DocumentedValue<T>[]>>;

const KiB = 1024;
const MiB = 1024 * KiB;

/** Largest request body `validate-content` checks, in bytes (its `max-size` cannot go beyond it). */
export const VALIDATE_CONTENT_BODY_BYTES: Documented<number> = {
  classic: [
    { value: 100 * KiB, source: SOURCES.gatewayLimits2026_04 },
    { value: 100 * KiB, source: SOURCES.gatewayLimits2026_02 },
    { value: 4 * MiB, source: SOURCES.validateContentPolicy2026_08 },
    { value: 100 * KiB, source: SOURCES.validateContentPolicy2022_12 },
  ],
  v2: [
    { value: 100 * KiB, source: SOURCES.gatewayLimits2026_04 },
    { value: 100 * KiB, source: SOURCES.gatewayLimits2026_02 },
    { value: 4 * MiB, source: SOURCES.validateContentPolicy2026_08 },
    { value: 100 * KiB, source: SOURCES.validateContentPolicy2022_12 },
  ],
  consumption: [
    { value: 100 * KiB, source: SOURCES.gatewayLimits2026_04 },
    { value: 100 * KiB, source: SOURCES.gatewayLimits2026_02 },
    { value: 4 * MiB, source: SOURCES.validateContentPolicy2026_08 },
    { value: 100 * KiB, source: SOURCES.validateContentPolicy2022_12 },
  ],
};

/** Largest body the gateway holds in memory (to read it in a policy, or to forward it with a length). */
export const BUFFERED_PAYLOAD_BYTES: Documented<number> = {
  classic: [
    { value: 500 * MiB, source: SOURCES.gatewayLimits2026_04 },
    { value: 2 * MiB, source: SOURCES.gatewayLimits2026_02 },
  ],
  v2: [
    { value: 2 * MiB, source: SOURCES.gatewayLimits2026_04 },
    { value: 2 * MiB, source: SOURCES.gatewayLimits2026_02 },
  ],
  consumption: [
    { value: 2 * MiB, source: SOURCES.gatewayLimits2026_04 },
    { value: 2 * MiB, source: SOURCES.gatewayLimits2026_02 },
  ],
};

/** Longest a whole request may take through the gateway, in seconds (null: no documented limit). */
export const TOTAL_REQUEST_SECONDS: Documented<number> = {
  classic: [{ value: null, source: SOURCES.gatewayLimits2026_04 }],
  v2: [{ value: 30, source: SOURCES.gatewayLimits2026_04 }],
  consumption: [{ value: 30, source: SOURCES.gatewayLimits2026_04 }],
};

export type RateLimitAlgorithm = 'sliding-window' | 'token-bucket';

/**
 * How rate-limit and rate-limit-by-key count calls. Consumption is named by neither side of the
 * documented split; its rate-limit page describes `renewal-period` as a sliding window, so it slides.
 */
export const RATE_LIMIT_ALGORITHM: Documented<RateLimitAlgorithm> = {
  classic: [{ value: 'sliding-window', source: SOURCES.rateLimitImplementation }],
  v2: [{ value: 'token-bucket', source: SOURCES.rateLimitImplementation }],
  consumption: [{ value: 'sliding-window', source: SOURCES.rateLimitImplementation }],
};

/** The cors policy's default for `terminate-unmatched-request` (the same on every tier). */
export const CORS_TERMINATE_UNMATCHED_DEFAULT: DocumentedValue<boolean> = {
  value: true,
  source: SOURCES.corsPolicy,
};

/** The smallest documented value (a documented "Unlimited" loses to any number). */
export function strictest(values: readonly DocumentedValue<number>[]): number | null {
  const numbers = values.flatMap((entry) => (entry.value === null ? [] : [entry.value]));
  return numbers.length === 0 ? null : Math.min(...numbers);
}

/** The limits in force on one tier, locally. */
export interface TierLimits {
  readonly tier: ApimTier;
  readonly family: ApimTierFamily;
  readonly validateContentBodyBytes: number;
  readonly bufferedPayloadBytes: number;
  /** null: no documented limit on this tier (the forward-request timeout still applies). */
  readonly totalRequestSeconds: number | null;
  readonly rateLimitAlgorithm: RateLimitAlgorithm;
  readonly corsTerminateUnmatchedDefault: boolean;
}

export function tierLimits(tier: ApimTier): TierLimits {
  const family = tierFamily(tier);
  const required = (name: string, value: number | null): number => {
    if (value === null) throw new Error(`no documented ${name} for ${tier}`);
    return value;
  };
  return {
    tier,
    family,
    validateContentBodyBytes: required(
      'validate-content body limit',
      strictest(VALIDATE_CONTENT_BODY_BYTES[family]),
    ),
    bufferedPayloadBytes: required('buffered payload limit', strictest(BUFFERED_PAYLOAD_BYTES[family])),
    totalRequestSeconds: strictest(TOTAL_REQUEST_SECONDS[family]),
    rateLimitAlgorithm: RATE_LIMIT_ALGORITHM[family][0]!.value!,
    corsTerminateUnmatchedDefault: CORS_TERMINATE_UNMATCHED_DEFAULT.value!,
  };
}

/** The smallest request body limit of any tier: what a client must stay under to fit every tier. */
export const STRICTEST_REQUEST_BODY_BYTES = Math.min(
  ...APIM_TIERS.map((tier) => tierLimits(tier).validateContentBodyBytes),
);
