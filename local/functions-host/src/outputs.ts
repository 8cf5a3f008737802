import { CosmosClient, type Container } from '@azure/cosmos';
import { EventHubProducerClient } from '@azure/event-hubs';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { randomUUID } from 'node:crypto';
import type { RpcBindingInfo } from './core-types';
import {
  resolveConnection,
  resolveSettingExpressions,
  SettingsError,
  type ConnectionService,
  type ResolvedConnection,
} from './settings';

/** An output binding, resolved at startup and applied after each successful invocation. */
export interface OutputBinding {
  readonly name: string;
  readonly type: string;
  apply(value: unknown): Promise<void>;
}

/**
 * One SDK client per connection for the life of the host (clients pool connections). An
 * identity-based connection takes the constructor the real host's extensions use (endpoint +
 * credential); only the credential is the local key (see `LocalCredential`).
 */
export class SdkClients {
  readonly #cosmos = new Map<string, CosmosClient>();
  readonly #blobs = new Map<string, BlobServiceClient>();
  readonly #producers = new Map<string, EventHubProducerClient>();

  cosmos(connection: ResolvedConnection | string): CosmosClient {
    const resolved = asResolved(connection);
    const id = identify(resolved);
    let client = this.#cosmos.get(id);
    if (!client) {
      const { endpoint, key } =
        resolved.kind === 'connectionString'
          ? parseCosmosConnectionString(resolved.connectionString)
          : { endpoint: resolved.endpoint, key: resolved.credential.key };
      // The local Cosmos DB server serves no regional endpoints: discovery would redirect to nowhere.
      client = new CosmosClient({ endpoint, key, connectionPolicy: { enableEndpointDiscovery: false } });
      this.#cosmos.set(id, client);
    }
    return client;
  }

  blobService(connection: ResolvedConnection | string): BlobServiceClient {
    const resolved = asResolved(connection);
    const id = identify(resolved);
    let client = this.#blobs.get(id);
    if (!client) {
      if (resolved.kind === 'connectionString')
        client = BlobServiceClient.fromConnectionString(resolved.connectionString);
      else if (resolved.credential.kind === 'accountKey')
        client = new BlobServiceClient(
          resolved.endpoint,
          new StorageSharedKeyCredential(resolved.credential.accountName, resolved.credential.key),
        );
      else throw new SettingsError('a Blob Storage connection needs an account key locally');
      this.#blobs.set(id, client);
    }
    return client;
  }

  producer(connection: ResolvedConnection | string, eventHubName: string): EventHubProducerClient {
    const resolved = asResolved(connection);
    const key = `${identify(resolved)}\n${eventHubName}`;
    let client = this.#producers.get(key);
    if (!client) {
      if (resolved.kind === 'connectionString')
        client = new EventHubProducerClient(resolved.connectionString, eventHubName);
      else if (resolved.credential.kind === 'sharedAccessKey')
        client = new EventHubProducerClient(resolved.endpoint, eventHubName, {
          name: resolved.credential.keyName,
          key: resolved.credential.key,
        });
      else throw new SettingsError('an Event Hubs connection needs a shared access key locally');
      this.#producers.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#producers.values()].map((p) => p.close()));
    for (const client of this.#cosmos.values()) client.dispose();
    this.#producers.clear();
    this.#cosmos.clear();
    this.#blobs.clear();
  }
}

function asResolved(connection: ResolvedConnection | string): ResolvedConnection {
  return typeof connection === 'string'
    ? { kind: 'connectionString', connectionString: connection }
    : connection;
}

function identify(connection: ResolvedConnection): string {
  return connection.kind === 'connectionString'
    ? connection.connectionString
    : `${connection.endpoint}\n${JSON.stringify(connection.credential)}`;
}

export function parseCosmosConnectionString(text: string): { endpoint: string; key: string } {
  const parts = new Map<string, string>();
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) parts.set(part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim());
  }
  const endpoint = parts.get('accountendpoint');
  const key = parts.get('accountkey');
  if (!endpoint || !key)
    throw new SettingsError('a Cosmos DB connection string needs AccountEndpoint and AccountKey');
  return { endpoint, key };
}

/** The binding types this host applies; anything else stops startup (see `createOutputBinding`). */
export const SUPPORTED_OUTPUTS = ['http', 'cosmosDB', 'blob', 'eventHub'] as const;

/**
 * Resolves an output binding's settings now, so a missing setting or an unsupported type stops the
 * host at startup with the function and binding named, instead of failing the first invocation.
 */
