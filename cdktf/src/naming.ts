import { createHash } from 'node:crypto';

/**
 * Resource names: `<abbreviation><token>` as in the Azure Developer CLI templates. The token is a
 * hash of subscription, environment and location: stable across runs (a re-synth never renames,
 * hence never replaces, a resource), unique enough for globally named services (storage, Key
 * Vault, Cosmos DB, API Management), and never random. `NAME_TOKEN` overrides it.
 */
export const ABBREVIATIONS = {
  resourceGroup: 'rg-',
  storageAccount: 'st',
  functionStorageAccount: 'stfn',
  stateStorageAccount: 'sttf',
  eventHubsNamespace: 'evhns-',
  cosmosAccount: 'cosmos-',
  keyVault: 'kv-',
  apiManagement: 'apim-',
  functionApp: 'func-',
  servicePlan: 'asp-',
  logAnalytics: 'log-',
  applicationInsights: 'appi-',
  actionGroup: 'ag-',
  alert: 'alert-',
} as const;

export type ResourceKind = keyof typeof ABBREVIATIONS;

/** 13 lowercase base-36 characters derived from the inputs (like ARM's uniqueString). */
export function nameToken(...parts: readonly string[]): string {
  const digest = createHash('sha256').update(parts.join('|')).digest();
  const value = digest.readBigUInt64BE(0);
  return value.toString(36).padStart(13, '0').slice(-13);
}

export interface NamingInput {
  /** Subscription id the stack deploys into. */
  readonly subscriptionId: string;
  readonly environment: string;
  readonly location: string;
  readonly workload: string;
  /** Overrides the computed token (lowercase letters and digits, 4 to 13 characters). */
  readonly tokenOverride?: string;
}

/**
 * The pipeline resource group of an environment. The bootstrap creates it and the pipeline stack
 * reads it, so both take the name from here.
 */
export function resourceGroupName(workload: string, environment: string): string {
  return `${ABBREVIATIONS.resourceGroup}${workload}-${environment}`;
}

export class Naming {
  readonly token: string;

  constructor(readonly input: NamingInput) {
    if (input.tokenOverride !== undefined && !/^[a-z0-9]{4,13}$/.test(input.tokenOverride)) {
      throw new Error(
        `NAME_TOKEN must be 4 to 13 lowercase letters or digits (got ${JSON.stringify(input.tokenOverride)})`,
      );
    }
    this.token = input.tokenOverride ?? nameToken(input.subscriptionId, input.environment, input.location);
  }

  /** The resource group is named for people: workload and environment. */
  get resourceGroup(): string {
    return resourceGroupName(this.input.workload, this.input.environment);
  }

  /** A globally unique name for a resource kind, checked against the service's length rules. */
  name(kind: Exclude<ResourceKind, 'resourceGroup'>): string {
    const name = `${ABBREVIATIONS[kind]}${this.token}`;
    const limit = kind.endsWith('torageAccount') || kind === 'keyVault' ? 24 : 50;
    if (name.length > limit) throw new Error(`Resource name ${name} is longer than ${limit} characters`);
    return name;
  }
}

/** Tags on every resource: who owns it, which environment, and where its code lives. */
export function standardTags(
  environment: string,
  workload: string,
  repository: string,
): Record<string, string> {
  return { environment, workload, repository, 'managed-by': 'terraform-cdktf' };
}
