#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { blobContainer, closeClients, cosmosContainer } from '../lib/clients';
import { containers } from '../lib/settings';
import { findRawEvent, RawEventError } from './raw-event';
import { APP_SETTINGS } from '@pipeline/schemas';

export const RAW_USAGE = `Usage: npm run raw -- <event id> [options]
       node functions/dist/src/tools/raw-cli.js <event id> [options]

Prints an event's raw JSON, as the ingest function archived it: its Cosmos DB document names the
request archive (rawBlob, in the raw-events container) and the line (rawLine); the line holds the
event as received, its image as a reference to the images container. Exit 0 found, 1 not found,
2 bad options.

  --original                 put the image's bytes back (fetched by hash, checked), as base64: the
                             event exactly as the producer sent it
  --location                 print only "<rawBlob> <rawLine>"
  --settings <file>          app settings in the local.settings.json format (Values) to read the
                             connections from. Default: the local stack's, local/.data/functions.settings.json
                             (or functions/dist/package/local.settings.json under \`func\`)
  --blob-endpoint <url>      Azure: the data storage account's blob endpoint, e.g.
                             https://st<token>.blob.core.windows.net
  --cosmos-endpoint <url>    Azure: the Cosmos DB account endpoint, e.g. https://cosmos-<token>.documents.azure.com
                             With both endpoints no settings file is read and the calls use
                             DefaultAzureCredential (az login; your principal needs Storage Blob Data
                             Reader and a Cosmos DB data reader role)
  --database <name>          Cosmos DB database (default harvey)
  --container <name>         Cosmos DB container (default events)
  --help                     this text
`;

export interface RawIo {
  readonly argv: readonly string[];
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Where the local stack keeps its settings (the repository root). */
  readonly repoRoot: string;
}

/** The lookup as a function of its arguments, so tests run it in-process; returns the exit code. */
export async function rawCommand(io: RawIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...io.argv],
      allowPositionals: true,
      options: {
        original: { type: 'boolean', default: false },
        location: { type: 'boolean', default: false },
        settings: { type: 'string' },
        'blob-endpoint': { type: 'string' },
        'cosmos-endpoint': { type: 'string' },
        database: { type: 'string' },
        container: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${RAW_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(RAW_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.stderr.write(`expected one event id\n\n${RAW_USAGE}`);
    return 2;
  }
  const configured = configure(io, values);
  if (typeof configured === 'string') {
    io.stderr.write(`${configured}\n`);
    return 2;
  }
  try {
    const found = await findRawEvent(
      positionals[0]!,
      {
        events: cosmosContainer(),
        raw: blobContainer(containers.raw()),
        images: blobContainer(containers.images()),
      },
      { original: values.original },
    );
    io.stdout.write(
      values.location ? `${found.rawBlob} ${found.rawLine}\n` : `${JSON.stringify(found.event, null, 2)}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof RawEventError) {
      io.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await closeClients();
  }
}

/**
 * Puts the connection settings into the environment the app's own clients read (clients.ts), so the
 * lookup resolves connections and credentials exactly as the functions do. Endpoints from flags mean
 * Azure: identity-based settings without a key, hence DefaultAzureCredential. Returns an error message.
 */
function configure(
  io: RawIo,
  values: {
    settings?: string;
    'blob-endpoint'?: string;
    'cosmos-endpoint'?: string;
    database?: string;
    container?: string;
  },
): string | undefined {
  // The app's clients read process.env (clients.ts), so that is where the settings go.
  const env = process.env;
  const blob = values['blob-endpoint'];
  const cosmos = values['cosmos-endpoint'];
  if (Boolean(blob) !== Boolean(cosmos)) return 'give both --blob-endpoint and --cosmos-endpoint, or neither';
  if (blob && cosmos) {
    if (values.settings) return '--settings and the endpoint flags exclude each other';
    env.PipelineStorage__blobServiceUri = blob;
    env.CosmosDb__accountEndpoint = cosmos;
  } else {
    const candidates = values.settings
      ? [resolve(values.settings)]
      : [
          join(io.repoRoot, 'local', '.data', 'functions.settings.json'),
          join(io.repoRoot, 'functions', 'dist', 'package', 'local.settings.json'),
        ];
    const file = candidates.find((path) => existsSync(path));
    if (!file)
      return `no settings file (${candidates.join(', ')}): start the local stack (npm start), or give --settings, or the Azure endpoints`;
    const settings = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> };
    // The environment wins over the file, as in the Functions host.
    for (const [name, value] of Object.entries(settings.Values ?? {})) env[name] ??= value;
  }
  if (values.database) env[APP_SETTINGS.cosmosDatabase] = values.database;
  if (values.container) env[APP_SETTINGS.cosmosContainer] = values.container;
  return undefined;
}

if (require.main === module) {
  rawCommand({
    argv: process.argv.slice(2),
    stdout: process.stdout,
    stderr: process.stderr,
    repoRoot: join(__dirname, '..', '..', '..', '..'),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
