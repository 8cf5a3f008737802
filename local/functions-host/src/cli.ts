#!/usr/bin/env node
// The local Functions host as a process: `node local/functions-host/dist/src/cli.js --app <entry>
// --settings <local.settings.json> [--port 7071] [--host 127.0.0.1] [--host-json <path>]
// [--max-request-bytes <n>] [--scale-group http|function:<name>] [--error-details] [--debug]`. Stops gracefully on SIGTERM/SIGINT.
// `--error-details` (or FUNCTIONS_HOST_ERROR_DETAILS=1) puts the error in a failed invocation's 500;
// by default the 500 is empty, as in Azure. `--scale-group` runs one Flex Consumption scale group's
// functions only, as one of its instances does (scale-groups.ts); without it, every function runs.
import { parseArgs } from 'node:util';
import { startFunctionsHost } from './host';
import { ERROR_DETAILS_ENV, errorDetailsFromEnv } from './http-failure';
import { consoleLogger, errorText } from './logger';

const USAGE =
  'usage: functions-host --app <entry.js> --settings <local.settings.json> [--port 7071] [--host 127.0.0.1] [--host-json <path>] [--max-request-bytes <n>] [--scale-group http|function:<name>] [--error-details] [--debug]';

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      app: { type: 'string' },
      settings: { type: 'string' },
      port: { type: 'string', default: '7071' },
      host: { type: 'string', default: '127.0.0.1' },
      'host-json': { type: 'string' },
      'max-request-bytes': { type: 'string' },
      'scale-group': { type: 'string' },
      debug: { type: 'boolean', default: false },
      'error-details': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return { help: true as const };
  if (!values.app || !values.settings) return { error: `--app and --settings are required\n${USAGE}` };
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return { error: `--port must be 0-65535\n${USAGE}` };
  const maxRequestBytes =
    values['max-request-bytes'] === undefined ? undefined : Number(values['max-request-bytes']);
  if (maxRequestBytes !== undefined && (!Number.isInteger(maxRequestBytes) || maxRequestBytes < 1))
    return { error: `--max-request-bytes must be a positive integer\n${USAGE}` };
  return {
    options: {
      appEntry: values.app,
      settings: values.settings,
      port,
      host: values.host,
      debug: values.debug,
      ...(values['error-details'] || errorDetailsFromEnv(env[ERROR_DETAILS_ENV])
        ? { errorDetails: true }
        : {}),
      ...(values['host-json'] ? { hostJson: values['host-json'] } : {}),
      ...(maxRequestBytes ? { maxRequestBytes } : {}),
      ...(values['scale-group'] ? { scaleGroup: values['scale-group'] } : {}),
    },
  };
}

async function main(): Promise<void> {
  const parsed = parseCliArgs(process.argv.slice(2), process.env);
  if ('help' in parsed) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if ('error' in parsed) {
    process.stderr.write(`${parsed.error}\n`);
    process.exit(2);
  }
  const logger = consoleLogger({ debug: parsed.options.debug });
  let host: Awaited<ReturnType<typeof startFunctionsHost>>;
  try {
    host = await startFunctionsHost({ ...parsed.options, logger });
  } catch (error) {
    logger.error(errorText(error));
    process.exit(1);
  }
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(130); // a second Ctrl-C: do not wait
    logger.info(`${signal}: stopping (finishing invocations in flight)`);
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`stop failed: ${errorText(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) void main();
