import { createServer, connect } from 'node:tls';
import { createSelfSignedCertificate } from '../src/self-signed';

describe('a self-signed loopback certificate', () => {
  const cert = createSelfSignedCertificate({
    commonName: 'Local test',
    altNames: ['127.0.0.1', '::1', 'localhost'],
  });

  it('a TLS client that trusts it completes the handshake', async () => {
    const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (socket) => socket.end('hi'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const text = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, ca: cert.certPem }, () => undefined);
        let got = '';
        socket.on('data', (chunk: Buffer) => (got += chunk.toString()));
        socket.on('end', () => resolve(got));
        socket.on('error', reject);
      });
      expect(text).toBe('hi');
    } finally {
      server.close();
    }
  });
});
