import { lastErrorLine, parseJsonOutput, type CommandResult, type CommandRunner } from './command-runner';
import { pipelineNames, type PipelineNames } from './pipeline-names';

/**
 * `npm run preflight`: what makes a first apply fail, checked with the user's own `az login` before
 * anything is created, and printed as a checklist with the fix for each failure. Every check reads
 * one documented `az` (or `gh`) command's JSON; the shapes the parsers expect are the ones in the
 * recorded fixtures under test/fixtures/preflight, each citing the command's documentation.
 */

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do, for a failure or a warning. */
  readonly fix?: string;
}

export interface PreflightSettings {
  readonly environment: string;
  readonly location: string;
  readonly apimSku: string;
  readonly workload: string;
  readonly nameToken?: string | undefined;
  /** Node.js major the function app runs (.nvmrc). */
  readonly nodeMajor: string;
  /** owner/repo of the fork (GITHUB_REPOSITORY). */
  readonly repository?: string | undefined;
  /** The subscription the user means to deploy into (ARM_SUBSCRIPTION_ID), when set. */
  readonly expectedSubscriptionId?: string | undefined;
  readonly repositoryOwnerId?: string | undefined;
  readonly repositoryId?: string | undefined;
}

/**
 * Resource providers the pipeline stack creates resources in. The deploy identity is scoped to the
 * pipeline's resource groups, so it cannot register a provider itself (registration is a
 * subscription-level action, `Microsoft.<ns>/register/action`): the user registers them once.
 * https://learn.microsoft.com/azure/azure-resource-manager/management/resource-providers-and-types
 * The test maps every azurerm resource the cdktf app imports to one of these.
 */
export const REQUIRED_PROVIDERS: readonly string[] = [
  'Microsoft.ApiManagement',
  'Microsoft.DocumentDB',
  'Microsoft.EventHub',
  'Microsoft.Insights',
  'Microsoft.KeyVault',
  'Microsoft.OperationalInsights',
  'Microsoft.Storage',
  'Microsoft.Web',
];

/** Roles that can create the bootstrap's role assignments and resources (subscription scope or above). */
const OWNER = 'Owner';
const ACCESS_ADMINS = ['User Access Administrator'];
const CONTRIBUTOR = 'Contributor';

/** API Management SKU list (ApiManagementSkus_List); see test/fixtures/preflight/apim-skus.json. */
export const APIM_SKUS_API_VERSION = '2024-05-01';

interface AccountShow {
  id: string;
  name: string;
  tenantId: string;
  user?: { name?: string; type?: string };
}
interface RoleAssignment {
  roleDefinitionName?: string;
  scope?: string;
  condition?: string | null;
}
interface Provider {
  namespace: string;
  registrationState: string;
}
interface FlexRuntime {
  version?: string;
}
interface ApimSku {
  resourceType?: string;
  name?: string;
  locations?: string[];
  restrictions?: { type?: string; values?: string[] }[];
}
interface DeletedVault {
  name: string;
  properties?: { location?: string; scheduledPurgeDate?: string; purgeProtectionEnabled?: boolean };
}
interface DeletedApim {
  name: string;
  location?: string;
  scheduledPurgeDate?: string;
}
interface GitHubRepository {
  id: number;
  owner: { id: number; login: string };
}

const normalizeRegion = (region: string) => region.toLowerCase().replace(/\s+/g, '');

const notSignedIn = (result: CommandResult) =>
  /az login|not logged in|No subscription found|AADSTS|refresh token/i.test(result.stderr);

function skipped(id: string, title: string, why: string): CheckResult {
  return { id, title, status: 'skip', detail: `not checked: ${why}` };
}

/** The roles one may hold at subscription scope (assignments on resource groups do not count). */
export function subscriptionRoles(
  assignments: readonly RoleAssignment[],
  subscriptionId: string,
): Set<string> {
  const subscriptionScope = `/subscriptions/${subscriptionId}`.toLowerCase();
  return new Set(
    assignments
      .filter((a) => {
        const scope = (a.scope ?? '').toLowerCase().replace(/\/$/, '');
        // The subscription itself, the root, or a management group above it (inherited).
        return (
          scope === subscriptionScope ||
          scope === '' ||
          scope.startsWith('/providers/microsoft.management/managementgroups/')
        );
      })
      // A conditioned assignment (constrained delegation) may not allow what the bootstrap assigns.
      .filter((a) => !a.condition)
      .map((a) => a.roleDefinitionName ?? ''),
  );
}

