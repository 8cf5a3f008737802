import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import type { ValidateFunction } from 'ajv';
import { Agent } from 'undici';
import { loadApimSchemas } from './apim-schemas';
import { decodeUtf8, readBodyWithLimit } from './body';
import { drainBody, rejectedBodyPlan } from './drain';
import {
  INGEST_API,
  INGEST_BACKEND_ID,
  INGEST_PRODUCT,
  resolveNamedValues,
  resolveSubscriptions,
  type ApiDefinition,
  type OperationDefinition,
  type ProductDefinition,
  type SubscriptionConfig,
} from './config';
import {
  FixedWindowQuota,
  formatDuration,
  SlidingWindowLimiter,
  TokenBucketLimiter,
  type RateLimiter,
} from './counters';
import { HeaderBag, HOP_BY_HOP } from './headers';
import { normalizeOrigin, type Statement } from './policy';
import { buildPipeline, loadPolicySet, type Pipeline } from './policy-set';
import { parseTier, tierLimits, type TierLimits } from './tiers';
import { compileSchemas, describeErrors } from './validator';

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

/** APIM's error body: https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies */
interface ApimError {
  readonly statusCode: number;
  readonly message: string;
}

/** Ends the inbound/backend/outbound flow with a response. `error` responses go through on-error. */
class Stop extends Error {
  constructor(
    readonly status: number,
    readonly publicMessage: string,
    readonly error: { readonly source: string; readonly reason: string } | undefined,
    readonly headers: readonly (readonly [string, string])[] = [],
    readonly body?: Buffer,
    readonly reason?: string,
  ) {
    super(publicMessage || `response ${status}`);
    this.name = 'Stop';
  }
}

interface PendingResponse {
  status: number;
  reason?: string;
  headers: HeaderBag;
  body: Buffer | Readable;
}

interface Route {
  readonly api: ApiDefinition;
  readonly operation?: OperationDefinition;
  readonly remainder: string;
}

interface Exchange {
  readonly id: string;
  readonly started: number;
  readonly request: IncomingMessage;
  readonly clientIp: string;
  readonly url: URL;
  readonly headers: HeaderBag;
  readonly extraResponseHeaders: HeaderBag;
  readonly quotaCounters: { period: number; bytes: number }[];
  route?: Route;
  subscription?: SubscriptionConfig;
  backendBase?: string;
  body?: Buffer;
  bodyState: 'unread' | 'buffered' | 'streamed' | 'overflow' | 'aborted';
  bytesIn: number;
  backendMs?: number;
  errorInfo?: { source: string; reason: string };
}

const JSON_TYPE = 'application/json; charset=utf-8';
/** Backend responses up to this size are read whole before being relayed. */
const SMALL_RESPONSE_BYTES = 64 * 1024;

const defaultLogger = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');

