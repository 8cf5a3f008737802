import { mkdirSync } from 'node:fs';
import { spawnNodeUntilReady, stopChild } from './child-process';

/**
 * Azurite's development account. These are Microsoft's published, well-known emulator credentials
 * (https://learn.microsoft.com/azure/storage/common/storage-use-azurite#http-connection-strings),
 * accepted only by the emulator: not a secret.
 */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  readonly host?: string;
  /** Blob service port; 0 picks a free one. Default 10000, Azurite's own default. */
  readonly port?: number;
  /** Folder for blobs and metadata; omitted keeps everything in memory. */
  readonly location?: string;
  /** Upper bound of the in-memory store, in MB (Azurite's default is half of the machine's memory). */
  readonly memoryLimitMb?: number;
  /**
   * Azurite's access log, one line per request on stdout (default off). Under load it was ~30% of
   * Azurite's CPU, and every line also crossed a pipe to the process that reads `onLine`
   * (docs/decisions.md HOST-9). Azure Storage keeps no request log either until a diagnostic setting
   * collects its resource logs (https://learn.microsoft.com/azure/azure-monitor/essentials/tutorial-resource-logs,
   * MicrosoftDocs/azure-docs articles/azure-monitor/essentials/tutorial-resource-logs.md).
   */
  readonly accessLog?: boolean;
  readonly onLine?: (line: string) => void;
}

export interface RunningAzurite {
  readonly blobEndpoint: string;
  readonly port: number;
  readonly connectionString: string;
  readonly pid: number;
  stop(): Promise<void>;
  /** Kills the process without a chance to clean up, as a crash would. */
  kill(): void;
}

/** Starts Azurite's blob service in a child process and resolves once it listens. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const host = options.host ?? '127.0.0.1';
  const args = [
    '--blobHost',
    host,
    '--blobPort',
    String(options.port ?? 10000),
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--loose',
  ];
  // `--silent` turns off Azurite's access log (morgan); startup lines and errors still reach `onLine`.
  if (!options.accessLog) args.push('--silent');
  if (options.location) {
    mkdirSync(options.location, { recursive: true });
    args.push('--location', options.location);
  } else {
    args.push('--inMemoryPersistence', '--extentMemoryLimit', String(options.memoryLimitMb ?? 1024));
  }
  const script = require.resolve('azurite/dist/src/blob/main.js');
  const { child, ready } = await spawnNodeUntilReady(
    'Azurite (blob)',
    script,
    args,
    /successfully listens on (http:\/\/\S+?):(\d+)/,
    {
      onLine: options.onLine,
    },
  );
  const port = Number(ready[2]);
  const blobEndpoint = `http://${host}:${port}/${AZURITE_ACCOUNT}`;
  return {
    blobEndpoint,
    port,
    pid: child.pid!,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    stop: () => stopChild(child),
    kill: () => void child.kill('SIGKILL'),
  };
}
