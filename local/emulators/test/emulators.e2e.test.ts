import { BlobServiceClient } from '@azure/storage-blob';
import { CosmosClient } from '@azure/cosmos';
import { Agent, request as httpRequest } from 'node:http';
import {
  startAzurite,
  startCosmos,
  startCosmosProcess,
  type RunningAzurite,
  type RunningCosmos,
} from '../src';

describe('Azurite (blob)', () => {
  let azurite: RunningAzurite;
  const lines: string[] = [];
  beforeAll(async () => {
    azurite = await startAzurite({ port: 0, onLine: (line) => lines.push(line) });
  });
  afterAll(() => azurite?.stop());

  it('stores and returns a blob through the real storage SDK', async () => {
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    const container = service.getContainerClient('probe');
    await container.createIfNotExists();
    await container.getBlockBlobClient('a/b.txt').upload('hello', 5);
    const body = await container.getBlobClient('a/b.txt').downloadToBuffer();
    expect(body.toString()).toBe('hello');
  });

  it('writes its access log only when asked (HOST-9: it was ~30% of its CPU under load)', async () => {
    const verbose: string[] = [];
    const logged = await startAzurite({ port: 0, accessLog: true, onLine: (line) => verbose.push(line) });
    try {
      for (const running of [azurite, logged]) {
        const container = BlobServiceClient.fromConnectionString(running.connectionString).getContainerClient(
          'access',
        );
        await container.createIfNotExists();
        await container.getBlockBlobClient('logged.txt').upload('x', 1);
      }
      const put = (line: string) => line.includes('PUT /devstoreaccount1/access/logged.txt');
      for (let waited = 0; !verbose.some(put) && waited < 5000; waited += 50)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(verbose.some(put)).toBe(true);
      // The silent instance's PUT came first, so its line would have arrived by now.
      expect(lines.filter(put)).toEqual([]);
      expect(lines.some((line) => /successfully listens on/.test(line))).toBe(true);
    } finally {
      await logged.stop();
    }
  });

  it('names the port when it is already taken', async () => {
    await expect(startAzurite({ port: azurite.port })).rejects.toThrow(
      /Azurite \(blob\) exited .*EADDRINUSE|address already in use/s,
    );
  });
});

describe('Cosmos DB server', () => {
  let cosmos: RunningCosmos;
  beforeAll(async () => {
    cosmos = await startCosmos({ port: 0 });
  });
  afterAll(() => cosmos?.stop());

  it('upserts idempotently and answers COUNT queries through the real Cosmos SDK', async () => {
    const client = new CosmosClient({
      endpoint: cosmos.endpoint,
      key: 'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==',
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    const { database } = await client.databases.createIfNotExists({ id: 'probe' });
    const { container } = await database.containers.createIfNotExists({
      id: 'docs',
      partitionKey: { paths: ['/id'] },
    });
    await container.items.upsert({ id: 'x', n: 1 });
    await container.items.upsert({ id: 'x', n: 2 });
    await container.items.upsert({ id: 'y', n: 3 });
    const { resources } = await container.items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
    expect(resources).toEqual([2]);
    const { resource } = await container.item('x', 'x').read<{ n: number }>();
    expect(resource?.n).toBe(2);
  });

  it('keeps connections alive, as Cosmos DB does: requests on one agent share one socket', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await new Promise<{ connection: string | undefined }>((resolve, reject) => {
          const request = httpRequest(`${cosmos.endpoint}dbs`, { agent }, (response) => {
            sockets.add(response.socket);
            response.resume();
            response.on('end', () => resolve({ connection: response.headers.connection }));
          });
          request.on('error', reject);
          request.end();
        });
        expect(answer.connection).toBe('keep-alive');
      }
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('names the port when it is already taken', async () => {
    await expect(startCosmos({ port: cosmos.port })).rejects.toThrow(
      `Cosmos DB emulator cannot listen on 127.0.0.1:${cosmos.port}: EADDRINUSE`,
    );
  });
});

describe('Cosmos DB server as a child process', () => {
  it('serves the real SDK and can be killed and started again on the same port', async () => {
    const first = await startCosmosProcess({ port: 0 });
    const client = new CosmosClient({
      endpoint: first.endpoint,
      key: 'local',
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    await client.databases.createIfNotExists({ id: 'probe' });
    first.kill();
    const second = await startCosmosProcess({ port: first.port });
    try {
      // In-memory only: the restarted server has lost the database, as documented.
      const { resources } = await client.databases.readAll().fetchAll();
      expect(resources).toEqual([]);
    } finally {
      await second.stop();
    }
  }, 30_000);
});
