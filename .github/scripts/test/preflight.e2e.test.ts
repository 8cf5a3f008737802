import { join } from 'node:path';
import { main } from '../src/cli';
import { pipelineNames } from '../src/pipeline-names';
import { fakeCli, fixture, type RecordedCommand, type Scenario } from './fake-cli';

// Each check spawns the fake az (a node process): slow on a loaded 2-core machine, never stuck.
jest.setTimeout(60_000);

const ROOT = join(__dirname, '../../..');
const account = fixture('account-show.json') as { id: string; user: { name: string } };
const names = pipelineNames({
  subscriptionId: account.id,
  environment: 'dev',
  location: 'swedencentral',
  workload: 'harvey',
});
const GH_REPO = 'octo-fork/harvey-streaming-pipeline';

/** Every command the preflight runs, answered as a healthy subscription would. */
function healthy(): Record<string, RecordedCommand> {
  return {
    account: { args: ['account', 'show'], responses: [{ stdout: fixture('account-show.json') }] },
    roles: {
      args: ['role', 'assignment', 'list'],
      responses: [{ stdout: fixture('role-assignments-owner.json') }],
    },
    providers: { args: ['provider', 'list'], responses: [{ stdout: fixture('providers.json') }] },
    flex: {
      args: ['functionapp', 'list-flexconsumption-runtimes'],
      responses: [{ stdout: fixture('flex-runtimes-node.json') }],
    },
    skus: { args: ['rest', '--method', 'get'], responses: [{ stdout: fixture('apim-skus.json') }] },
    vaults: { args: ['keyvault', 'list-deleted'], responses: [{ stdout: [] }] },
    apims: { args: ['apim', 'deletedservice', 'list'], responses: [{ stdout: [] }] },
  };
}

function scenario(overrides: Partial<Record<string, RecordedCommand>> = {}, gh = true): Scenario {
  const az = Object.values({ ...healthy(), ...overrides }).filter(
    (c): c is RecordedCommand => c !== undefined,
  );
  return {
    az,
    ...(gh
      ? { gh: [{ args: ['api', `repos/${GH_REPO}`], responses: [{ stdout: fixture('gh-repo.json') }] }] }
      : {}),
  };
}

async function preflight(s: Scenario, env: NodeJS.ProcessEnv = {}, args: string[] = []) {
  const fake = fakeCli(s);
  let stdout = '';
  let stderr = '';
  const code = await main(['preflight', ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: { GITHUB_REPOSITORY: GH_REPO, ...fake.env, ...env },
    cwd: ROOT,
  });
  const line = (mark: string, title: string) =>
    stdout.split('\n').find((l) => l.startsWith(`${mark} ${title}`)) ??
    `(no "${mark} ${title}" line in)\n${stdout}`;
  return { code, stdout, stderr, calls: fake.calls(), line };
}

