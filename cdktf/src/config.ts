/**
 * Environment configuration: one typed object per environment, validated before any construct
 * runs, so a bad value fails synthesis with a message naming the field instead of failing an
 * apply twenty minutes later.
 */
import { DEPLOYMENT_DEFAULTS } from '@pipeline/schemas';

/** The API Management SKUs this template knows how to deploy (`<tier>_<capacity>`). */
export const APIM_SKUS = [
  'Consumption_0',
  'Developer_1',
  'BasicV2_1',
  'StandardV2_1',
  'Basic_1',
  'Standard_1',
  'Premium_1',
] as const;
export type ApimSku = (typeof APIM_SKUS)[number];

export const STORAGE_REPLICATIONS = ['LRS', 'ZRS', 'GRS', 'RAGRS', 'GZRS', 'RAGZRS'] as const;
export type StorageReplication = (typeof STORAGE_REPLICATIONS)[number];

/** Flex Consumption instance sizes (MB). */
export const FLEX_MEMORY_SIZES = [512, 2048, 4096] as const;

export type CosmosThroughput =
  { readonly mode: 'serverless' } | { readonly mode: 'autoscale'; readonly maxThroughput: number };

export interface EnvironmentConfig {
  /** Environment name: lowercase letters and digits, 2 to 8 characters (dev, prod). */
  readonly name: string;
  /** Azure region for every resource, e.g. `swedencentral`. */
  readonly location: string;
  /** Workload name used in resource group names and tags. */
  readonly workload: string;
  readonly storage: {
    /** Replication of the pipeline data account. Archive tiering needs LRS, GRS or RAGRS. */
    readonly replication: StorageReplication;
    /** Days after which raw events move to the cool tier. */
    readonly rawToCoolAfterDays: number;
    /** Days after which raw events move to the archive tier (0 = never). */
    readonly rawToArchiveAfterDays: number;
    /** Blob and container soft-delete retention (days, 7 to 365). */
    readonly softDeleteRetentionDays: number;
  };
  readonly eventHubs: {
    /** Throughput units reserved (Standard: 1 to 40). */
    readonly throughputUnits: number;
    /** Auto-inflate ceiling in throughput units (0 disables auto-inflate). */
    readonly autoInflateMaxThroughputUnits: number;
    /** Partitions of the `tweets` hub (Standard: 1 to 32; cannot change after creation). */
    readonly partitions: number;
    /** Message retention in days (Standard: 1 to 7). */
    readonly retentionDays: number;
    /** Archive every event to Blob Storage in Avro (Standard: billed per TU-hour). */
    readonly captureEnabled: boolean;
    /** Capture window in seconds (60 to 900). */
    readonly captureIntervalSeconds: number;
  };
  readonly cosmos: {
    readonly throughput: CosmosThroughput;
    /** Default time to live of documents in seconds; undefined keeps documents forever. */
    readonly defaultTtlSeconds?: number;
    /** Continuous backup tier. */
    readonly backupTier: 'Continuous7Days' | 'Continuous30Days';
  };
  readonly functions: {
    /** Flex Consumption scale-out ceiling (40 to 1000). */
    readonly maximumInstanceCount: number;
    /** Flex Consumption instance memory size in MB. */
    readonly instanceMemoryMb: (typeof FLEX_MEMORY_SIZES)[number];
    /** Node.js major version; must match the functions workspace. */
    readonly nodeVersion: '22';
  };
  readonly apiManagement: {
    readonly sku: ApimSku;
    readonly publisherName: string;
    readonly publisherEmail: string;
    /** Percentage of requests traced to Application Insights (0 to 100). */
    readonly samplingPercentage: number;
  };
  readonly keyVault: {
    /** Soft-delete retention (7 to 90 days). */
    readonly softDeleteRetentionDays: number;
  };
  readonly monitoring: {
    /** Log Analytics retention in days (30 to 730). */
    readonly logRetentionDays: number;
    /** Log Analytics daily ingestion cap in GB (-1 = no cap). */
    readonly dailyQuotaGb: number;
    /** Addresses that receive alert e-mails (may be empty). */
    readonly alertEmails: readonly string[];
  };
}

