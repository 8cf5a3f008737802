import { BlobServiceClient } from '@azure/storage-blob';
import { CosmosClient, type Container } from '@azure/cosmos';
import { HttpRequest, InvocationContext, type TriggerMetadata } from '@azure/functions';
import {
  provisionContainers,
  provisionCosmosContainer,
  listBlobNames as listContainerBlobNames,
  startAzurite,
  startCosmos,
  type RunningAzurite,
  type RunningCosmos,
} from '@pipeline/emulators';
import { PIPELINE_NAMES } from '@pipeline/schemas';
import { closeClients } from '../src/lib/clients';
import { functionsBaseUrl, ingestUrl } from '@pipeline/schemas';

export const CONTAINERS = {
  raw: PIPELINE_NAMES.containers.raw,
  images: PIPELINE_NAMES.containers.images,
  deadLetters: PIPELINE_NAMES.containers.deadLetters,
} as const;

export interface TestServices {
  readonly azurite: RunningAzurite;
  readonly cosmos: RunningCosmos;
  readonly blobs: BlobServiceClient;
  readonly events: Container;
  stop(): Promise<void>;
}

/**
 * Starts Azurite and the Cosmos DB server on free ports, provisions what the infrastructure would
 * (containers, database) and points the functions' app settings at them, exactly as the local stack does.
 */
export async function startTestServices(): Promise<TestServices> {
  const [azurite, cosmos] = await Promise.all([startAzurite({ port: 0 }), startCosmos({ port: 0 })]);
  process.env.PipelineStorage = azurite.connectionString;
  process.env.CosmosDb = cosmos.connectionString;
  process.env.STATS_CACHE_MS = '0';
  const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString);
  await provisionContainers(blobs);
  const client = new CosmosClient({
    endpoint: cosmos.endpoint,
    key: 'local',
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  const events = await provisionCosmosContainer(client);
  return {
    azurite,
    cosmos,
    blobs,
    events,
    async stop() {
      await closeClients();
      await Promise.all([azurite.stop(), cosmos.stop()]);
    },
  };
}

export function listBlobNames(blobs: BlobServiceClient, container: string): Promise<string[]> {
  return listContainerBlobNames(blobs.getContainerClient(container));
}

export function postRequest(
  body: string | Uint8Array,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: ingestUrl(functionsBaseUrl('http://127.0.0.1')),
    headers,
    body: typeof body === 'string' ? { string: body } : { bytes: body },
  });
}

/** An invocation context whose logs are collected rather than printed. */
export function quietContext(triggerMetadata?: TriggerMetadata): InvocationContext & { logs: string[] } {
  const logs: string[] = [];
  const context = new InvocationContext({
    functionName: 'test',
    triggerMetadata,
    logHandler: (level, ...args) => logs.push(`${level}: ${args.map(String).join(' ')}`),
  });
  return Object.assign(context, { logs });
}