export function roleVerdict(roles: Set<string>): { ok: boolean; detail: string } {
  const held = [...roles].filter((r) => r !== '').sort();
  const heldText = held.length > 0 ? held.join(', ') : 'no role';
  if (roles.has(OWNER)) return { ok: true, detail: `Owner on the subscription` };
  const admin = ACCESS_ADMINS.find((r) => roles.has(r));
  if (admin && roles.has(CONTRIBUTOR))
    return { ok: true, detail: `${admin} + Contributor on the subscription` };
  return { ok: false, detail: `you hold ${heldText} on the subscription` };
}

export interface PreflightReport {
  readonly checks: readonly CheckResult[];
  readonly names?: PipelineNames;
  readonly ok: boolean;
}

export async function runPreflight(
  settings: PreflightSettings,
  run: CommandRunner,
): Promise<PreflightReport> {
  const checks: CheckResult[] = [];
  const azureChecks: [string, string][] = [
    ['role', 'Your role on the subscription'],
    ['providers', 'Resource providers registered'],
    ['flex', `Flex Consumption with Node ${settings.nodeMajor} in ${settings.location}`],
    ['apim-sku', `API Management ${settings.apimSku} in ${settings.location}`],
    ['deleted-key-vault', 'No soft-deleted Key Vault in the way'],
    ['deleted-apim', 'No soft-deleted API Management in the way'],
  ];

  // 1. Signed in, to the intended subscription.
  const accountResult = await run('az', ['account', 'show', '--output', 'json']);
  let account: AccountShow | undefined;
  if (accountResult.code === 127) {
    checks.push({
      id: 'account',
      title: 'Signed in to Azure',
      status: 'fail',
      detail: 'the Azure CLI (az) is not installed or not on PATH',
      fix: 'Install it: https://learn.microsoft.com/cli/azure/install-azure-cli, then `az login`.',
    });
  } else if (accountResult.code !== 0) {
    checks.push({
      id: 'account',
      title: 'Signed in to Azure',
      status: 'fail',
      detail: notSignedIn(accountResult) ? 'not signed in' : lastErrorLine(accountResult),
      fix: 'Run `az login`, then `az account set --subscription <subscription-id>`.',
    });
  } else {
    account = parseJsonOutput<AccountShow>('az account show', accountResult);
    const expected = settings.expectedSubscriptionId?.trim();
    if (expected && expected.toLowerCase() !== account.id.toLowerCase()) {
      checks.push({
        id: 'account',
        title: 'Signed in to Azure',
        status: 'fail',
        detail: `az is on subscription ${account.id} (${account.name}), but ARM_SUBSCRIPTION_ID is ${expected}`,
        fix: `Run \`az account set --subscription ${expected}\` (or unset ARM_SUBSCRIPTION_ID to use ${account.id}).`,
      });
      account = undefined;
    } else {
      checks.push({
        id: 'account',
        title: 'Signed in to Azure',
        status: 'pass',
        detail: `${account.user?.name ?? 'unknown user'} on ${account.name} (${account.id})`,
      });
    }
  }

  let names: PipelineNames | undefined;
  if (!account) {
    for (const [id, title] of azureChecks)
      checks.push(skipped(id, title, 'not signed in to the intended subscription'));
  } else {
    names = pipelineNames({
      subscriptionId: account.id,
      environment: settings.environment,
      location: settings.location,
      workload: settings.workload,
      tokenOverride: settings.nameToken,
    });
    checks.push(await checkRole(account, run));
    checks.push(await checkProviders(run));
    checks.push(await checkFlex(settings, run));
    checks.push(await checkApimSku(settings, account.id, run));
    checks.push(await checkDeletedKeyVault(names.keyVault, run));
    checks.push(await checkDeletedApim(names.apiManagement, run));
  }
  checks.push(await checkRepositoryIds(settings, run));
  return {
    checks,
    ...(names ? { names } : {}),
    ok: checks.every((c) => c.status === 'pass' || c.status === 'warn'),
  };
}

