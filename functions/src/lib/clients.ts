import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { EventHubProducerClient } from '@azure/event-hubs';
import { CosmosClient, type Container } from '@azure/cosmos';
import { cosmosCredential, eventHubsCredential, storageCredential } from './credentials';
import { cosmosContainerName, cosmosDatabase, eventHubName, readConnection } from './settings';
import { CONNECTIONS } from '@pipeline/schemas';

/**
 * One client per service for the life of the worker process: clients hold connection pools (and, for
 * Event Hubs, an AMQP connection), so creating them per invocation would be slow and leak sockets.
 * Created on first use, so a missing setting fails the invocation that needs it with a clear message.
 * An identity-based connection takes the same constructor in Azure and locally; only the credential
 * object differs (credentials.ts).
 */
let blobService: BlobServiceClient | undefined;
let producer: EventHubProducerClient | undefined;
let cosmos: Container | undefined;
const containerClients = new Map<string, ContainerClient>();

// Failing fast matters more than riding out a long outage inside one request: the caller (APIM, the
// producer) retries a 503, and a function invocation must not hang for minutes.
const STORAGE_RETRY = { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2_000, tryTimeoutInMs: 10_000 };
const EVENT_HUB_RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 2_000, timeoutInMs: 10_000 };

export function blobServiceClient(): BlobServiceClient {
  if (blobService) return blobService;
  const setting = readConnection(CONNECTIONS.storage, ['blobServiceUri', 'serviceUri']);
  blobService = setting.identityEndpoint
    ? new BlobServiceClient(
        setting.identityEndpoint,
        storageCredential(CONNECTIONS.storage, setting.identityEndpoint),
        { retryOptions: STORAGE_RETRY },
      )
    : BlobServiceClient.fromConnectionString(setting.connectionString!, { retryOptions: STORAGE_RETRY });
  return blobService;
}

/**
 * One ContainerClient per container, like the service client: `getContainerClient` builds a new
 * client (URL parsing, its generated operation groups) on every call, and ingest asked for two per
 * request (~0.7% of the functions host's CPU under the bench load: docs/decisions.md HOST-6). A
 * ContainerClient holds no per-request state; every call builds its own request. The Azure SDK's
 * guidance is the same: treat clients as singletons, one per set of constructor arguments
 * (https://learn.microsoft.com/dotnet/azure/sdk/thread-safety#client-lifetime).
 */
export function blobContainer(name: string): ContainerClient {
  let client = containerClients.get(name);
  if (!client) {
    client = blobServiceClient().getContainerClient(name);
    containerClients.set(name, client);
  }
  return client;
}

export function eventHubProducer(): EventHubProducerClient {
  if (producer) return producer;
  const setting = readConnection(CONNECTIONS.eventHub, ['fullyQualifiedNamespace']);
  producer = setting.identityEndpoint
    ? new EventHubProducerClient(
        setting.identityEndpoint,
        eventHubName(),
        eventHubsCredential(CONNECTIONS.eventHub),
        {
          retryOptions: EVENT_HUB_RETRY,
        },
      )
    : new EventHubProducerClient(setting.connectionString!, eventHubName(), {
        retryOptions: EVENT_HUB_RETRY,
      });
  return producer;
}

export function cosmosContainer(): Container {
  if (cosmos) return cosmos;
  const setting = readConnection(CONNECTIONS.cosmos, ['accountEndpoint']);
  const client = setting.identityEndpoint
    ? new CosmosClient({ endpoint: setting.identityEndpoint, ...cosmosCredential(CONNECTIONS.cosmos) })
    : new CosmosClient({
        ...parseCosmosConnectionString(setting.connectionString!),
        // The local emulator serves no regional endpoints; discovery would redirect to nowhere.
        connectionPolicy: { enableEndpointDiscovery: false },
      });
  cosmos = client.database(cosmosDatabase()).container(cosmosContainerName());
  return cosmos;
}

export function parseCosmosConnectionString(connectionString: string): { endpoint: string; key: string } {
  const parts = new Map(
    connectionString
      .split(';')
      .filter(Boolean)
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()] as const;
      }),
  );
  const endpoint = parts.get('accountendpoint');
  const key = parts.get('accountkey');
  if (!endpoint || !key)
    throw new Error('The CosmosDb connection string needs AccountEndpoint=...;AccountKey=...');
  return { endpoint, key };
}

/** Closes the long-lived clients (used by tests and the local host's shutdown). */
export async function closeClients(): Promise<void> {
  await producer?.close();
  producer = undefined;
  blobService = undefined;
  containerClients.clear();
  cosmos = undefined;
}
