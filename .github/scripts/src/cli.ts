/**
 * The scripts the workflows call, one command each:
 *
 *   smoke          send a few events through the API and wait until the stats show them stored
 *   plan-summary   `terraform show -json` -> markdown (job summary, PR comment) and step outputs
 *   pr-comment     create or update the plan comment on a pull request
 *   tf-outputs     `terraform output -json` -> step outputs (sensitive ones masked)
 *   infra-changed  does a list of changed files touch the infrastructure?
 *   report         the producer's --json report -> job summary
 *   azure-ready    can this job sign in to Azure and reach the Terraform state?
 *   replay-inputs  check the replay workflow's inputs
 *   dataset        get the events to replay: the committed sample, a generated one, a download, or
 *                  the Kaggle datasets prepared (through the prepared-dataset cache)
 *   replay         run the producer against the API and report to the job summary
 *   deploy-zip     deploy the functions package (config-zip), retrying what waiting can fix
 *   function-key   set the APIM -> Function host key from Key Vault on the function app
 *   preflight      before the first apply: what would make it fail, as a checklist with fixes
 *   state-exists   has the stack's remote state been written yet (the first pull request comes before it)
 *
 * Run with `node .github/scripts/dist/src/cli.js <command> --help`. Exit codes: 0 success,
 * 1 the check failed (smoke test, missing outputs), 2 bad options.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { annotation, appendStepSummary, maskCommands, setOutput } from './github';
import { renderPlan, planMarker, summarizePlan, type TerraformPlanJson } from './plan-summary';
import { upsertComment } from './pr-comment';
import { renderProducerReport, renderSmoke } from './report';
import { runSmoke } from './smoke';
import { MAX_LATEST } from './stats-client';
import { runProducer, type ApiCredentials, type ProducerRunner } from './producer';
import { DEPLOY_OUTPUTS, parseOutputs, resolveOutputs } from './tf-outputs';
import { touchesInfrastructure } from './changed-paths';
import { azureReadiness, readinessMessage } from './azure-ready';
import { downloadNdjson } from './dataset';
import { ContainerClient } from '@azure/storage-blob';
import { KaggleClient, downloadReporter } from '@pipeline/producer';
import { DATASETS_CONTAINER, DatasetCache, datasetsContainer } from './dataset-cache';
import { kaggleDataset, renderKaggleDataset } from './kaggle-dataset';
import { parseReplayInputs, type ReplayInputs } from './replay-inputs';
import { prepareCommittedSample, prepareGeneratedSample } from './sample';
import {
  AzureUsageError,
  deployZipCommand,
  functionKeyCommand,
  preflightCommand,
  stateExistsCommand,
} from './azure-commands';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Replaces the producer (tests). */
  readonly producer?: ProducerRunner;
  readonly fetch?: typeof fetch;
}

export class UsageError extends Error {}

/** The repository root: this file is .github/scripts/src/cli.ts or .github/scripts/dist/src/cli.js. */
function repositoryRoot(): string {
  return resolve(__dirname, basename(dirname(__dirname)) === 'dist' ? '../../../..' : '../../..');
}

