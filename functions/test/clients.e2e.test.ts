import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventHubConsumerClient, earliestEventPosition } from '@azure/event-hubs';
import {
  AZURITE_ACCOUNT_KEY,
  COSMOS_EMULATOR_KEY,
  createSelfSignedCertificate,
  startAzurite,
  startCosmos,
  type RunningAzurite,
  type RunningCosmos,
} from '@pipeline/emulators';
import {
  EMULATOR_KEY,
  EMULATOR_KEY_NAME,
  INVALID_SIGNATURE,
  startEmulator,
  type RunningEmulator,
} from '@pipeline/eventhubs-emulator';
import { blobServiceClient, closeClients, cosmosContainer } from '../src/lib/clients';

jest.setTimeout(60_000);

/** Sets app settings for one test and restores the environment afterwards. */
const saved = { ...process.env };
function settings(values: Record<string, string>): void {
  for (const key of Object.keys(process.env))
    if (/^(PipelineStorage|CosmosDb|EventHub)(__|$)/.test(key)) delete process.env[key];
  Object.assign(process.env, values);
}
afterEach(async () => {
  await closeClients();
  process.env = { ...saved };
});

describe('identity-style settings against the emulators: the Azure constructors with a local key', () => {
  let azurite: RunningAzurite;
  let cosmos: RunningCosmos;
  beforeAll(async () => {
    [azurite, cosmos] = await Promise.all([startAzurite({ port: 0 }), startCosmos({ port: 0 })]);
  });
  afterAll(async () => {
    await Promise.all([azurite?.stop(), cosmos?.stop()]);
  });

  it('PipelineStorage__blobServiceUri + __accountKey: the shared key signs every request', async () => {
    settings({
      PipelineStorage__blobServiceUri: azurite.blobEndpoint,
      PipelineStorage__accountKey: AZURITE_ACCOUNT_KEY,
    });
    const container = blobServiceClient().getContainerClient('identity-style');
    await container.createIfNotExists();
    await container.getBlockBlobClient('a.txt').upload('hello', 5);
    expect((await container.getBlockBlobClient('a.txt').downloadToBuffer()).toString()).toBe('hello');

    await closeClients();
    settings({
      PipelineStorage__blobServiceUri: azurite.blobEndpoint,
      PipelineStorage__accountKey: Buffer.from('wrong').toString('base64'),
    });
    await expect(blobServiceClient().getContainerClient('identity-style').exists()).rejects.toMatchObject({
      statusCode: 403,
    });
  });

  it('CosmosDb__accountEndpoint + __accountKey: the container client reads and writes', async () => {
    settings({
      CosmosDb__accountEndpoint: cosmos.endpoint,
      CosmosDb__accountKey: COSMOS_EMULATOR_KEY,
      COSMOS_DATABASE: 'identity',
      COSMOS_CONTAINER: 'docs',
    });
    const container = cosmosContainer();
    const { database } = await container.database.client.databases.createIfNotExists({ id: 'identity' });
    await database.containers.createIfNotExists({ id: 'docs', partitionKey: { paths: ['/id'] } });
    await container.items.upsert({ id: 'one', value: 1 });
    const { resource } = await container.item('one', 'one').read<{ value: number }>();
    expect(resource?.value).toBe(1);
  });
});

describe('EventHub__fullyQualifiedNamespace: the credential constructor over TLS, as in Azure', () => {
  // The SDK connects over TLS whenever it is given a credential (@azure/core-amqp ConnectionContextBase)
  // and trusts only the CAs Node loaded at startup, so the app's code runs in a child process with
  // NODE_EXTRA_CA_CERTS, exactly as the local stack starts the functions host.
  const clients = join(__dirname, '..', 'dist', 'src', 'lib', 'clients.js');
  const script = `
    const { eventHubProducer, closeClients } = require(${JSON.stringify(clients)});
    // UnauthorizedError is retryable in the SDK (a rotated key), so retries wrap it in AggregateErrors.
    const messages = (e) => (e.errors ? e.errors.flatMap(messages) : [e.code + ': ' + e.message]);
    eventHubProducer().sendBatch([{ body: { via: 'identity-style settings' } }]).then(
      () => { console.log('sent'); return closeClients(); },
      (error) => { console.log('failed: ' + [...new Set(messages(error))].join(' | ')); return closeClients(); });`;
  let dir: string;
  let hub: RunningEmulator;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'clients-tls-'));
    const cert = createSelfSignedCertificate({ commonName: 'Event Hubs emulator', altNames: ['127.0.0.1'] });
    writeFileSync(join(dir, 'ca.pem'), cert.certPem);
    hub = await startEmulator({
      port: 0,
      logger: () => undefined,
      tls: { port: 0, cert: cert.certPem, key: cert.keyPem },
    });
  });
  afterAll(async () => {
    await hub?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const send = async (key: string) => {
    if (!existsSync(clients)) throw new Error(`${clients} is missing: run npx tsc -b functions`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
      EventHub__fullyQualifiedNamespace: `127.0.0.1:${hub.tlsPort}`,
      EventHub__sharedAccessKeyName: EMULATOR_KEY_NAME,
      EventHub__sharedAccessKey: key,
      EVENTHUB_NAME: 'tweets',
    };
    delete env.EventHub;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env, timeout: 30_000 });
    return stdout.trim();
  };

  it('sends with the configured key; the event is on the hub', async () => {
    expect(await send(EMULATOR_KEY)).toBe('sent');
    const consumer = new EventHubConsumerClient('$Default', hub.connectionString('tweets'));
    try {
      const bodies: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        const subscription = consumer.subscribe(
          {
            processEvents: async (events) => {
              bodies.push(...events.map((e) => e.body as unknown));
              if (bodies.length > 0) await subscription.close().then(resolve, reject);
            },
            processError: (error) => {
              reject(error);
              return Promise.resolve();
            },
          },
          { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 1 },
        );
      });
      expect(bodies).toContainEqual({ via: 'identity-style settings' });
    } finally {
      await consumer.close();
    }
  });

  it('a wrong key fails as in Azure: 401 InvalidSignature', async () => {
    const outcome = await send('not-the-key');
    expect(outcome).toBe(`failed: UnauthorizedError: ${INVALID_SIGNATURE}`);
  });
});
