import { createServer, type Server } from 'node:net';
import { assertPortsFree, portsFromEnvironment } from '../src/ports';

describe('ports', () => {
  it('fails fast naming the service and the port when a port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const ports = { ...portsFromEnvironment({}), cosmos: taken };
      // Only the taken port matters for this assertion; probe it alone.
      await expect(assertPortsFree('127.0.0.1', { cosmos: ports.cosmos } as typeof ports)).rejects.toThrow(
        `Port ${taken} for the Cosmos DB emulator is already in use on 127.0.0.1. Stop whatever uses it, or set COSMOS_PORT to another port.`,
      );
    } finally {
      blocker.close();
    }
  });
});
