import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CosmosClient, type Container } from '@azure/cosmos';
import { COSMOS_EMULATOR_KEY } from '@pipeline/emulators';
import { ServiceLogs } from './logs';
import { assertPortsFree, type Ports } from './ports';
import { PIPELINE_NAMES, provisionCosmos, provisionStorage } from './provision';
import { loadOrCreateSecrets, type LocalSecrets } from './secrets';
import { functionsSettings, writeJson } from './settings';
import { startEventHubsService, type EventHubsService } from './services/eventhubs';
import { startFunctionsService, type FunctionsHostService } from './services/functions';
import { startGatewayService, type GatewayService } from './services/gateway';
import { startWithin, type RunningService } from './services/service';
import { startStorageServices, type StorageServices } from './services/storage';

export interface StackOptions {
  readonly host?: string;
  /** Port 0 picks a free port (tests); other ports are checked before anything starts. */
  readonly ports: Ports;
  /** Generated secrets and settings, logs, and (unless `inMemory`) the emulators' data. */
  readonly dataDir: string;
  /** Keep blobs and hub events in memory (Cosmos DB always is). */
  readonly inMemory?: boolean;
  readonly appEntry: string;
  /** The APIM policy files the gateway enforces. */
  readonly policiesDir: string;
  /** Echo every service's log lines to stderr. */
  readonly debug?: boolean;
  /** One line per milestone ("✓ Azurite (Blob Storage) on http://..."). */
  readonly say?: (line: string) => void;
  readonly startTimeoutMs?: number;
  /**
   * Lets the fault suite put something (a proxy that can simulate an outage) between the functions
   * host and a store: returns the port the host should use instead of the store's own.
   */
  readonly interpose?: (store: InterposedStore, port: number) => Promise<number>;
}

/** The stores the functions host talks to that `interpose` can stand in front of. */
export type InterposedStore = 'blob' | 'cosmos';

export interface RunningStack {
  readonly secrets: LocalSecrets;
  readonly storage: StorageServices;
  readonly eventHubs: EventHubsService;
  readonly functions: FunctionsHostService;
  readonly gateway: GatewayService;
  /** functions: the host's /api; ingest: the public API through the gateway; dashboard: the page. */
  readonly urls: { readonly functions: string; readonly ingest: string; readonly dashboard: string };
  readonly settingsFile: string;
  readonly logs: ServiceLogs;
  /** The Cosmos DB container the consumer writes to (a client of the stack's emulator). */
  eventsContainer(): Container;
  /** Restarts the functions host (after a test killed it), with the same settings and port. */
  restartFunctions(): Promise<FunctionsHostService>;
  /** Restarts the Event Hubs emulator (after a test killed it) on the same port and data folder. */
  restartEventHubs(): Promise<EventHubsService>;
  stop(): Promise<void>;
}

