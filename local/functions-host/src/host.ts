import { setLogLevel } from '@azure/logger';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { installCoreModule, Registry, type RegisteredFunction } from './core-module';
import type { RpcBindingInfo } from './core-types';
import { createEventHubListener, type EventHubListener } from './event-hub-trigger';
import { findHostJson, readHostConfig } from './host-json';
import {
  createHttpDispatcher,
  DEFAULT_MAX_REQUEST_BYTES,
  parseRouteTemplate,
  type HttpRoute,
} from './http-trigger';
import { consoleLogger, errorText, type HostLogger } from './logger';
import { createOutputBinding, SdkClients, type OutputBinding } from './outputs';
import { scaleGroupOf, scaleGroupsLine, scaleGroupsOf } from './scale-groups';
import { readSettingsFile, type HostSettings } from './settings';

export interface FunctionsHostOptions {
  /** The app's entry module: the bundle (functions/dist/package/dist/index.js) or tsc's output. */
  readonly appEntry: string;
  /** Settings in local.settings.json form, or the path of such a file. */
  readonly settings: HostSettings | string;
  /** Default 7071 (Core Tools' port); 0 picks a free one. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  readonly logger?: HostLogger;
  /** host.json; by default the one at the app's root (found upwards from appEntry). */
  readonly hostJson?: string;
  /** Request size limit in bytes (default 100 MB, as Azure). */
  readonly maxRequestBytes?: number;
  /** Azure SDK logs (AZURE_LOG_LEVEL=info) and the functions' information logs. */
  readonly debug?: boolean;
  /**
   * Answer a failed HTTP invocation's 500 with a JSON body naming the invocation and the error. Off by
   * default, because Azure answers an empty 500 (see http-failure.ts); the log has the details either way.
   */
  readonly errorDetails?: boolean;
  /** Event Hubs partition ownership expiry: how soon a crashed host's partitions are taken over. */
  readonly ownershipExpiryMs?: number;
  /**
   * Run only this Flex Consumption scale group's functions (`http`, or `function:<name>`), as one of
   * its instances does (scale-groups.ts). Default: every function of the app in this one process.
   */
  readonly scaleGroup?: string;
}

export interface RunningFunctionsHost {
  readonly url: string;
  readonly port: number;
  /** Each function this instance runs, with what triggers it, e.g. `ingest: POST /api/events`. */
  readonly functions: readonly string[];
  /** The app's scale groups (every instance loads the whole app), `http` first. */
  readonly scaleGroups: readonly string[];
  /** Stops receiving, finishes invocations in flight, closes every client. Idempotent. */
  stop(): Promise<void>;
}

export class HostStartupError extends Error {
  override name = 'HostStartupError';
}

/**
 * Runs the app's registered functions in this process, as the Azure Functions host and Node.js worker
 * do: settings become environment variables, the app's entry is required with `@azure/functions-core`
 * supplied, every registered function is checked against what this host supports, HTTP triggers are
 * served and Event Hubs triggers consumed. One host per process (settings are process-wide).
 */
