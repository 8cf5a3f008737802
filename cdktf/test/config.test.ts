import type { EnvironmentConfig } from '../src/config';
import { ConfigError, configProblems, ENVIRONMENTS, loadConfig, validateConfig } from '../src/config';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends object ? Mutable<T[K]> : T[K] };

function withChange(change: (c: Mutable<EnvironmentConfig>) => void): EnvironmentConfig {
  const copy = structuredClone(ENVIRONMENTS.dev) as Mutable<EnvironmentConfig>;
  change(copy);
  return copy;
}

describe('environment config', () => {
  test.each(Object.keys(ENVIRONMENTS))('%s is valid', (name) => {
    expect(configProblems(ENVIRONMENTS[name as 'dev' | 'prod'])).toEqual([]);
  });

  test('dev is the cheap default: Consumption APIM, serverless Cosmos, one TU, 2 partitions, 1 day', () => {
    const dev = ENVIRONMENTS.dev;
    expect(dev.apiManagement.sku).toBe('Consumption_0');
    expect(dev.cosmos.throughput).toEqual({ mode: 'serverless' });
    expect(dev.eventHubs).toMatchObject({ throughputUnits: 1, partitions: 2, retentionDays: 1 });
  });

  test.each<[string, (c: Mutable<EnvironmentConfig>) => void, RegExp]>([
    ['name', (c) => void (c.name = 'Dev!'), /^name must be/],
    ['location', (c) => void (c.location = 'West Europe'), /^location must be/],
    [
      'storage.replication',
      (c) => void ((c.storage.replication = 'XRS' as never), (c.storage.rawToArchiveAfterDays = 0)),
      /^storage\.replication must be one of/,
    ],
    [
      'storage.softDeleteRetentionDays',
      (c) => void (c.storage.softDeleteRetentionDays = 3),
      /^storage\.softDeleteRetentionDays must be an integer from 7 to 365 \(got 3\)/,
    ],
    [
      'archive after cool',
      (c) => void (c.storage.rawToArchiveAfterDays = 10),
      /^storage\.rawToArchiveAfterDays must be greater than/,
    ],
    [
      'archive with ZRS',
      (c) => void (c.storage.replication = 'ZRS'),
      /^storage\.rawToArchiveAfterDays: the archive tier is not available with ZRS/,
    ],
    [
      'eventHubs.partitions 0',
      (c) => void (c.eventHubs.partitions = 0),
      /^eventHubs\.partitions must be an integer from 1 to 32 \(got 0\)/,
    ],
    [
      'eventHubs.partitions 33',
      (c) => void (c.eventHubs.partitions = 33),
      /^eventHubs\.partitions must be an integer from 1 to 32 \(got 33\)/,
    ],
    [
      'eventHubs.retentionDays',
      (c) => void (c.eventHubs.retentionDays = 8),
      /^eventHubs\.retentionDays must be an integer from 1 to 7/,
    ],
    [
      'eventHubs.throughputUnits',
      (c) => void (c.eventHubs.throughputUnits = 1.5),
      /^eventHubs\.throughputUnits must be an integer/,
    ],
    [
      'auto-inflate below base',
      (c) => void ((c.eventHubs.throughputUnits = 4), (c.eventHubs.autoInflateMaxThroughputUnits = 2)),
      /^eventHubs\.autoInflateMaxThroughputUnits must be 0 or at least/,
    ],
    [
      'cosmos autoscale not a multiple of 1000',
      (c) => void (c.cosmos.throughput = { mode: 'autoscale', maxThroughput: 1500 }),
      /^cosmos\.throughput\.maxThroughput must be a multiple of 1000/,
    ],
    [
      'cosmos mode',
      (c) => void (c.cosmos.throughput = { mode: 'provisioned' } as never),
      /^cosmos\.throughput\.mode must be/,
    ],
    [
      'functions.maximumInstanceCount',
      (c) => void (c.functions.maximumInstanceCount = 10),
      /^functions\.maximumInstanceCount must be an integer from 40 to 1000/,
    ],
    [
      'functions.instanceMemoryMb',
      (c) => void (c.functions.instanceMemoryMb = 1024 as never),
      /^functions\.instanceMemoryMb must be one of 512, 2048, 4096/,
    ],
    [
      'apiManagement.sku',
      (c) => void (c.apiManagement.sku = 'Free' as never),
      /^apiManagement\.sku must be one of/,
    ],
    [
      'apiManagement.publisherEmail',
      (c) => void (c.apiManagement.publisherEmail = 'nobody'),
      /^apiManagement\.publisherEmail must be an e-mail address/,
    ],
    [
      'keyVault.softDeleteRetentionDays',
      (c) => void (c.keyVault.softDeleteRetentionDays = 91),
      /^keyVault\.softDeleteRetentionDays must be an integer from 7 to 90/,
    ],
    [
      'monitoring.alertEmails',
      (c) => void (c.monitoring.alertEmails = ['ops@example.com', 'nope']),
      /^monitoring\.alertEmails\[1\] is not an e-mail address/,
    ],
  ])('a bad %s fails with a message naming the field', (_label, change, message) => {
    const problems = configProblems(withChange(change));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('validateConfig throws one error listing every problem', () => {
    const bad = withChange((c) => {
      c.eventHubs.partitions = 0;
      c.location = '';
    });
    expect(() => validateConfig(bad)).toThrow(ConfigError);
    expect(() => validateConfig(bad)).toThrow(
      /Invalid environment config 'dev':\n {2}- location must be.*\n {2}- eventHubs\.partitions/s,
    );
  });

  test('loadConfig applies the GitHub-variable overrides and validates them', () => {
    const config = loadConfig('dev', {
      AZURE_LOCATION: 'westeurope',
      APIM_SKU: 'BasicV2_1',
      APIM_PUBLISHER_EMAIL: 'ops@contoso.com',
      ALERT_EMAILS: 'a@contoso.com, b@contoso.com',
    });
    expect(config.location).toBe('westeurope');
    expect(config.apiManagement).toMatchObject({ sku: 'BasicV2_1', publisherEmail: 'ops@contoso.com' });
    expect(config.monitoring.alertEmails).toEqual(['a@contoso.com', 'b@contoso.com']);
    expect(() => loadConfig('dev', { APIM_SKU: 'Gold_9' })).toThrow(/apiManagement\.sku must be one of/);
    expect(() => loadConfig('staging', {})).toThrow(/name must be one of dev, prod/);
  });

  test('empty overrides keep the defaults', () => {
    expect(loadConfig('prod', { AZURE_LOCATION: ' ', APIM_SKU: '' })).toEqual(ENVIRONMENTS.prod);
  });
});
