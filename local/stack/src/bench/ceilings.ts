// Each stage alone, measured in the same run as the pipeline steps so the ratios hold on a noisy
// machine: a bare 202 server, the gateway in front of it, Azurite, the Cosmos DB emulator, Event Hubs.
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { CosmosClient, type JSONObject } from '@azure/cosmos';
import { COSMOS_EMULATOR_KEY, provisionCosmosContainer, startCosmosProcess } from '@pipeline/emulators';
import { BlobServiceClient } from '@azure/storage-blob';
import { replay, type ReplayOptions } from '@pipeline/producer';
import { PIPELINE_NAMES, type TweetEvent } from '@pipeline/schemas';
import type { RunningStack } from '../launcher';
import { paths } from '../paths';
import { startGatewayService } from '../services/gateway';
import { startBareBackend } from './bare-backend';
import { hubCeilings, slimLike } from './hub';
import { bestWindow, eventsForStep, sustained, type Window } from './load';
import { cpuShares, cpuSnapshot } from './processes';
import {
  BARE_CEILING_SECONDS,
  BULK_CEILING,
  GATEWAY_CEILING_REQUESTS,
  PRODUCER,
  STORE_CEILING,
} from './settings';
import type { Ceilings, CeilingCpu } from './types';

type Say = (line: string) => void;

/**
 * Operations per second of `op` in its best window (STORE_CEILING), and the CPU share the store
 * process used in that window.
 */
async function measured(
  pid: number,
  op: (i: number) => Promise<unknown>,
  concurrency: number = STORE_CEILING.concurrency,
) {
  await sustained(STORE_CEILING.warmupSeconds, concurrency, op);
  const windows: Window[] = [];
  for (let w = 0; w < STORE_CEILING.windows; w++) {
    const before = cpuSnapshot({ store: pid });
    const began = Date.now();
    const perSecond = await sustained(STORE_CEILING.seconds, concurrency, op);
    const cpu = cpuShares(before, cpuSnapshot({ store: pid }), (Date.now() - began) / 1000).store ?? null;
    windows.push({ perSecond, cpu });
  }
  return bestWindow(windows);
}

/**
 * Cosmos DB as consume writes since HOST-10: bulk requests, every operation answered with its own
 * status. On an emulator process of its own, stopped afterwards, as the Event Hubs ceiling: at ~20,000
 * documents a second its heap growth is the bench's load, not the pipeline's, and would otherwise count
 * as the pipeline emulator's peak RSS. The ids repeat after BULK_CEILING.distinctRequests requests.
 */
