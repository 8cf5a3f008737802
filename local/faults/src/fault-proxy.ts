import { createServer, connect, type Server, type Socket } from 'node:net';
import { sleep } from '@pipeline/emulators';

/**
 * A TCP proxy on loopback in front of one store, which can make the store "go away": while down it
 * does not listen (new connections are refused, as from a stopped server) and it has reset every open
 * connection; back up, it listens on the same port again. The store itself keeps running, so an
 * in-memory emulator (the Cosmos DB server) keeps its data through the outage.
 */
export class FaultProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #connections = 0;

  private constructor(
    private readonly host: string,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }, host = '127.0.0.1'): Promise<FaultProxy> {
    const proxy = new FaultProxy(host, target);
    await proxy.up();
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  get isUp(): boolean {
    return this.#server !== undefined;
  }

  /** Connections proxied so far (each reconnect after an outage counts). */
  get connections(): number {
    return this.#connections;
  }

  /** Listens again (on the port it had, or a free one the first time). */
  async up(): Promise<void> {
    if (this.#server) return;
    const server = createServer((client) => this.#pipe(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Stops listening and resets every open connection: clients see the store as down. */
  async down(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
    await closed;
  }

  /** Down for `ms`, then up again. */
  async outage(ms: number): Promise<void> {
    await this.down();
    await sleep(ms);
    await this.up();
  }

  async stop(): Promise<void> {
    await this.down();
  }

  #pipe(client: Socket): void {
    this.#connections++;
    const upstream = connect(this.target.port, this.target.host);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const forget = () => {
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget).on('close', forget);
    upstream.on('error', forget).on('close', forget);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
