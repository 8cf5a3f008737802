import { createHash } from 'node:crypto';
import { DEPLOYMENT_DEFAULTS } from '@pipeline/schemas';

/**
 * The names the pipeline stack gives its globally named resources, computed exactly as
 * cdktf/src/naming.ts does (`<abbreviation><token>`, the token a hash of subscription, environment
 * and location, or NAME_TOKEN). Kept here, not imported, so the preflight runs without loading the
 * CDKTF app; test/preflight.e2e.test.ts compares both for several inputs, so they cannot drift apart.
 */
export interface PipelineNameInput {
  readonly subscriptionId: string;
  readonly environment: string;
  readonly location: string;
  readonly workload: string;
  readonly tokenOverride?: string | undefined;
}

export interface PipelineNames {
  readonly token: string;
  readonly resourceGroup: string;
  readonly keyVault: string;
  readonly apiManagement: string;
  readonly functionApp: string;
}

export function nameToken(...parts: readonly string[]): string {
  const digest = createHash('sha256').update(parts.join('|')).digest();
  return digest.readBigUInt64BE(0).toString(36).padStart(13, '0').slice(-13);
}

export function pipelineNames(input: PipelineNameInput): PipelineNames {
  if (input.tokenOverride !== undefined && !/^[a-z0-9]{4,13}$/.test(input.tokenOverride)) {
    throw new Error(
      `NAME_TOKEN must be 4 to 13 lowercase letters or digits (got ${JSON.stringify(input.tokenOverride)})`,
    );
  }
  const token = input.tokenOverride ?? nameToken(input.subscriptionId, input.environment, input.location);
  return {
    token,
    resourceGroup: `rg-${input.workload}-${input.environment}`,
    keyVault: `kv-${token}`,
    apiManagement: `apim-${token}`,
    functionApp: `func-${token}`,
  };
}

/** What cdktf/src/config.ts uses when no variable overrides it: the contract's (schemas/src/names.ts). */
export const PIPELINE_DEFAULTS = DEPLOYMENT_DEFAULTS;