/**
 * Loads and compiles the policy files (throwing a PolicyError naming file, line and element for
 * anything it cannot enforce), then serves the APIs on loopback in front of the backend.
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
  let products = checkProducts(options.products ?? [INGEST_PRODUCT], apis);
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

  let keys = indexSubscriptions(resolveSubscriptions(options.subscriptions), products);
  const limiter: RateLimiter =
    limits.rateLimitAlgorithm === 'token-bucket'
      ? new TokenBucketLimiter(options.now)
      : new SlidingWindowLimiter(options.now);
  const totalMs = limits.totalRequestSeconds === null ? Infinity : limits.totalRequestSeconds * 1000;
  const quota = new FixedWindowQuota(options.now);
  const startedAt = Date.now();
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });
  const requestTimeout = Math.min(options.requestTimeoutMs ?? 60_000, totalMs);

  const server: Server = createServer({
    requestTimeout,
    headersTimeout: Math.min(20_000, requestTimeout),
    keepAliveTimeout: 5_000,
    // Node checks request deadlines on this interval (default 30 s); a coarse check would let a slow
    // client hold a connection far past requestTimeout.
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(requestTimeout / 4))),
    // Node's default (16 KiB), stated: longer header blocks get 431 before any policy runs.
    maxHeaderSize: 16 * 1024,
  });

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const code =
      error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    logger({
      time: new Date().toISOString(),
      level: 'info',
      msg: 'client error',
      status: code,
      error: error.code ?? error.message,
    });
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({
      statusCode: code,
      message: STATUS_CODES[code] ?? 'Bad Request',
    } satisfies ApimError);
    socket.end(
      `HTTP/1.1 ${code} ${STATUS_CODES[code]}\r\nContent-Type: ${JSON_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response).catch((error: unknown) => {
      logger({
        time: new Date().toISOString(),
        level: 'error',
        msg: 'unhandled gateway error',
        error: String(error),
      });
      if (!response.headersSent) {
        response.writeHead(500, { 'Content-Type': JSON_TYPE, Connection: 'close' });
        response.end(JSON.stringify({ statusCode: 500, message: 'Internal server error' }));
      } else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.on('error', () => undefined);
    const exchange: Exchange = {
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
          await send(exchange, response, preflight);
          return;
        }
      }
      if (!route.operation) throw new Stop(404, 'Resource not found', undefined);
      // Until the subscription is known, errors run the product-less pipeline's on-error.
      pipeline = pipelineFor(route.api.id, route.operation.id, undefined);
      if (route.api.subscriptionRequired) {
        exchange.subscription = authorize(exchange, route.api);
        pipeline = pipelineFor(route.api.id, route.operation.id, exchange.subscription.product);
      }
      pending = await runFlow(exchange, pipeline);
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
      pending = stopResponse(error);
      if (error.error) {
        exchange.errorInfo = error.error;
        if (pipeline) pending = await runOnError(exchange, pipeline['on-error'], pending);
      }
    }
    await send(exchange, response, pending);
  }

  function authorize(exchange: Exchange, _api: ApiDefinition): SubscriptionConfig {
    // Header first, then query (https://learn.microsoft.com/azure/api-management/api-management-subscriptions).
    const key =
      exchange.headers.first('Ocp-Apim-Subscription-Key') ??
      exchange.url.searchParams.get('subscription-key') ??
      undefined;
    // Messages: https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies
    // ("Predefined errors for built-in steps").
    if (!key) {
      throw new Stop(
        401,
        'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
        { source: 'authorization', reason: 'SubscriptionKeyNotFound' },
      );
    }
    const subscription = keys.get(key);
    const product = subscription && products.find((candidate) => candidate.id === subscription.product);
    if (
      !subscription ||
      (subscription.state ?? 'active') !== 'active' ||
      !product?.apis.includes(exchange.route!.api.id)
    ) {
      throw new Stop(
        401,
        'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
        {
          source: 'authorization',
          reason: 'SubscriptionKeyInvalid',
        },
      );
    }
    return subscription;
  }

  async function runFlow(exchange: Exchange, pipeline: Pipeline): Promise<PendingResponse> {
    for (const statement of pipeline.inbound) await runInbound(exchange, statement);
    let pending: PendingResponse | undefined;
    for (const statement of pipeline.backend) {
      if (statement.kind === 'forward-request') {
        if (!pending) pending = await forward(exchange, statement.timeoutSeconds);
      } else if (statement.kind === 'set-backend-service') exchange.backendBase = statement.baseUrl;
      else if (statement.kind === 'set-query-parameter') applyQuery(exchange.url.searchParams, statement);
    }
    // Without forward-request nothing reaches a backend and the response stays an empty 200, as in APIM.
    pending ??= { status: 200, headers: new HeaderBag(), body: Buffer.alloc(0) };
    for (const statement of pipeline.outbound) pending = runResponseStatement(statement, pending);
    return pending;
  }

  async function runInbound(exchange: Exchange, statement: Statement): Promise<void> {
    switch (statement.kind) {
      case 'cors':
        return applyCorsToActualRequest(exchange, statement);
      case 'ip-filter': {
        const type = isIP(exchange.clientIp) === 6 ? 'ipv6' : 'ipv4';
        const listed = isIP(exchange.clientIp) !== 0 && statement.list.check(exchange.clientIp, type);
        // https://learn.microsoft.com/azure/api-management/ip-filter-policy; 403 with the messages of
        // "Predefined errors for policies" (api-management-error-handling-policies).
        if (statement.action === 'allow' && !listed) {
          throw new Stop(403, `Caller IP address ${exchange.clientIp} is not allowed. Access denied.`, {
            source: 'ip-filter',
            reason: 'CallerIpNotAllowed',
          });
        }
        if (statement.action === 'forbid' && listed) {
          throw new Stop(403, 'Caller IP address is blocked. Access denied.', {
            source: 'ip-filter',
            reason: 'CallerIpBlocked',
          });
        }
        return;
      }
      case 'check-header':
        return checkHeader(exchange, statement);
      case 'rate-limit': {
        // "This policy is only applied when an API is accessed using a subscription key."
        if (!exchange.subscription) return;
        const decision = limiter.take(
          `${statement.source.file}:${statement.source.line}\n${exchange.subscription.id}`,
          statement.calls,
          statement.periodSeconds,
        );
        if (statement.remainingHeader)
          exchange.extraResponseHeaders.set(statement.remainingHeader, [String(decision.remaining)]);
        if (statement.totalHeader)
          exchange.extraResponseHeaders.set(statement.totalHeader, [String(statement.calls)]);
        if (!decision.allowed) {
          throw new Stop(
            429,
            `Rate limit is exceeded. Try again in ${decision.retryAfterSeconds} seconds.`,
            { source: 'rate-limit', reason: 'RateLimitExceeded' },
            [[statement.retryAfterHeader, String(decision.retryAfterSeconds)]],
          );
        }
        return;
      }
      case 'quota': {
        if (!exchange.subscription) return;
        const since = Date.parse(exchange.subscription.startedAt ?? '') || startedAt;
        const decision = quota.take(
          `${statement.source.file}:${statement.source.line}\n${exchange.subscription.id}`,
          statement,
          since,
        );
        if (!decision.allowed) {
          const finite = Number.isFinite(decision.secondsToRenewal);
          const when = finite
            ? ` Quota will be replenished in ${formatDuration(decision.secondsToRenewal)}.`
            : '';
          throw new Stop(
            403,
            `Out of ${decision.exceeded === 'bandwidth' ? 'bandwidth' : 'call volume'} quota.${when}`,
            { source: 'quota', reason: 'QuotaExceeded' },
            finite ? [['Retry-After', String(decision.secondsToRenewal)]] : [],
          );
        }
        if (decision.counter) exchange.quotaCounters.push(decision.counter);
        return;
      }
      case 'validate-content':
        return validateContent(exchange, statement);
      case 'set-header':
        exchange.headers.apply(statement.name, statement.action, statement.values);
        return;
      case 'set-query-parameter':
        applyQuery(exchange.url.searchParams, statement);
        return;
      case 'set-backend-service':
        exchange.backendBase = statement.baseUrl;
        return;
      case 'return-response':
        throw returnResponse(statement);
      default:
        throw new Error(`${statement.kind} cannot run in inbound`);
    }
  }

  function checkHeader(exchange: Exchange, statement: Extract<Statement, { kind: 'check-header' }>): void {
    // https://learn.microsoft.com/azure/api-management/check-header-policy: the configured status and
    // message, in APIM's error body, when the header is missing or matches none of the values.
    const fail = (reason: string) =>
      new Stop(statement.status, statement.message, { source: 'check-header', reason });
    const present = exchange.headers.get(statement.name);
    if (!present) throw fail('HeaderNotFound');
    if (statement.values.length === 0) return;
    const actual = present.join(', ');
    const fold = (text: string) => (statement.ignoreCase ? text.toLowerCase() : text);
    const digest = (text: string) => createHash('sha256').update(fold(text)).digest();
    const actualDigest = digest(actual);
    // Constant-time comparison: the allowed value is usually a secret named value.
    let matched = false;
    for (const allowed of statement.values)
      matched = timingSafeEqual(actualDigest, digest(allowed)) || matched;
    if (!matched) throw fail('HeaderValueNotAllowed');
  }

  async function validateContent(
    exchange: Exchange,
    statement: Extract<Statement, { kind: 'validate-content' }>,
  ): Promise<void> {
    // Behaviour and messages: https://learn.microsoft.com/azure/api-management/validate-content-policy
    // ("Validation errors": 400 in inbound, the "Public response" texts).
    const contentType = (exchange.headers.first('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
    const badRequest = (message: string, rule: string) =>
      new Stop(400, message, { source: 'validate-content', reason: rule });
    // The policy's max-size, but never more than the tier validates or buffers (the API Management
    // limits table; schemas/src/apim-tiers.ts names each source). Public message: "Validation errors".
    const maxSize = Math.min(statement.maxSize, limits.validateContentBodyBytes, limits.bufferedPayloadBytes);
    const declared = exchange.headers.first('Content-Length');
    if (declared !== undefined && Number(declared) > maxSize) {
      throw badRequest(
        `Request's body is ${declared} bytes long and it exceeds the limit of ${maxSize} bytes.`,
        'SizeLimit',
      );
    }
    const content = statement.contents.find((candidate) => candidate.type === contentType);
    if (!content) {
      const message = `Unspecified content type ${contentType} is not allowed.`;
      if (statement.unspecifiedAction === 'prevent') throw badRequest(message, 'Unspecified');
      if (statement.unspecifiedAction === 'detect') logDetection(exchange, message);
    }
    if (exchange.bodyState === 'unread') {
      const result = await readBodyWithLimit(exchange.request, maxSize);
      if (result.kind === 'aborted') {
        exchange.bodyState = 'aborted';
        throw new Stop(400, 'The client closed the connection while sending the body.', {
          source: 'validate-content',
          reason: 'ClientConnectionFailure',
        });
      }
      if (result.kind === 'too-large') {
        exchange.bodyState = 'overflow';
        exchange.bytesIn = result.bytesRead;
        throw badRequest(
          `Request's body is more than ${maxSize} bytes long and it exceeds the limit of ${maxSize} bytes.`,
          'SizeLimit',
        );
      }
      exchange.body = result.body;
      exchange.bodyState = 'buffered';
      exchange.bytesIn = result.body.length;
    }
    if (!content || content.action === 'ignore' || !exchange.body) return;
    const problem = validateJson(exchange.body, validators.get(content.schemaId)!);
    if (!problem) return;
    const message = `Body of the request does not conform to the definition ${content.schemaId}, which is associated with the content type ${contentType}. ${problem}`;
    if (content.action === 'prevent') throw badRequest(message, 'IncorrectMessage');
    logDetection(exchange, message);
  }

  function logDetection(exchange: Exchange, message: string): void {
    logger({
      time: new Date().toISOString(),
      level: 'warn',
      msg: 'validate-content detected',
      requestId: exchange.id,
      detail: message,
    });
  }

  function applyCorsToActualRequest(exchange: Exchange, cors: Extract<Statement, { kind: 'cors' }>): void {
    const origin = exchange.headers.first('Origin');
    if (!origin) return;
    const allowed = allowedOrigin(cors, origin);
    if (!allowed) {
      const method = exchange.request.method ?? '';
      if (cors.terminateUnmatched && (method === 'GET' || method === 'HEAD'))
        throw new Stop(200, '', undefined, [], Buffer.alloc(0));
      return;
    }
    exchange.extraResponseHeaders.set('Access-Control-Allow-Origin', [allowed]);
    if (cors.allowCredentials)
      exchange.extraResponseHeaders.set('Access-Control-Allow-Credentials', ['true']);
    if (cors.exposeHeaders.length > 0)
      exchange.extraResponseHeaders.set('Access-Control-Expose-Headers', [cors.exposeHeaders.join(',')]);
    exchange.extraResponseHeaders.append('Vary', 'Origin');
  }

  /** https://learn.microsoft.com/azure/api-management/cors-policy: only cors runs on a preflight. */
  function handlePreflight(exchange: Exchange, pipeline: Pipeline): PendingResponse | undefined {
    const cors = pipeline.inbound.find(
      (statement): statement is Extract<Statement, { kind: 'cors' }> => statement.kind === 'cors',
    );
    if (!cors) return undefined;
    const headers = new HeaderBag();
    const origin = exchange.headers.first('Origin')!;
    const method = (exchange.headers.first('Access-Control-Request-Method') ?? '').trim().toUpperCase();
    const requested = (exchange.headers.get('Access-Control-Request-Headers') ?? [])
      .join(',')
      .split(',')
      .map((header) => header.trim().toLowerCase())
      .filter(Boolean);
    const allowed = allowedOrigin(cors, origin);
    const methodOk = cors.methods.includes('*') || cors.methods.includes(method);
    const headersOk =
      cors.headers.includes('*') || requested.every((header) => cors.headers.includes(header));
    if (allowed && methodOk && headersOk) {
      headers.set('Access-Control-Allow-Origin', [allowed]);
      if (cors.allowCredentials) headers.set('Access-Control-Allow-Credentials', ['true']);
      headers.set('Access-Control-Allow-Methods', [
        cors.methods.includes('*') ? method : cors.methods.join(','),
      ]);
      if (requested.length > 0) headers.set('Access-Control-Allow-Headers', [requested.join(',')]);
      if (cors.maxAge > 0) headers.set('Access-Control-Max-Age', [String(cors.maxAge)]);
      headers.set('Vary', ['Origin']);
    }
    // A preflight that does not match gets an empty 200 without CORS headers: the browser blocks it.
    return { status: 200, headers, body: Buffer.alloc(0) };
  }

  async function forward(exchange: Exchange, timeoutSeconds: number): Promise<PendingResponse> {
    const base = exchange.backendBase;
    if (!base)
      throw new Stop(500, 'Internal server error', { source: 'forward-request', reason: 'BackendNotSet' });
    const target = new URL(base + exchange.route!.remainder);
    target.search = exchange.url.searchParams.toString();
    const headers = new HeaderBag();
    for (const name of exchange.headers.names()) {
      if (!HOP_BY_HOP.has(name.toLowerCase())) headers.set(name, exchange.headers.get(name)!);
    }
    headers.append('X-Forwarded-For', exchange.clientIp);
    headers.set('x-request-id', [exchange.id]);
    let body: Buffer | IncomingMessage | undefined;
    const length = exchange.headers.first('Content-Length');
    if (exchange.bodyState === 'unread' && hasBody(exchange.request) && length === undefined) {
      // A chunked body is buffered and forwarded with a Content-Length: the Functions host passes a
      // body on only when Content-Length > 0 (azure-functions-host, GrpcMessageConversionExtensions
      // .ToRpcHttp; issue #7930), so a chunked request would reach the function empty.
      await bufferBody(exchange);
    }
    if (exchange.bodyState === 'buffered') {
      body = exchange.body;
      // undici sets the length of a Buffer body itself; stated here so the intent is visible.
      headers.set('Content-Length', [String(exchange.body?.length ?? 0)]);
    } else if (hasBody(exchange.request)) {
      body = exchange.request;
      exchange.bodyState = 'streamed';
      headers.set('Content-Length', [length!]);
      exchange.request.on('data', (chunk: Buffer) => (exchange.bytesIn += chunk.length));
    }
    // The backend gets what is left of the tier's total request duration, or the forward-request
    // timeout when that is shorter (https://learn.microsoft.com/azure/api-management/forward-request-policy).
    const leftMs = totalMs - (performance.now() - exchange.started);
    const timeoutMs = Math.max(1, Math.min(timeoutSeconds * 1000, leftMs));
    const began = performance.now();
    try {
      const result = await agent.request({
        origin: target.origin,
        path: target.pathname + target.search,
        method: exchange.request.method ?? 'GET',
        headers: headers.toRecord(),
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      exchange.backendMs = performance.now() - began;
      const responseHeaders = new HeaderBag();
      for (const [name, value] of Object.entries(result.headers)) {
        // The body is relayed unchanged, so the backend's Content-Length stays valid (and spares the
        // client a chunked response).
        if (
          value === undefined ||
          (HOP_BY_HOP.has(name.toLowerCase()) && name.toLowerCase() !== 'content-length')
        )
          continue;
        responseHeaders.set(name, Array.isArray(value) ? value : [value]);
      }
      // A small body with a declared length (the ingest API's 202/400 JSON) is read whole and sent
      // in one write; anything else streams through.
      const declared = Number(result.headers['content-length']);
      if (Number.isInteger(declared) && declared <= SMALL_RESPONSE_BYTES) {
        const body = Buffer.from(await result.body.arrayBuffer());
        return { status: result.statusCode, headers: responseHeaders, body };
      }
      return { status: result.statusCode, headers: responseHeaders, body: result.body };
    } catch (error) {
      exchange.backendMs = performance.now() - began;
      logger({
        time: new Date().toISOString(),
        level: 'warn',
        msg: 'backend request failed',
        requestId: exchange.id,
        error: String(error),
      });
      // APIM answers 500 when the backend cannot be reached or times out and no on-error says otherwise.
      throw new Stop(500, 'Internal server error', {
        source: 'forward-request',
        reason: 'BackendConnectionFailure',
      });
    }
  }

  /**
   * Reads a body of unknown length into memory, up to the tier's buffered payload limit. Past it the
   * request gets 413: the limits table documents the ceiling but not APIM's answer, so this is the
   * gateway's choice (HTTP's status for a body too large, in APIM's error body).
   */
  async function bufferBody(exchange: Exchange): Promise<void> {
    const result = await readBodyWithLimit(exchange.request, limits.bufferedPayloadBytes);
    if (result.kind === 'aborted') {
      exchange.bodyState = 'aborted';
      throw new Stop(400, 'The client closed the connection while sending the body.', {
        source: 'forward-request',
        reason: 'ClientConnectionFailure',
      });
    }
    if (result.kind === 'too-large') {
      exchange.bodyState = 'overflow';
      exchange.bytesIn = result.bytesRead;
      throw new Stop(
        413,
        `Request's body is more than ${limits.bufferedPayloadBytes} bytes long and it exceeds the buffered payload limit of ${limits.bufferedPayloadBytes} bytes.`,
        { source: 'forward-request', reason: 'BufferedPayloadLimit' },
      );
    }
    exchange.body = result.body;
    exchange.bodyState = 'buffered';
    exchange.bytesIn = result.body.length;
  }

  async function runOnError(
    exchange: Exchange,
    statements: readonly Statement[],
    pending: PendingResponse,
  ): Promise<PendingResponse> {
    let current = pending;
    for (const statement of statements) current = runResponseStatement(statement, current);
    return Promise.resolve(current);
  }

  function runResponseStatement(statement: Statement, pending: PendingResponse): PendingResponse {
    switch (statement.kind) {
      case 'set-header':
        pending.headers.apply(statement.name, statement.action, statement.values);
        return pending;
      case 'set-status':
        return { ...pending, status: statement.code, reason: statement.reason };
      case 'return-response': {
        discard(pending.body);
        return stopResponse(returnResponse(statement));
      }
      default:
        throw new Error(`${statement.kind} cannot run in outbound or on-error`);
    }
  }

  async function send(exchange: Exchange, response: ServerResponse, pending: PendingResponse): Promise<void> {
    const headers = pending.headers;
    for (const name of exchange.extraResponseHeaders.names()) {
      if (!headers.has(name)) headers.set(name, exchange.extraResponseHeaders.get(name)!);
    }
    headers.set('x-request-id', [exchange.id]);
    const declared = Number(exchange.headers.first('Content-Length') ?? NaN);
    const plan = rejectedBodyPlan(
      exchange.bodyState,
      exchange.bodyState === 'unread' && hasBody(exchange.request) && !exchange.request.complete,
      Number.isFinite(declared) ? declared : undefined,
      exchange.bytesIn,
    );
    const closeAfter = plan === 'close' || (plan === 'drain' && !(await drainBody(exchange.request)));
    if (closeAfter) headers.set('Connection', ['close']);
    let bytesOut = 0;
    try {
      if (Buffer.isBuffer(pending.body)) {
        headers.set('Content-Length', [String(pending.body.length)]);
        response.writeHead(
          pending.status,
          pending.reason ?? STATUS_CODES[pending.status],
          headers.toRecord(),
        );
        response.end(pending.body);
        bytesOut = pending.body.length;
      } else {
        response.writeHead(
          pending.status,
          pending.reason ?? STATUS_CODES[pending.status],
          headers.toRecord(),
        );
        bytesOut = await relay(pending.body, response);
      }
    } catch (error) {
      exchange.errorInfo ??= { source: 'client', reason: 'ClientConnectionFailure' };
      response.destroy();
      void error;
    }
    if (closeAfter) {
      const close = () => exchange.request.socket.destroySoon();
      if (response.writableFinished) close();
      else response.once('finish', close);
    }
    for (const counter of exchange.quotaCounters) quota.addBytes(counter, exchange.bytesIn + bytesOut);
    logger({
      time: new Date().toISOString(),
      level: 'info',
      msg: 'request',
      requestId: exchange.id,
      method: exchange.request.method,
      path: exchange.url.pathname,
      api: exchange.route?.api.id,
      operation: exchange.route?.operation?.id,
      subscription: exchange.subscription?.id,
      product: exchange.subscription?.product,
      status: pending.status,
      latencyMs: round(performance.now() - exchange.started),
      backendMs: exchange.backendMs === undefined ? undefined : round(exchange.backendMs),
      bytesIn: exchange.bytesIn,
      bytesOut,
      error: exchange.errorInfo,
    });
  }

  const address = await new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', (error) => {
      void agent.close();
      reject(error);
    });
    server.listen(options.port ?? 7070, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    warnings,
    limits,
    setSubscriptions(subscriptions, nextProducts) {
      const checked = nextProducts ? checkProducts(nextProducts, apis) : products;
      keys = indexSubscriptions(subscriptions, checked);
      products = checked;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.close();
    },
  };
}

