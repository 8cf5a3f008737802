import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegisteredFunction, Registry } from './core-module';
import type { RpcHttpData, RpcTypedData } from './core-types';
import { failureResponse } from './http-failure';
import { declaredLength, forwardsBody, rpcHeaders, rpcQuery } from './http-request';
import { fromTypedData, invokeFunction, InvocationError, outputValues } from './invoke';
import { errorText, type HostLogger } from './logger';
import type { OutputBinding } from './outputs';

/** Azure's default request size limit (`maxRequestLength`, 100 MB). */
export const DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024;

export interface HttpRoute {
  readonly fn: RegisteredFunction;
  readonly triggerName: string;
  readonly returnName: string | undefined;
  /** Upper-case methods; undefined accepts every method. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly authLevel: 'anonymous' | 'function' | 'admin';
  readonly template: RouteTemplate;
  readonly outputs: readonly OutputBinding[];
}

type Segment =
  { kind: 'literal'; text: string } | { kind: 'param'; name: string; optional: boolean; catchAll: boolean };

export interface RouteTemplate {
  readonly text: string;
  readonly segments: readonly Segment[];
  /** Literal segments count first when several routes match, as in ASP.NET routing. */
  readonly literalCount: number;
}

/** Parses a Functions route template: `events`, `items/{id}`, `files/{name?}`, `blobs/{*path}`, `{id:int}`. */
export function parseRouteTemplate(text: string): RouteTemplate {
  const segments: Segment[] = text
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .filter(Boolean)
    .map((part) => {
      const param = /^\{(\*)?([A-Za-z_][\w]*)(?::[^}?]*)?(\?)?\}$/.exec(part);
      if (!param) return { kind: 'literal', text: part.toLowerCase() };
      return { kind: 'param', name: param[2]!, optional: Boolean(param[3]), catchAll: Boolean(param[1]) };
    });
  return { text, segments, literalCount: segments.filter((s) => s.kind === 'literal').length };
}

export function matchRoute(
  template: RouteTemplate,
  pathSegments: readonly string[],
): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  let i = 0;
  for (const segment of template.segments) {
    if (segment.kind === 'literal') {
      if (pathSegments[i]?.toLowerCase() !== segment.text) return undefined;
      i++;
    } else if (segment.catchAll) {
      params[segment.name] = pathSegments.slice(i).join('/');
      i = pathSegments.length;
    } else if (pathSegments[i] !== undefined) {
      params[segment.name] = pathSegments[i]!;
      i++;
    } else if (!segment.optional) return undefined;
  }
  return i === pathSegments.length ? params : undefined;
}

export interface HttpDispatcherOptions {
  readonly registry: Registry;
  readonly routes: readonly HttpRoute[];
  readonly routePrefix: string;
  readonly functionKeys: Readonly<Record<string, string>>;
  readonly maxRequestBytes: number;
  readonly logger: HostLogger;
  readonly baseUrl: () => string;
  /** A JSON body with the error in a failed invocation's 500 (Azure's 500 is empty). Default false. */
  readonly errorDetails?: boolean;
}

class PayloadTooLarge extends Error {}

/**
 * Serves HTTP triggers as the Functions host does: `/<routePrefix>/<route>`, the methods each function
 * registered (others: 404, as the host's route constraint), the key check `authLevel: function` implies,
 * the request size limit (413), the request handed over as the real host converts it (body only with
 * Content-Length > 0, repeated query keys and headers joined by `,`: see http-request.ts), the handler's
 * HttpResponseInit mapped back (status, headers, cookies, body), output bindings applied before
 * answering, and an empty 500 when the invocation fails (see http-failure.ts).
 */