async function checkRole(account: AccountShow, run: CommandRunner): Promise<CheckResult> {
  const id = 'role';
  const title = 'Your role on the subscription';
  const assignee = account.user?.name;
  if (!assignee)
    return {
      id,
      title,
      status: 'fail',
      detail: 'az account show names no user',
      fix: 'Run `az login` again.',
    };
  const args = [
    'role',
    'assignment',
    'list',
    '--assignee',
    assignee,
    '--scope',
    `/subscriptions/${account.id}`,
    '--include-inherited',
    ...(account.user?.type === 'user' ? ['--include-groups'] : []),
    '--output',
    'json',
  ];
  const result = await run('az', args);
  if (result.code !== 0)
    return {
      id,
      title,
      status: 'fail',
      detail: `could not list your role assignments: ${lastErrorLine(result)}`,
      fix: 'You need Owner (or User Access Administrator + Contributor) on the subscription; ask its owner.',
    };
  const verdict = roleVerdict(
    subscriptionRoles(parseJsonOutput<RoleAssignment[]>('az role assignment list', result), account.id),
  );
  return verdict.ok
    ? { id, title, status: 'pass', detail: verdict.detail }
    : {
        id,
        title,
        status: 'fail',
        detail: `${verdict.detail}; the bootstrap creates identities and role assignments`,
        fix:
          'Get Owner, or User Access Administrator + Contributor, on the subscription (without a condition). ' +
          'A PIM-eligible role must be activated first.',
      };
}

async function checkProviders(run: CommandRunner): Promise<CheckResult> {
  const id = 'providers';
  const title = 'Resource providers registered';
  const result = await run('az', ['provider', 'list', '--output', 'json']);
  if (result.code !== 0)
    return {
      id,
      title,
      status: 'fail',
      detail: lastErrorLine(result),
      fix: 'Check `az provider list` works.',
    };
  const states = new Map(
    parseJsonOutput<Provider[]>('az provider list', result).map((p) => [
      p.namespace.toLowerCase(),
      p.registrationState,
    ]),
  );
  const missing = REQUIRED_PROVIDERS.filter((ns) => states.get(ns.toLowerCase()) !== 'Registered');
  if (missing.length === 0) return { id, title, status: 'pass', detail: REQUIRED_PROVIDERS.join(', ') };
  const listed = missing.map((ns) => `${ns} (${states.get(ns.toLowerCase()) ?? 'NotRegistered'})`).join(', ');
  // The bootstrap, applied with this login, registers them (its azurerm provider's
  // resource_providers_to_register); the pipeline's deploy identity cannot, having no
  // subscription-scope role. So before the bootstrap this is expected; after it, a problem.
  return {
    id,
    title,
    status: 'warn',
    detail: `not registered yet: ${listed}; the bootstrap (step 3) registers them with your login`,
    fix: [
      'If the bootstrap already ran, register them yourself:',
      ...missing.map((ns) => `az provider register --namespace ${ns} --wait`),
    ].join('\n'),
  };
}

async function checkFlex(settings: PreflightSettings, run: CommandRunner): Promise<CheckResult> {
  const id = 'flex';
  const title = `Flex Consumption with Node ${settings.nodeMajor} in ${settings.location}`;
  // https://learn.microsoft.com/cli/azure/functionapp#az-functionapp-list-flexconsumption-runtimes
  const result = await run('az', [
    'functionapp',
    'list-flexconsumption-runtimes',
    '--location',
    settings.location,
    '--runtime',
    'node',
    '--output',
    'json',
  ]);
  const fix =
    'Choose a region that lists it (`az functionapp list-flexconsumption-locations --output table`) and set ' +
    'AZURE_LOCATION to it, both in your shell and as the repository variable.';
  if (result.code !== 0) return { id, title, status: 'fail', detail: lastErrorLine(result), fix };
  const versions = parseJsonOutput<FlexRuntime[]>('az functionapp list-flexconsumption-runtimes', result)
    .map((r) => String(r.version ?? ''))
    .filter((v) => v !== '');
  if (versions.some((v) => v.split('.')[0] === settings.nodeMajor))
    return { id, title, status: 'pass', detail: `Node versions offered: ${versions.join(', ')}` };
  return {
    id,
    title,
    status: 'fail',
    detail:
      versions.length === 0
        ? `${settings.location} offers no Flex Consumption Node runtime`
        : `${settings.location} offers Node ${versions.join(', ')} only`,
    fix,
  };
}

