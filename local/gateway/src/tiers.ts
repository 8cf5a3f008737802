/**
 * API Management tiers and the policies whose availability differs between them. Every policy the
 * gateway implements is available on all tiers, per its Microsoft Learn reference page ("APPLIES TO:
 * All API Management tiers" / "Gateways: classic, v2, consumption, self-hosted, workspace"):
 * https://learn.microsoft.com/azure/api-management/rate-limit-policy, quota-policy,
 * validate-content-policy, cors-policy, check-header-policy, ip-filter-policy, set-header-policy,
 * set-query-parameter-policy, set-backend-service-policy, forward-request-policy, return-response-policy,
 * set-status-policy. The table below lists the exceptions we know of, so a policy file that reaches for
 * one gets a warning naming the tier before the deployment fails in Azure.
 */
export const TIERS = [
  'Consumption',
  'Developer',
  'Basic',
  'Standard',
  'Premium',
  'BasicV2',
  'StandardV2',
  'PremiumV2',
] as const;
export type Tier = (typeof TIERS)[number];

const CLASSIC: readonly Tier[] = ['Developer', 'Basic', 'Standard', 'Premium'];
const V2: readonly Tier[] = ['BasicV2', 'StandardV2', 'PremiumV2'];

/** Policies available only on some tiers, and where (Microsoft Learn, "APPLIES TO" of each page). */
export const TIER_RESTRICTED_POLICIES: Readonly<Record<string, readonly Tier[]>> = {
  // https://learn.microsoft.com/azure/api-management/rate-limit-by-key-policy: not Consumption.
  'rate-limit-by-key': [...CLASSIC, ...V2],
  // https://learn.microsoft.com/azure/api-management/quota-by-key-policy: classic tiers only.
  'quota-by-key': CLASSIC,
  // https://learn.microsoft.com/azure/api-management/limit-concurrency-policy: not Consumption.
  'limit-concurrency': [...CLASSIC, ...V2],
  // https://learn.microsoft.com/azure/api-management/validate-client-certificate-policy etc. are all
  // tiers; the AI gateway token limits below are not on Consumption.
  'llm-token-limit': [...CLASSIC, ...V2],
  // The built-in cache does not exist on Consumption (an external Redis cache is needed there):
  // https://learn.microsoft.com/azure/api-management/api-management-howto-cache
  'cache-lookup': [...CLASSIC, ...V2],
  'cache-store': [...CLASSIC, ...V2],
  'cache-lookup-value': [...CLASSIC, ...V2],
  'cache-store-value': [...CLASSIC, ...V2],
  'cache-remove-value': [...CLASSIC, ...V2],
  'azure-openai-token-limit': [...CLASSIC, ...V2],
};

export function parseTier(value: string): Tier {
  const tier = TIERS.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (!tier) throw new Error(`unknown API Management tier "${value}"; expected one of ${TIERS.join(', ')}`);
  return tier;
}

/** The tiers a policy element runs on, or undefined when it runs on every tier. */
export function tiersFor(policy: string): readonly Tier[] | undefined {
  return TIER_RESTRICTED_POLICIES[policy];
}
