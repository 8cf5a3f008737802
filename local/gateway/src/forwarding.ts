import type { IncomingMessage } from 'node:http';
import { Agent } from 'undici';
import { bufferBody, hasBody, Stop, type Exchange, type PendingResponse } from './exchange';
import { HeaderBag, HOP_BY_HOP } from './headers';
import type { TierLimits } from './tiers';

/** Backend responses up to this size are read whole before being relayed. */
const SMALL_RESPONSE_BYTES = 64 * 1024;

/** forward-request: sends the exchange to its backend over one keep-alive pool and shapes the answer. */
export class Forwarder {
  readonly #agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });

  constructor(
    private readonly limits: TierLimits,
    /** The tier's total request duration in ms (Infinity when it has none). */
    private readonly totalMs: number,
    private readonly logger: (line: object) => void,
  ) {}

  async forward(exchange: Exchange, timeoutSeconds: number): Promise<PendingResponse> {
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
    const body = await this.requestBody(exchange, headers);
    // The backend gets what is left of the tier's total request duration, or the forward-request
    // timeout when that is shorter (https://learn.microsoft.com/azure/api-management/forward-request-policy).
    const leftMs = this.totalMs - (performance.now() - exchange.started);
    const timeoutMs = Math.max(1, Math.min(timeoutSeconds * 1000, leftMs));
    const began = performance.now();
    try {
      const result = await this.#agent.request({
        origin: target.origin,
        path: target.pathname + target.search,
        method: exchange.request.method ?? 'GET',
        headers: headers.toRecord(),
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      exchange.backendMs = performance.now() - began;
      return await backendResponse(result);
    } catch (error) {
      exchange.backendMs = performance.now() - began;
      this.logger({
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

  close(): Promise<void> {
    return this.#agent.close();
  }

  /** The body to send on: buffered (a chunked one is buffered first), streamed, or none; sets its length. */
  private async requestBody(
    exchange: Exchange,
    headers: HeaderBag,
  ): Promise<Buffer | IncomingMessage | undefined> {
    const length = exchange.headers.first('Content-Length');
    if (exchange.bodyState === 'unread' && hasBody(exchange.request) && length === undefined) {
      // A chunked body is buffered and forwarded with a Content-Length: the Functions host passes a
      // body on only when Content-Length > 0 (azure-functions-host, GrpcMessageConversionExtensions
      // .ToRpcHttp; issue #7930), so a chunked request would reach the function empty.
      await this.bufferBody(exchange);
    }
    if (exchange.bodyState === 'buffered') {
      // undici sets the length of a Buffer body itself; stated here so the intent is visible.
      headers.set('Content-Length', [String(exchange.body?.length ?? 0)]);
      return exchange.body;
    }
    if (hasBody(exchange.request)) {
      exchange.bodyState = 'streamed';
      headers.set('Content-Length', [length!]);
      exchange.request.on('data', (chunk: Buffer) => (exchange.bytesIn += chunk.length));
      return exchange.request;
    }
    return undefined;
  }

  /**
   * Reads a body of unknown length into memory, up to the tier's buffered payload limit. Past it the
   * request gets 413: the limits table documents the ceiling but not APIM's answer, so this is the
   * gateway's choice (HTTP's status for a body too large, in APIM's error body).
   */
  private async bufferBody(exchange: Exchange): Promise<void> {
    const limit = this.limits.bufferedPayloadBytes;
    await bufferBody(
      exchange,
      limit,
      'forward-request',
      () =>
        new Stop(
          413,
          `Request's body is more than ${limit} bytes long and it exceeds the buffered payload limit of ${limit} bytes.`,
          { source: 'forward-request', reason: 'BufferedPayloadLimit' },
        ),
    );
  }
}

type BackendResult = Awaited<ReturnType<Agent['request']>>;

async function backendResponse(result: BackendResult): Promise<PendingResponse> {
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
}
