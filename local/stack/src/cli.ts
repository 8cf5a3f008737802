#!/usr/bin/env node
// The local stack: `npm start` (start everything, replay the sample, print a summary and the dashboard
// URL, run until Ctrl-C), `npm run stack` (start without replaying), `npm run replay -- <producer
// options>` (replay into a running stack). In CI (CI=true) or with --exit, `start` stops after the summary.
import { parseArgs } from 'node:util';
import { ingestUrl } from '@pipeline/schemas';
import { paths } from './paths';
import { unsupportedPlatformMessage } from './platform';
import { eventHubsTlsPortFromEnvironment, portsFromEnvironment } from './ports';
import { startStack, type RunningStack } from './launcher';
import { replayIntoStack } from './replay';
import { replayCommand } from './replay-command';

const USAGE = `usage: stack <start|stack> [--host local|func] [--in-memory] [--debug] [--exit] [--data <dir>]
       stack replay [producer replay options]

  start   start every service, replay the bundled sample, print a summary; runs until Ctrl-C
  stack   start every service without replaying; runs until Ctrl-C

  --host func   run the app in Azure Functions Core Tools (\`func start\`, must be on PATH) instead of
                the local functions host, with a generated functions/dist/package/local.settings.json
  --debug       echo every service's log to the terminal, and log each request Azurite serves
  replay  replay into the running stack through the gateway (default input: the bundled sample;
          see \`node producer/dist/src/cli.js replay --help\` for the options)

Ports: GATEWAY_PORT (7070), FUNCTIONS_PORT (7071), AZURITE_BLOB_PORT (10000), COSMOS_PORT (8081),
EVENTHUBS_PORT (5672), EVENTHUBS_TLS_PORT (5671). Logs of every service: <data>/logs/. --exit (or CI=true) stops after the summary.`;

async function main(): Promise<number> {
  // First, before any argument: in a Windows terminal nothing below would work, and this says why.
  const unsupported = unsupportedPlatformMessage(process.platform);
  if (unsupported) {
    process.stderr.write(`✗ ${unsupported}\n`);
    return 1;
  }
  if (process.argv[2] === 'replay') {
    const dataIndex = process.argv.indexOf('--data');
    const dataDir = dataIndex > 0 ? process.argv[dataIndex + 1]! : paths.dataDir;
    const rest = process.argv.slice(3).filter((_, i, all) => all[i] !== '--data' && all[i - 1] !== '--data');
    return replayCommand(rest, dataDir);
  }
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'in-memory': { type: 'boolean', default: false },
      debug: { type: 'boolean', default: false },
      exit: { type: 'boolean', default: false },
      data: { type: 'string', default: paths.dataDir },
      host: { type: 'string', default: 'local' },
      help: { type: 'boolean', default: false },
    },
  });
  const command = positionals[0] ?? 'start';
  if (values.help || !['start', 'stack'].includes(command)) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (values.host !== 'local' && values.host !== 'func') {
    process.stderr.write(`✗ --host must be "local" or "func", not "${values.host}"\n`);
    return 2;
  }
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const began = Date.now();
  let stack: RunningStack;
  try {
    stack = await startStack({
      ports: portsFromEnvironment(),
      eventHubsTlsPort: eventHubsTlsPortFromEnvironment(),
      functionsHost: values.host,
      dataDir: values.data,
      inMemory: values['in-memory'],
      appEntry: paths.functionsApp,
      policiesDir: paths.policiesDir,
      debug: values.debug,
      say,
    });
  } catch (error) {
    process.stderr.write(`✗ ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  say(`All services ready in ${((Date.now() - began) / 1000).toFixed(1)} s. Logs: ${values.data}/logs/`);

  let exitCode = 0;
  if (command === 'start') {
    try {
      const summary = await replayIntoStack(stack, { input: paths.sampleEvents, say });
      if (summary.missing > 0 || summary.failed > 0) exitCode = 1;
    } catch (error) {
      process.stderr.write(`✗ replay failed: ${error instanceof Error ? error.message : String(error)}\n`);
      exitCode = 1;
    }
  }
  // The key travels in the URL fragment, which the browser never sends to a server (DASH-1).
  say(`Dashboard: ${stack.urls.dashboard}#key=${stack.secrets.functionKey}`);
  say(`Ingest API (through the gateway, as through API Management): ${ingestUrl(stack.urls.ingest)}`);
  say(`Functions host: ${stack.urls.functions}  (keys and credentials in ${values.data}/secrets.json)`);

  if (values.exit || process.env.CI === 'true') {
    await stack.stop();
    return exitCode;
  }
  say('Running. Press Ctrl-C to stop every service.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  say('Stopping...');
  await stack.stop();
  say('Stopped.');
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
