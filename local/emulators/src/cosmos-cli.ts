#!/usr/bin/env node
// Runs the Cosmos DB server as its own process, so the local stack can stop or kill it independently
// (fault tests take it away for a while). Usage: cosmos-emulator [--host 127.0.0.1] [--port 8081]
import { parseArgs } from 'node:util';
import { startCosmos } from './cosmos';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '8081' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be an integer from 0 to 65535; got ${values.port}`);
  const cosmos = await startCosmos({ host: values.host, port });
  // The launcher waits for this exact line.
  console.log(`Cosmos DB emulator listening on ${cosmos.endpoint}`);
  const stop = () => void cosmos.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop).once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
