import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type * as CosmosServer from '@vercel/cosmosdb-server';
import { spawnNodeUntilReady, stopChild } from './child-process';

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

export function cosmosConnectionString(endpoint: string): string {
  return `AccountEndpoint=${endpoint};AccountKey=${COSMOS_EMULATOR_KEY};`;
}

/**
 * Starts a Cosmos DB (NoSQL API) server in this process, over plain http. Data lives in memory only:
 * it is gone when the server stops. Clients must set
 * `connectionPolicy: { enableEndpointDiscovery: false }` (the server does not serve the account's
 * regional endpoints).
 */
export async function startCosmos(options: CosmosOptions = {}): Promise<RunningCosmos> {
  const host = options.host ?? '127.0.0.1';
  // Loaded on first use, not with the package: it costs ~0.4 s of CPU (seconds on a loaded machine)
  // that every importer of the kit (the smoke and azure CLIs) would otherwise pay for nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHttpServer } = require('@vercel/cosmosdb-server') as typeof CosmosServer;
  // keepAlive: the library's default answers every request with `Connection: close`, so each SDK call
  // opened a new TCP connection (the connect and teardown were the largest CPU cost of the functions
  // host's Cosmos DB output binding under load, and of this server). Cosmos DB's gateway keeps HTTP
  // connections alive, and so does the SDK's agent (@azure/cosmos request/defaultAgent.js).
  const server = createHttpServer({ keepAlive: true });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `Cosmos DB emulator cannot listen on ${host}:${options.port ?? 8081}: ${error.code ?? error.message}`,
        ),
      ),
    );
    server.listen(options.port ?? 8081, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host}:${port}/`;
  return {
    endpoint,
    port,
    connectionString: cosmosConnectionString(endpoint),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface CosmosProcessOptions extends CosmosOptions {
  readonly onLine?: (line: string) => void;
}

export interface RunningCosmosProcess extends RunningCosmos {
  readonly pid: number;
  /** Kills the process without a chance to clean up, as a crash would (its data is in memory: gone). */
  kill(): void;
}

/** Starts the Cosmos DB server as a child process (compiled CLI) and resolves once it listens. */
export async function startCosmosProcess(options: CosmosProcessOptions = {}): Promise<RunningCosmosProcess> {
  const host = options.host ?? '127.0.0.1';
  const script = compiledScript('cosmos-cli.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: build the workspace first (npm run build)`);
  const { child, ready } = await spawnNodeUntilReady(
    'Cosmos DB emulator',
    script,
    ['--host', host, '--port', String(options.port ?? 8081)],
    /Cosmos DB emulator listening on (http:\/\/\S+)/,
    { onLine: options.onLine },
  );
  const endpoint = ready[1]!;
  return {
    endpoint,
    port: Number(new URL(endpoint).port),
    pid: child.pid!,
    connectionString: cosmosConnectionString(endpoint),
    stop: () => stopChild(child),
    kill: () => void child.kill('SIGKILL'),
  };
}

/**
 * The compiled (dist) path of one of this package's scripts, whether this module runs compiled or
 * from its TypeScript source (under jest): child processes always run plain compiled JavaScript.
 */
function compiledScript(name: string): string {
  const packageRoot = __dirname.endsWith(join('dist', 'src'))
    ? join(__dirname, '..', '..')
    : join(__dirname, '..');
  return join(packageRoot, 'dist', 'src', name);
}