export const ENVIRONMENTS: Readonly<Record<'dev' | 'prod', EnvironmentConfig>> = {
  dev: {
    name: 'dev',
    location: DEPLOYMENT_DEFAULTS.location,
    workload: DEPLOYMENT_DEFAULTS.workload,
    storage: {
      replication: 'LRS',
      rawToCoolAfterDays: 30,
      rawToArchiveAfterDays: 90,
      softDeleteRetentionDays: 7,
    },
    eventHubs: {
      throughputUnits: 1,
      autoInflateMaxThroughputUnits: 0,
      partitions: 2,
      retentionDays: 1,
      captureEnabled: true,
      captureIntervalSeconds: 300,
    },
    cosmos: {
      throughput: { mode: 'serverless' },
      defaultTtlSeconds: 30 * 24 * 3600,
      backupTier: 'Continuous7Days',
    },
    functions: { maximumInstanceCount: 40, instanceMemoryMb: 2048, nodeVersion: '22' },
    apiManagement: {
      sku: DEPLOYMENT_DEFAULTS.apimSku,
      publisherName: 'Harvey pipeline',
      publisherEmail: 'pipeline-admin@example.com',
      samplingPercentage: 100,
    },
    keyVault: { softDeleteRetentionDays: 7 },
    monitoring: { logRetentionDays: 30, dailyQuotaGb: 1, alertEmails: [] },
  },
  prod: {
    name: 'prod',
    location: DEPLOYMENT_DEFAULTS.location,
    workload: DEPLOYMENT_DEFAULTS.workload,
    storage: {
      replication: 'GRS',
      rawToCoolAfterDays: 30,
      rawToArchiveAfterDays: 180,
      softDeleteRetentionDays: 30,
    },
    eventHubs: {
      throughputUnits: 1,
      autoInflateMaxThroughputUnits: 4,
      partitions: 4,
      retentionDays: 3,
      captureEnabled: true,
      captureIntervalSeconds: 300,
    },
    cosmos: { throughput: { mode: 'autoscale', maxThroughput: 6000 }, backupTier: 'Continuous30Days' },
    functions: { maximumInstanceCount: 100, instanceMemoryMb: 2048, nodeVersion: '22' },
    apiManagement: {
      sku: DEPLOYMENT_DEFAULTS.apimSku,
      publisherName: 'Harvey pipeline',
      publisherEmail: 'pipeline-admin@example.com',
      samplingPercentage: 25,
    },
    keyVault: { softDeleteRetentionDays: 90 },
    monitoring: { logRetentionDays: 90, dailyQuotaGb: -1, alertEmails: [] },
  },
};

export class ConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid environment config '${environment}':\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const REGION = /^[a-z][a-z0-9]{2,30}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Returns every problem in the config (empty when valid), each naming its field. */
export function configProblems(config: EnvironmentConfig): string[] {
  const problems: string[] = [];
  const intIn = (field: string, value: unknown, min: number, max: number): void => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      problems.push(`${field} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
    }
  };
  const oneOf = (field: string, value: unknown, allowed: readonly unknown[]): void => {
    if (!allowed.includes(value)) {
      problems.push(`${field} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
    }
  };

  if (typeof config.name !== 'string' || !/^[a-z][a-z0-9]{1,7}$/.test(config.name)) {
    problems.push(`name must be 2 to 8 lowercase letters or digits (got ${JSON.stringify(config.name)})`);
  }
  if (typeof config.location !== 'string' || !REGION.test(config.location)) {
    problems.push(
      `location must be an Azure region name like 'swedencentral' (got ${JSON.stringify(config.location)})`,
    );
  }
  if (typeof config.workload !== 'string' || !/^[a-z][a-z0-9]{1,11}$/.test(config.workload)) {
    problems.push(
      `workload must be 2 to 12 lowercase letters or digits (got ${JSON.stringify(config.workload)})`,
    );
  }

  const s = config.storage;
  oneOf('storage.replication', s.replication, STORAGE_REPLICATIONS);
  intIn('storage.rawToCoolAfterDays', s.rawToCoolAfterDays, 1, 3650);
  intIn('storage.rawToArchiveAfterDays', s.rawToArchiveAfterDays, 0, 3650);
  intIn('storage.softDeleteRetentionDays', s.softDeleteRetentionDays, 7, 365);
  if (s.rawToArchiveAfterDays > 0 && s.rawToArchiveAfterDays <= s.rawToCoolAfterDays) {
    problems.push('storage.rawToArchiveAfterDays must be greater than storage.rawToCoolAfterDays');
  }
  if (s.rawToArchiveAfterDays > 0 && !['LRS', 'GRS', 'RAGRS'].includes(s.replication)) {
    problems.push(
      `storage.rawToArchiveAfterDays: the archive tier is not available with ${s.replication} replication (use LRS, GRS or RAGRS, or 0 to disable archiving)`,
    );
  }

  const e = config.eventHubs;
  intIn('eventHubs.throughputUnits', e.throughputUnits, 1, 40);
  intIn('eventHubs.autoInflateMaxThroughputUnits', e.autoInflateMaxThroughputUnits, 0, 40);
  if (e.autoInflateMaxThroughputUnits > 0 && e.autoInflateMaxThroughputUnits < e.throughputUnits) {
    problems.push('eventHubs.autoInflateMaxThroughputUnits must be 0 or at least eventHubs.throughputUnits');
  }
  intIn('eventHubs.partitions', e.partitions, 1, 32);
  intIn('eventHubs.retentionDays', e.retentionDays, 1, 7);
  intIn('eventHubs.captureIntervalSeconds', e.captureIntervalSeconds, 60, 900);
  if (typeof e.captureEnabled !== 'boolean') problems.push('eventHubs.captureEnabled must be true or false');

  const c = config.cosmos;
  if (c.throughput.mode === 'autoscale') {
    intIn('cosmos.throughput.maxThroughput', c.throughput.maxThroughput, 1000, 1_000_000);
    if (c.throughput.maxThroughput % 1000 !== 0) {
      problems.push('cosmos.throughput.maxThroughput must be a multiple of 1000');
    }
  } else if ((c.throughput as { mode: unknown }).mode !== 'serverless') {
    problems.push(`cosmos.throughput.mode must be 'serverless' or 'autoscale'`);
  }
  if (c.defaultTtlSeconds !== undefined)
    intIn('cosmos.defaultTtlSeconds', c.defaultTtlSeconds, 1, 2_147_483_647);
  oneOf('cosmos.backupTier', c.backupTier, ['Continuous7Days', 'Continuous30Days']);

  const f = config.functions;
  intIn('functions.maximumInstanceCount', f.maximumInstanceCount, 40, 1000);
  oneOf('functions.instanceMemoryMb', f.instanceMemoryMb, FLEX_MEMORY_SIZES);
  // Node 20 reached end of life on 2026-04-30; Flex Consumption lists Node 22 (supported languages,
  // learn.microsoft.com/azure/azure-functions/supported-languages). The bundle targets node22.
  oneOf('functions.nodeVersion', f.nodeVersion, ['22']);

  const a = config.apiManagement;
  oneOf('apiManagement.sku', a.sku, APIM_SKUS);
  if (typeof a.publisherName !== 'string' || a.publisherName.trim() === '') {
    problems.push('apiManagement.publisherName must not be empty');
  }
  if (typeof a.publisherEmail !== 'string' || !EMAIL.test(a.publisherEmail)) {
    problems.push(
      `apiManagement.publisherEmail must be an e-mail address (got ${JSON.stringify(a.publisherEmail)})`,
    );
  }
  intIn('apiManagement.samplingPercentage', a.samplingPercentage, 0, 100);

  intIn('keyVault.softDeleteRetentionDays', config.keyVault.softDeleteRetentionDays, 7, 90);

  const m = config.monitoring;
  intIn('monitoring.logRetentionDays', m.logRetentionDays, 30, 730);
  if (m.dailyQuotaGb !== -1 && !(typeof m.dailyQuotaGb === 'number' && m.dailyQuotaGb > 0)) {
    problems.push(
      `monitoring.dailyQuotaGb must be -1 (no cap) or a positive number (got ${JSON.stringify(m.dailyQuotaGb)})`,
    );
  }
  m.alertEmails.forEach((address, i) => {
    if (!EMAIL.test(address))
      problems.push(`monitoring.alertEmails[${i}] is not an e-mail address (got ${JSON.stringify(address)})`);
  });
  return problems;
}

