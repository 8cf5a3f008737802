#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from './config';
import { startEmulator, type RunningEmulator } from './index';
import type { LogLevel } from './log';
import { PIPELINE_NAMES } from '@pipeline/schemas';

const USAGE = `Usage: eventhubs-emulator [options]

A local Event Hubs emulator (AMQP 1.0 on plain TCP) for the @azure/event-hubs SDK with
a connection string ending in ;UseDevelopmentEmulator=true.

Options:
  --config <file>     JSON config (hubs, partitions, consumer groups, retention); default:
                      hub "${PIPELINE_NAMES.eventHub}", 2 partitions, $Default, 24 h
  --data <dir>        keep partition logs in this folder; default: in memory
  --port <n>          TCP port (default 5672; 0 = any free port)
  --host <addr>       interface (default 127.0.0.1)
  --tls-port <n>      also listen for AMQP over TLS (what the SDK uses with a credential
                      instead of a connection string); needs --tls-cert and --tls-key (PEM files)
  --accept-any-key    accept SAS tokens signed with any key (default: only the config's
                      sharedAccessKeys, else RootManageSharedAccessKey / SAS_KEY_VALUE)
  --log-level <lvl>   error | warn | info | debug (default info)
  -h, --help          this text

Logs are JSON lines on stderr. SIGTERM or SIGINT stops it gracefully.`;

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** Parses argv into options, or returns the error to print. */
export function parseCli(argv: readonly string[]):
  | { help: true }
  | {
      help: false;
      port: number;
      host: string;
      config?: string;
      dataDir?: string;
      logLevel: LogLevel;
      acceptAnyKey: boolean;
      tls?: { port: number; certFile: string; keyFile: string };
    }
  | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        data: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'log-level': { type: 'string' },
        'tls-port': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'accept-any-key': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  if (values.help) return { help: true };
  const port = values.port === undefined ? 5672 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return { error: `--port: expected 0..65535, got ${values.port}` };
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!LEVELS.includes(logLevel)) return { error: `--log-level: expected one of ${LEVELS.join(', ')}` };
  let tls: { port: number; certFile: string; keyFile: string } | undefined;
  if (
    values['tls-port'] !== undefined ||
    values['tls-cert'] !== undefined ||
    values['tls-key'] !== undefined
  ) {
    const tlsPort = Number(values['tls-port']);
    if (values['tls-port'] === undefined || !Number.isInteger(tlsPort) || tlsPort < 0 || tlsPort > 65535)
      return { error: `--tls-port: expected 0..65535, got ${values['tls-port']}` };
    if (!values['tls-cert'] || !values['tls-key'])
      return { error: '--tls-port needs --tls-cert <file> and --tls-key <file>' };
    tls = { port: tlsPort, certFile: values['tls-cert'], keyFile: values['tls-key'] };
  }
  return {
    help: false,
    port,
    acceptAnyKey: values['accept-any-key'] ?? false,
    ...(tls ? { tls } : {}),
    host: values.host ?? '127.0.0.1',
    logLevel,
    ...(values.config === undefined ? {} : { config: values.config }),
    ...(values.data === undefined ? {} : { dataDir: values.data }),
  };
}

async function main(): Promise<void> {
  const parsed = parseCli(process.argv.slice(2));
  if ('error' in parsed) {
    process.stderr.write(`eventhubs-emulator: ${parsed.error}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let emulator: RunningEmulator;
  try {
    const { tls, ...rest } = parsed;
    emulator = await startEmulator({
      ...rest,
      ...(tls
        ? {
            tls: {
              port: tls.port,
              cert: readFileSync(tls.certFile, 'utf8'),
              key: readFileSync(tls.keyFile, 'utf8'),
            },
          }
        : {}),
    });
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : (err as Error).message;
    process.stderr.write(`eventhubs-emulator: ${message}\n`);
    process.exitCode = 1;
    return;
  }
  const shutdown = (signal: string) => {
    process.stderr.write(
      `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'stopping', signal })}\n`,
    );
    emulator.stop().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`eventhubs-emulator: error while stopping: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) void main();