const HELP: Record<string, string> = {
  smoke: `Usage: smoke --url <api base> --input <events.ndjson> [options]

Sends the first --count events through the API with the producer, then polls the stats endpoint
until every one of them is stored (stored after the test began), or fails after --timeout.

  --url <url>            ingest API base; the producer posts to <url>/events (env SMOKE_API_URL)
  --stats-url <url>      stats endpoint (default <url>/stats; env SMOKE_STATS_URL)
  --input <file>         NDJSON events (env SMOKE_INPUT)
  --count <n>            events to send, 1..100 (default 10)
  --rate <n>             events per second (default 5)
  --timeout <s>          seconds to wait for arrival after sending (default 180)
  --warmup <s>           seconds the stats endpoint may take to answer first (default 120)
  --interval <ms>        poll interval (default 2000)
  --producer <file>      the producer CLI (default producer/dist/src/cli.js)
  --secrets-file <file>  the local stack's secrets JSON (functionKey, subscription, basicAuth)
  --report-file <file>   write the result as JSON
  --json                 print the result as JSON on stdout

Credentials come from the environment, never from arguments: API_SUBSCRIPTION_KEY,
API_BASIC_USER, API_BASIC_PASSWORD (or API_BASIC_CREDENTIAL as user:password), and
STATS_FUNCTION_KEY for a stats endpoint behind a function key (otherwise the API credentials
are sent when the stats URL is under the API base). In GitHub Actions the result is also
appended to the job summary.`,
  'plan-summary': `Usage: plan-summary --plan-json <file> --stack <name> [--out <file>] [--run-url <url>]

Reads \`terraform show -json <planfile>\` and writes markdown (names and actions, never values)
to --out and the job summary; sets the outputs has_changes, add, change, destroy, data_loss and
digest (of the change set). With --expect-digest <hex>, fails when the change set differs from the
reviewed one.`,
  'pr-comment': `Usage: pr-comment --body-file <file> --stack <name> --pr <number>

Creates or updates the pull request's plan comment for <stack>. Env: GITHUB_TOKEN,
GITHUB_REPOSITORY, GITHUB_API_URL.`,
  'tf-outputs': `Usage: tf-outputs --json-file <file> [--require A,B,...] [--all]

Reads \`terraform output -json\` and sets each required output as a step output (default: the
deploy outputs). Sensitive outputs are masked first. Fails naming every missing output.`,
  'infra-changed': `Usage: infra-changed --files <file>

Reads changed paths (one per line) and sets the output infra=true|false.`,
  'azure-ready': `Usage: azure-ready [--require] [--identity plan|deploy]

Sets the output ready=true when the OIDC identifiers, the state backend variables and an OIDC token
are all available to the job; otherwise ready=false with a notice naming what is missing. With
--require, a missing setting is an error (exit 1). --identity names the client id setting a user must
add: AZURE_PLAN_CLIENT_ID for plan (pull requests), AZURE_CLIENT_ID for deploy (default).`,
  'replay-inputs': `Usage: replay-inputs

Checks the replay workflow's inputs from the environment (SOURCE, EVENTS, DATASET_URL, RATE, COUNT,
DURATION) and reports every problem at once.`,
  dataset: `Usage: dataset --out <file.ndjson> [--source committed-sample|generated|url|kaggle] [--events N] [--url URL] [--work-dir DIR]

Writes the events to replay: the committed sample prepared by the producer, a generated sample of N
tweets, an NDJSON downloaded from an https URL (an Azure Blob URL is read with the bearer token in
AZURE_STORAGE_TOKEN), or the Kaggle datasets (dan195/hurricaneharvey and
kmader/satellite-images-of-hurricane-damage) downloaded with KAGGLE_USERNAME and KAGGLE_KEY and
prepared straight from their zip archives (in --work-dir, default <out's folder>/kaggle).
Defaults come from SOURCE, EVENTS and DATASET_URL.

Source kaggle keeps the prepared events in the '${DATASETS_CONTAINER}' container of the storage account
DATASET_CACHE_ACCOUNT, read and written with AZURE_STORAGE_TOKEN (or, locally, the container of
DATASET_CACHE_CONNECTION_STRING, e.g. Azurite), so a second replay skips the download and prepare.
DATASET_CACHE=use (default) | refresh (prepare again, overwrite) | off. KAGGLE_API_URL overrides
Kaggle's API base. A cache failure is a warning: the run goes on without it.`,
  replay: `Usage: replay --url <api base> --input <file.ndjson> [--report-file <file>]

Runs the producer at RATE events/s (COUNT events or DURATION, from the environment), with the API
credentials from API_SUBSCRIPTION_KEY and API_BASIC_CREDENTIAL (user:password), and writes its report
to the job summary. Exits with the producer's exit code.`,
  'deploy-zip': `Usage: deploy-zip --resource-group <rg> --name <function app> --src <package.zip> [options]

Runs \`az functionapp deployment source config-zip\`. A failure that waiting can fix (403 from the
deployment container while a new role propagates, 502/503 while the app starts, a dropped upload)
is retried with a doubling delay; any other failure stops at once.

  --timeout <s>       az's own wait for the deployment (default 600)
  --attempts <n>      at most this many runs (default 6)
  --first-delay <s>   first wait, doubling after each failure (default 15)
  --max-delay <s>     longest single wait (default 120)`,
  'function-key': `Usage: function-key --resource-group <rg> --name <function app> --vault <key vault> --secret <name> [--key-name apim]

Reads the APIM -> Function key Terraform generated into Key Vault, masks it, and sets it as the
host function key --key-name (default apim) with \`az functionapp keys set\` (output none), retried
like deploy-zip while the freshly deployed host starts. The value is never printed.`,
  preflight: `Usage: preflight [--environment dev|prod] [--location <region>] [--apim-sku <sku>]

Run after \`az login\`, before the first apply. Checks the signed-in subscription and your role,
the resource providers, Flex Consumption with the .nvmrc Node version and the API Management tier
in the region, soft-deleted Key Vault / API Management with the stack's names, and the repository
ids the OIDC subjects need. Prints a checklist with the fix for each failure; exits 1 if any fails.
Reads PIPELINE_ENVIRONMENT, AZURE_LOCATION, APIM_SKU, NAME_TOKEN, ARM_SUBSCRIPTION_ID,
GITHUB_REPOSITORY, GITHUB_REPOSITORY_OWNER_ID and GITHUB_REPOSITORY_ID like synthesis does.`,
  'state-exists': `Usage: state-exists --account <storage account> --container <container> --key <blob>

Sets the output exists=true|false for the stack's remote state blob (\`az storage blob exists
--auth-mode login\`). Before the first apply it does not exist, and the read-only plan identity
cannot create it: the pull-request plan then runs against an empty local state. An error fails.`,
  report: `Usage: report --producer-report <file> [--title <text>]

Renders the producer's --json report to the job summary (and stdout).`,
};