/**
 * Starts every service of the pipeline on loopback, each in its own process, provisions what the
 * infrastructure would create in Azure, and returns once all of them are ready. A service that fails
 * to start stops the ones already running, and the error names it.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const host = options.host ?? '127.0.0.1';
  const say = options.say ?? (() => undefined);
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const fixedPorts = Object.fromEntries(
    Object.entries(options.ports).filter(([, port]) => port !== 0),
  ) as Ports;
  await assertPortsFree(host, fixedPorts);

  mkdirSync(options.dataDir, { recursive: true });
  const secrets = loadOrCreateSecrets(join(options.dataDir, 'secrets.json'));
  const logs = new ServiceLogs(join(options.dataDir, 'logs'), options.debug ?? false);
  const started: RunningService[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
    started.length = 0;
    await logs.close();
  };
  const timed = async <T extends RunningService>(name: string, start: () => Promise<T>): Promise<T> => {
    const begin = Date.now();
    const service = await startWithin(name, timeoutMs, start);
    started.push(service);
    say(`✓ ${service.name} on ${service.url} (pid ${service.pid ?? '-'}, ${Date.now() - begin} ms)`);
    return service;
  };

  try {
    const dataDir = options.inMemory ? undefined : options.dataDir;
    const startEventHubs = (port: number) =>
      startEventHubsService({
        host,
        port,
        ...(dataDir ? { dataDir } : {}),
        configDir: options.dataDir,
        log: logs.sink('eventhubs'),
      });
    const [storage, firstEventHubs] = await Promise.all([
      startWithin('Azurite and the Cosmos DB emulator', timeoutMs, () =>
        startStorageServices({
          host,
          blobPort: options.ports.blob,
          cosmosPort: options.ports.cosmos,
          dataDir,
          log: (s) => logs.sink(s),
        }),
      ).then((s) => {
        started.push(s.azurite, s.cosmos);
        say(`✓ ${s.azurite.name} on ${s.azurite.url} (pid ${s.azurite.pid})`);
        say(`✓ ${s.cosmos.name} on ${s.cosmos.url} (pid ${s.cosmos.pid}, in memory)`);
        return s;
      }),
      timed('Event Hubs emulator', () => startEventHubs(options.ports.eventHubs)),
    ]);
    let eventHubs = firstEventHubs;
    await provisionStorage(storage.azurite.connectionString);
    const cosmos = { endpoint: storage.cosmos.endpoint, key: COSMOS_EMULATOR_KEY };
    await provisionCosmos(cosmos.endpoint, cosmos.key);

    const settingsFile = join(options.dataDir, 'functions.settings.json');
    const viaInterposer = async (store: InterposedStore, connectionString: string, port: number) =>
      options.interpose
        ? connectionString.replace(`:${port}/`, `:${await options.interpose(store, port)}/`)
        : connectionString;
    writeJson(
      settingsFile,
      functionsSettings(
        {
          storageConnectionString: await viaInterposer(
            'blob',
            storage.azurite.connectionString,
            Number(new URL(storage.azurite.blobEndpoint).port),
          ),
          cosmosConnectionString: await viaInterposer(
            'cosmos',
            storage.cosmos.connectionString,
            Number(new URL(storage.cosmos.endpoint).port),
          ),
          eventHubsConnectionString: eventHubs.connectionString,
        },
        secrets,
      ),
    );
    const startFunctions = (port: number) =>
      startFunctionsService({
        host,
        port,
        appEntry: options.appEntry,
        settingsFile,
        debug: options.debug ?? false,
        log: logs.sink('functions'),
      });
    let functions = await timed('Functions host', () => startFunctions(options.ports.functions));
    const dashboard = `${functions.url}/api/dashboard/`;
    const gateway = await timed('API gateway', () =>
      startGatewayService({
        host,
        port: options.ports.gateway,
        backendUrl: `${functions.url}/api`,
        policiesDir: options.policiesDir,
        configFile: join(options.dataDir, 'gateway.local.json'),
        secrets,
        dashboardOrigin: new URL(dashboard).origin,
        log: logs.sink('gateway'),
      }),
    );

    const cosmosClient = new CosmosClient({
      ...cosmos,
      connectionPolicy: { enableEndpointDiscovery: false },
    });
    const container = cosmosClient
      .database(PIPELINE_NAMES.cosmosDatabase)
      .container(PIPELINE_NAMES.cosmosContainer);
    return {
      secrets,
      storage,
      get eventHubs() {
        return eventHubs;
      },
      get functions() {
        return functions;
      },
      gateway,
      urls: { functions: `${functions.url}/api`, ingest: gateway.apiUrl, dashboard },
      settingsFile,
      logs,
      eventsContainer: () => container,
      async restartFunctions() {
        const index = started.indexOf(functions);
        await functions.stop().catch(() => undefined);
        functions = await startWithin('Functions host', timeoutMs, () => startFunctions(functions.port));
        started[index] = functions;
        return functions;
      },
      async restartEventHubs() {
        const index = started.indexOf(eventHubs);
        await eventHubs.stop().catch(() => undefined);
        eventHubs = await startWithin('Event Hubs emulator', timeoutMs, () => startEventHubs(eventHubs.port));
        started[index] = eventHubs;
        return eventHubs;
      },
      async stop() {
        cosmosClient.dispose();
        await stopAll();
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
