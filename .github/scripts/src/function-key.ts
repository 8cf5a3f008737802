import type { CommandRunner } from './command-runner';
import { isRetryableDeployFailure, runWithRetries, type RetryResult } from './deploy-zip';
import { maskCommands } from './github';

/**
 * Sets the host function key API Management presents to the ingest function. Terraform generates
 * the key into Key Vault (APIM's named value references that secret), so no apply ever reads a key
 * from a running app; this step gives the same value to the app after its code is deployed.
 *
 * `az functionapp keys set --key-type functionKeys` creates or replaces a host-level function key
 * (https://learn.microsoft.com/cli/azure/functionapp/keys#az-functionapp-keys-set). Its output
 * echoes the key, so it runs with `--output none`; the value is masked before anything else prints.
 */
export interface FunctionKeyOptions {
  readonly vaultName: string;
  readonly secretName: string;
  readonly resourceGroup: string;
  readonly functionAppName: string;
  readonly keyName: string;
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * Right after a deployment the host's key API can answer 4xx/5xx until the host has started (the
 * keys live in the host's secret store); the same transient failures as the deployment are retried,
 * plus "not found" answers from the host (not from ARM) while it loads.
 */
function retryableKeyFailure(result: { stderr: string; stdout: string; code: number }): boolean {
  if (/ResourceNotFound|ResourceGroupNotFound/.test(result.stderr)) return false;
  return isRetryableDeployFailure(result) || /\b(400|404|409|429)\b|BadRequest|Conflict/i.test(result.stderr);
}

export async function setFunctionKey(
  options: FunctionKeyOptions,
  run: CommandRunner,
  sleep: (ms: number) => Promise<void>,
  stdout: (line: string) => void,
  log: (line: string) => void,
): Promise<{ ok: boolean; step: 'read' | 'set'; result: RetryResult }> {
  const policy = {
    attempts: options.attempts,
    firstDelayMs: options.firstDelayMs,
    maxDelayMs: options.maxDelayMs,
  };
  let value = '';
  const read = await runWithRetries(
    () =>
      run('az', [
        'keyvault',
        'secret',
        'show',
        '--vault-name',
        options.vaultName,
        '--name',
        options.secretName,
        '--query',
        'value',
        '--output',
        'tsv',
      ]),
    {
      ...policy,
      retryable: isRetryableDeployFailure,
      label: `reading ${options.secretName} from ${options.vaultName}`,
    },
    sleep,
    log,
  );
  if (!read.ok) return { ok: false, step: 'read', result: read };
  value = read.last!.stdout.trim();
  if (value === '') {
    log(`${options.secretName} in ${options.vaultName} is empty`);
    return { ok: false, step: 'read', result: { ...read, ok: false } };
  }
  // Mask first: from this line on the runner replaces the value in every log line.
  for (const line of maskCommands(value)) stdout(line);
  const redact = (text: string) => text.split(value).join('***');
  const set = await runWithRetries(
    () =>
      run('az', [
        'functionapp',
        'keys',
        'set',
        '--resource-group',
        options.resourceGroup,
        '--name',
        options.functionAppName,
        '--key-type',
        'functionKeys',
        '--key-name',
        options.keyName,
        '--key-value',
        value,
        '--output',
        'none',
      ]),
    {
      ...policy,
      retryable: retryableKeyFailure,
      label: `setting the function key ${options.keyName}`,
      redact,
    },
    sleep,
    log,
  );
  if (set.ok)
    log(`function key ${options.keyName} set on ${options.functionAppName} from ${options.secretName}`);
  return { ok: set.ok, step: 'set', result: set };
}