/** Products may only hold APIs that exist, as in APIM. */
function checkProducts(
  products: readonly ProductDefinition[],
  apis: readonly ApiDefinition[],
): readonly ProductDefinition[] {
  for (const product of products) {
    const unknown = product.apis.filter((api) => !apis.some((candidate) => candidate.id === api));
    if (unknown.length > 0)
      throw new Error(`product ${product.id} names unknown API(s): ${unknown.join(', ')}`);
  }
  return [...products];
}

function indexSubscriptions(
  subscriptions: readonly SubscriptionConfig[],
  products: readonly ProductDefinition[],
): Map<string, SubscriptionConfig> {
  const keys = new Map<string, SubscriptionConfig>();
  for (const subscription of subscriptions) {
    if (!products.some((product) => product.id === subscription.product)) {
      throw new Error(
        `subscription ${subscription.id} names product "${subscription.product}", which does not exist`,
      );
    }
    for (const key of [subscription.primaryKey, subscription.secondaryKey]) {
      if (typeof key !== 'string' || key.length < 8)
        throw new Error(
          `subscription ${subscription.id} needs primary and secondary keys of at least 8 characters`,
        );
      if (keys.has(key))
        throw new Error(`subscription ${subscription.id} reuses a key of another subscription`);
      keys.set(key, subscription);
    }
  }
  return keys;
}

