import { CosmosClient, type Container } from '@azure/cosmos';
import { BlobServiceClient } from '@azure/storage-blob';
import {
  provisionContainers,
  provisionCosmosContainer,
  startAzurite,
  startCosmos,
  type RunningAzurite,
  type RunningCosmos,
} from '@pipeline/emulators';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  APP_CONTAINERS,
  APP_SETTINGS,
  CONNECTIONS,
  deriveEventId,
  parseArchive,
  PIPELINE_NAMES,
} from '@pipeline/schemas';
import { spawnFunctionsHost, type SpawnedFunctionsHost } from '../src/spawn';

/**
 * The functions app as tsc builds it. Not a project reference (the host runs whatever app it is
 * given and imports none of its code); the root `tsc -b` in `npm test` builds it before jest runs.
 */
export const FUNCTIONS_APP = join(__dirname, '../../../functions/dist/src/index.js');
if (!existsSync(FUNCTIONS_APP))
  throw new Error(`${FUNCTIONS_APP} is missing: build the functions app first (npx tsc -b)`);
export const FIXTURE_APPS = join(__dirname, 'fixtures');

export const NAMES = {
  database: PIPELINE_NAMES.cosmosDatabase,
  container: PIPELINE_NAMES.cosmosContainer,
  hub: PIPELINE_NAMES.eventHub,
  consumerGroup: PIPELINE_NAMES.consumerGroup,
  containers: APP_CONTAINERS,
} as const;

export interface Services {
  azurite: RunningAzurite;
  cosmos: RunningCosmos;
  blobs: BlobServiceClient;
  events: () => Container;
  /** Starts the Cosmos DB server again on the same port (it keeps data in memory only) and provisions. */
  restartCosmos(): Promise<void>;
  stopCosmos(): Promise<void>;
  stop(): Promise<void>;
}

export async function startServices(): Promise<Services> {
  const [azurite, firstCosmos] = await Promise.all([startAzurite({ port: 0 }), startCosmos({ port: 0 })]);
  let cosmos = firstCosmos;
  let cosmosRunning = true;
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  await provisionContainers(blobs);
  const client = new CosmosClient({
    endpoint: cosmos.endpoint,
    key: 'local',
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  const provision = async () => {
    await provisionCosmosContainer(client);
  };
  await provision();
  return {
    azurite,
    get cosmos() {
      return cosmos;
    },
    blobs,
    events: () => client.database(NAMES.database).container(NAMES.container),
    async stopCosmos() {
      await cosmos.stop();
      cosmosRunning = false;
    },
    async restartCosmos() {
      cosmos = await startCosmos({ port: cosmos.port });
      cosmosRunning = true;
      await provision();
    },
    async stop() {
      client.dispose();
      await Promise.all([azurite.stop(), cosmosRunning ? cosmos.stop() : Promise.resolve()]);
    },
  };
}

export interface SettingsFile {
  readonly path: string;
  readonly functionKey: string;
  remove(): void;
}

/** Writes a local.settings.json-style file for the host, pointing at the given services. */
export function writeSettings(
  values: Record<string, string>,
  functionKey = 'test-key-0123456789',
): SettingsFile {
  const dir = mkdtempSync(join(tmpdir(), 'functions-host-'));
  const path = join(dir, 'local.settings.json');
  writeFileSync(
    path,
    JSON.stringify({ IsEncrypted: false, Values: values, FunctionKeys: { default: functionKey } }, null, 2),
  );
  return { path, functionKey, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function pipelineSettings(services: Services, eventHubConnection: string): Record<string, string> {
  return {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    [CONNECTIONS.hostStorage]: services.azurite.connectionString,
    [CONNECTIONS.storage]: services.azurite.connectionString,
    [CONNECTIONS.cosmos]: services.cosmos.connectionString,
    [CONNECTIONS.eventHub]: eventHubConnection,
    [APP_SETTINGS.eventHubName]: NAMES.hub,
    [APP_SETTINGS.consumerGroup]: NAMES.consumerGroup,
    [APP_SETTINGS.cosmosDatabase]: NAMES.database,
    [APP_SETTINGS.cosmosContainer]: NAMES.container,
    [APP_SETTINGS.statsCacheMs]: '0',
  };
}

/** Spawns the host CLI on a free port and keeps its log lines for assertions. */
export async function startHost(
  appEntry: string,
  settingsFile: string,
  extra: { maxRequestBytes?: number; port?: number; scaleGroup?: string } = {},
): Promise<SpawnedFunctionsHost & { lines: string[] }> {
  const lines: string[] = [];
  const host = await spawnFunctionsHost({
    appEntry,
    settingsFile,
    port: extra.port ?? 0,
    ...(extra.maxRequestBytes ? { maxRequestBytes: extra.maxRequestBytes } : {}),
    ...(extra.scaleGroup ? { scaleGroup: extra.scaleGroup } : {}),
    onLine: (line) => {
      lines.push(line);
      if (process.env.FUNCTIONS_HOST_TEST_LOG) process.stdout.write(`host: ${line}\n`);
    },
  });
  return Object.assign(host, { lines });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function listBlobNames(blobs: BlobServiceClient, container: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of blobs.getContainerClient(container).listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

/** A contract-valid producer event (no image) for tweet number `n`. */
export function tweet(n: number) {
  const source = {
    tweetId: String(901234567890000000n + BigInt(n)),
    createdAt: new Date(Date.UTC(2017, 7, 25, 20, 5) + n * 60_000).toISOString().replace('.000Z', 'Z'),
    text: `Harvey update ${n} #HurricaneHarvey`,
  };
  return { schemaVersion: 1, id: deriveEventId(source), ...source, retweets: 1, replies: 2, likes: 3 };
}

/** A contract-valid hub event (what ingest publishes) for tweet number `n`. */
export function hubEvent(n: number) {
  const { id, ...rest } = tweet(n);
  // Version 2: the request archive (any 64-hex name will do here) and the event's line in it.
  return {
    id,
    ...rest,
    schemaVersion: 2,
    rawBlob: `2017/08/25/${id}${id}.ndjson`,
    rawLine: 0,
    ingestedAt: '2026-11-28T12:00:00.000Z',
  };
}

/** The event ids in every request archive of the raw-events container, line by line. */
export async function archivedIds(blobs: BlobServiceClient): Promise<string[]> {
  const container = blobs.getContainerClient('raw-events');
  const ids: string[] = [];
  for await (const blob of container.listBlobsFlat()) {
    const body = await container.getBlobClient(blob.name).downloadToBuffer();
    ids.push(...parseArchive(body).map((event) => event.id));
  }
  return ids;
}