/** Throws a ConfigError listing every problem; returns the config unchanged when valid. */
export function validateConfig(config: EnvironmentConfig): EnvironmentConfig {
  const problems = configProblems(config);
  if (problems.length > 0) throw new ConfigError(String(config.name), problems);
  return config;
}

/**
 * The config of a named environment with the overrides a fork sets as GitHub variables
 * (`AZURE_LOCATION`, `APIM_SKU`, `APIM_PUBLISHER_EMAIL`, `ALERT_EMAILS`, `EVENTHUB_CAPTURE`), validated.
 */
export function loadConfig(name: string, env: NodeJS.ProcessEnv = process.env): EnvironmentConfig {
  if (!Object.prototype.hasOwnProperty.call(ENVIRONMENTS, name)) {
    throw new ConfigError(name, [`name must be one of ${Object.keys(ENVIRONMENTS).join(', ')}`]);
  }
  const base = ENVIRONMENTS[name as keyof typeof ENVIRONMENTS];
  const nonEmpty = (v: string | undefined): string | undefined =>
    v && v.trim() !== '' ? v.trim() : undefined;
  const alertEmails = nonEmpty(env.ALERT_EMAILS);
  return validateConfig({
    ...base,
    location: nonEmpty(env.AZURE_LOCATION) ?? base.location,
    apiManagement: {
      ...base.apiManagement,
      sku: (nonEmpty(env.APIM_SKU) as ApimSku | undefined) ?? base.apiManagement.sku,
      publisherEmail: nonEmpty(env.APIM_PUBLISHER_EMAIL) ?? base.apiManagement.publisherEmail,
    },
    eventHubs: {
      ...base.eventHubs,
      captureEnabled: nonEmpty(env.EVENTHUB_CAPTURE)
        ? env.EVENTHUB_CAPTURE!.trim() !== 'false'
        : base.eventHubs.captureEnabled,
    },
    monitoring: {
      ...base.monitoring,
      alertEmails: alertEmails ? alertEmails.split(',').map((a) => a.trim()) : base.monitoring.alertEmails,
    },
  });
}
