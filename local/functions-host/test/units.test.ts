import { retryDelayMs } from '../src/event-hub-trigger';
import { parseTimeSpan, readHostConfig } from '../src/host-json';
import { matchRoute, parseRouteTemplate } from '../src/http-trigger';
import { parseLocalSettings, resolveSettingExpressions, connectionString } from '../src/settings';
import { parseCliArgs } from '../src/cli';
import {
  parseScaleGroupsLine,
  scaleGroupLabel,
  scaleGroupOf,
  scaleGroupsLine,
  scaleGroupsOf,
} from '../src/scale-groups';
import { hostNodeOptions, HOST_SEMI_SPACE_MB } from '../src/spawn';
import { join } from 'node:path';

describe('host.json', () => {
  it('reads the functions app host.json: route prefix and the Event Hubs batch settings', () => {
    const config = readHostConfig(join(__dirname, '../../../functions/host.json'));
    expect(config.routePrefix).toBe('api');
    expect(config.eventHubs).toEqual({
      maxEventBatchSize: 100,
      minEventBatchSize: 1,
      maxWaitTimeMs: 5000,
      prefetchCount: 300,
      batchCheckpointFrequency: 1,
      initialOffset: { type: 'fromStart' },
    });
  });

  it('uses the Azure defaults without a host.json', () => {
    expect(readHostConfig(undefined)).toMatchObject({
      routePrefix: 'api',
      eventHubs: { maxEventBatchSize: 100, maxWaitTimeMs: 60_000, initialOffset: { type: 'fromStart' } },
    });
  });

  it('parses .NET TimeSpan durations and refuses anything else', () => {
    expect(parseTimeSpan('00:00:05', 'x')).toBe(5000);
    expect(parseTimeSpan('1.02:03:04.5', 'x')).toBe(((24 + 2) * 3600 + 3 * 60 + 4) * 1000 + 500);
    expect(() => parseTimeSpan('5s', 'maxWaitTime')).toThrow(
      'maxWaitTime must be a duration like "00:00:05"',
    );
  });
});

describe('retry delays', () => {
  it('doubles from the minimum interval up to the maximum (exponential backoff)', () => {
    const policy = {
      strategy: 'exponentialBackoff',
      maxRetryCount: -1,
      minimumMs: 1000,
      maximumMs: 60_000,
    } as const;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(policy, n))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(retryDelayMs(policy, 10_000)).toBe(60_000);
  });

  it('waits the same interval every time with a fixed delay', () => {
    const policy = { strategy: 'fixedDelay', maxRetryCount: 3, minimumMs: 250, maximumMs: 250 } as const;
    expect([1, 2, 3].map((n) => retryDelayMs(policy, n))).toEqual([250, 250, 250]);
  });
});

describe('route templates', () => {
  const match = (template: string, path: string) =>
    matchRoute(parseRouteTemplate(template), path.split('/').filter(Boolean));

  it('matches literals case-insensitively, parameters, optional parameters and catch-alls', () => {
    expect(match('events', 'Events')).toEqual({});
    expect(match('events', 'events/1')).toBeUndefined();
    expect(match('images/{name}', 'images/abc.jpeg')).toEqual({ name: 'abc.jpeg' });
    expect(match('images/{name}', 'images')).toBeUndefined();
    expect(match('files/{name?}', 'files')).toEqual({});
    expect(match('items/{id:int}', 'items/7')).toEqual({ id: '7' });
    expect(match('dashboard/{*asset}', 'dashboard/js/app.js')).toEqual({ asset: 'js/app.js' });
    expect(match('dashboard/{*asset}', 'dashboard')).toEqual({ asset: '' });
  });
});

