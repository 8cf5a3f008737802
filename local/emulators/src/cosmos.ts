import type { AddressInfo } from 'node:net';
import { createHttpServer } from '@vercel/cosmosdb-server';

/**
 * The Cosmos DB emulator's published, well-known key
 * (https://learn.microsoft.com/azure/cosmos-db/emulator#authentication). The local server accepts any
 * key; the client still needs one to sign requests. Not a secret.
 */
export const COSMOS_EMULATOR_KEY =
  'C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==';

export interface CosmosOptions {
  readonly host?: string;
  /** Default 8081, the Cosmos DB emulator's port; 0 picks a free one. */
  readonly port?: number;
}

export interface RunningCosmos {
  readonly endpoint: string;
  readonly port: number;
  readonly connectionString: string;
  stop(): Promise<void>;
}

/**
 * Starts a Cosmos DB (NoSQL API) server in this process, over plain http. Data lives in memory only:
 * it is gone when the server stops. Clients must set
 * `connectionPolicy: { enableEndpointDiscovery: false }` (the server does not serve the account's
 * regional endpoints).
 */
export async function startCosmos(options: CosmosOptions = {}): Promise<RunningCosmos> {
  const host = options.host ?? '127.0.0.1';
  const server = createHttpServer();
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`Cosmos DB emulator cannot listen on ${host}:${options.port ?? 8081}: ${error.code ?? error.message}`)),
    );
    server.listen(options.port ?? 8081, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}/`;
  return {
    endpoint,
    port,
    connectionString: `AccountEndpoint=${endpoint};AccountKey=${COSMOS_EMULATOR_KEY};`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
