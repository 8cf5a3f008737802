#!/usr/bin/env node
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ingestUrl } from '@pipeline/schemas';
import { ExitCode, InputError, UsageError } from './errors';
import { prepare } from './prepare';
import { downloadReporter } from './download-reporter';
import {
  KAGGLE_API_URL,
  KAGGLE_DATASETS,
  KaggleClient,
  KaggleError,
  archiveName,
  resolveVersions,
  type DownloadedDataset,
} from './kaggle';
import { DEFAULT_SAMPLE, generateSample } from './sample';
import { replay, type ReplayOptions } from './replay/engine';
import { attachReporter, formatReplaySummary } from './replay/reporter';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C by the bin; tests abort it themselves. */
  readonly signal?: AbortSignal;
}

const USAGE = `producer <command> [options]

Commands:
  download  download the Kaggle datasets (zip archives) with your Kaggle API credentials
  prepare   Kaggle tweets CSV + satellite image tree (or their zip archives) -> NDJSON of contract-valid events
  sample    generate a small dataset in the Kaggle layout (deterministic for a seed)
  replay    send events to the ingest API at a steady rate

Run "producer <command> --help" for a command's options.
Exit codes: 0 all done; 1 some events rejected as invalid; 2 bad options; 3 some events not delivered;
4 unusable input; 5 unexpected error; 130 interrupted.
`;