describe('settings', () => {
  it('reads Values and FunctionKeys, and refuses encrypted or malformed files', () => {
    expect(
      parseLocalSettings({ IsEncrypted: false, Values: { A: '1' }, FunctionKeys: { default: 'k' } }),
    ).toEqual({
      values: { A: '1' },
      functionKeys: { default: 'k' },
    });
    expect(() => parseLocalSettings({ IsEncrypted: true, Values: {} })).toThrow(/encrypted settings/);
    expect(() => parseLocalSettings({ Values: { A: 1 } })).toThrow('settings: Values.A must be a string');
  });

  it('resolves %SETTING% expressions and names a missing setting', () => {
    expect(resolveSettingExpressions('%DB%-%C%', { DB: 'harvey', C: 'events' }, 'b')).toBe('harvey-events');
    expect(() => resolveSettingExpressions('%NOPE%', {}, 'function "f", binding "b"')).toThrow(
      'function "f", binding "b": the app setting "NOPE" (from "%NOPE%") is not set',
    );
  });

  it('explains that an identity-based connection needs the emulator key locally', () => {
    expect(() =>
      connectionString('EventHub', { EventHub__fullyQualifiedNamespace: 'ns.servicebus.windows.net' }, 'w'),
    ).toThrow(/connection "EventHub" is identity-based.*"EventHub__sharedAccessKeyName"/);
  });
});

describe('CLI arguments', () => {
  it('requires --app and --settings and validates the port', () => {
    expect(parseCliArgs([])).toMatchObject({
      error: expect.stringContaining('--app and --settings are required') as unknown,
    });
    expect(parseCliArgs(['--app', 'a.js', '--settings', 's.json', '--port', '70000'])).toMatchObject({
      error: expect.stringContaining('--port must be 0-65535') as unknown,
    });
    expect(parseCliArgs(['--app', 'a.js', '--settings', 's.json', '--port', '0', '--debug'])).toEqual({
      options: { appEntry: 'a.js', settings: 's.json', port: 0, host: '127.0.0.1', debug: true },
    });
    expect(
      parseCliArgs(['--app', 'a.js', '--settings', 's.json', '--scale-group', 'function:consume']),
    ).toMatchObject({ options: { scaleGroup: 'function:consume' } });
  });
});

describe('scale groups (Flex Consumption per-function scaling)', () => {
  it('puts every HTTP function in one group and every other function in a group of its own, http first', () => {
    expect(
      scaleGroupsOf([
        { name: 'zeta', triggerType: 'eventHubTrigger' },
        { name: 'stats', triggerType: 'httpTrigger' },
        { name: 'consume', triggerType: 'eventHubTrigger' },
        { name: 'ingest', triggerType: 'httpTrigger' },
      ]),
    ).toEqual(['http', 'function:consume', 'function:zeta']);
    expect(scaleGroupOf('httpTrigger', 'ingest')).toBe('http');
    expect(scaleGroupLabel('function:consume')).toBe('consume');
    expect(scaleGroupLabel('http')).toBe('http');
  });

  it('reads back the groups line a host prints, wherever the logger puts it in the line', () => {
    const line = `[2026-12-07T05:00:00.000Z] info ${scaleGroupsLine(['http', 'function:consume'], 'http')}`;
    expect(parseScaleGroupsLine(line)).toEqual({ groups: ['http', 'function:consume'], instance: 'http' });
    expect(parseScaleGroupsLine(scaleGroupsLine(['function:consume'], 'all'))).toEqual({
      groups: ['function:consume'],
      instance: 'all',
    });
    expect(parseScaleGroupsLine('Functions host listening on http://127.0.0.1:7071')).toBeUndefined();
  });
});

describe('host process options', () => {
  it('gives the host a larger young generation, keeping what NODE_OPTIONS already says', () => {
    expect(hostNodeOptions(undefined)).toBe(`--max-semi-space-size=${HOST_SEMI_SPACE_MB}`);
    expect(hostNodeOptions(' --enable-source-maps ')).toBe(
      `--enable-source-maps --max-semi-space-size=${HOST_SEMI_SPACE_MB}`,
    );
    expect(hostNodeOptions('--max-semi-space-size=8 --inspect')).toBe('--max-semi-space-size=8 --inspect');
  });
});
