/**
 * The tier table lives in the contract (schemas/src/apim-tiers.ts) so cdktf can import the same
 * definition; the gateway keeps its old names for it.
 */
export {
  APIM_TIERS as TIERS,
  TIER_RESTRICTED_POLICIES,
  parseApimTier as parseTier,
  tierLimits,
  tiersForPolicy as tiersFor,
  type ApimTier as Tier,
  type TierLimits,
} from '@pipeline/schemas';