const HELP = {
  download: `producer download [--out-dir <dir>] [--dataset owner/name ...] [--json]

  --out-dir <dir>     where to write <dataset>.zip (default: the current folder)
  --dataset <ref>     a Kaggle dataset, repeatable (default: ${KAGGLE_DATASETS.tweets} and ${KAGGLE_DATASETS.images})
  --api-url <url>     Kaggle's API (default ${KAGGLE_API_URL}; env KAGGLE_API_URL)
  --retries <R>       retries per download after a lost connection, a cut body or a 429/5xx (default 4)
  --json              print what was downloaded (version, bytes, SHA-256) as JSON on stdout
Credentials come from the environment: KAGGLE_USERNAME and KAGGLE_KEY (kaggle.com > Settings > API >
Create New Token). The archives are read by prepare as they are; nothing is extracted.
`,
  prepare: `producer prepare --tweets <csv|zip> --out <file.ndjson|-> [--images <dir|zip>] [--encoding auto|utf-8|latin1] [--seed S] [--json]

  --tweets <csv|zip>  Hurricane_Harvey.csv or TS_Harvey_Tweets.csv as downloaded, or the Kaggle zip holding it
  --tweets-entry <n>  the CSV inside the zip, when it holds several and none has a known name
  --images <dir|zip>  the satellite image tree (<split>/<damage|no_damage>/<lon>_<lat>.jpeg), any splits, or its zip
  --out <file>        the NDJSON to write (atomically); "-" writes to stdout
  --encoding <enc>    auto (default: UTF-8 unless the file is not valid UTF-8, then latin-1), utf-8, latin1
  --seed <S>          seed of the tweet-image pairing (default 1)
  --json              print the summary as JSON on stdout (not with --out -)
`,
  sample: `producer sample --out <dir> [--tweets N] [--images M] [--seed S] [--time-format iso|us] [--quality Q] [--prepare] [--json]

  --out <dir>         folder to write: Hurricane_Harvey.csv and images/<split>/<label>/<lon>_<lat>.jpeg
  --tweets <N>        rows of the CSV (default ${DEFAULT_SAMPLE.tweets})
  --images <M>        128x128 JPEG files (default ${DEFAULT_SAMPLE.images})
  --seed <S>          the same seed gives the same bytes (default ${DEFAULT_SAMPLE.seed})
  --time-format <f>   iso: 2017-08-25 20:05:00 (default), us: 8/25/2017 20:05
  --quality <Q>       JPEG quality 1-100 (default 50)
  --grain <G>         per-pixel noise 0-64 (default 0); 20 at quality 90 gives the real files' 5-15 KB
  --distinct-tiles <K> encode only K distinct tiles, the rest are copies with their own JPEG comment
  --prepare           also write <dir>/events.ndjson (prepare with the same seed)
  --json              print the summary as JSON on stdout
`,
  replay: `producer replay --input <file.ndjson|dir> --url <api> [options]

  --input <path>        NDJSON of events, or a folder: its events.ndjson, else its Kaggle files prepared on the fly
  --url <url>           the ingest API; /events is appended unless the path ends with it
                        (http://127.0.0.1:7070/ingest through the gateway, http://127.0.0.1:7071/api to the functions host)
  --key <key>           APIM subscription key (env PRODUCER_SUBSCRIPTION_KEY)
  --function-key <key>  x-functions-key, for the functions host directly (env PRODUCER_FUNCTION_KEY)
  --basic-user <u>      basic auth user (env PRODUCER_BASIC_USER)
  --basic-password <p>  basic auth password (env PRODUCER_BASIC_PASSWORD)
  --rate <N>            events per second: 200, 200/s, 6000/m, or max (default 100)
  --count <N>           stop after N events
  --duration <T>        stop after T: 30s, 5m, 1500ms (a bare number is seconds)
  --loop                start the input again when it ends (ids repeat; writes are idempotent)
  --concurrency <C>     requests in flight at most (default 8)
  --batch-size <B>      events per request, 1-100 (default 50)
  --max-request-bytes <N>  largest request body in bytes (default 98304 = 96 KiB, under the 100 KiB
                        API Management validates on every tier); bigger batches go in parts, and an
                        event too big to go alone is reported as rejected
  --no-preflight        send events without checking them first (exercises the server's 400s)
  --max-retries <R>     retries per request after 429, 5xx or a lost connection (default 6)
  --timeout <T>         per-request timeout (default 30s)
  --dry-run             read, check and batch, send nothing
  --json                print the final report as JSON on stdout
  --ids                 include every accepted id in the JSON report
  --quiet               no progress on stderr
Credentials are better passed in the environment: flags are visible in the process list. They are never printed.
`,
} as const;

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/** Runs one CLI invocation; returns the exit code. The bin is `main` below. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'download':
        return await downloadCommand(rest, io);
      case 'prepare':
        return await prepareCommand(rest, io);
      case 'sample':
        return await sampleCommand(rest, io);
      case 'replay':
        return await replayCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return command === undefined ? ExitCode.Usage : ExitCode.Ok;
      default:
        throw new UsageError(command, `unknown command; expected download, prepare, sample or replay`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`producer: ${error.message}\n`);
      return ExitCode.Usage;
    }
    if (
      error instanceof InputError ||
      error instanceof KaggleError ||
      (error as NodeJS.ErrnoException).code === 'ENOENT'
    ) {
      io.stderr.write(`producer: ${(error as Error).message}\n`);
      return ExitCode.Input;
    }
    if ((error as Error).name === 'AbortError') {
      io.stderr.write('producer: interrupted\n');
      return ExitCode.Interrupted;
    }
    throw error;
  }
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T) {
  try {
    return parseArgs({
      args: [...args],
      options: { ...COMMON, ...options },
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    }).values;
  } catch (error) {
    const message = (error as Error).message;
    const option = /'(-[^']*)'/.exec(message)?.[1] ?? /(--?[\w-]+)/.exec(message)?.[1] ?? 'options';
    throw new UsageError(option, message);
  }
}

function required(value: string | undefined, option: string): string {
  if (!value) throw new UsageError(option, 'is required');
  return value;
}

function integer(value: string | undefined, option: string, min = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value) || Number(value) < min)
    throw new UsageError(option, `must be an integer >= ${min}; got ${JSON.stringify(value)}`);
  return Number(value);
}

/** `200`, `200/s`, `6000/m`, `max` -> events per second. */
export function parseRate(value: string): number {
  if (value === 'max' || value === 'unlimited') return Infinity;
  const match = /^([0-9]+(?:\.[0-9]+)?)(?:\/(s|sec|m|min))?$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0)
    throw new UsageError(
      '--rate',
      `must be events per second (200, 200/s, 6000/m or max); got ${JSON.stringify(value)}`,
    );
  return Number(match[1]) / (match[2]?.startsWith('m') ? 60 : 1);
}

/** `30s`, `5m`, `1500ms`, `1h`, bare seconds -> milliseconds. */
export function parseDuration(value: string, option: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0)
    throw new UsageError(
      option,
      `must be a duration such as 30s, 5m or 1500ms; got ${JSON.stringify(value)}`,
    );
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