describe('preflight against recorded az/gh outputs', () => {
  it('passes a ready subscription and prints every check with ✓ and the ids for the bootstrap', async () => {
    const r = await preflight(scenario());
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(
      `Preflight for rg-harvey-dev (Key Vault ${names.keyVault}, API Management ${names.apiManagement})`,
    );
    for (const title of [
      'Signed in to Azure',
      'Your role on the subscription',
      'Resource providers registered',
      'Flex Consumption with Node 22 in swedencentral',
      'API Management Consumption_0 in swedencentral',
      `No soft-deleted Key Vault named ${names.keyVault}`,
      `No soft-deleted API Management named ${names.apiManagement}`,
      'Repository ids for the OIDC subjects',
    ])
      expect(r.line('✓', title)).toMatch(/^✓ /);
    expect(r.stdout).toContain(
      'next: export GITHUB_REPOSITORY_OWNER_ID=98765432 GITHUB_REPOSITORY_ID=812345678',
    );
    expect(r.stdout).toContain('Preflight passed');
    // Each documented command, with JSON output, against the signed-in subscription.
    expect(r.calls).toContainEqual([
      'az',
      'role',
      'assignment',
      'list',
      '--assignee',
      'dev@contoso.example',
      '--scope',
      `/subscriptions/${account.id}`,
      '--include-inherited',
      '--include-groups',
      '--output',
      'json',
    ]);
    expect(r.calls).toContainEqual([
      'az',
      'functionapp',
      'list-flexconsumption-runtimes',
      '--location',
      'swedencentral',
      '--runtime',
      'node',
      '--output',
      'json',
    ]);
    expect(r.calls).toContainEqual([
      'az',
      'keyvault',
      'list-deleted',
      '--resource-type',
      'vault',
      '--output',
      'json',
    ]);
    expect(r.calls).toContainEqual(['gh', 'api', `repos/${GH_REPO}`]);
  });

  it('not signed in: one failure with the fix, the Azure checks skipped, exit 1', async () => {
    const r = await preflight(
      scenario({
        account: {
          args: ['account', 'show'],
          responses: [{ code: 1, stderr: "ERROR: Please run 'az login' to setup account.\n" }],
        },
      }),
    );
    expect(r.code).toBe(1);
    expect(r.line('✗', 'Signed in to Azure')).toBe('✗ Signed in to Azure: not signed in');
    expect(r.stdout).toContain(
      'fix: Run `az login`, then `az account set --subscription <subscription-id>`.',
    );
    expect(r.line('-', 'Resource providers registered')).toContain('not checked');
    expect(r.calls.filter((c) => c[0] === 'az')).toEqual([['az', 'account', 'show', '--output', 'json']]);
    expect(r.stdout).toContain('Preflight failed: 1 check(s) failed, 6 not checked');
  });

  it('signed in to another subscription than ARM_SUBSCRIPTION_ID: fails with az account set', async () => {
    const other = '99999999-0000-4000-8000-000000000000';
    const r = await preflight(scenario(), { ARM_SUBSCRIPTION_ID: other });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`fix: Run \`az account set --subscription ${other}\``);
  });

  it('without az installed: says so', async () => {
    const fake = fakeCli({}, []);
    let stdout = '';
    const code = await main(['preflight'], {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
      env: { ...fake.env, GITHUB_REPOSITORY_OWNER_ID: '1', GITHUB_REPOSITORY_ID: '2' },
      cwd: ROOT,
    });
    expect(code).toBe(1);
    expect(stdout).toContain('✗ Signed in to Azure: the Azure CLI (az) is not installed or not on PATH');
  });

  it('a role that cannot create role assignments fails the role check', async () => {
    const contributorOnly = (fixture('role-assignments-owner.json') as Record<string, unknown>[]).map(
      (a) => ({
        ...a,
        roleDefinitionName: 'Contributor',
      }),
    );
    const r = await preflight(
      scenario({ roles: { args: ['role', 'assignment', 'list'], responses: [{ stdout: contributorOnly }] } }),
    );
    expect(r.code).toBe(1);
    expect(r.line('✗', 'Your role on the subscription')).toContain(
      'you hold Contributor on the subscription',
    );
    expect(r.stdout).toContain('fix: Get Owner, or User Access Administrator + Contributor');
  });

  it('an unregistered provider is a warning: the bootstrap registers it, else the register command', async () => {
    const providers = (fixture('providers.json') as { namespace: string; registrationState: string }[]).map(
      (p) => (p.namespace === 'Microsoft.ApiManagement' ? { ...p, registrationState: 'NotRegistered' } : p),
    );
    const r = await preflight(
      scenario({ providers: { args: ['provider', 'list'], responses: [{ stdout: providers }] } }),
    );
    expect(r.code).toBe(0);
    expect(r.line('!', 'Resource providers registered')).toBe(
      '! Resource providers registered: not registered yet: Microsoft.ApiManagement (NotRegistered); the bootstrap (step 3) registers them with your login',
    );
    expect(r.stdout).toContain('fix: az provider register --namespace Microsoft.ApiManagement --wait');
  });

  it('a region without Flex Consumption (or without Node 22 on it) fails with how to choose another', async () => {
    const noFlex = await preflight(
      scenario({
        flex: {
          args: ['functionapp', 'list-flexconsumption-runtimes'],
          responses: [
            { code: 1, stderr: 'ERROR: Flex Consumption is not available in location westindia.\n' },
          ],
        },
      }),
      { AZURE_LOCATION: 'westindia' },
    );
    expect(noFlex.code).toBe(1);
    expect(noFlex.line('✗', 'Flex Consumption with Node 22 in westindia')).toContain(
      'not available in location westindia',
    );
    expect(noFlex.stdout).toContain(
      'fix: Choose a region that lists it (`az functionapp list-flexconsumption-locations',
    );

    const only20 = (fixture('flex-runtimes-node.json') as { version: string }[]).filter(
      (r) => r.version === '20',
    );
    const old = await preflight(
      scenario({
        flex: { args: ['functionapp', 'list-flexconsumption-runtimes'], responses: [{ stdout: only20 }] },
      }),
    );
    expect(old.code).toBe(1);
    expect(old.line('✗', 'Flex Consumption with Node 22')).toContain('offers Node 20 only');
  });

  it('an API Management tier the region does not offer fails; one the list does not name only warns', async () => {
    const notHere = await preflight(scenario(), { APIM_SKU: 'BasicV2_1' });
    expect(notHere.code).toBe(1);
    expect(notHere.line('✗', 'API Management BasicV2_1 in swedencentral')).toContain(
      'BasicV2 is not offered in swedencentral',
    );
    const unnamed = await preflight(scenario(), { APIM_SKU: 'StandardV2_1' });
    expect(unnamed.code).toBe(0);
    expect(unnamed.line('!', 'API Management StandardV2_1')).toContain('not proven either way');
  });

  // azurerm cannot recover it with the deploy identity's resource-group scope, and purge protection
  // forbids purging: the name is blocked until the retention ends.
  it('a soft-deleted Key Vault of the same name fails with NAME_TOKEN as the fix; another name passes', async () => {
    const deleted = fixture('keyvault-deleted.json', { KEY_VAULT_NAME: names.keyVault });
    const vaults = { args: ['keyvault', 'list-deleted'], responses: [{ stdout: deleted }] };
    const r = await preflight(scenario({ vaults }));
    expect(r.code).toBe(1);
    expect(r.line('✗', `No soft-deleted Key Vault named ${names.keyVault}`)).toContain(
      'is soft-deleted (in westeurope, with purge protection) and keeps its name until 2026-12-08T09:00:00+00:00',
    );
    expect(r.stdout).toContain('fix: Choose other names: set NAME_TOKEN');
    const renamed = await preflight(scenario({ vaults }), { NAME_TOKEN: 'fork2026' });
    expect(renamed.code).toBe(0);
    expect(renamed.line('✓', 'No soft-deleted Key Vault named kv-fork2026')).toContain('none with that name');
  });

  it('a soft-deleted API Management of the same name fails with the purge command', async () => {
    const deleted = fixture('apim-deleted.json', { APIM_NAME: names.apiManagement });
    const r = await preflight(
      scenario({ apims: { args: ['apim', 'deletedservice', 'list'], responses: [{ stdout: deleted }] } }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `fix: az apim deletedservice purge --service-name ${names.apiManagement} --location "Sweden Central"`,
    );
  });

  it('repository ids: from the environment without gh; a failure names how to get them', async () => {
    const fromEnv = await preflight(scenario({}, false), {
      GITHUB_REPOSITORY_OWNER_ID: '98765432',
      GITHUB_REPOSITORY_ID: '812345678',
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.calls.some((c) => c[0] === 'gh')).toBe(false);

    const noGh = await preflight(scenario({}, false));
    expect(noGh.code).toBe(1);
    expect(noGh.line('✗', 'Repository ids for the OIDC subjects')).toContain(
      'fake gh has no recorded output',
    );

    const noRepo = await preflight(scenario(), { GITHUB_REPOSITORY: '' });
    expect(noRepo.code).toBe(1);
    expect(noRepo.stdout).toContain('fix: export GITHUB_REPOSITORY=<owner>/<repo>');
  });
});