async function checkApimSku(
  settings: PreflightSettings,
  subscriptionId: string,
  run: CommandRunner,
): Promise<CheckResult> {
  const id = 'apim-sku';
  const title = `API Management ${settings.apimSku} in ${settings.location}`;
  const tier = settings.apimSku.split('_')[0]!;
  // https://learn.microsoft.com/rest/api/apimanagement/api-management-skus/list
  const result = await run('az', [
    'rest',
    '--method',
    'get',
    '--url',
    `https://management.azure.com/subscriptions/${subscriptionId}/providers/Microsoft.ApiManagement/skus?api-version=${APIM_SKUS_API_VERSION}`,
    '--output',
    'json',
  ]);
  if (result.code !== 0)
    return {
      id,
      title,
      status: 'fail',
      detail: lastErrorLine(result),
      fix: 'Check the Microsoft.ApiManagement provider is registered.',
    };
  const skus = parseJsonOutput<{ value?: ApimSku[] }>('az rest (API Management SKUs)', result).value ?? [];
  const entries = skus.filter(
    (s) => (s.resourceType ?? 'service') === 'service' && s.name?.toLowerCase() === tier.toLowerCase(),
  );
  const region = normalizeRegion(settings.location);
  const fix = `Set APIM_SKU to a tier offered in ${settings.location}, or AZURE_LOCATION to a region that offers ${tier} (https://learn.microsoft.com/azure/api-management/api-management-region-availability).`;
  if (entries.length === 0)
    // The list is per subscription and has not always named every tier: no entry is not proof of absence.
    return {
      id,
      title,
      status: 'warn',
      detail: `the SKU list of this subscription does not name ${tier}; not proven either way`,
      fix: `Check ${tier} in ${settings.location} on https://learn.microsoft.com/azure/api-management/api-management-region-availability.`,
    };
  const offered = entries.some((e) => (e.locations ?? []).some((l) => normalizeRegion(l) === region));
  const restricted = entries.some((e) =>
    (e.restrictions ?? []).some(
      (r) => r.type === 'Location' && (r.values ?? []).some((v) => normalizeRegion(v) === region),
    ),
  );
  if (offered && !restricted)
    return { id, title, status: 'pass', detail: `${tier} is offered in ${settings.location}` };
  return {
    id,
    title,
    status: 'fail',
    detail: restricted
      ? `${tier} is restricted for this subscription in ${settings.location}`
      : `${tier} is not offered in ${settings.location}`,
    fix,
  };
}

async function checkDeletedKeyVault(name: string, run: CommandRunner): Promise<CheckResult> {
  const id = 'deleted-key-vault';
  const title = `No soft-deleted Key Vault named ${name} in the way`;
  // https://learn.microsoft.com/cli/azure/keyvault#az-keyvault-list-deleted
  const result = await run('az', [
    'keyvault',
    'list-deleted',
    '--resource-type',
    'vault',
    '--output',
    'json',
  ]);
  if (result.code !== 0)
    return {
      id,
      title,
      status: 'fail',
      detail: lastErrorLine(result),
      fix: 'Check `az keyvault list-deleted` works.',
    };
  const match = parseJsonOutput<DeletedVault[]>('az keyvault list-deleted', result).find(
    (v) => v.name.toLowerCase() === name.toLowerCase(),
  );
  if (!match) return { id, title, status: 'pass', detail: 'none with that name in this subscription' };
  const deletedIn = match.properties?.location ?? 'unknown';
  const purgeDate = match.properties?.scheduledPurgeDate ?? 'unknown';
  // Key Vault names are global and the stack's are deterministic. azurerm can recover a soft-deleted
  // vault only with subscription-scope read, which the deploy identity does not have (it is scoped
  // to the pipeline's resource groups): the create then fails with a name conflict. With purge
  // protection on, the vault cannot be purged either. https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview
  return {
    id,
    title,
    status: 'fail',
    detail: `${name} is soft-deleted (in ${deletedIn}, with purge protection) and keeps its name until ${purgeDate}`,
    fix:
      `Choose other names: set NAME_TOKEN (4 to 13 of a-z0-9) in your shell and as the repository variable, ` +
      `or wait until ${purgeDate}.`,
  };
}