async function cosmosBulkCeiling(doc: object) {
  const cosmos = await startCosmosProcess({ port: 0 });
  const client = new CosmosClient({
    endpoint: cosmos.endpoint,
    key: COSMOS_EMULATOR_KEY,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  try {
    const container = await provisionCosmosContainer(client);
    // The document is plain JSON; its declared type just lacks the index signature bulk's input asks for.
    const body = (id: string) => ({ ...doc, id }) as unknown as JSONObject;
    const requests = await measured(
      cosmos.pid,
      async (i) => {
        const request = i % BULK_CEILING.distinctRequests;
        const ids = Array.from({ length: BULK_CEILING.perRequest }, (_, k) => `b${request}-${k}`);
        const answers = await container.items.bulk(
          ids.map((id) => ({ operationType: 'Upsert' as const, partitionKey: id, resourceBody: body(id) })),
          { continueOnError: true },
        );
        const refused = answers.find((a) => a.statusCode >= 300);
        if (refused) throw new Error(`the Cosmos DB bulk ceiling got a ${refused.statusCode} for an upsert`);
      },
      BULK_CEILING.inFlight,
    );
    return { ...requests, perSecond: requests.perSecond * BULK_CEILING.perRequest };
  } finally {
    client.dispose();
    await cosmos.stop();
  }
}

async function storeCeilings(stack: RunningStack, base: readonly TweetEvent[]) {
  const blob = BlobServiceClient.fromConnectionString(
    stack.storage.azurite.connectionString,
  ).getContainerClient('bench');
  await blob.createIfNotExists();
  // What ingest writes per request since ARCHIVE-1, at real sizes: ONE archive blob holding the
  // request's events as NDJSON lines, each image replaced by a reference (about the size ingest
  // writes). Images are stored once per content and then remembered by the functions process, so at
  // steady state a request is one PUT; the first pass over the dataset's 300 images is not counted.
  const archives = Array.from({ length: Math.ceil(base.length / PRODUCER.batchSize) }, (_, r) =>
    Buffer.from(
      base
        .slice(r * PRODUCER.batchSize, (r + 1) * PRODUCER.batchSize)
        .map((e) => {
          if (!e.image) return JSON.stringify(e);
          const sha256 = createHash('sha256').update(Buffer.from(e.image.data, 'base64')).digest('hex');
          return JSON.stringify({ ...e, image: { ...e.image, data: undefined, blob: `${sha256}.jpeg` } });
        })
        .join('\n') + '\n',
    ),
  );
  const blobPuts = await measured(stack.storage.azurite.pid, (i) =>
    blob.getBlockBlobClient(`raw/${i}.ndjson`).uploadData(archives[i % archives.length]!),
  );
  // A container of its own, so the consumer's container holds only the pipeline's documents.
  const { container } = await stack.eventsContainer().database.containers.createIfNotExists({
    id: 'bench',
    partitionKey: { paths: [PIPELINE_NAMES.partitionKey] },
  });
  const doc = { ...slimLike(base[0]!), storedAt: new Date().toISOString() };
  const upserts = await measured(stack.storage.cosmos.pid, (i) =>
    container.items.upsert({ ...doc, id: `d${i}` }),
  );
  const bulkDocuments = await cosmosBulkCeiling(doc);
  return { blobPuts, upserts, bulkDocuments };
}

/**
 * The producer against a bare 202 server, then against the gateway (the repository's policies,
 * unmodified) in front of that same server: the gateway's cost as a ratio of the same run.
 */
async function httpCeilings(stack: RunningStack, base: readonly TweetEvent[], workDir: string, say: Say) {
  const bare = await startBareBackend();
  try {
    const events = eventsForStep(base, 'http-ceiling', base.length);
    const producer: Omit<ReplayOptions, 'url'> = {
      input: events,
      loop: true,
      concurrency: PRODUCER.concurrency,
      batchSize: PRODUCER.batchSize,
      preflight: false,
      maxRetries: 0,
    };
    const direct = await replay({ ...producer, url: bare.url, durationMs: BARE_CEILING_SECONDS * 1000 });
    const gateway = await startGatewayService({
      host: '127.0.0.1',
      port: 0,
      backendUrl: bare.url,
      policiesDir: paths.policiesDir,
      configFile: join(workDir, 'gateway-ceiling.local.json'),
      secrets: stack.secrets,
      dashboardOrigin: 'http://127.0.0.1',
      log: () => undefined,
    });
    try {
      const through = await replay({
        ...producer,
        url: `${gateway.url}/ingest`,
        subscriptionKey: stack.secrets.subscription.primaryKey,
        basicUser: stack.secrets.basicAuth.user,
        basicPassword: stack.secrets.basicAuth.password,
        count: GATEWAY_CEILING_REQUESTS * PRODUCER.batchSize,
      });
      for (const [name, report] of [
        ['bare', direct],
        ['gateway', through],
      ] as const) {
        if (report.events.failed + report.events.rejected > 0)
          say(`  ${name} ceiling: ${JSON.stringify(report.requests.byStatus)} (refusals lower the figure)`);
      }
      return { bare: direct.throughput.eventsPerSecond, gateway: through.throughput.eventsPerSecond };
    } finally {
      await gateway.stop();
    }
  } finally {
    await bare.stop();
  }
}

export async function measureCeilings(
  stack: RunningStack,
  base: readonly TweetEvent[],
  workDir: string,
  say: Say,
): Promise<{ ceilings: Ceilings; cpuAlone: CeilingCpu }> {
  // One at a time: each stage's figure is what it does with the machine to itself (and the idle rest).
  const stores = await storeCeilings(stack, base);
  say(
    `  Azurite ${Math.round(stores.blobPuts.perSecond)} PUTs/s (${stores.blobPuts.cpu} cores), Cosmos ${Math.round(stores.upserts.perSecond)} upserts/s one per request (${stores.upserts.cpu} cores), ${Math.round(stores.bulkDocuments.perSecond)} documents/s in bulk (${stores.bulkDocuments.cpu} cores)`,
  );
  const hub = await hubCeilings(slimLike(base[0]!), workDir);
  say(`  Event Hubs send ${Math.round(hub.sendPerSecond)}/s, receive ${Math.round(hub.receivePerSecond)}/s`);
  const http = await httpCeilings(stack, base, workDir, say);
  say(`  bare 202 ${Math.round(http.bare)} events/s, gateway in front ${Math.round(http.gateway)} events/s`);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    ceilings: {
      bareHttp202EventsPerSecond: round(http.bare),
      gatewayOverBareEventsPerSecond: round(http.gateway),
      azuriteBlobPutsPerSecond: round(stores.blobPuts.perSecond),
      azuriteEventsPerSecond: round(stores.blobPuts.perSecond * PRODUCER.batchSize),
      cosmosUpsertsPerSecond: round(stores.upserts.perSecond),
      cosmosBulkDocumentsPerSecond: round(stores.bulkDocuments.perSecond),
      eventHubsSendEventsPerSecond: round(hub.sendPerSecond),
      eventHubsReceiveEventsPerSecond: round(hub.receivePerSecond),
    },
    cpuAlone: { azurite: stores.blobPuts.cpu, cosmos: stores.upserts.cpu },
  };
}
