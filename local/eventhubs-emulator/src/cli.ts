#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from './config';
import { startEmulator, type RunningEmulator } from './index';
import type { LogLevel } from './log';

const USAGE = `Usage: eventhubs-emulator [options]

A local Event Hubs emulator (AMQP 1.0 on plain TCP) for the @azure/event-hubs SDK with
a connection string ending in ;UseDevelopmentEmulator=true.

Options:
  --config <file>     JSON config (hubs, partitions, consumer groups, retention); default:
                      hub "tweets", 2 partitions, $Default, 24 h
  --data <dir>        keep partition logs in this folder; default: in memory
  --port <n>          TCP port (default 5672; 0 = any free port)
  --host <addr>       interface (default 127.0.0.1)
  --log-level <lvl>   error | warn | info | debug (default info)
  -h, --help          this text

Logs are JSON lines on stderr. SIGTERM or SIGINT stops it gracefully.`;

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** Parses argv into options, or returns the error to print. */
export function parseCli(
  argv: readonly string[],
):
  | { help: true }
  | { help: false; port: number; host: string; config?: string; dataDir?: string; logLevel: LogLevel }
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
  return {
    help: false,
    port,
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
    emulator = await startEmulator(parsed);
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
