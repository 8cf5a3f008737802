import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the test server saw it. */
export interface Received {
  readonly at: number;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** The ids of the posted events, in order (when the body was a JSON array of events). */
  readonly ids: string[];
}

export type Handler = (request: Received, response: ServerResponse, socket: Socket) => void | Promise<void>;

/** A real HTTP server on an ephemeral loopback port whose answers each test scripts. */
export class TestServer {
  readonly received: Received[] = [];
  handler: Handler = accept;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  async start(): Promise<string> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let ids: string[] = [];
        try {
          const parsed = JSON.parse(body) as unknown;
          ids = (Array.isArray(parsed) ? parsed : [parsed]).map((e) => String((e as { id?: unknown }).id));
        } catch {
          ids = [];
        }
        const received: Received = {
          at: performance.now(),
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body,
          ids,
        };
        this.received.push(received);
        void Promise.resolve(this.handler(received, res, req.socket)).catch((error: unknown) => {
          res.statusCode = 500;
          res.end(String(error));
        });
      });
    });
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  reset(handler: Handler = accept): void {
    this.received.length = 0;
    this.handler = handler;
  }
}

/** The ingest API's 202. */
export function accept(request: Received, response: ServerResponse): void {
  json(response, 202, { accepted: request.ids.length, ids: request.ids });
}

export function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}
