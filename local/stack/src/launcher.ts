import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CosmosClient, type Container } from '@azure/cosmos';
import { AZURITE_ACCOUNT_KEY, COSMOS_EMULATOR_KEY } from '@pipeline/emulators';
import { functionsBaseUrl } from '@pipeline/schemas';
import { ServiceLogs } from './logs';
import { assertPortsFree, freePortBelowEphemeralRange, isPortFree, type Ports } from './ports';
import { PIPELINE_NAMES, provisionCosmos, provisionStorage } from './provision';
import { loadOrCreateSecrets, type LocalSecrets } from './secrets';
import { funcSettings, functionsSettings, writeJson, type Endpoints } from './settings';
import { startEventHubsService, type EventHubsService } from './services/eventhubs';
import { findOnPath, FuncNotFoundError, packageFolder, startFuncService } from './services/func';
import { startFunctionsService, type FunctionsHostService } from './services/functions';
import { startGatewayService, type GatewayService } from './services/gateway';
import { startWithin, type RunningService } from './services/service';
import { startStorageServices, type StorageServices } from './services/storage';
import { assertSupportedPlatform } from './platform';

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
  /**
   * Which Functions host runs the app: this repository's local host (default), or Azure Functions
   * Core Tools (`func start`, when `func` is on PATH) with a generated local.settings.json.
   */
  readonly functionsHost?: FunctionsHostKind;
  /**
   * The Event Hubs emulator's TLS port (what `EventHub__fullyQualifiedNamespace` points at). Default:
   * a free port below the ephemeral range, so a restart on the same port cannot collide with a
   * client's outgoing connection.
   */
  readonly eventHubsTlsPort?: number;
  /** The environment of the functions host (and where `func` is looked up). Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export type FunctionsHostKind = 'local' | 'func';

/** The stores the functions host talks to that `interpose` can stand in front of. */
export type InterposedStore = 'blob' | 'cosmos';

