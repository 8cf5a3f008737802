#!/usr/bin/env node
/**
 * The local API gateway: enforces the APIM policy files in front of the functions host.
 *
 *   node local/gateway/dist/src/cli.js [--port 7070] [--host 127.0.0.1] [--backend http://127.0.0.1:7071/api]
 *                                     [--policies policies] [--config local/.data/gateway.local.json]
 *                                     [--tier Consumption] [--check]
 *
 * --config names the local named-values/subscriptions file; it is created with random secrets when
 * missing. --check compiles the policy files and exits (non-zero with file:line on an error). A change
 * to --config's subscriptions or products takes effect without a restart: the gateway notices the file
 * changing (on every system, within CONFIG_POLL_MS) and also re-reads it on SIGHUP (Linux, macOS).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { functionsBaseUrl } from '@pipeline/schemas';
import { loadOrCreateLocalGatewayConfig } from './config';
import { startGateway } from './gateway';
import { reloadOnChange } from './reload';
import { PolicyError } from './xml';

const repoRoot = resolve(__dirname, '../../../..');

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.GATEWAY_PORT ?? '7070' },
      host: { type: 'string', default: '127.0.0.1' },
      backend: {
        type: 'string',
        default: functionsBaseUrl(`http://127.0.0.1:${process.env.FUNCTIONS_PORT ?? '7071'}`),
      },
      policies: { type: 'string', default: resolve(repoRoot, 'policies') },
      config: { type: 'string', default: resolve(repoRoot, 'local/.data/gateway.local.json') },
      tier: { type: 'string', default: 'Consumption' },
      check: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      'usage: cli.js [--port N] [--host H] [--backend URL] [--policies DIR] [--config FILE] [--tier TIER] [--check]\n',
    );
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be 0..65535, got ${values.port}\n`);
    return 2;
  }
  const configPath = resolve(values.config);
  const config = loadOrCreateLocalGatewayConfig(configPath);
  const gateway = await startGateway({
    host: values.host,
    port: values.check ? 0 : port,
    policiesDir: resolve(values.policies),
    backendUrl: values.backend,
    namedValues: config.namedValues,
    subscriptions: config.subscriptions,
    ...(config.products ? { products: config.products } : {}),
    tier: values.tier,
  });
  if (values.check) {
    await gateway.stop();
    process.stderr.write(
      `policies in ${values.policies} compile for the ${values.tier} tier${gateway.warnings.length ? ` with ${gateway.warnings.length} warning(s)` : ''}\n`,
    );
    return 0;
  }
  const l = gateway.limits;
  process.stderr.write(
    `${l.tier} tier limits: bodies validated up to ${l.validateContentBodyBytes} bytes, buffered up to ${l.bufferedPayloadBytes} bytes, ` +
      `total request duration ${l.totalRequestSeconds === null ? 'unlimited' : `${l.totalRequestSeconds} s`}, rate limit by ${l.rateLimitAlgorithm} ` +
      `(sources: schemas/src/apim-tiers.ts)\n`,
  );
  const reloader = reloadOnChange({
    file: configPath,
    gateway,
    initial: config,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.on('SIGHUP', () => reloader.reload('SIGHUP'));
  // Announced only now: a parent that reads this line may send SIGHUP at once, and a SIGHUP before the
  // handler exists would end the process (its default action).
  process.stderr.write(
    `gateway listening on ${gateway.url}, forwarding to ${values.backend}; config ${configPath}\n`,
  );
  await new Promise<void>((done) => {
    const shutdown = () => {
      reloader.stop();
      void gateway.stop().then(done);
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
  });
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof PolicyError ? 'policy error: ' : ''}${(error as Error).message}\n`,
    );
    process.exitCode = 1;
  },
);
