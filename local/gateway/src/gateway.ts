import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { loadApimSchemas } from './apim-schemas';
import { checkProducts, SubscriptionKeys } from './authentication';
import {
  INGEST_API,
  INGEST_BACKEND_ID,
  INGEST_PRODUCT,
  resolveNamedValues,
  resolveSubscriptions,
  type ApiDefinition,
  type ProductDefinition,
  type SubscriptionConfig,
} from './config';
import { FixedWindowQuota, SlidingWindowLimiter, TokenBucketLimiter, type RateLimiter } from './counters';
import {
  applyQuery,
  isPreflight,
  matchRoute,
  normalizeIp,
  parseTarget,
  Stop,
  type Exchange,
  type PendingResponse,
} from './exchange';
import { Forwarder } from './forwarding';
import { HeaderBag } from './headers';
import { handlePreflight, InboundPolicies } from './inbound';
import { buildPipeline, loadPolicySet, type Pipeline } from './policy-set';
import {
  answerClientError,
  answerUnhandled,
  runOnError,
  runResponseStatement,
  send,
  stopResponse,
} from './responses';
import { parseTier, tierLimits, type TierLimits } from './tiers';
import { compileSchemas } from './validator';

export interface GatewayOptions {
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port; default 7070, 0 for an ephemeral port. */
  readonly port?: number;
  /** The repository's policies/ folder (XML files, plus schemas/<schema-id>.json). */
  readonly policiesDir: string;
  /** Base URL of the functions host, e.g. http://127.0.0.1:7071/api; the `ingest-function` backend. */
  readonly backendUrl: string;
  /** More backend entities by id, beyond `ingest-function`. */
  readonly backends?: Readonly<Record<string, string>>;
  /** Named values, or the path of a JSON file holding them (a local config file works too). */
  readonly namedValues: Readonly<Record<string, string>> | string;
  /** Subscriptions (product `ingest`, primary and secondary keys), or the path of a JSON file holding them. */
  readonly subscriptions: readonly SubscriptionConfig[] | string;
  /** APIM schemas by id; default: every policies/schemas/<id>.json. */
  readonly schemas?: ReadonlyMap<string, object>;
  /** APIs and products as the infrastructure creates them; default: the ingest API and product. */
  readonly apis?: readonly ApiDefinition[];
  readonly products?: readonly ProductDefinition[];
  /** The APIM tier the policies must run on; default Consumption. Unsupported policies are warned about. */
  readonly tier?: string;
  /** Receives one object per request (and per warning); default: JSON lines on stdout. */
  readonly logger?: (line: object) => void;
  /**
   * Longest a client may take to send a whole request, in ms (slow bodies get 408); default 60 000,
   * or the tier's total request duration when that is shorter.
   */
  readonly requestTimeoutMs?: number;
  /**
   * Replaces limits of the tier table (schemas/src/apim-tiers.ts), e.g. a short total duration in a
   * test. Without it the gateway enforces the strictest documented value for `tier`.
   */
  readonly limits?: Partial<Omit<TierLimits, 'tier' | 'family'>>;
  /** The rate-limit and quota counters' clock (ms); default Date.now. Tests move a fake one instead of sleeping. */
  readonly now?: () => number;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  /** Startup warnings (unsupported tier, missing sections), also sent to the logger. */
  readonly warnings: readonly string[];
  /** The limits in force: the tier table's strictest documented values, with `limits` applied. */
  readonly limits: TierLimits;
  /**
   * Replaces the subscriptions, e.g. after a key was regenerated: old keys stop working at once. With
   * `products`, replaces the products too (a product created later has no policy file of its own).
   */
  setSubscriptions(
    subscriptions: readonly SubscriptionConfig[],
    products?: readonly ProductDefinition[],
  ): void;
  stop(): Promise<void>;
}

const defaultLogger = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');

