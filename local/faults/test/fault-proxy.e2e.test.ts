import { createServer, request, Agent, type Server } from 'node:http';
import { FaultProxy } from '../src/fault-proxy';

let backend: Server;
let backendPort: number;
let proxy: FaultProxy;

beforeAll(async () => {
  backend = createServer((_req, res) => res.end('pong'));
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendPort = (backend.address() as { port: number }).port;
  proxy = await FaultProxy.start({ host: '127.0.0.1', port: backendPort });
});

afterAll(async () => {
  await proxy.stop();
  await new Promise((resolve) => backend.close(resolve));
});

function get(port: number, agent?: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/', agent: agent ?? false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

it('forwards to the store while up', async () => {
  expect(await get(proxy.port)).toBe('pong');
});

it('refuses new connections while down and serves again on the same port afterwards', async () => {
  const port = proxy.port;
  await proxy.down();
  expect(proxy.isUp).toBe(false);
  await expect(get(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  await proxy.up();
  expect(proxy.port).toBe(port);
  expect(await get(port)).toBe('pong');
});

it('resets kept-alive connections when it goes down, as a crashed store would', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  expect(await get(proxy.port, agent)).toBe('pong');
  const before = proxy.connections;
  const socketClosed = new Promise<void>((resolve) => {
    const sockets = Object.values(agent.freeSockets).flat();
    expect(sockets).toHaveLength(1);
    sockets[0]!.once('close', () => resolve());
  });
  await proxy.outage(50);
  await socketClosed;
  expect(await get(proxy.port, agent)).toBe('pong');
  expect(proxy.connections).toBe(before + 1);
  agent.destroy();
});
