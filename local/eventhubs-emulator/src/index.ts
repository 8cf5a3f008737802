import { mkdirSync } from 'node:fs';
import { Broker } from './broker';
import { EMULATOR_KEY, EMULATOR_KEY_NAME, loadConfig, type EmulatorConfig } from './config';
import { createLogger, type LogLevel } from './log';

export type { EmulatorConfig, EventHubConfig } from './config';
export { ConfigError, DEFAULT_CONFIG, loadConfig } from './config';
export type { LogLevel } from './log';
export { partitionForKey } from './partition-key';

export { EMULATOR_KEY, EMULATOR_KEY_NAME } from './config';
export { checkSasToken, INVALID_SIGNATURE, type SharedAccessKey } from './sas';

export interface EmulatorOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Default 5672 (the SDK's port for `UseDevelopmentEmulator=true`); 0 = an ephemeral port. */
  port?: number;
  /** Folder for the partition logs; omitted = in memory (lost on stop). */
  dataDir?: string;
  /** A config object or the path of a JSON file. Default: hub "tweets", 2 partitions, `$Default`, 24 h. */
  config?: EmulatorConfig | string;
  logLevel?: LogLevel;
  /** Accept a SAS token signed with any key (overrides the config's `sharedAccessKeys`). Default false. */
  acceptAnyKey?: boolean;
  /**
   * Also listen for AMQP over TLS (the transport the SDK uses with a credential instead of a
   * connection string), with this PEM certificate and key. Port 0 = an ephemeral port.
   */
  tls?: { readonly port: number; readonly cert: string; readonly key: string };
  /** Structured log sink; default JSON lines on stderr. */
  logger?: (line: object) => void;
}

export interface RunningEmulator {
  readonly host: string;
  readonly port: number;
  /** The TLS port, when `tls` was given. */
  readonly tlsPort: number | undefined;
  /** A connection string for the SDK (first configured key), with `EntityPath` when a hub name is given. */
  connectionString(eventHubName?: string): string;
  /** Closes client connections, stops listening and closes the logs (pending writes finish first). */
  stop(): Promise<void>;
}

/**
 * Starts the emulator and resolves once it listens. Rejects with a clear error for a bad
 * configuration (ConfigError), an unusable data directory, or a port in use.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const logger = createLogger(options.logLevel ?? 'info', options.logger);
  const loaded = loadConfig(options.config);
  const config = options.acceptAnyKey ? { ...loaded, sharedAccessKeys: undefined } : loaded;
  let broker: Broker;
  try {
    if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
    broker = new Broker(config, logger, options.dataDir);
  } catch (err) {
    throw new Error(
      `Event Hubs emulator: cannot use the data directory ${options.dataDir ?? '(memory)'}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const listen = async (port: number, tls?: EmulatorOptions['tls']): Promise<number> => {
    try {
      return await broker.listen(host, port, tls);
    } catch (err) {
      await broker.stop().catch(() => undefined);
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') {
        throw new Error(
          `Event Hubs emulator: port ${port} on ${host} is already in use (another emulator or broker is running; pick another port with ${tls ? '--tls-port' : '--port'})`,
          { cause: err },
        );
      }
      throw new Error(`Event Hubs emulator: cannot listen on ${host}:${port}: ${e.message}`, { cause: err });
    }
  };
  const port = await listen(options.port ?? 5672);
  const tlsPort = options.tls ? await listen(options.tls.port, options.tls) : undefined;
  logger.info('Event Hubs emulator listening', {
    host,
    port,
    tlsPort: tlsPort ?? null,
    anyKey: config.sharedAccessKeys === undefined,
    dataDir: options.dataDir ?? null,
    hubs: config.hubs.map((h) => ({
      name: h.name,
      partitions: h.partitionIds.length,
      consumerGroups: h.consumerGroups,
    })),
  });
  let stopping: Promise<void> | undefined;
  return {
    host,
    port,
    tlsPort,
    connectionString(eventHubName?: string): string {
      const entity = eventHubName === undefined ? '' : `;EntityPath=${eventHubName}`;
      const policy = config.sharedAccessKeys?.[0] ?? { name: EMULATOR_KEY_NAME, key: EMULATOR_KEY };
      return `Endpoint=sb://${host}:${port};SharedAccessKeyName=${policy.name};SharedAccessKey=${policy.key};UseDevelopmentEmulator=true${entity}`;
    },
    stop(): Promise<void> {
      stopping ??= broker.stop().then(() => logger.info('Event Hubs emulator stopped', { port }));
      return stopping;
    },
  };
}
