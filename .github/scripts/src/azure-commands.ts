/**
 * The commands that drive `az`/`gh` for the deploy workflow and for the user before the first
 * apply: `deploy-zip`, `function-key` and `preflight`. Each parses its options, runs the tested
 * logic with a real process runner (a fake `az` on PATH in the tests), and maps the result to an
 * exit code: 0 success, 1 the check or the deployment failed, 2 bad options (UsageError).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lastErrorLine, parseJsonOutput, processRunner } from './command-runner';
import { deployZip } from './deploy-zip';
import { setFunctionKey } from './function-key';
import { annotation, setOutput } from './github';
import { PIPELINE_DEFAULTS } from './pipeline-names';
import { PIPELINE_NAMES } from '@pipeline/schemas';
import { renderChecklist, runPreflight } from './preflight';
import { sleep } from '@pipeline/emulators';

export interface AzureCommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

export class AzureUsageError extends Error {}

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new AzureUsageError(`--${name} is required`);
  return value.trim();
}

function count(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: number,
  min: number,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < min)
    throw new AzureUsageError(`--${name} must be an integer >= ${min}; got ${JSON.stringify(raw)}`);
  return n;
}

const RETRY_OPTIONS = {
  attempts: { type: 'string' },
  'first-delay': { type: 'string' },
  'max-delay': { type: 'string' },
} as const;

function retryPolicy(values: Record<string, string | boolean | undefined>) {
  return {
    attempts: count(values, 'attempts', 6, 1),
    firstDelayMs: count(values, 'first-delay', 15, 0) * 1000,
    maxDelayMs: count(values, 'max-delay', 120, 0) * 1000,
  };
}

export async function deployZipCommand(args: readonly string[], io: AzureCommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'resource-group': { type: 'string' },
      name: { type: 'string' },
      src: { type: 'string' },
      timeout: { type: 'string' },
      ...RETRY_OPTIONS,
    },
    strict: true,
  });
  const result = await deployZip(
    {
      resourceGroup: required(values, 'resource-group'),
      name: required(values, 'name'),
      src: required(values, 'src'),
      timeoutSeconds: count(values, 'timeout', 600, 1),
      ...retryPolicy(values),
    },
    processRunner(io.env),
    sleep,
    (line) => io.stderr(`${line}\n`),
  );
  if (!result.ok)
    io.stderr(`${annotation('error', `deploy-zip: ${result.failures.at(-1) ?? 'failed'}`, io.env)}\n`);
  return result.ok ? 0 : 1;
}

export async function functionKeyCommand(args: readonly string[], io: AzureCommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'resource-group': { type: 'string' },
      name: { type: 'string' },
      vault: { type: 'string' },
      secret: { type: 'string' },
      'key-name': { type: 'string' },
      ...RETRY_OPTIONS,
    },
    strict: true,
  });
  const keyName =
    typeof values['key-name'] === 'string' ? values['key-name'] : PIPELINE_NAMES.functionHostKeyName;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(keyName))
    throw new AzureUsageError(`--key-name ${JSON.stringify(keyName)} is not a valid key name`);
  const result = await setFunctionKey(
    {
      resourceGroup: required(values, 'resource-group'),
      functionAppName: required(values, 'name'),
      vaultName: required(values, 'vault'),
      secretName: required(values, 'secret'),
      keyName,
      ...retryPolicy(values),
    },
    processRunner(io.env),
    sleep,
    (line) => io.stdout(`${line}\n`),
    (line) => io.stderr(`${line}\n`),
  );
  if (!result.ok)
    io.stderr(
      `${annotation('error', `function-key: ${result.step === 'read' ? 'reading the key from Key Vault' : 'setting the key on the function app'} failed: ${result.result.failures.at(-1) ?? 'empty secret'}`, io.env)}\n`,
    );
  return result.ok ? 0 : 1;
}

export async function preflightCommand(
  args: readonly string[],
  io: AzureCommandIo,
  repositoryRoot: string,
): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      environment: { type: 'string' },
      location: { type: 'string' },
      'apim-sku': { type: 'string' },
    },
    strict: true,
  });
  const env = io.env;
  const nonEmpty = (v: string | undefined) => (v && v.trim() !== '' ? v.trim() : undefined);
  const environment = nonEmpty(values.environment) ?? nonEmpty(env.PIPELINE_ENVIRONMENT) ?? 'dev';
  if (!/^[a-z][a-z0-9]{1,7}$/.test(environment))
    throw new AzureUsageError(`--environment ${JSON.stringify(environment)} is not an environment name`);
  const nodeMajor = readFileSync(join(repositoryRoot, '.nvmrc'), 'utf8').trim().split('.')[0]!;
  const report = await runPreflight(
    {
      environment,
      location: nonEmpty(values.location) ?? nonEmpty(env.AZURE_LOCATION) ?? PIPELINE_DEFAULTS.location,
      apimSku: nonEmpty(values['apim-sku']) ?? nonEmpty(env.APIM_SKU) ?? PIPELINE_DEFAULTS.apimSku,
      workload: PIPELINE_DEFAULTS.workload,
      nameToken: nonEmpty(env.NAME_TOKEN),
      nodeMajor,
      repository: nonEmpty(env.GITHUB_REPOSITORY),
      expectedSubscriptionId: nonEmpty(env.ARM_SUBSCRIPTION_ID),
      repositoryOwnerId: nonEmpty(env.GITHUB_REPOSITORY_OWNER_ID),
      repositoryId: nonEmpty(env.GITHUB_REPOSITORY_ID),
    },
    processRunner(env, 120_000),
  );
  io.stdout(renderChecklist(report));
  return report.ok ? 0 : 1;
}

/**
 * Does the stack's remote state blob exist yet? Before the first apply it does not, and the azurerm
 * backend would then create it (with a lease) even for a plan with -lock=false, which the read-only
 * plan identity cannot do (hashicorp/terraform internal/backend/remote-state/azure, StateMgr). The
 * pull-request plan then plans against an empty local state instead: exactly right, everything is new.
 * `az storage blob exists` prints {"exists": true|false}:
 * https://learn.microsoft.com/cli/azure/storage/blob#az-storage-blob-exists
 */
export async function stateExistsCommand(args: readonly string[], io: AzureCommandIo): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { account: { type: 'string' }, container: { type: 'string' }, key: { type: 'string' } },
    strict: true,
  });
  const result = await processRunner(io.env, 120_000)('az', [
    'storage',
    'blob',
    'exists',
    '--account-name',
    required(values, 'account'),
    '--container-name',
    required(values, 'container'),
    '--name',
    required(values, 'key'),
    '--auth-mode',
    'login',
    '--output',
    'json',
  ]);
  if (result.code !== 0) {
    // Never fall back on an error: a plan against empty state would show everything as new.
    io.stderr(`${annotation('error', `state-exists: ${lastErrorLine(result)}`, io.env)}\n`);
    return 1;
  }
  const exists = parseJsonOutput<{ exists?: unknown }>('az storage blob exists', result).exists;
  if (typeof exists !== 'boolean')
    throw new Error(`az storage blob exists printed no "exists": ${result.stdout}`);
  setOutput('exists', String(exists), io.env);
  io.stdout(
    `${annotation('notice', exists ? `The state ${values.key} exists: planning against it.` : `The state ${values.key} does not exist yet (no apply so far): planning against an empty state.`, io.env)}\n`,
  );
  return 0;
}