function matchRoute(apis: readonly ApiDefinition[], method: string, pathname: string): Route | undefined {
  for (const api of apis) {
    const prefix = `/${api.path}`;
    if (pathname !== prefix && !pathname.startsWith(`${prefix}/`)) continue;
    const remainder = pathname.slice(prefix.length) || '/';
    const operation = api.operations.find(
      (candidate) =>
        candidate.method.toUpperCase() === method.toUpperCase() && candidate.urlTemplate === remainder,
    );
    return { api, operation, remainder };
  }
  return undefined;
}

function isPreflight(request: IncomingMessage): boolean {
  return (
    request.method === 'OPTIONS' &&
    request.headers.origin !== undefined &&
    request.headers['access-control-request-method'] !== undefined
  );
}

function allowedOrigin(cors: Extract<Statement, { kind: 'cors' }>, origin: string): string | undefined {
  if (cors.origins.includes('*')) return cors.allowCredentials ? origin : '*';
  const normalized = normalizeOrigin(origin);
  return cors.origins.includes(normalized) ? origin : undefined;
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function applyQuery(
  params: URLSearchParams,
  statement: { name: string; action: string; values: readonly string[] },
): void {
  if (statement.action === 'delete') params.delete(statement.name);
  else if (statement.action === 'skip') {
    if (!params.has(statement.name))
      for (const value of statement.values) params.append(statement.name, value);
  } else if (statement.action === 'append')
    for (const value of statement.values) params.append(statement.name, value);
  else {
    params.delete(statement.name);
    for (const value of statement.values) params.append(statement.name, value);
  }
}

function returnResponse(statement: Extract<Statement, { kind: 'return-response' }>): Stop {
  const headers: [string, string][] = [];
  for (const header of statement.headers)
    for (const value of header.values) headers.push([header.name, value]);
  return new Stop(
    statement.status?.code ?? 200,
    '',
    undefined,
    headers,
    Buffer.from(statement.body ?? '', 'utf8'),
    statement.status?.reason,
  );
}

function stopResponse(stop: Stop): PendingResponse {
  const headers = new HeaderBag();
  if (stop.body) {
    for (const [name, value] of stop.headers) headers.append(name, value);
    return { status: stop.status, reason: stop.reason, headers, body: stop.body };
  }
  headers.set('Content-Type', [JSON_TYPE]);
  for (const [name, value] of stop.headers) headers.set(name, [value]);
  const body: ApimError = { statusCode: stop.status, message: stop.publicMessage };
  return { status: stop.status, headers, body: Buffer.from(JSON.stringify(body)) };
}

function validateJson(body: Buffer, validate: ValidateFunction): string | undefined {
  const text = decodeUtf8(body);
  if (text === undefined) return 'The body is not valid UTF-8.';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `The body is not valid JSON: ${(error as Error).message}.`;
  }
  if (validate(value)) return undefined;
  const issues = describeErrors(validate.errors);
  const shown = issues.slice(0, 20).map((issue) => `${issue.path}: ${issue.message}`);
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  return shown.join('; ') + '.';
}

/**
 * Pipes the backend's body to the client and resolves with the bytes sent. Hand-rolled rather than
 * stream/promises pipeline, which aborts an internal AbortController (building a DOMException with a
 * stack trace) on every completion: a measurable share of the gateway's CPU per request.
 */
function relay(body: Readable, response: ServerResponse): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const fail = (error: unknown) => {
      body.destroy();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    body.on('data', (chunk: Buffer) => (bytes += chunk.length));
    body.once('error', fail);
    response.once('close', () => {
      if (!response.writableFinished) fail(new Error('client closed the connection'));
    });
    response.once('finish', () => resolve(bytes));
    body.pipe(response);
  });
}

function discard(body: Buffer | Readable): void {
  if (!Buffer.isBuffer(body)) body.resume();
}

/** The request target as a URL: origin-form (`/path?query`) or absolute-form; an unparseable one matches no API (404). */
function parseTarget(target: string): URL {
  try {
    // Concatenation, not `new URL(target, base)`: a target like `//host/path` must stay a path.
    return target.startsWith('/') ? new URL(`http://gateway.local${target}`) : new URL(target);
  } catch {
    return new URL('http://gateway.local/\u0000invalid-target');
  }
}

function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
