import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventHubProducerClient } from '@azure/event-hubs';
import { createSelfSignedCertificate } from '@pipeline/emulators';
import {
  EMULATOR_KEY,
  EMULATOR_KEY_NAME,
  INVALID_SIGNATURE,
  startEmulator,
  type RunningEmulator,
} from '../src';
import { captureLogs } from './helpers';

jest.setTimeout(60_000);

const noRetry = { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } };
const withKey = (emulator: RunningEmulator, name: string, key: string) =>
  `Endpoint=sb://127.0.0.1:${emulator.port};SharedAccessKeyName=${name};SharedAccessKey=${key};UseDevelopmentEmulator=true;EntityPath=tweets`;

async function send(connectionString: string): Promise<void> {
  const producer = new EventHubProducerClient(connectionString, noRetry);
  try {
    await producer.sendBatch([{ body: 'hello' }]);
  } finally {
    await producer.close();
  }
}

describe('SAS keys: only the configured policies are accepted, as by the service', () => {
  let emulator: RunningEmulator;
  const logs = captureLogs();
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      logger: logs.sink,
      config: {
        eventHubs: [{ name: 'tweets' }],
        sharedAccessKeys: [{ name: 'send-only', key: 'the-configured-key' }],
      },
    });
  });
  afterAll(() => emulator?.stop());

  it('a token signed with the configured key is accepted', async () => {
    await expect(send(withKey(emulator, 'send-only', 'the-configured-key'))).resolves.toBeUndefined();
    expect(emulator.connectionString('tweets')).toContain('SharedAccessKey=the-configured-key');
  });

  it('a wrong key fails with the service error (401 InvalidSignature) through the real SDK', async () => {
    const failure = send(withKey(emulator, 'send-only', 'a-wrong-key'));
    await expect(failure).rejects.toThrow(INVALID_SIGNATURE);
    await expect(failure).rejects.toMatchObject({ code: 'UnauthorizedError' });
    expect(logs.lines).toContainEqual(expect.objectContaining({ msg: 'cbs token refused' }));
  });

  it('a policy name the namespace does not have fails the same way', async () => {
    await expect(send(withKey(emulator, EMULATOR_KEY_NAME, 'the-configured-key'))).rejects.toThrow(
      INVALID_SIGNATURE,
    );
  });
});

describe('defaults and the explicit escape hatch', () => {
  it('by default only the well-known emulator key is accepted', async () => {
    const emulator = await startEmulator({ port: 0, logger: captureLogs().sink });
    try {
      await send(withKey(emulator, EMULATOR_KEY_NAME, EMULATOR_KEY));
      await expect(send(withKey(emulator, EMULATOR_KEY_NAME, 'anything-else'))).rejects.toThrow(
        INVALID_SIGNATURE,
      );
    } finally {
      await emulator.stop();
    }
  });

  it('acceptAnyKey accepts a token signed with any key', async () => {
    const emulator = await startEmulator({ port: 0, logger: captureLogs().sink, acceptAnyKey: true });
    try {
      await expect(send(withKey(emulator, 'k', 'v'))).resolves.toBeUndefined();
    } finally {
      await emulator.stop();
    }
  });
});

describe('AMQP over TLS: the SDK with a credential (fully qualified namespace, no connection string)', () => {
  // The SDK's credential constructor always uses TLS (@azure/core-amqp ConnectionContextBase) and
  // takes no CA option: the client process trusts the emulator's certificate through
  // NODE_EXTRA_CA_CERTS, which Node reads at startup, so the client runs in its own process.
  const client = `
    const { EventHubProducerClient } = require('@azure/event-hubs');
    const { AzureNamedKeyCredential } = require('@azure/core-auth');
    const [namespace, name, key] = process.argv.slice(1);
    const producer = new EventHubProducerClient(namespace, 'tweets', new AzureNamedKeyCredential(name, key),
      { retryOptions: { maxRetries: 0, timeoutInMs: 10000 } });
    producer.sendBatch([{ body: 'over tls' }]).then(
      () => { console.log('sent'); return producer.close(); },
      (error) => { console.log('failed: ' + error.message); return producer.close(); });
  `;
  let dir: string;
  let emulator: RunningEmulator;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eh-tls-'));
    const cert = createSelfSignedCertificate({ commonName: 'Event Hubs emulator', altNames: ['127.0.0.1'] });
    writeFileSync(join(dir, 'ca.pem'), cert.certPem);
    emulator = await startEmulator({
      port: 0,
      logger: captureLogs().sink,
      tls: { port: 0, cert: cert.certPem, key: cert.keyPem },
    });
  });
  afterAll(async () => {
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = async (key: string) =>
    (
      await promisify(execFile)(
        process.execPath,
        ['-e', client, `127.0.0.1:${emulator.tlsPort}`, EMULATOR_KEY_NAME, key],
        {
          cwd: __dirname,
          env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem') },
          timeout: 30_000,
        },
      )
    ).stdout.trim();

  it('connects with AzureNamedKeyCredential and sends', async () => {
    expect(emulator.tlsPort).toEqual(expect.any(Number));
    expect(await run(EMULATOR_KEY)).toBe('sent');
  });

  it('a wrong key over TLS fails with the same 401', async () => {
    expect(await run('wrong')).toContain(INVALID_SIGNATURE);
  });
});
