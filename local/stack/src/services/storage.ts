import { join } from 'node:path';
import {
  startAzurite,
  startCosmosProcess,
  type RunningAzurite,
  type RunningCosmosProcess,
} from '@pipeline/emulators';
import type { LineSink, RunningService } from './service';

export interface StorageServices {
  readonly azurite: RunningAzurite & RunningService;
  readonly cosmos: RunningCosmosProcess & RunningService;
}

/** Azurite (blob) and the Cosmos DB server, each in its own process. */
export async function startStorageServices(options: {
  host: string;
  blobPort: number;
  cosmosPort: number;
  /** Folder for Azurite's data; omitted keeps blobs in memory. Cosmos DB is always in memory. */
  dataDir?: string;
  /** Azurite's access log (one line per request) in its log file; on with the stack's `--debug`. */
  accessLog?: boolean;
  log: (service: string) => LineSink;
}): Promise<StorageServices> {
  const [azurite, cosmos] = await Promise.all([
    startAzurite({
      host: options.host,
      port: options.blobPort,
      ...(options.dataDir ? { location: join(options.dataDir, 'azurite') } : {}),
      accessLog: options.accessLog ?? false,
      onLine: options.log('azurite'),
    }),
    startCosmosProcess({ host: options.host, port: options.cosmosPort, onLine: options.log('cosmos') }),
  ]);
  return {
    azurite: { ...azurite, name: 'Azurite (Blob Storage)', url: azurite.blobEndpoint },
    cosmos: { ...cosmos, name: 'Cosmos DB emulator', url: cosmos.endpoint },
  };
}