export function createOutputBinding(
  functionName: string,
  name: string,
  info: RpcBindingInfo,
  values: Readonly<Record<string, string | undefined>>,
  clients: SdkClients,
): OutputBinding {
  const where = `function "${functionName}", binding "${name}" (${String(info.type)})`;
  const setting = (property: string): string => {
    const raw = info[property];
    if (typeof raw !== 'string' || raw === '') throw new SettingsError(`${where}: "${property}" is required`);
    return resolveSettingExpressions(raw, values, where);
  };
  const connection = (service: ConnectionService, fallback?: string) => {
    const name = typeof info.connection === 'string' && info.connection ? info.connection : fallback;
    if (!name) throw new SettingsError(`${where}: "connection" is required`);
    return resolveConnection(name, values, where, service);
  };
  switch (info.type) {
    case 'cosmosDB': {
      const databaseName = setting('databaseName');
      const containerName = setting('containerName');
      const client = clients.cosmos(connection('cosmosDB'));
      const createIfNotExists = info.createIfNotExists === true;
      const partitionKey = typeof info.partitionKey === 'string' ? info.partitionKey : '/id';
      let container: Promise<Container> | undefined;
      const target = () =>
        (container ??= (async () => {
          if (!createIfNotExists) return client.database(databaseName).container(containerName);
          const { database } = await client.databases.createIfNotExists({ id: databaseName });
          return (
            await database.containers.createIfNotExists({
              id: containerName,
              partitionKey: { paths: [partitionKey] },
            })
          ).container;
        })().catch((error: unknown) => {
          container = undefined;
          throw error;
        }));
      return {
        name,
        type: 'cosmosDB',
        async apply(value) {
          const documents = (Array.isArray(value) ? value : [value]).filter(
            (d) => d !== undefined && d !== null,
          );
          if (documents.length === 0) return;
          const into = await target();
          // Upsert, as the Azure Cosmos DB output binding does: a redelivered batch rewrites the same ids.
          // One upsert per document, no bulk/batch request: the extension's collector calls
          // UpsertItemAsync for each item and its FlushAsync is a no-op (azure-webjobs-sdk-extensions,
          // src/WebJobs.Extensions.CosmosDB/Bindings/CosmosDBAsyncCollector.cs), and the client it
          // builds never sets AllowBulkExecution (CosmosDBUtility.BuildClientOptions; bulk for the
          // binding is the open request Azure/azure-webjobs-sdk-extensions#820). Batching here would make
          // the twin cheaper than Azure and change what a partial failure looks like (HOST-5).
          await mapLimit(documents, 16, async (document) => {
            if (typeof document !== 'object' || Array.isArray(document))
              throw new Error(`${where}: every document must be a JSON object`);
            await into.items.upsert(document as Record<string, unknown>);
          });
        },
      };
    }
    case 'blob': {
      const path = setting('path');
      if (/\{(?!rand-guid\}|sys\.randguid\})/i.test(path))
        throw new SettingsError(
          `${where}: binding expressions in "path" other than {rand-guid} are not supported locally`,
        );
      const slash = path.indexOf('/');
      if (slash < 1) throw new SettingsError(`${where}: "path" must be "<container>/<blob name>"`);
      const service = clients.blobService(connection('blob', 'AzureWebJobsStorage'));
      return {
        name,
        type: 'blob',
        async apply(value) {
          if (value === undefined || value === null) return;
          const blobPath = path.replace(/\{(rand-guid|sys\.randguid)\}/gi, () => randomUUID());
          const body = Buffer.isBuffer(value)
            ? value
            : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
          await service
            .getContainerClient(blobPath.slice(0, slash))
            .getBlockBlobClient(blobPath.slice(slash + 1))
            .uploadData(body);
        },
      };
    }
    case 'eventHub': {
      const producer = clients.producer(connection('eventHubs'), setting('eventHubName'));
      return {
        name,
        type: 'eventHub',
        async apply(value) {
          const events: unknown[] = (Array.isArray(value) ? (value as unknown[]) : [value]).filter(
            (e) => e !== undefined && e !== null,
          );
          let batch = await producer.createBatch();
          for (const body of events) {
            if (batch.tryAdd({ body })) continue;
            if (batch.count === 0)
              throw new Error(`${where}: an event is larger than the hub's maximum size`);
            await producer.sendBatch(batch);
            batch = await producer.createBatch();
            if (!batch.tryAdd({ body }))
              throw new Error(`${where}: an event is larger than the hub's maximum size`);
          }
          if (batch.count > 0) await producer.sendBatch(batch);
        },
      };
    }
    default:
      throw new SettingsError(
        `${where}: output binding type "${String(info.type)}" is not supported by the local host (supported: ${SUPPORTED_OUTPUTS.join(', ')})`,
      );
  }
}

/** Runs `task` over `items`, at most `limit` at a time; rejects with the first failure after all settle. */
export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        firstError ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError) throw firstError.error;
}