async function checkDeletedApim(name: string, run: CommandRunner): Promise<CheckResult> {
  const id = 'deleted-apim';
  const title = `No soft-deleted API Management named ${name} in the way`;
  // https://learn.microsoft.com/cli/azure/apim/deletedservice#az-apim-deletedservice-list
  const result = await run('az', ['apim', 'deletedservice', 'list', '--output', 'json']);
  if (result.code !== 0)
    return {
      id,
      title,
      status: 'fail',
      detail: lastErrorLine(result),
      fix: 'Check `az apim deletedservice list` works.',
    };
  const match = parseJsonOutput<DeletedApim[]>('az apim deletedservice list', result).find(
    (s) => s.name.toLowerCase() === name.toLowerCase(),
  );
  if (!match) return { id, title, status: 'pass', detail: 'none with that name in this subscription' };
  return {
    id,
    title,
    status: 'fail',
    detail: `${name} is soft-deleted in ${match.location ?? 'unknown'} until ${match.scheduledPurgeDate ?? 'unknown'}; creating a service of that name fails until it is purged`,
    // API Management soft delete: https://learn.microsoft.com/azure/api-management/soft-delete
    fix: `az apim deletedservice purge --service-name ${name} --location "${match.location ?? '<location>'}"`,
  };
}

async function checkRepositoryIds(settings: PreflightSettings, run: CommandRunner): Promise<CheckResult> {
  const id = 'repository-ids';
  const title = 'Repository ids for the OIDC subjects';
  const numeric = (v: string | undefined) => v !== undefined && /^\d+$/.test(v.trim());
  if (numeric(settings.repositoryOwnerId) && numeric(settings.repositoryId))
    return {
      id,
      title,
      status: 'pass',
      detail: `owner id ${settings.repositoryOwnerId}, repository id ${settings.repositoryId} (from the environment)`,
    };
  const repository = settings.repository?.trim();
  if (!repository || !/^[\w.-]+\/[\w.-]+$/.test(repository))
    return {
      id,
      title,
      status: 'fail',
      detail: 'GITHUB_REPOSITORY is not set to <owner>/<repo>',
      fix: 'export GITHUB_REPOSITORY=<owner>/<repo>   # your fork',
    };
  // https://docs.github.com/rest/repos/repos#get-a-repository (id, owner.id)
  const result = await run('gh', ['api', `repos/${repository}`]);
  const manual =
    `export GITHUB_REPOSITORY_OWNER_ID=<owner id> GITHUB_REPOSITORY_ID=<repository id>  ` +
    `# from \`curl -s https://api.github.com/repos/${repository}\` (.owner.id and .id)`;
  if (result.code === 127)
    return {
      id,
      title,
      status: 'fail',
      detail: 'the GitHub CLI (gh) is not installed and the ids are not in the environment',
      fix: manual,
    };
  if (result.code !== 0)
    return {
      id,
      title,
      status: 'fail',
      detail: `gh api repos/${repository}: ${lastErrorLine(result)}`,
      fix: `Run \`gh auth login\` (and check the repository name), or: ${manual}`,
    };
  const repo = parseJsonOutput<GitHubRepository>(`gh api repos/${repository}`, result);
  return {
    id,
    title,
    status: 'pass',
    detail: `owner ${repo.owner.login} id ${repo.owner.id}, repository id ${repo.id}`,
    fix: `export GITHUB_REPOSITORY_OWNER_ID=${repo.owner.id} GITHUB_REPOSITORY_ID=${repo.id}   # before the bootstrap`,
  };
}

const MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '-' };

/** The checklist as printed: one line per check, the fix indented under each failure or warning. */
export function renderChecklist(report: PreflightReport): string {
  const lines: string[] = [];
  if (report.names)
    lines.push(
      `Preflight for ${report.names.resourceGroup} (Key Vault ${report.names.keyVault}, API Management ${report.names.apiManagement})`,
      '',
    );
  for (const c of report.checks) {
    lines.push(`${MARK[c.status]} ${c.title}: ${c.detail}`);
    if (c.fix && c.status !== 'skip')
      for (const f of c.fix.split('\n')) lines.push(`    ${c.status === 'pass' ? 'next' : 'fix'}: ${f}`);
  }
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const skippedCount = report.checks.filter((c) => c.status === 'skip').length;
  lines.push(
    '',
    report.ok
      ? 'Preflight passed: run the bootstrap (docs/deploying.md, step 3).'
      : `Preflight failed: ${failed} check(s) failed${skippedCount ? `, ${skippedCount} not checked` : ''}. Fix them and run \`npm run preflight\` again.`,
  );
  return `${lines.join('\n')}\n`;
}