export const COMMANDS: readonly string[] = Object.keys(HELP);

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || !(command in HELP)) {
    io.stderr(`Usage: cli.js <${Object.keys(HELP).join('|')}> [--help]\n`);
    return command && command !== '--help' && command !== '-h' ? 2 : 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`${HELP[command]}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'smoke':
        return await smokeCommand(rest, io);
      case 'plan-summary':
        return planSummaryCommand(rest, io);
      case 'pr-comment':
        return await prCommentCommand(rest, io);
      case 'tf-outputs':
        return tfOutputsCommand(rest, io);
      case 'infra-changed':
        return infraChangedCommand(rest, io);
      case 'azure-ready': {
        const { values } = parseArgs({
          args: rest,
          options: {
            require: { type: 'boolean', default: false },
            identity: { type: 'string', default: 'deploy' },
          },
          strict: true,
        });
        if (values.identity !== 'plan' && values.identity !== 'deploy')
          throw new UsageError(`--identity must be plan or deploy; got ${JSON.stringify(values.identity)}`);
        const readiness = azureReadiness(io.env, values.identity);
        setOutput('ready', String(readiness.ready), io.env);
        if (values.require && !readiness.ready) {
          io.stderr(`${annotation('error', readinessMessage(readiness, true), io.env)}\n`);
          return 1;
        }
        io.stdout(`${annotation('notice', readinessMessage(readiness), io.env)}\n`);
        return 0;
      }
      case 'replay-inputs':
        return replayInputsCommand(rest, io);
      case 'dataset':
        return await datasetCommand(rest, io);
      case 'replay':
        return await replayCommand(rest, io);
      case 'deploy-zip':
        return await deployZipCommand(rest, io);
      case 'function-key':
        return await functionKeyCommand(rest, io);
      case 'state-exists':
        return await stateExistsCommand(rest, io);
      case 'preflight':
        return await preflightCommand(rest, io, repositoryRoot());
      default:
        return reportCommand(rest, io);
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof AzureUsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.stderr(`${command}: ${(error as Error).message}\n${HELP[command]}\n`);
      return 2;
    }
    io.stderr(
      `${annotation('error', `${command}: ${error instanceof Error ? error.message : String(error)}`, io.env)}\n`,
    );
    return 1;
  }
}

function positiveNumber(name: string, raw: string | undefined, fallback: number, integer = false): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `--${name} must be a positive ${integer ? 'integer' : 'number'}; got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

async function smokeCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      url: { type: 'string' },
      'stats-url': { type: 'string' },
      input: { type: 'string' },
      count: { type: 'string' },
      rate: { type: 'string' },
      timeout: { type: 'string' },
      warmup: { type: 'string' },
      interval: { type: 'string' },
      producer: { type: 'string' },
      'secrets-file': { type: 'string' },
      'report-file': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const env = io.env;
  const apiUrl = (values.url ?? env.SMOKE_API_URL)?.replace(/\/+$/, '');
  if (!apiUrl) throw new UsageError('--url is required');
  if (!/^https?:\/\//.test(apiUrl))
    throw new UsageError(`--url must be an http(s) URL; got ${JSON.stringify(apiUrl)}`);
  const input = values.input ?? env.SMOKE_INPUT;
  if (!input) throw new UsageError('--input is required');
  const statsUrl = (values['stats-url'] ?? env.SMOKE_STATS_URL ?? `${apiUrl}/stats`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(statsUrl)) throw new UsageError(`--stats-url must be an http(s) URL`);

  let { subscriptionKey, basicUser, basicPassword } = credentialsFromEnv(env);
  let functionKey = env.STATS_FUNCTION_KEY || undefined;
  if (values['secrets-file']) {
    const secrets = JSON.parse(readFileSync(resolve(io.cwd, values['secrets-file']), 'utf8')) as {
      functionKey?: string;
      subscription?: { primaryKey?: string };
      basicAuth?: { user?: string; password?: string };
    };
    subscriptionKey ??= secrets.subscription?.primaryKey;
    basicUser ??= secrets.basicAuth?.user;
    basicPassword ??= secrets.basicAuth?.password;
    functionKey ??= secrets.functionKey;
  }
  const headers: Record<string, string> = {};
  if (functionKey && !statsUrl.startsWith(`${apiUrl}/`)) {
    headers['x-functions-key'] = functionKey;
  } else if (statsUrl.startsWith(`${apiUrl}/`)) {
    if (subscriptionKey) headers['Ocp-Apim-Subscription-Key'] = subscriptionKey;
    if (basicUser && basicPassword)
      headers.authorization = `Basic ${Buffer.from(`${basicUser}:${basicPassword}`).toString('base64')}`;
  }

  const count = positiveNumber('count', values.count, 10, true);
  if (count > MAX_LATEST)
    throw new UsageError(
      `--count must be at most ${MAX_LATEST}: the stats endpoint lists that many recent documents`,
    );
  const result = await runSmoke(
    {
      apiUrl,
      stats: { url: statsUrl, headers, requestTimeoutMs: 15_000 },
      input: resolve(io.cwd, input),
      count,
      rate: positiveNumber('rate', values.rate, 5),
      credentials: { subscriptionKey, basicUser, basicPassword },
      producerCli: resolve(io.cwd, values.producer ?? resolve(repositoryRoot(), 'producer/dist/src/cli.js')),
      arrivalTimeoutMs: positiveNumber('timeout', values.timeout, 180) * 1000,
      warmupTimeoutMs: positiveNumber('warmup', values.warmup, 120) * 1000,
      pollIntervalMs: positiveNumber('interval', values.interval, 2000),
      log: (line) => io.stderr(`${line}\n`),
    },
    io.producer,
  );
  const markdown = renderSmoke(result, apiUrl);
  appendStepSummary(markdown, io.env);
  if (values['report-file'])
    writeFileSync(resolve(io.cwd, values['report-file']), JSON.stringify(result, null, 2) + '\n');
  if (values.json) io.stdout(JSON.stringify(result) + '\n');
  else io.stdout(markdown);
  if (!result.ok) io.stderr(`${annotation('error', `smoke test failed: ${result.message}`, io.env)}\n`);
  return result.ok ? 0 : 1;
}

/** The API credentials from the environment (names in the smoke help). */
export function credentialsFromEnv(env: NodeJS.ProcessEnv): ApiCredentials {
  let [basicUser, basicPassword] = [env.API_BASIC_USER || undefined, env.API_BASIC_PASSWORD || undefined];
  if (env.API_BASIC_CREDENTIAL && !basicUser) {
    const at = env.API_BASIC_CREDENTIAL.indexOf(':');
    if (at < 1) throw new UsageError('API_BASIC_CREDENTIAL must be user:password');
    basicUser = env.API_BASIC_CREDENTIAL.slice(0, at);
    basicPassword = env.API_BASIC_CREDENTIAL.slice(at + 1);
  }
  return { subscriptionKey: env.API_SUBSCRIPTION_KEY || undefined, basicUser, basicPassword };
}

function replayInputs(env: NodeJS.ProcessEnv): ReplayInputs {
  const { inputs, errors } = parseReplayInputs(env);
  if (!inputs) throw new UsageError(`bad replay inputs:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  return inputs;
}

function replayInputsCommand(args: readonly string[], io: CliIo): number {
  parseArgs({ args: [...args], options: {}, strict: true });
  const inputs = replayInputs(io.env);
  io.stdout(`replay inputs: ${JSON.stringify(inputs)}\n`);
  return 0;
}

async function datasetCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      out: { type: 'string' },
      source: { type: 'string' },
      events: { type: 'string' },
      url: { type: 'string' },
      producer: { type: 'string' },
      'work-dir': { type: 'string' },
    },
    strict: true,
  });
  if (!values.out) throw new UsageError('--out is required');
  const inputs = replayInputs({
    ...io.env,
    ...(values.source !== undefined ? { SOURCE: values.source } : {}),
    ...(values.events !== undefined ? { EVENTS: values.events } : {}),
    ...(values.url !== undefined ? { DATASET_URL: values.url } : {}),
  });
  const out = resolve(io.cwd, values.out);
  const producerCli = resolve(
    io.cwd,
    values.producer ?? resolve(repositoryRoot(), 'producer/dist/src/cli.js'),
  );
  let lines: number;
  if (inputs.source === 'url') {
    const result = await downloadNdjson(inputs.url!, out, {
      storageToken: io.env.AZURE_STORAGE_TOKEN,
      maxBytes: 20 * 1024 ** 3,
      timeoutMs: 30 * 60_000,
    });
    lines = result.lines;
    io.stdout(`downloaded ${result.bytes} bytes (${result.lines} events) to ${out}\n`);
  } else if (inputs.source === 'kaggle') {
    lines = await kaggleCommand(
      out,
      resolve(io.cwd, values['work-dir'] ?? resolve(dirname(out), 'kaggle')),
      inputs,
      io,
    );
  } else if (inputs.source === 'generated') {
    lines = await prepareGeneratedSample(producerCli, inputs.events, out, (t) => io.stderr(t));
  } else {
    lines = await prepareCommittedSample(repositoryRoot(), out);
  }
  if (lines === 0) throw new Error(`the dataset ${out} holds no events`);
  setOutput('events', String(lines), io.env);
  io.stdout(`${lines} event(s) in ${out}\n`);
  return 0;
}

/** The cache's container, from the environment: the workflow's account and token, or a local connection string. */
async function datasetCacheFromEnv(env: NodeJS.ProcessEnv): Promise<DatasetCache | undefined> {
  const connection = env.DATASET_CACHE_CONNECTION_STRING;
  if (connection) {
    const container = new ContainerClient(connection, DATASETS_CONTAINER);
    // Azurite starts empty; in Azure the container is Terraform's and the workflow may not create it.
    await container.createIfNotExists();
    return new DatasetCache(container);
  }
  const account = env.DATASET_CACHE_ACCOUNT;
  if (!account) return undefined;
  if (!env.AZURE_STORAGE_TOKEN)
    throw new UsageError('DATASET_CACHE_ACCOUNT needs a storage token in AZURE_STORAGE_TOKEN');
  return new DatasetCache(datasetsContainer(account, env.AZURE_STORAGE_TOKEN));
}

async function kaggleCommand(out: string, workDir: string, inputs: ReplayInputs, io: CliIo): Promise<number> {
  const reporter = downloadReporter({ write: (text: string) => io.stderr(text) });
  const warn = (message: string) => io.stderr(`${annotation('warning', message, io.env)}\n`);
  let cache: DatasetCache | undefined;
  if (inputs.cache !== 'off') {
    try {
      cache = await datasetCacheFromEnv(io.env);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      warn(`dataset cache: ${(error as Error).message}; going on without the cache`);
    }
  }
  const client = new KaggleClient({
    credentials: { username: io.env.KAGGLE_USERNAME ?? '', key: io.env.KAGGLE_KEY ?? '' },
    baseUrl: io.env.KAGGLE_API_URL || undefined,
    onProgress: reporter.onProgress,
    onRetry: (line) => io.stderr(`download: ${line}\n`),
  });
  const report = await kaggleDataset({
    client,
    cache,
    workDir,
    out,
    refresh: inputs.cache === 'refresh',
    log: (line) => io.stderr(`${line}\n`),
    warn,
  }).finally(() => reporter.stop());
  const markdown = renderKaggleDataset(report);
  appendStepSummary(markdown, io.env);
  io.stdout(markdown);
  return report.events;
}

async function replayCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      url: { type: 'string' },
      input: { type: 'string' },
      'report-file': { type: 'string' },
      producer: { type: 'string' },
    },
    strict: true,
  });
  if (!values.url || !/^https?:\/\//.test(values.url)) throw new UsageError('--url must be an http(s) URL');
  if (!values.input) throw new UsageError('--input is required');
  const inputs = replayInputs({ SOURCE: 'committed-sample', ...io.env });
  const runner = io.producer ?? runProducer;
  const outcome = await runner({
    cli: resolve(io.cwd, values.producer ?? resolve(repositoryRoot(), 'producer/dist/src/cli.js')),
    input: resolve(io.cwd, values.input),
    url: values.url.replace(/\/+$/, ''),
    rate: inputs.rate,
    count: inputs.count || undefined,
    duration: inputs.duration,
    credentials: credentialsFromEnv(io.env),
    timeoutMs: 6 * 3600_000,
  });
  if (values['report-file'] && outcome.report !== undefined) {
    writeFileSync(resolve(io.cwd, values['report-file']), JSON.stringify(outcome.report, null, 2) + '\n');
  }
  const markdown = renderProducerReport(outcome.report, 'Replay report');
  appendStepSummary(markdown, io.env);
  io.stdout(markdown);
  if (outcome.exitCode !== 0) {
    io.stderr(
      `${annotation('error', `the producer exited with ${outcome.exitCode ?? outcome.signal}${outcome.timedOut ? ' (timed out)' : ''}`, io.env)}\n${outcome.stderrTail}\n`,
    );
    return outcome.exitCode ?? 1;
  }
  return 0;
}

function planSummaryCommand(args: readonly string[], io: CliIo): number {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'plan-json': { type: 'string' },
      stack: { type: 'string' },
      out: { type: 'string' },
      'run-url': { type: 'string' },
      sha: { type: 'string' },
      'expect-digest': { type: 'string' },
    },
    strict: true,
  });
  if (!values['plan-json']) throw new UsageError('--plan-json is required');
  if (!values.stack) throw new UsageError('--stack is required');
  const plan = JSON.parse(readFileSync(resolve(io.cwd, values['plan-json']), 'utf8')) as TerraformPlanJson;
  const summary = summarizePlan(plan);
  const markdown = renderPlan(summary, {
    stack: values.stack,
    runUrl: values['run-url'],
    sha: values.sha ?? io.env.GITHUB_SHA,
  });
  if (values.out) writeFileSync(resolve(io.cwd, values.out), markdown);
  appendStepSummary(markdown, io.env);
  setOutput('has_changes', String(summary.hasChanges), io.env);
  setOutput('add', String(summary.counts.add), io.env);
  setOutput('change', String(summary.counts.change), io.env);
  setOutput('destroy', String(summary.counts.destroy), io.env);
  setOutput('data_loss', String(summary.dataLoss.length > 0), io.env);
  setOutput('digest', summary.digest, io.env);
  io.stdout(markdown);
  const expected = values['expect-digest'];
  if (expected !== undefined && expected !== summary.digest) {
    io.stderr(
      `${annotation('error', `the plan differs from the reviewed one (reviewed change set ${expected.slice(0, 16)}, now ${summary.digest.slice(0, 16)}): the infrastructure or the code changed after review; re-run the deployment to review the new plan`, io.env)}\n`,
    );
    return 1;
  }
  return 0;
}

async function prCommentCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { 'body-file': { type: 'string' }, stack: { type: 'string' }, pr: { type: 'string' } },
    strict: true,
  });
  if (!values['body-file'] || !values.stack || !values.pr)
    throw new UsageError('--body-file, --stack and --pr are required');
  const token = io.env.GITHUB_TOKEN;
  const repository = io.env.GITHUB_REPOSITORY;
  if (!token || !repository) throw new UsageError('GITHUB_TOKEN and GITHUB_REPOSITORY must be set');
  const result = await upsertComment(
    {
      apiUrl: io.env.GITHUB_API_URL || 'https://api.github.com',
      repository,
      issueNumber: positiveNumber('pr', values.pr, 0, true),
      token,
    },
    planMarker(values.stack),
    readFileSync(resolve(io.cwd, values['body-file']), 'utf8'),
    io.fetch,
  );
  io.stdout(`${result.action} ${result.url}\n`);
  return 0;
}

function tfOutputsCommand(args: readonly string[], io: CliIo): number {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'json-file': { type: 'string' },
      require: { type: 'string' },
      all: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (!values['json-file']) throw new UsageError('--json-file is required');
  const outputs = parseOutputs(readFileSync(resolve(io.cwd, values['json-file']), 'utf8'));
  const required = values.all
    ? Object.keys(outputs).sort()
    : values.require
      ? values.require
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [...DEPLOY_OUTPUTS];
  const resolved = resolveOutputs(outputs, required);
  for (const output of resolved) {
    if (output.sensitive) for (const line of maskCommands(output.value)) io.stdout(`${line}\n`);
  }
  for (const output of resolved) {
    setOutput(output.name, output.value, io.env);
    io.stdout(`${output.name}=${output.sensitive ? '***' : output.value}\n`);
  }
  return 0;
}

function infraChangedCommand(args: readonly string[], io: CliIo): number {
  const { values } = parseArgs({ args: [...args], options: { files: { type: 'string' } }, strict: true });
  if (!values.files) throw new UsageError('--files is required');
  const changed = readFileSync(resolve(io.cwd, values.files), 'utf8').split('\n');
  const matches = touchesInfrastructure(changed);
  setOutput('infra', String(matches.length > 0), io.env);
  io.stdout(
    matches.length
      ? `infrastructure changes:\n${matches.map((m) => `  ${m}`).join('\n')}\n`
      : 'no infrastructure changes\n',
  );
  return 0;
}

function reportCommand(args: readonly string[], io: CliIo): number {
  const { values } = parseArgs({
    args: [...args],
    options: { 'producer-report': { type: 'string' }, title: { type: 'string' } },
    strict: true,
  });
  if (!values['producer-report']) throw new UsageError('--producer-report is required');
  const text = readFileSync(resolve(io.cwd, values['producer-report']), 'utf8').trim();
  let report: unknown;
  try {
    report = text ? JSON.parse(text) : undefined;
  } catch {
    report = undefined;
  }
  const markdown = renderProducerReport(report, values.title ?? 'Replay report');
  appendStepSummary(markdown, io.env);
  io.stdout(markdown);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    // `npm run smoke -- ...` runs in the workspace folder; relative paths mean the caller's folder.
    cwd: process.env.INIT_CWD || process.cwd(),
  }).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