async function downloadCommand(args: readonly string[], io: CliIo): Promise<number> {
  const v = parse(args, {
    'out-dir': { type: 'string' },
    dataset: { type: 'string', multiple: true },
    'api-url': { type: 'string' },
    retries: { type: 'string' },
  });
  if (v.help) return help(io, 'download');
  const outDir = v['out-dir'] ?? '.';
  const datasets = v.dataset?.length ? v.dataset : [KAGGLE_DATASETS.tweets, KAGGLE_DATASETS.images];
  const reporter = downloadReporter(io.stderr);
  const client = new KaggleClient({
    credentials: { username: io.env.KAGGLE_USERNAME ?? '', key: io.env.KAGGLE_KEY ?? '' },
    baseUrl: v['api-url'] ?? io.env.KAGGLE_API_URL,
    retries: integer(v.retries, '--retries', 0),
    onProgress: reporter.onProgress,
    onRetry: (line) => io.stderr.write(`download: ${line}\n`),
    signal: io.signal,
  });
  const downloaded: DownloadedDataset[] = [];
  try {
    await mkdir(outDir, { recursive: true });
    for (const { dataset, version } of await resolveVersions(client, datasets, (w) =>
      io.stderr.write(`download: ${w}\n`),
    )) {
      const file = await client.download(dataset, join(outDir, archiveName(dataset)), version);
      reporter.stop();
      downloaded.push(file);
      io.stderr.write(
        `download: ${dataset}${version ? ` v${version}` : ''}: ${file.bytes} bytes, sha256 ${file.sha256}` +
          `${file.md5Verified ? ', MD5 verified' : ''}, ${file.attempts} attempt(s), ${file.durationMs} ms -> ${file.path}\n`,
      );
    }
  } finally {
    reporter.stop();
  }
  if (v.json) io.stdout.write(JSON.stringify({ downloaded }, null, 2) + '\n');
  return ExitCode.Ok;
}

async function prepareCommand(args: readonly string[], io: CliIo): Promise<number> {
  const v = parse(args, {
    tweets: { type: 'string' },
    'tweets-entry': { type: 'string' },
    images: { type: 'string' },
    out: { type: 'string' },
    encoding: { type: 'string' },
    seed: { type: 'string' },
  });
  if (v.help) return help(io, 'prepare');
  const encoding = v.encoding ?? 'auto';
  if (encoding !== 'auto' && encoding !== 'utf-8' && encoding !== 'latin1')
    throw new UsageError('--encoding', `must be auto, utf-8 or latin1; got ${JSON.stringify(encoding)}`);
  const out = required(v.out, '--out');
  if (out === '-' && v.json) throw new UsageError('--json', 'cannot share stdout with --out -');
  const summary = await prepare({
    tweets: required(v.tweets, '--tweets'),
    tweetsEntry: v['tweets-entry'],
    images: v.images,
    out,
    encoding,
    seed: v.seed,
    signal: io.signal,
    onProgress: (rows, written) => io.stderr.write(`prepare: ${rows} rows read, ${written} events written\n`),
  });
  if (v.json) io.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  const skipped = Object.entries(summary.skippedByReason)
    .map(([reason, n]) => `${reason}: ${n}`)
    .join(', ');
  io.stderr.write(
    `prepare: ${summary.rowsRead} rows read from ${summary.tweets} (${summary.encoding}), ${summary.eventsWritten} events written (${summary.eventsWithImage} with an image of ${summary.images.found}), ` +
      `${summary.rowsSkipped} rows skipped${skipped ? ` (${skipped})` : ''}, ${summary.images.skipped} image files skipped, ${summary.durationMs} ms\n`,
  );
  if (summary.eventsWithUnknownCounts) {
    const reasons = Object.entries(summary.unknownCountsByReason)
      .map(([reason, n]) => `${reason}: ${n}`)
      .join(', ');
    io.stderr.write(
      `prepare: ${summary.eventsWithUnknownCounts} events kept with a count unknown (${reasons})\n`,
    );
  }
  for (const row of summary.skippedRows.slice(0, 10))
    io.stderr.write(`  line ${row.line}: ${row.reason}: ${row.message}\n`);
  for (const file of summary.images.skippedFiles.slice(0, 10))
    io.stderr.write(`  image ${file.relative}: ${file.reason}: ${file.message}\n`);
  return ExitCode.Ok;
}