/**
 * Loads and compiles the policy files (throwing a PolicyError naming file, line and element for
 * anything it cannot enforce), then serves the APIs on loopback in front of the backend. The work is
 * split by concern: authentication.ts (subscription keys), inbound.ts (inbound policies),
 * forwarding.ts (the backend call), responses.ts (outbound, on-error and writing the response).
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? defaultLogger;
  const tier = parseTier(options.tier ?? 'Consumption');
  const limits: TierLimits = { ...tierLimits(tier), ...options.limits };
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    logger({ time: new Date().toISOString(), level: 'warn', msg: message });
  };
  const apis = options.apis ?? [INGEST_API];
  const products = checkProducts(options.products ?? [INGEST_PRODUCT], apis);
  const namedValues = resolveNamedValues(options.namedValues);
  const backends = new Map<string, string>(
    Object.entries({ [INGEST_BACKEND_ID]: options.backendUrl, ...options.backends }),
  );
  for (const [id, url] of backends) backends.set(id, url.replace(/\/+$/, ''));
  const schemas = options.schemas ?? loadApimSchemas(options.policiesDir);
  const validators = compileSchemas(schemas);
  const policySet = loadPolicySet(options.policiesDir, apis, products, {
    namedValues,
    backends,
    schemaIds: new Set(schemas.keys()),
    tier,
    warn,
  });

  const pipelines = new Map<string, Pipeline>();
  const pipelineFor = (api: string, operation: string | undefined, product: string | undefined) => {
    const key = `${api}\n${operation ?? ''}\n${product ?? ''}`;
    let found = pipelines.get(key);
    if (!found) pipelines.set(key, (found = buildPipeline(policySet, api, operation ?? '', product)));
    return found;
  };

  const keys = new SubscriptionKeys(resolveSubscriptions(options.subscriptions), products, apis);
  const limiter: RateLimiter =
    limits.rateLimitAlgorithm === 'token-bucket'
      ? new TokenBucketLimiter(options.now)
      : new SlidingWindowLimiter(options.now);
  const totalMs = limits.totalRequestSeconds === null ? Infinity : limits.totalRequestSeconds * 1000;
  const quota = new FixedWindowQuota(options.now);
  const inbound = new InboundPolicies({ limits, limiter, quota, startedAt: Date.now(), validators, logger });
  const forwarder = new Forwarder(limits, totalMs, logger);
  const requestTimeout = Math.min(options.requestTimeoutMs ?? 60_000, totalMs);
  const server = createGatewayServer(requestTimeout);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) =>
    answerClientError(error, socket, logger),
  );
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response).catch((error: unknown) => answerUnhandled(error, response, logger));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.on('error', () => undefined);
    const exchange = newExchange(request);
    let pending: PendingResponse;
    let pipeline: Pipeline | undefined;
    try {
      const route = matchRoute(apis, request.method ?? 'GET', exchange.url.pathname);
      if (!route) throw new Stop(404, 'Resource not found', undefined);
      exchange.route = route;
      if (isPreflight(request)) {
        const preflight = handlePreflight(
          exchange,
          pipelineFor(route.api.id, route.operation?.id, undefined),
        );
        if (preflight) {
          await send(exchange, response, preflight, quota, logger);
          return;
        }
      }
      if (!route.operation) throw new Stop(404, 'Resource not found', undefined);
      // Until the subscription is known, errors run the product-less pipeline's on-error.
      pipeline = pipelineFor(route.api.id, route.operation.id, undefined);
      if (route.api.subscriptionRequired) {
        exchange.subscription = keys.authorize(exchange);
        pipeline = pipelineFor(route.api.id, route.operation.id, exchange.subscription.product);
      }
      pending = await runFlow(exchange, pipeline);
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
      pending = stopResponse(error);
      if (error.error) {
        exchange.errorInfo = error.error;
        if (pipeline) pending = await runOnError(pipeline['on-error'], pending);
      }
    }
    await send(exchange, response, pending, quota, logger);
  }

  async function runFlow(exchange: Exchange, pipeline: Pipeline): Promise<PendingResponse> {
    for (const statement of pipeline.inbound) await inbound.run(exchange, statement);
    let pending: PendingResponse | undefined;
    for (const statement of pipeline.backend) {
      if (statement.kind === 'forward-request') {
        if (!pending) pending = await forwarder.forward(exchange, statement.timeoutSeconds);
      } else if (statement.kind === 'set-backend-service') exchange.backendBase = statement.baseUrl;
      else if (statement.kind === 'set-query-parameter') applyQuery(exchange.url.searchParams, statement);
    }
    // Without forward-request nothing reaches a backend and the response stays an empty 200, as in APIM.
    pending ??= { status: 200, headers: new HeaderBag(), body: Buffer.alloc(0) };
    for (const statement of pipeline.outbound) pending = runResponseStatement(statement, pending);
    return pending;
  }

  const address = await listen(server, options, () => void forwarder.close());
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    warnings,
    limits,
    setSubscriptions(subscriptions, nextProducts) {
      keys.replace(subscriptions, nextProducts);
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await forwarder.close();
    },
  };
}

function createGatewayServer(requestTimeout: number): Server {
  return createServer({
    requestTimeout,
    headersTimeout: Math.min(20_000, requestTimeout),
    keepAliveTimeout: 5_000,
    // Node checks request deadlines on this interval (default 30 s); a coarse check would let a slow
    // client hold a connection far past requestTimeout.
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(requestTimeout / 4))),
    // Node's default (16 KiB), stated: longer header blocks get 431 before any policy runs.
    maxHeaderSize: 16 * 1024,
  });
}

function newExchange(request: IncomingMessage): Exchange {
  return {
    id: randomUUID(),
    started: performance.now(),
    request,
    clientIp: normalizeIp(request.socket.remoteAddress ?? ''),
    url: parseTarget(request.url ?? '/'),
    headers: HeaderBag.fromRaw(request.rawHeaders),
    extraResponseHeaders: new HeaderBag(),
    quotaCounters: [],
    bodyState: 'unread',
    bytesIn: 0,
  };
}

function listen(server: Server, options: GatewayOptions, onError: () => void): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', (error) => {
      onError();
      reject(error);
    });
    server.listen(options.port ?? 7070, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