export async function startFunctionsHost(options: FunctionsHostOptions): Promise<RunningFunctionsHost> {
  const logger = options.logger ?? consoleLogger({ debug: options.debug });
  if (options.debug) setLogLevel('info');
  const settings =
    typeof options.settings === 'string' ? readSettingsFile(options.settings) : options.settings;
  const appEntry = resolve(options.appEntry);
  if (require.cache[appEntry])
    throw new HostStartupError(
      `${appEntry} is already loaded in this process, so it cannot register again: run each host in a process of its own`,
    );
  const hostConfig = readHostConfig(options.hostJson ?? findHostJson(appEntry));
  for (const [key, value] of Object.entries(settings.values)) process.env[key] = value;
  const values = process.env;

  const registry = new Registry((level, message) => {
    if (level === 'error' || level === 'critical') logger.error(`worker: ${message}`);
    else if (level === 'warning') logger.warn(`worker: ${message}`);
    else logger.debug(`worker: ${message}`);
  });
  const uninstall = installCoreModule(registry);
  const clients = new SdkClients();
  const listeners: EventHubListener[] = [];
  let server: Server | undefined;
  try {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a runtime path, loaded as the worker loads it
      require(appEntry);
    } catch (error) {
      throw new HostStartupError(`Cannot load the app entry ${appEntry}: ${errorText(error)}`);
    }
    registry.completeStartup();
    if (!registry.programmingModel)
      throw new HostStartupError(
        `${appEntry} registered no programming model: does it use @azure/functions v4?`,
      );
    if (registry.functions.size === 0) throw new HostStartupError(`${appEntry} registered no functions`);
    // As the worker does after loading the app: this locks `app.setup(...)` and reports what it asked for.
    const capabilities = (await registry.programmingModel.getCapabilities?.({})) ?? {};
    if (capabilities.HttpUri)
      throw new HostStartupError(
        `${appEntry} enables HTTP streaming (app.setup({ enableHttpStream: true })), which the local host does not support`,
      );
    for (const hook of registry.hookCallbacks('appStart'))
      await hook({
        hookData: {},
        appHookData: registry.appHookData,
        functionAppDirectory: dirname(appEntry),
      });

    const routes: HttpRoute[] = [];
    const described: string[] = [];
    // Every function is checked, as every instance indexes the whole app; only the group's run here.
    const classified = [...registry.functions.values()].map((fn) => ({
      fn,
      ...classify(fn, values, clients),
    }));
    const scaleGroups = scaleGroupsOf(
      classified.map(({ fn, trigger }) => ({ name: fn.metadata.name, triggerType: trigger.type })),
    );
    const instanceGroup = options.scaleGroup ?? 'all';
    if (options.scaleGroup !== undefined && !scaleGroups.includes(options.scaleGroup))
      throw new HostStartupError(
        `scale group "${options.scaleGroup}" has no function in ${appEntry}; its scale groups: ${scaleGroups.join(', ')}`,
      );
    for (const { fn, trigger, outputs, returnName } of classified) {
      if (
        options.scaleGroup !== undefined &&
        scaleGroupOf(trigger.type, fn.metadata.name) !== options.scaleGroup
      )
        continue;
      if (trigger.type === 'httpTrigger') {
        const route = typeof trigger.info.route === 'string' ? trigger.info.route : fn.metadata.name;
        const methods = Array.isArray(trigger.info.methods)
          ? (trigger.info.methods as string[]).map((m) => m.toUpperCase())
          : undefined;
        const authLevel = (
          typeof trigger.info.authLevel === 'string' ? trigger.info.authLevel : 'function'
        ).toLowerCase();
        if (authLevel !== 'anonymous' && authLevel !== 'function' && authLevel !== 'admin')
          throw new HostStartupError(`function "${fn.metadata.name}": unknown authLevel "${authLevel}"`);
        routes.push({
          fn,
          triggerName: trigger.name,
          returnName,
          methods: methods ? new Set(methods) : undefined,
          authLevel,
          template: parseRouteTemplate(route),
          outputs,
        });
        const path = [hostConfig.routePrefix, route.replace(/^\/+/, '')].filter(Boolean).join('/');
        described.push(`${fn.metadata.name}: ${methods?.join(',') ?? '*'} /${path} (${authLevel})`);
      } else {
        const listener = createEventHubListener({
          fn,
          bindingName: trigger.name,
          binding: trigger.info,
          values,
          config: hostConfig.eventHubs,
          outputs,
          registry,
          logger,
          appCapabilities: capabilities,
          ...(options.ownershipExpiryMs ? { ownershipExpiryMs: options.ownershipExpiryMs } : {}),
        });
        listeners.push(listener);
        described.push(`${fn.metadata.name}: eventHubTrigger ${listener.description.split(' <- ')[1]!}`);
      }
    }

    const host = options.host ?? '127.0.0.1';
    let baseUrl = '';
    const dispatch = createHttpDispatcher({
      registry,
      routes,
      routePrefix: hostConfig.routePrefix,
      functionKeys: settings.functionKeys ?? {},
      maxRequestBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      logger,
      baseUrl: () => baseUrl,
      errorDetails: options.errorDetails ?? false,
    });
    const inFlight = new Set<Promise<void>>();
    server = createServer((req, res) => {
      const work = dispatch(req, res).catch((error: unknown) => {
        logger.error(`HTTP ${req.method ?? ''} ${req.url ?? ''}: ${errorText(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    });
    server.keepAliveTimeout = 30_000;
    const port = await listen(server, options.port ?? 7071, host);
    baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    for (const listener of listeners) await listener.start();
    logger.info(scaleGroupsLine(scaleGroups, instanceGroup));
    if (options.errorDetails)
      logger.warn(
        'error details are on: a failed invocation answers 500 with a JSON body (Azure answers it empty)',
      );
    logger.info(`Functions host listening on ${baseUrl} (${described.join('; ')})`);

    let stopped: Promise<void> | undefined;
    const running = server;
    return {
      url: baseUrl,
      port,
      functions: described,
      scaleGroups,
      stop: () =>
        (stopped ??= (async () => {
          const closed = new Promise<void>((done) => running.close(() => done()));
          running.closeIdleConnections();
          await Promise.allSettled(listeners.map((l) => l.stop()));
          await Promise.allSettled([...inFlight]);
          running.closeAllConnections();
          await closed;
          for (const hook of registry.hookCallbacks('appTerminate'))
            await Promise.resolve(hook({ hookData: {}, appHookData: registry.appHookData })).catch(
              (error: unknown) => logger.warn(`appTerminate hook failed: ${errorText(error)}`),
            );
          await clients.close();
          uninstall();
          logger.info('Functions host stopped');
        })()),
    };
  } catch (error) {
    await Promise.allSettled(listeners.map((l) => l.stop()));
    server?.close();
    await clients.close();
    uninstall();
    throw error;
  }
}

interface Classified {
  readonly trigger: {
    readonly name: string;
    readonly type: 'httpTrigger' | 'eventHubTrigger';
    readonly info: RpcBindingInfo;
  };
  readonly outputs: OutputBinding[];
  readonly returnName: string | undefined;
}

/** Checks each binding against what this host can run; anything else stops startup, naming it. */
function classify(fn: RegisteredFunction, values: NodeJS.ProcessEnv, clients: SdkClients): Classified {
  const name = fn.metadata.name;
  let trigger: Classified['trigger'] | undefined;
  const outputs: OutputBinding[] = [];
  let returnName: string | undefined;
  for (const [bindingName, info] of Object.entries(fn.metadata.bindings)) {
    const type = String(info.type);
    const where = `function "${name}", binding "${bindingName}"`;
    if (info.direction === 'in' || info.direction === 'inout') {
      if (type === 'httpTrigger' || type === 'eventHubTrigger') {
        trigger = { name: bindingName, type, info };
        continue;
      }
      throw new HostStartupError(
        `${where}: ${type.endsWith('Trigger') ? 'trigger' : 'input binding'} type "${type}" is not supported by the local host (supported triggers: httpTrigger, eventHubTrigger; no input bindings)`,
      );
    }
    if (type === 'http') {
      returnName = bindingName;
      continue;
    }
    try {
      outputs.push(createOutputBinding(name, bindingName, info, values, clients));
    } catch (error) {
      throw new HostStartupError(errorText(error));
    }
  }
  if (!trigger) throw new HostStartupError(`function "${name}" has no trigger binding`);
  if (returnName && trigger.type !== 'httpTrigger')
    throw new HostStartupError(
      `function "${name}", binding "${returnName}": an http output needs an httpTrigger`,
    );
  return { trigger, outputs, returnName };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new HostStartupError(
          error.code === 'EADDRINUSE'
            ? `Functions host cannot listen on ${host}:${port}: the port is already in use`
            : `Functions host cannot listen on ${host}:${port}: ${error.code ?? error.message}`,
        ),
      ),
    );
    server.listen(port, host, () => resolveListen((server.address() as AddressInfo).port));
  });
}