export interface RunningStack {
  readonly secrets: LocalSecrets;
  readonly storage: StorageServices;
  readonly eventHubs: EventHubsService;
  /**
   * The functions app: with the local host, one process per Flex Consumption scale group (`http`,
   * then `function:consume`); with `func`, one process. `url`, `port` and `pid` are the HTTP one's.
   */
  readonly functions: FunctionsHostService;
  readonly gateway: GatewayService;
  /** functions: the host's /api; ingest: the public API through the gateway; dashboard: the page. */
  readonly urls: { readonly functions: string; readonly ingest: string; readonly dashboard: string };
  /** The functions' settings (local.settings.json format); with `func`, the file in the package folder. */
  readonly settingsFile: string;
  readonly logs: ServiceLogs;
  /** The Cosmos DB container the consumer writes to (a client of the stack's emulator). */
  eventsContainer(): Container;
  /**
   * Restarts every functions host process (after a test killed them), with the same settings and
   * port; with a scale group, only that group's process (the local host only).
   */
  restartFunctions(scaleGroup?: string): Promise<FunctionsHostService>;
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
  const env = options.env ?? process.env;
  const functionsHost = options.functionsHost ?? 'local';
  const eventHubsTlsPort = await checkBeforeStart(options, host, env, functionsHost);

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
    const startEventHubs = (port: number, tlsPort: number) =>
      startEventHubsService({
        host,
        port,
        tlsPort,
        sharedAccessKey: secrets.eventHubs,
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
          accessLog: options.debug ?? false,
          log: (s) => logs.sink(s),
        }),
      ).then((s) => {
        started.push(s.azurite, s.cosmos);
        say(`✓ ${s.azurite.name} on ${s.azurite.url} (pid ${s.azurite.pid})`);
        say(`✓ ${s.cosmos.name} on ${s.cosmos.url} (pid ${s.cosmos.pid}, in memory)`);
        return s;
      }),
      timed('Event Hubs emulator', () => startEventHubs(options.ports.eventHubs, eventHubsTlsPort)),
    ]);
    let eventHubs = firstEventHubs;
    await provisionStorage(storage.azurite.connectionString);
    const cosmos = { endpoint: storage.cosmos.endpoint, key: COSMOS_EMULATOR_KEY };
    await provisionCosmos(cosmos.endpoint, cosmos.key);

    const endpoints = await functionsEndpoints(storage, eventHubs, cosmos.key, options.interpose);
    // The functions trust the Event Hubs emulator's certificate as the SDK's TLS connection requires.
    const functionsEnv = { ...env, NODE_EXTRA_CA_CERTS: eventHubs.caFile };
    const settingsFile =
      functionsHost === 'func'
        ? join(packageFolder(options.appEntry), 'local.settings.json')
        : join(options.dataDir, 'functions.settings.json');
    writeJson(
      settingsFile,
      functionsHost === 'func' ? funcSettings(endpoints, secrets) : functionsSettings(endpoints, secrets),
    );
    const functionsPort =
      functionsHost === 'func' && options.ports.functions === 0
        ? await freePortBelowEphemeralRange(host)
        : options.ports.functions;
    const startFunctions = (previous?: FunctionsHostService) =>
      startFunctionsHost(functionsHost, {
        host,
        port: previous?.port ?? functionsPort,
        ...(previous ? { scaleGroups: previous.instances.map((i) => i.scaleGroup) } : {}),
        appEntry: options.appEntry,
        settingsFile,
        env: functionsEnv,
        debug: options.debug ?? false,
        log: (name) => logs.sink(name),
        timeoutMs,
      });
    let functions = await timed('Functions host', () => startFunctions());
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

    // The tests' reader. Its long timeout is for queries over every document on a loaded machine.
    const cosmosClient = new CosmosClient({
      ...cosmos,
      connectionPolicy: { enableEndpointDiscovery: false, requestTimeout: 300_000 },
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
      urls: { functions: functionsBaseUrl(functions.url), ingest: gateway.apiUrl, dashboard },
      settingsFile,
      logs,
      eventsContainer: () => container,
      async restartFunctions(scaleGroup?: string) {
        const index = started.indexOf(functions);
        const restarting = restartedFunctions(functions, scaleGroup, startFunctions);
        functions = await startWithin('Functions host', timeoutMs, () => restarting);
        started[index] = functions;
        return functions;
      },
      async restartEventHubs() {
        const index = started.indexOf(eventHubs);
        await eventHubs.stop().catch(() => undefined);
        eventHubs = await startWithin('Event Hubs emulator', timeoutMs, () =>
          startEventHubs(eventHubs.port, eventHubs.tlsPort),
        );
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

/** The whole functions app started afresh, or one scale group's process replaced (the local host). */
async function restartedFunctions(
  previous: FunctionsHostService,
  scaleGroup: string | undefined,
  startAll: (previous: FunctionsHostService) => Promise<FunctionsHostService>,
): Promise<FunctionsHostService> {
  if (scaleGroup === undefined) {
    await previous.stop().catch(() => undefined);
    return startAll(previous);
  }
  if (!previous.restartGroup)
    throw new Error(`${previous.name} runs every function in one process: no scale group to restart`);
  return previous.restartGroup(scaleGroup);
}

/**
 * Before anything starts: Windows outside WSL2 is told where to go, not left to fail obscurely; a
 * missing `func` is the user's first question, not a port check's. Returns the Event Hubs TLS port.
 */
async function checkBeforeStart(
  options: StackOptions,
  host: string,
  env: NodeJS.ProcessEnv,
  functionsHost: FunctionsHostKind,
): Promise<number> {
  const fixedPorts = Object.fromEntries(
    Object.entries(options.ports).filter(([, port]) => port !== 0),
  ) as Ports;
  assertSupportedPlatform();
  if (functionsHost === 'func' && !findOnPath('func', env)) throw new FuncNotFoundError();
  await assertPortsFree(host, fixedPorts);
  const eventHubsTlsPort = options.eventHubsTlsPort ?? (await freePortBelowEphemeralRange(host));
  if (options.eventHubsTlsPort && !(await isPortFree(host, options.eventHubsTlsPort)))
    throw new Error(
      `Port ${options.eventHubsTlsPort} for the Event Hubs emulator's TLS listener is already in use on ${host}. Stop whatever uses it, or set EVENTHUBS_TLS_PORT to another port.`,
    );
  return eventHubsTlsPort;
}

/** Where the functions find each store: through the fault suite's interposer when there is one. */
async function functionsEndpoints(
  storage: StorageServices,
  eventHubs: EventHubsService,
  cosmosKey: string,
  interpose: StackOptions['interpose'],
): Promise<Endpoints> {
  const viaInterposer = async (store: InterposedStore, endpoint: string) => {
    if (!interpose) return endpoint;
    const url = new URL(endpoint);
    url.port = String(await interpose(store, Number(url.port)));
    return url.toString();
  };
  return {
    hostStorageConnectionString: storage.azurite.connectionString,
    storage: {
      blobServiceUri: await viaInterposer('blob', storage.azurite.blobEndpoint),
      accountKey: AZURITE_ACCOUNT_KEY,
    },
    cosmos: {
      accountEndpoint: await viaInterposer('cosmos', storage.cosmos.endpoint),
      accountKey: cosmosKey,
    },
    eventHubs: {
      fullyQualifiedNamespace: eventHubs.fullyQualifiedNamespace,
      keyName: eventHubs.sharedAccessKey.keyName,
      key: eventHubs.sharedAccessKey.key,
      connectionString: eventHubs.connectionString,
    },
  };
}

/**
 * Starts the chosen Functions host: `func start` (Core Tools) or this repository's local host. A
 * restart passes the scale groups it had, so every group's instance starts at once.
 */
function startFunctionsHost(
  kind: FunctionsHostKind,
  o: {
    host: string;
    port: number;
    appEntry: string;
    settingsFile: string;
    env: NodeJS.ProcessEnv;
    debug: boolean;
    log: (name: string) => (line: string) => void;
    timeoutMs: number;
    scaleGroups?: readonly string[];
  },
): Promise<FunctionsHostService> {
  return kind === 'func'
    ? startFuncService({
        host: o.host,
        port: o.port,
        appEntry: o.appEntry,
        env: o.env,
        log: o.log('functions'),
        timeoutMs: o.timeoutMs,
      })
    : startFunctionsService({
        host: o.host,
        port: o.port,
        appEntry: o.appEntry,
        settingsFile: o.settingsFile,
        env: o.env,
        debug: o.debug,
        log: o.log,
        ...(o.scaleGroups ? { scaleGroups: o.scaleGroups } : {}),
      });
}