export function createHttpDispatcher(options: HttpDispatcherOptions) {
  const { logger } = options;
  const prefix = options.routePrefix ? options.routePrefix.toLowerCase().split('/') : [];
  const routes = [...options.routes].sort((a, b) => b.template.literalCount - a.template.literalCount);

  return async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const url = requestUrl(req, options.baseUrl());
    const method = (req.method ?? 'GET').toUpperCase();
    const segments = url.pathname.split('/').filter(Boolean).map(safeDecode);
    const matched =
      segments
        .slice(0, prefix.length)
        .map((s) => s.toLowerCase())
        .join('/') === prefix.join('/')
        ? findRoute(routes, segments.slice(prefix.length), method)
        : undefined;
    if (!matched) {
      drain(req);
      logger.debug(`${method} ${url.pathname} 404 (no function)`);
      return send(res, 404, {});
    }
    const { route, params } = matched;
    const name = route.fn.metadata.name;
    if (!authorized(route, name, req, url, options.functionKeys)) {
      drain(req);
      logger.info(
        `Rejected 'Functions.${name}' ${method} ${url.pathname} 401 (missing or wrong function key)`,
      );
      return send(res, 401, {});
    }
    const contentLength = singleHeader(req.headers['content-length']);
    let body: Buffer | undefined;
    try {
      if (forwardsBody(contentLength)) body = await readBody(req, options.maxRequestBytes);
      else discardBody(req, res, options.maxRequestBytes);
    } catch (error) {
      if (error instanceof PayloadTooLarge) {
        logger.info(
          `Rejected 'Functions.${name}' ${method} ${url.pathname} 413 (body over ${options.maxRequestBytes} bytes)`,
        );
        res.setHeader('connection', 'close');
        send(res, 413, {});
        req.destroy();
        return;
      }
      logger.warn(`${method} ${url.pathname}: reading the request failed: ${errorText(error)}`);
      return send(res, 400, {});
    }
    let invocationId = '-';
    try {
      const http: RpcHttpData = {
        method,
        url: url.toString(),
        headers: rpcHeaders(req.headersDistinct),
        query: rpcQuery(url.search),
        params,
        // Without a forwarded body the real host leaves RpcHttp.body unset: the handler sees no body.
        ...(body ? { body: { bytes: body } } : {}),
      };
      const result = await invokeFunction(
        options.registry,
        route.fn,
        { inputData: [{ name: route.triggerName, data: { http } }], triggerMetadata: {} },
        logger,
      );
      invocationId = result.invocationId;
      const produced = outputValues(result.response);
      for (const output of route.outputs) await output.apply(fromTypedData(produced.get(output.name)));
      const response = route.returnName ? produced.get(route.returnName)?.http : undefined;
      const status = writeResponse(res, response);
      logger.info(
        `Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms) ${method} ${url.pathname} ${status}`,
      );
    } catch (error) {
      if (error instanceof InvocationError) invocationId = error.invocationId;
      const cause = error instanceof InvocationError ? error.cause : error;
      logger.error(
        `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms) ${method} ${url.pathname} 500: ${cause instanceof Error && cause.stack ? cause.stack : errorText(cause)}`,
      );
      if (!res.headersSent) {
        const failure = failureResponse(invocationId, cause, options.errorDetails ?? false);
        send(res, failure.status, failure.headers, failure.body);
      } else res.destroy();
    }
  };
}

/** The URL the client asked for (its Host header, as Azure reports it), or the host's own address. */
function requestUrl(req: IncomingMessage, fallbackBase: string): URL {
  const path = req.url ?? '/';
  try {
    if (req.headers.host) return new URL(path, `http://${req.headers.host}`);
  } catch {
    // an unusable Host header: fall back to the address the host listens on
  }
  return new URL(path, fallbackBase);
}

function findRoute(routes: readonly HttpRoute[], segments: string[], method: string) {
  for (const route of routes) {
    if (route.methods && !route.methods.has(method)) continue;
    const params = matchRoute(route.template, segments);
    if (params) return { route, params };
  }
  return undefined;
}

function authorized(
  route: HttpRoute,
  name: string,
  req: IncomingMessage,
  url: URL,
  keys: Readonly<Record<string, string>>,
): boolean {
  if (route.authLevel === 'anonymous') return true;
  const header = req.headers['x-functions-key'];
  const given = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? '';
  if (!given) return false;
  const accepted = route.authLevel === 'admin' ? [keys._master] : [keys._master, keys.default, keys[name]];
  return accepted.some((key) => key !== undefined && key !== '' && sameSecret(key, given));
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(singleHeader(req.headers['content-length']));
  if (declared !== undefined && declared > limit) return Promise.reject(new PayloadTooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(new PayloadTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks, total)));
    req.once('error', reject);
  });
}

/**
 * A body the real host does not forward (chunked, or no Content-Length) is never read before the
 * function runs; Kestrel discards it afterwards and closes the connection once more than the request
 * size limit arrives. Here it is discarded as it arrives, with the same limit.
 */
function discardBody(req: IncomingMessage, res: ServerResponse, limit: number): void {
  let total = 0;
  const onData = (chunk: Buffer) => {
    total += chunk.length;
    if (total <= limit) return;
    req.off('data', onData);
    // Close gently once the answer is out (a reset could discard the answer at the client).
    if (!res.headersSent) res.setHeader('connection', 'close');
    else if (res.writableFinished) req.socket.end();
    else res.once('finish', () => req.socket.end());
  };
  req.on('data', onData);
}

function writeResponse(res: ServerResponse, http: RpcHttpData | null | undefined): number {
  // A handler that returns no response: an empty 200.
  const status = Number(http?.statusCode ?? 200) || 200;
  for (const [key, value] of Object.entries(http?.headers ?? {})) res.setHeader(key, value);
  const cookies = (http?.cookies ?? []) as { name?: string; value?: string }[];
  if (cookies.length > 0)
    res.setHeader(
      'set-cookie',
      cookies.map((c) => `${c.name ?? ''}=${c.value ?? ''}`),
    );
  const body = bodyBytes(http?.body);
  res.statusCode = status;
  res.end(body);
  return status;
}

function bodyBytes(data: RpcTypedData | null | undefined): Buffer {
  const value = fromTypedData(data);
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body = ''): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function drain(req: IncomingMessage): void {
  req.resume();
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
