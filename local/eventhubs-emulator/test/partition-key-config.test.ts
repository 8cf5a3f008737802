import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, partitionForKey } from '../src';

/** The SDK's own key-to-partition mapping (used by its buffered producer), loaded by file path. */
function sdkMapping(): (key: string, count: number) => number {
  const root = join(require.resolve('@azure/event-hubs'), '..');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- not exported by the package; loaded by path
  const mod = require(join(root, 'impl', 'partitionKeyToIdMapper.js')) as {
    mapPartitionKeyToId(k: string, n: number): number;
  };
  return mod.mapPartitionKeyToId;
}

describe('partition keys', () => {
  it('map to the partition the SDK predicts, for keys of every length and alphabet', () => {
    const sdk = sdkMapping();
    const keys = [
      '',
      'a',
      'tweets',
      'Hurricane Harvey',
      'héllo wörld ✓',
      '0123456789ab',
      '0123456789abc',
      'x'.repeat(100),
    ];
    for (let i = 0; i < 500; i++) keys.push(`user-${i * 7919}-${'é'.repeat(i % 5)}`);
    for (const key of keys)
      for (const n of [1, 2, 3, 4, 7, 32])
        expect([key, n, partitionForKey(key, n)]).toEqual([key, n, sdk(key, n)]);
  });
});

describe('config', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eh-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to hub tweets with 2 partitions, $Default and one day of retention', () => {
    const cfg = loadConfig(undefined);
    expect(cfg.hubs).toEqual([
      expect.objectContaining({
        name: 'tweets',
        partitionIds: ['0', '1'],
        consumerGroups: ['$Default'],
        retentionMs: 86_400_000,
      }),
    ]);
    expect(cfg.maxMessageBytes).toBe(1024 * 1024);
  });

  it('reads our JSON file', () => {
    const path = join(dir, 'ours.json');
    writeFileSync(
      path,
      JSON.stringify({
        eventHubs: [
          {
            name: 'tweets',
            partitionCount: 2,
            consumerGroups: ['$Default', 'cosmos-writer'],
            retentionHours: 24,
          },
        ],
      }),
    );
    expect(loadConfig(path).hubs[0]).toMatchObject({ consumerGroups: ['$Default', 'cosmos-writer'] });
  });

  it("reads the Config.json of Microsoft's Docker emulator", () => {
    const path = join(dir, 'microsoft.json');
    writeFileSync(
      path,
      JSON.stringify({
        UserConfig: {
          NamespaceConfig: [
            {
              Type: 'EventHub',
              Name: 'emulatorNs1',
              Entities: [{ Name: 'eh1', PartitionCount: '3', ConsumerGroups: [{ Name: 'cg1' }] }],
            },
          ],
          LoggingConfig: { Type: 'File' },
        },
      }),
    );
    const cfg = loadConfig(path);
    expect(cfg.namespace).toBe('emulatorNs1');
    expect(cfg.hubs[0]).toMatchObject({
      name: 'eh1',
      partitionIds: ['0', '1', '2'],
      consumerGroups: ['$Default', 'cg1'],
    });
  });

  it('explains a file that is not JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ eventHubs: ');
    expect(() => loadConfig(path)).toThrow(ConfigError);
    expect(() => loadConfig(path)).toThrow(/not valid JSON/);
  });
});
