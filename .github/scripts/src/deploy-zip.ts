import { lastErrorLine, type CommandResult, type CommandRunner } from './command-runner';

/**
 * Deploys the functions package with `az functionapp deployment source config-zip`, retrying with a
 * bounded backoff when the failure is one that passes with time:
 *
 * - 403 from the app's deployment container: Flex Consumption uploads the package to a blob
 *   container with the app's managed identity, and a role assigned minutes earlier in the same
 *   apply may not have propagated yet ("Failed to upload because Azure Storage responded with
 *   Forbidden ... 403 (This request is not authorized to perform this operation.)",
 *   Azure/azure-functions-core-tools#4346; "Role assignment changes can take up to 10 minutes",
 *   https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---role-assignment-changes-are-not-being-detected);
 * - the app's deployment endpoint not answering yet right after creation (502/503, "Site
 *   Unavailable", Azure/functions-action#390), or a dropped upload.
 *
 * Anything else (a wrong name, a missing file, a bad package) fails at once: waiting cannot fix it.
 */
export const RETRYABLE_DEPLOY_FAILURES: readonly RegExp[] = [
  /\b403\b/,
  /forbidden/i,
  /not authorized to perform this operation/i,
  /AuthorizationPermissionMismatch/,
  /failed to upload/i,
  /\b50[234]\b/,
  /site unavailable/i,
  /timed? ?out/i,
  /ECONNRESET|connection (reset|aborted)/i,
];

export function isRetryableDeployFailure(result: CommandResult): boolean {
  const text = `${result.stderr}\n${result.stdout}`;
  return RETRYABLE_DEPLOY_FAILURES.some((pattern) => pattern.test(text));
}

/**
 * Waits between attempts: doubling from `firstMs`, each capped at `capMs`. Bounded by the number of
 * attempts, so the worst case is known: with the defaults (6 attempts, 15 s doubling to 120 s) the
 * step waits at most 15+30+60+120+120 = 345 s, inside the 10 minutes RBAC may take.
 */
export function backoffDelays(attempts: number, firstMs: number, capMs: number): number[] {
  return Array.from({ length: Math.max(0, attempts - 1) }, (_, i) => Math.min(capMs, firstMs * 2 ** i));
}

export interface DeployZipOptions {
  readonly resourceGroup: string;
  readonly name: string;
  readonly src: string;
  /** Seconds az waits for the deployment to finish (its own --timeout). */
  readonly timeoutSeconds: number;
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export interface RetryResult {
  readonly ok: boolean;
  readonly attempts: number;
  /** Why each failed attempt failed (the last line the command printed). */
  readonly failures: readonly string[];
  readonly last?: CommandResult;
}

export interface RetryPolicy {
  readonly attempts: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  readonly retryable: (result: CommandResult) => boolean;
  /** Shown in the log lines; never the command's arguments (they may hold a secret). */
  readonly label: string;
  /** Applied to every error line before it is logged (removes a secret az may echo back). */
  readonly redact?: (text: string) => string;
}

/** Runs a command until it succeeds, fails in a way waiting cannot fix, or the attempts run out. */
export async function runWithRetries(
  once: () => Promise<CommandResult>,
  policy: RetryPolicy,
  sleep: (ms: number) => Promise<void>,
  log: (line: string) => void,
): Promise<RetryResult> {
  const redact = policy.redact ?? ((t: string) => t);
  const delays = backoffDelays(policy.attempts, policy.firstDelayMs, policy.maxDelayMs);
  const failures: string[] = [];
  let last: CommandResult | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    last = await once();
    if (last.code === 0) return { ok: true, attempts: attempt, failures, last };
    const reason = redact(lastErrorLine(last));
    failures.push(reason);
    const retryable = policy.retryable(last);
    if (!retryable || attempt === policy.attempts) {
      log(
        retryable
          ? `${policy.label} failed ${attempt} times; giving up: ${reason}`
          : `${policy.label} failed with an error waiting cannot fix: ${reason}`,
      );
      return { ok: false, attempts: attempt, failures, last };
    }
    const delay = delays[attempt - 1]!;
    log(`${policy.label} attempt ${attempt} failed (${reason}); retrying in ${Math.round(delay / 1000)} s`);
    await sleep(delay);
  }
  return { ok: false, attempts: policy.attempts, failures, last };
}

export async function deployZip(
  options: DeployZipOptions,
  run: CommandRunner,
  sleep: (ms: number) => Promise<void>,
  log: (line: string) => void,
): Promise<RetryResult> {
  const args = [
    'functionapp',
    'deployment',
    'source',
    'config-zip',
    '--resource-group',
    options.resourceGroup,
    '--name',
    options.name,
    '--src',
    options.src,
    '--timeout',
    String(options.timeoutSeconds),
    '--output',
    'none',
  ];
  const result = await runWithRetries(
    () => run('az', args),
    { ...options, retryable: isRetryableDeployFailure, label: 'config-zip' },
    sleep,
    log,
  );
  if (result.ok)
    log(`deployed ${options.src} to ${options.name} (attempt ${result.attempts} of ${options.attempts})`);
  return result;
}
