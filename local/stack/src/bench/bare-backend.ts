// A bare Node HTTP server answering 202 to everything, in its own process like every service of the
// stack: the ceiling of "HTTP in, 202 out" on this machine, and the backend behind the gateway ceiling.
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareBackend {
  /** Base URL; any path answers 202. */
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

function serve(): void {
  const body = '{"accepted":0,"ids":[]}';
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
  // Dies with the bench: the parent's IPC channel closing means it is gone.
  process.on('disconnect', () => process.exit(0));
}

export function startBareBackend(): Promise<BareBackend> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bare backend exited with ${code}`)));
    child.once('message', (message: { port: number }) =>
      resolve({
        url: `http://127.0.0.1:${message.port}/api`,
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill();
          }),
      }),
    );
  });
}

if (require.main === module && process.argv.includes('--serve')) serve();
