import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { APIM_NAMES, parseApimTier, POLICY_FILE_NAMES, tiersForPolicy } from '@pipeline/schemas';

/**
 * The APIM policy files, read verbatim from `policies/` at synth time: the same files the local
 * gateway enforces, so what is tested locally is what is deployed. Named by the contract's rule
 * (POLICY_FILE_NAMES in schemas/src/names.ts), the one the gateway maps files to scopes by.
 */
export const POLICY_FILES = {
  global: { file: POLICY_FILE_NAMES.global(), required: true },
  product: { file: POLICY_FILE_NAMES.product(APIM_NAMES.product), required: true },
  api: { file: POLICY_FILE_NAMES.api(APIM_NAMES.api), required: true },
  operation: { file: POLICY_FILE_NAMES.operation(APIM_NAMES.api, APIM_NAMES.operation), required: false },
} as const;

export type PolicyScope = keyof typeof POLICY_FILES;
export type PolicySet = { readonly [K in PolicyScope]?: string };

export class MissingPolicyFileError extends Error {}

/** The repository root (cdktf/src or cdktf/dist/src -> two or three levels up). */
export function repositoryRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'schemas', 'tweet-event.schema.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`Cannot find the repository root (schemas/tweet-event.schema.json) above ${__dirname}`);
}

export function readPolicies(policiesDir = path.join(repositoryRoot(), 'policies')): PolicySet {
  const result: { [K in PolicyScope]?: string } = {};
  for (const [scope, { file, required }] of Object.entries(POLICY_FILES) as [
    PolicyScope,
    { file: string; required: boolean },
  ][]) {
    const fullPath = path.join(policiesDir, file);
    if (!existsSync(fullPath)) {
      if (required) {
        throw new MissingPolicyFileError(
          `Missing required APIM policy file policies/${file} (looked in ${fullPath})`,
        );
      }
      continue;
    }
    result[scope] = readFileSync(fullPath, 'utf8');
  }
  return result;
}

/** Element names used in a policy document (a tolerant scan; the XML is not interpreted). */
export function policyElements(xml: string): Set<string> {
  const withoutComments = xml.replace(/<!--[\s\S]*?-->/g, '');
  const names = new Set<string>();
  for (const match of withoutComments.matchAll(/<([a-zA-Z][\w-]*)[\s/>]/g)) names.add(match[1]!);
  return names;
}

/**
 * Problems running these policies on the given SKU (empty when all are supported). Synthesis fails
 * when a policy file uses an element the configured tier lacks, instead of failing at apply time (or
 * worse, at the first request). The tier table is the contract's (`TIER_RESTRICTED_POLICIES` in
 * schemas/src/apim-tiers.ts, each row citing its Microsoft Learn page), the same one the local gateway
 * enforces: one definition, so the two can no longer drift (cdktf's own list lacked limit-concurrency).
 */
export function tierProblems(policies: PolicySet, sku: string): string[] {
  const tier = parseApimTier(sku);
  const problems: string[] = [];
  for (const [scope, xml] of Object.entries(policies)) {
    if (xml === undefined) continue;
    for (const name of policyElements(xml)) {
      const tiers = tiersForPolicy(name);
      if (!tiers || tiers.includes(tier)) continue;
      problems.push(
        `policies/${POLICY_FILES[scope as PolicyScope].file} uses <${name}>, which the ${tier} tier does not support (it runs on ${tiers.join(', ')}); choose another apiManagement.sku or change the policy`,
      );
    }
  }
  return problems;
}
