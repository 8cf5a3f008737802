import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventHubsTlsPortFromEnvironment, portsFromEnvironment } from '../src/ports';
import { eventHubsConfig } from '../src/services/eventhubs';
import { basicAuthHeader, loadOrCreateSecrets } from '../src/secrets';

describe('ports', () => {
  it('uses the defaults, takes overrides from the environment and names a bad value', () => {
    expect(portsFromEnvironment({})).toEqual({
      gateway: 7070,
      functions: 7071,
      blob: 10000,
      cosmos: 8081,
      eventHubs: 5672,
    });
    expect(portsFromEnvironment({ FUNCTIONS_PORT: '9071' }).functions).toBe(9071);
    expect(() => portsFromEnvironment({ COSMOS_PORT: 'abc' })).toThrow(
      'COSMOS_PORT must be a port number from 1 to 65535; got "abc"',
    );
    expect(() => portsFromEnvironment({ GATEWAY_PORT: '7071' })).toThrow(
      'API gateway and functions host are both set to port 7071',
    );
  });

  it("the Event Hubs TLS port: 5671 (the service's AMQPS port) unless EVENTHUBS_TLS_PORT says otherwise", () => {
    expect(eventHubsTlsPortFromEnvironment({})).toBe(5671);
    expect(eventHubsTlsPortFromEnvironment({ EVENTHUBS_TLS_PORT: '15671' })).toBe(15671);
    expect(() => eventHubsTlsPortFromEnvironment({ EVENTHUBS_TLS_PORT: '0' })).toThrow(
      'EVENTHUBS_TLS_PORT must be a port number from 1 to 65535; got "0"',
    );
  });
});

describe('local secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-secrets-'));

  it('generates random secrets once, privately, and reuses them', () => {
    const path = join(dir, 'secrets.json');
    const first = loadOrCreateSecrets(path);
    expect(first.functionKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first.subscription.primaryKey).not.toBe(first.subscription.secondaryKey);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecrets(path)).toEqual(first);
    expect(loadOrCreateSecrets(join(dir, 'other.json')).functionKey).not.toBe(first.functionKey);
    expect(Buffer.from(basicAuthHeader(first).slice(6), 'base64').toString()).toBe(
      `producer:${first.basicAuth.password}`,
    );
  });

  it('generates an Event Hubs key, and the emulator config accepts only that key', () => {
    const secrets = loadOrCreateSecrets(join(dir, 'hub.json'));
    expect(secrets.eventHubs.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(eventHubsConfig(secrets.eventHubs).sharedAccessKeys).toEqual([
      { name: secrets.eventHubs.keyName, key: secrets.eventHubs.key },
    ]);
  });

  it('adds the Event Hubs key to a secrets file from before it existed, keeping the rest', () => {
    const path = join(dir, 'old.json');
    const old = {
      functionKey: 'f',
      subscription: { primaryKey: 'p', secondaryKey: 's' },
      basicAuth: { user: 'producer', password: 'pw' },
    };
    writeFileSync(path, JSON.stringify(old));
    const upgraded = loadOrCreateSecrets(path);
    expect(upgraded).toMatchObject(old);
    expect(upgraded.eventHubs.keyName).toBe('RootManageSharedAccessKey');
    expect(loadOrCreateSecrets(path)).toEqual(upgraded);
  });

  it('refuses an incomplete file with a message saying what to do', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"functionKey":"x"}');
    expect(() => loadOrCreateSecrets(path)).toThrow(
      `${path} is incomplete; delete it and a new one will be generated`,
    );
    expect(readFileSync(path, 'utf8')).toBe('{"functionKey":"x"}');
  });
});
