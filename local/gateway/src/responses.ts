import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { FixedWindowQuota } from './counters';
import { drainBody, rejectedBodyPlan } from './drain';
import { hasBody, Stop, type Exchange, type PendingResponse } from './exchange';
import { HeaderBag } from './headers';
import type { Statement } from './policy';

/** APIM's error body: https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies */
interface ApimError {
  readonly statusCode: number;
  readonly message: string;
}

export const JSON_TYPE = 'application/json; charset=utf-8';

export function returnResponse(statement: Extract<Statement, { kind: 'return-response' }>): Stop {
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

/** The response a Stop stands for: its own body (return-response), or APIM's JSON error body. */
export function stopResponse(stop: Stop): PendingResponse {
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

/** Runs the on-error section over the error response. */
export function runOnError(
  statements: readonly Statement[],
  pending: PendingResponse,
): Promise<PendingResponse> {
  let current = pending;
  for (const statement of statements) current = runResponseStatement(statement, current);
  return Promise.resolve(current);
}

/** One outbound or on-error statement over the response on its way out. */
export function runResponseStatement(statement: Statement, pending: PendingResponse): PendingResponse {
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

/**
 * Writes the response, decides what happens to an unread request body (drain or close), counts the
 * bytes against the quotas that asked for them, and logs the request line.
 */
export async function send(
  exchange: Exchange,
  response: ServerResponse,
  pending: PendingResponse,
  quota: FixedWindowQuota,
  logger: (line: object) => void,
): Promise<void> {
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
  const bytesOut = await write(exchange, response, pending, headers);
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

/** Writes status, headers and body; resolves with the body bytes sent (0 when the client went away). */
async function write(
  exchange: Exchange,
  response: ServerResponse,
  pending: PendingResponse,
  headers: HeaderBag,
): Promise<number> {
  let bytesOut = 0;
  try {
    if (Buffer.isBuffer(pending.body)) {
      headers.set('Content-Length', [String(pending.body.length)]);
      response.writeHead(pending.status, pending.reason ?? STATUS_CODES[pending.status], headers.toRecord());
      response.end(pending.body);
      bytesOut = pending.body.length;
    } else {
      response.writeHead(pending.status, pending.reason ?? STATUS_CODES[pending.status], headers.toRecord());
      bytesOut = await relay(pending.body, response);
    }
  } catch (error) {
    exchange.errorInfo ??= { source: 'client', reason: 'ClientConnectionFailure' };
    response.destroy();
    void error;
  }
  return bytesOut;
}

/** Answers a request Node could not parse (headers too long, too slow) with APIM's error body, or drops it. */
export function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Socket,
  logger: (line: object) => void,
): void {
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
}

/** The last resort for an error the flow did not turn into a response: a 500, or a cut connection. */
export function answerUnhandled(
  error: unknown,
  response: ServerResponse,
  logger: (line: object) => void,
): void {
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

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
