import { mkdirSync } from 'node:fs';
import { Broker } from './broker';
import { loadConfig, type EmulatorConfig } from './config';
import { createLogger, type LogLevel } from './log';

export type { EmulatorConfig, EventHubConfig } from './config';
export { ConfigError, DEFAULT_CONFIG, loadConfig } from './config';
export type { LogLevel } from './log';
export { partitionForKey } from './partition-key';

/**
 * The key in every connection string the emulator hands out. Like Microsoft's Docker emulator
 * (same name and value), it accepts any key: this is a placeholder, not a secret.
 */
export const EMULATOR_KEY_NAME = 'RootManageSharedAccessKey';
export const EMULATOR_KEY = 'SAS_KEY_VALUE';

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
  /** Structured log sink; default JSON lines on stderr. */
  logger?: (line: object) => void;
}

export interface RunningEmulator {
  readonly host: string;
  readonly port: number;
  /** A connection string for the SDK, with `EntityPath` when a hub name is given. */
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
  const config = loadConfig(options.config);
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
  let port: number;
  try {
    port = await broker.listen(host, options.port ?? 5672);
  } catch (err) {
    await broker.stop().catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new Error(
        `Event Hubs emulator: port ${options.port ?? 5672} on ${host} is already in use (another emulator or broker is running; pick another port with --port)`,
        { cause: err },
      );
    }
    throw new Error(`Event Hubs emulator: cannot listen on ${host}:${options.port ?? 5672}: ${e.message}`, {
      cause: err,
    });
  }
  logger.info('Event Hubs emulator listening', {
    host,
    port,
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
    connectionString(eventHubName?: string): string {
      const entity = eventHubName === undefined ? '' : `;EntityPath=${eventHubName}`;
      return `Endpoint=sb://${host}:${port};SharedAccessKeyName=${EMULATOR_KEY_NAME};SharedAccessKey=${EMULATOR_KEY};UseDevelopmentEmulator=true${entity}`;
    },
    stop(): Promise<void> {
      stopping ??= broker.stop().then(() => logger.info('Event Hubs emulator stopped', { port }));
      return stopping;
    },
  };
}