async function sampleCommand(args: readonly string[], io: CliIo): Promise<number> {
  const v = parse(args, {
    out: { type: 'string' },
    tweets: { type: 'string' },
    images: { type: 'string' },
    seed: { type: 'string' },
    'time-format': { type: 'string' },
    quality: { type: 'string' },
    'distinct-tiles': { type: 'string' },
    grain: { type: 'string' },
    prepare: { type: 'boolean' },
  });
  if (v.help) return help(io, 'sample');
  const timeFormat = v['time-format'] ?? 'iso';
  if (timeFormat !== 'iso' && timeFormat !== 'us')
    throw new UsageError('--time-format', `must be iso or us; got ${JSON.stringify(timeFormat)}`);
  const quality = integer(v.quality, '--quality');
  if (quality !== undefined && quality > 100) throw new UsageError('--quality', 'must be 1 to 100');
  const out = required(v.out, '--out');
  const summary = await generateSample({
    out,
    tweets: integer(v.tweets, '--tweets'),
    images: integer(v.images, '--images', 0),
    seed: v.seed,
    timeFormat,
    quality,
    distinctTiles: integer(v['distinct-tiles'], '--distinct-tiles'),
    grain: integer(v.grain, '--grain', 0),
    onProgress: (kind, done, total) => io.stderr.write(`sample: ${done}/${total} ${kind}\n`),
  });
  const prepared = v.prepare
    ? await prepare({
        tweets: summary.csv,
        images: summary.images ? join(out, 'images') : undefined,
        out: join(out, 'events.ndjson'),
        seed: v.seed,
      })
    : undefined;
  if (v.json) io.stdout.write(JSON.stringify({ ...summary, prepared }, null, 2) + '\n');
  io.stderr.write(
    `sample: ${summary.tweets} tweets (${summary.csvBytes} bytes) and ${summary.images} images (${summary.imageBytes} bytes) in ${out}` +
      (prepared ? `; ${prepared.eventsWritten} events in ${prepared.out}` : '') +
      '\n',
  );
  return ExitCode.Ok;
}

async function replayCommand(args: readonly string[], io: CliIo): Promise<number> {
  const v = parse(args, {
    input: { type: 'string' },
    url: { type: 'string' },
    key: { type: 'string' },
    'function-key': { type: 'string' },
    'basic-user': { type: 'string' },
    'basic-password': { type: 'string' },
    rate: { type: 'string' },
    count: { type: 'string' },
    duration: { type: 'string' },
    loop: { type: 'boolean' },
    concurrency: { type: 'string' },
    'batch-size': { type: 'string' },
    'max-request-bytes': { type: 'string' },
    preflight: { type: 'boolean' },
    'max-retries': { type: 'string' },
    timeout: { type: 'string' },
    'dry-run': { type: 'boolean' },
    ids: { type: 'boolean' },
    quiet: { type: 'boolean' },
    seed: { type: 'string' },
  });
  if (v.help) return help(io, 'replay');
  const dryRun = v['dry-run'] ?? false;
  const options: ReplayOptions = {
    input: required(v.input, '--input'),
    url: dryRun ? (v.url ?? ingestUrl('http://127.0.0.1')) : required(v.url, '--url'),
    subscriptionKey: v.key ?? io.env.PRODUCER_SUBSCRIPTION_KEY,
    functionKey: v['function-key'] ?? io.env.PRODUCER_FUNCTION_KEY,
    basicUser: v['basic-user'] ?? io.env.PRODUCER_BASIC_USER,
    basicPassword: v['basic-password'] ?? io.env.PRODUCER_BASIC_PASSWORD,
    rate: parseRate(v.rate ?? '100'),
    count: integer(v.count, '--count'),
    durationMs: v.duration === undefined ? undefined : parseDuration(v.duration, '--duration'),
    loop: v.loop ?? false,
    concurrency: integer(v.concurrency, '--concurrency'),
    batchSize: integer(v['batch-size'], '--batch-size'),
    maxRequestBytes: integer(v['max-request-bytes'], '--max-request-bytes'),
    preflight: v.preflight ?? true,
    maxRetries: integer(v['max-retries'], '--max-retries', 0),
    timeoutMs: v.timeout === undefined ? undefined : parseDuration(v.timeout, '--timeout'),
    dryRun,
    seed: v.seed,
    signal: io.signal,
  };
  if (options.loop && options.count === undefined && options.durationMs === undefined) {
    throw new UsageError('--loop', 'needs --count or --duration, or it never ends');
  }
  const engine = replay(options);
  const detach = v.quiet
    ? () => undefined
    : attachReporter(engine, { stream: io.stderr as NodeJS.WriteStream });
  const report = await engine;
  detach();
  if (!v.quiet || !v.json) io.stderr.write(formatReplaySummary(report));
  if (v.json) {
    const { acceptedIds, ...rest } = report;
    io.stdout.write(
      JSON.stringify(v.ids ? report : { ...rest, acceptedIdsCount: acceptedIds.length }, null, 2) + '\n',
    );
  }
  return report.exitCode;
}

function help(io: CliIo, command: keyof typeof HELP): number {
  io.stdout.write(HELP[command]);
  return ExitCode.Ok;
}

/** The bin: Ctrl-C stops cleanly (the report says what was sent); a second Ctrl-C exits at once. */
export function main(): void {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.Interrupted);
    process.stderr.write('\nproducer: stopping (requests in flight finish; Ctrl-C again to quit now)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`producer: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = ExitCode.Internal;
    },
  );
}

if (require.main === module) main();
