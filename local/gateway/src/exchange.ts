import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { readBodyWithLimit } from './body';
import type { ApiDefinition, OperationDefinition, SubscriptionConfig } from './config';
import type { HeaderBag } from './headers';
import type { Statement } from './policy';

/** What one request carries through the gateway's flow: the request, what policies learned, the body's state. */
export interface Exchange {
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

export interface Route {
  readonly api: ApiDefinition;
  readonly operation?: OperationDefinition;
  readonly remainder: string;
}

/** The response on its way out: outbound and on-error policies change it before it is sent. */
export interface PendingResponse {
  status: number;
  reason?: string;
  headers: HeaderBag;
  body: Buffer | Readable;
}

/** Ends the inbound/backend/outbound flow with a response. `error` responses go through on-error. */
export class Stop extends Error {
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

export type CorsStatement = Extract<Statement, { kind: 'cors' }>;

export function matchRoute(
  apis: readonly ApiDefinition[],
  method: string,
  pathname: string,
): Route | undefined {
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

export function isPreflight(request: IncomingMessage): boolean {
  return (
    request.method === 'OPTIONS' &&
    request.headers.origin !== undefined &&
    request.headers['access-control-request-method'] !== undefined
  );
}

export function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function applyQuery(
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

/** The request target as a URL: origin-form (`/path?query`) or absolute-form; an unparseable one matches no API (404). */
export function parseTarget(target: string): URL {
  try {
    // Concatenation, not `new URL(target, base)`: a target like `//host/path` must stay a path.
    return target.startsWith('/') ? new URL(`http://gateway.local${target}`) : new URL(target);
  } catch {
    return new URL('http://gateway.local/\u0000invalid-target');
  }
}

export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Buffers the request body into the exchange, up to `limit` bytes. Two policies read it whole
 * (validate-content, then forward-request when nothing did before) and answer a body past their limit
 * differently, so the caller builds that Stop; a client hanging up mid-body gets APIM's
 * ClientConnectionFailure from whichever policy was reading (`source`).
 */
export async function bufferBody(
  exchange: Exchange,
  limit: number,
  source: string,
  tooLarge: () => Stop,
): Promise<void> {
  const result = await readBodyWithLimit(exchange.request, limit);
  if (result.kind === 'aborted') {
    exchange.bodyState = 'aborted';
    throw new Stop(400, 'The client closed the connection while sending the body.', {
      source,
      reason: 'ClientConnectionFailure',
    });
  }
  if (result.kind === 'too-large') {
    exchange.bodyState = 'overflow';
    exchange.bytesIn = result.bytesRead;
    throw tooLarge();
  }
  exchange.body = result.body;
  exchange.bodyState = 'buffered';
  exchange.bytesIn = result.body.length;
}
