import {
  assignableRolesCondition,
  ASSIGNABLE_ROLES,
  federatedSubjects,
  PLAN_READ_ACTIONS,
  planRoleName,
  repositoryRefFromEnv,
} from '../src/bootstrap-stack';
import { BOOTSTRAP_REF, resource, resources, synthBootstrap } from './helpers';

const REF = BOOTSTRAP_REF;

const tf = synthBootstrap();
const credentials = Object.values(resources(tf, 'azuread_application_federated_identity_credential'));
const apps = resources(tf, 'azuread_application');
const appRef = (kind: string): string => {
  const name = Object.keys(apps).find((n) => String(apps[n]!.display_name).endsWith(`-${kind}`));
  return `\${azuread_application.${name}.id}`;
};
const spRef = (kind: string): string => {
  const sps = resources(tf, 'azuread_service_principal');
  const name = Object.keys(sps).find((n) => n.includes(`github-${kind}-sp`));
  return `\${azuread_service_principal.${name}.object_id}`;
};
const roles = Object.values(resources(tf, 'azurerm_role_assignment'));
const rolesOf = (kind: string) => roles.filter((r) => r.principal_id === spRef(kind));
const groupRef = (env: string): string => {
  const groups = resources(tf, 'azurerm_resource_group');
  const name = Object.keys(groups).find((n) => n.includes(`pipeline-group-${env}`));
  return `\${azurerm_resource_group.${name}.id}`;
};

describe('bootstrap', () => {
  test('state account: Entra ID only, TLS 1.2, private, versioned with soft delete', () => {
    expect(resource(tf, 'azurerm_storage_account')).toMatchObject({
      shared_access_key_enabled: false,
      min_tls_version: 'TLS1_2',
      allow_nested_items_to_be_public: false,
      blob_properties: { versioning_enabled: true, delete_retention_policy: { days: 30 } },
    });
    expect(resource(tf, 'azurerm_storage_container')).toMatchObject({
      name: 'tfstate',
      container_access_type: 'private',
    });
  });

  test('the OIDC subjects are exactly the immutable-id and the name-only forms GitHub sends', () => {
    expect(federatedSubjects(REF, 'production')).toEqual({
      deploy: {
        main: 'repo:octo@583231/harvey-fork@1296269:ref:refs/heads/main',
        'main-by-name': 'repo:octo/harvey-fork:ref:refs/heads/main',
        environment: 'repo:octo@583231/harvey-fork@1296269:environment:production',
        'environment-by-name': 'repo:octo/harvey-fork:environment:production',
      },
      plan: {
        'pull-request': 'repo:octo@583231/harvey-fork@1296269:pull_request',
        'pull-request-by-name': 'repo:octo/harvey-fork:pull_request',
      },
    });
  });

  test('the deploy identity trusts main and the environment only; the plan identity trusts pull requests only', () => {
    const subjectsOf = (kind: string) =>
      credentials
        .filter((c) => c.application_id === appRef(kind))
        .map((c) => c.subject)
        .sort();
    expect(subjectsOf('deploy')).toEqual([
      'repo:octo/harvey-fork:environment:production',
      'repo:octo/harvey-fork:ref:refs/heads/main',
      'repo:octo@583231/harvey-fork@1296269:environment:production',
      'repo:octo@583231/harvey-fork@1296269:ref:refs/heads/main',
    ]);
    expect(subjectsOf('plan')).toEqual([
      'repo:octo/harvey-fork:pull_request',
      'repo:octo@583231/harvey-fork@1296269:pull_request',
    ]);
    expect(credentials).toHaveLength(6);
    for (const c of credentials) {
      expect(c).toMatchObject({
        issuer: 'https://token.actions.githubusercontent.com',
        audiences: ['api://AzureADTokenExchange'],
      });
    }
    expect(resources(tf, 'azuread_application_password')).toEqual({});
    expect(resources(tf, 'azuread_service_principal_password')).toEqual({});
  });

  test('creates the pipeline resource groups the pipeline stacks read, tagged', () => {
    const groups = Object.values(resources(tf, 'azurerm_resource_group')).filter(
      (g) => g.name !== 'rg-tfstate',
    );
    expect(groups.map((g) => g.name).sort()).toEqual(['rg-harvey-dev', 'rg-harvey-prod']);
    for (const g of groups)
      expect(g.tags).toMatchObject({ workload: 'harvey', repository: 'octo/harvey-fork' });
  });

  test('deploy: Contributor and the constrained RBAC admin on each pipeline group, state read-write; nothing at the subscription', () => {
    const mine = rolesOf('deploy').map((r) => [r.role_definition_name, r.scope]);
    expect(mine).toEqual(
      expect.arrayContaining([
        ['Contributor', groupRef('dev')],
        ['Role Based Access Control Administrator', groupRef('dev')],
        ['Contributor', groupRef('prod')],
        ['Role Based Access Control Administrator', groupRef('prod')],
      ]),
    );
    expect(mine).toHaveLength(5);
    const state = rolesOf('deploy').find((r) => r.role_definition_name === 'Storage Blob Data Contributor')!;
    expect(state.scope).toMatch(/\/blobServices\/default\/containers\/tfstate$/);
    for (const r of roles) expect(String(r.scope)).not.toContain('data.azurerm_subscription');
    for (const r of roles) expect(r.principal_type).toBe('ServicePrincipal');
  });

  test('the RBAC-admin condition names the assignable roles and the ServicePrincipal principal type, for writes and deletes', () => {
    const condition = assignableRolesCondition();
    for (const admin of rolesOf('deploy').filter(
      (r) => r.role_definition_name === 'Role Based Access Control Administrator',
    )) {
      expect(admin).toMatchObject({ condition, condition_version: '2.0' });
    }
    for (const guid of Object.values(ASSIGNABLE_ROLES)) expect(condition).toContain(guid);
    expect(condition).not.toContain('8e3af657-a8ff-443c-a75c-2fe8c4bcb635'); // Owner
    expect(condition).toContain(
      "@Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}",
    );
    expect(condition).toContain(
      "@Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}",
    );
  });

  test('plan: read-only roles on each pipeline group and the state container, and a custom role of list actions only', () => {
    const mine = rolesOf('plan');
    const named = mine
      .filter((r) => r.role_definition_name !== undefined)
      .map((r) => [r.role_definition_name, r.scope]);
    expect(named.sort()).toEqual(
      [
        ['Reader', groupRef('dev')],
        ['Key Vault Secrets User', groupRef('dev')],
        ['Reader', groupRef('prod')],
        ['Key Vault Secrets User', groupRef('prod')],
        ['Storage Blob Data Reader', expect.stringMatching(/\/containers\/tfstate$/) as unknown as string],
      ].sort(),
    );
    const custom = resource(tf, 'azurerm_role_definition');
    expect(custom).toMatchObject({
      name: planRoleName('octo/harvey-fork'),
      permissions: [{ actions: [...PLAN_READ_ACTIONS] }],
      assignable_scopes: [groupRef('dev'), groupRef('prod')],
    });
    for (const action of PLAN_READ_ACTIONS)
      expect(action).toMatch(
        /\/(list|listSecrets|listValue|listKeys|readonlykeys|listConnectionStrings)\/action$/,
      );
    expect(mine.filter((r) => r.role_definition_id !== undefined)).toHaveLength(2);
  });

  test('registers the pipeline resource providers, so the pipeline stacks need not', () => {
    const provider = tf.provider.azurerm[0]!;
    expect(provider.resource_provider_registrations).toBe('none');
    expect(provider.resource_providers_to_register).toEqual(
      expect.arrayContaining(['Microsoft.Web', 'Microsoft.ApiManagement', 'Microsoft.EventHub']),
    );
  });

  test('prints the GitHub secrets and variables to set, including the plan client id', () => {
    for (const name of [
      'AZURE_CLIENT_ID',
      'AZURE_PLAN_CLIENT_ID',
      'AZURE_TENANT_ID',
      'AZURE_SUBSCRIPTION_ID',
      'TF_STATE_RESOURCE_GROUP',
      'TF_STATE_STORAGE_ACCOUNT',
      'TF_STATE_CONTAINER',
      'PIPELINE_RESOURCE_GROUPS',
    ]) {
      expect(tf.output).toHaveProperty(name);
    }
    expect(tf.output.GITHUB_SETUP!.value).toContain('gh secret set AZURE_CLIENT_ID --repo octo/harvey-fork');
    expect(tf.output.GITHUB_SETUP!.value).toContain(
      'gh secret set AZURE_PLAN_CLIENT_ID --repo octo/harvey-fork',
    );
    expect(tf.output.GITHUB_SETUP!.value).toContain(
      'gh variable set TF_STATE_STORAGE_ACCOUNT --repo octo/harvey-fork',
    );
    expect(tf.output.PIPELINE_RESOURCE_GROUPS!.value).toBe('dev=rg-harvey-dev,prod=rg-harvey-prod');
  });

  test('refuses a repository that is not owner/name, and ids that are not numbers', () => {
    expect(() => synthBootstrap({ ...REF, repository: 'not a repo' })).toThrow(
      /repository must be owner\/name/,
    );
    expect(() => synthBootstrap({ ...REF, ownerId: 'octo' })).toThrow(/ownerId must be GitHub's numeric id/);
  });
});

describe('repository ids from the environment', () => {
  test('reads the ids as GitHub Actions names them', () => {
    expect(
      repositoryRefFromEnv('octo/harvey-fork', {
        GITHUB_REPOSITORY_OWNER_ID: '583231',
        GITHUB_REPOSITORY_ID: ' 1296269 ',
      }),
    ).toEqual(REF);
  });

  test('a missing id fails naming the variable and the gh command that prints it', () => {
    expect(() => repositoryRefFromEnv('octo/harvey-fork', { GITHUB_REPOSITORY_OWNER_ID: '583231' })).toThrow(
      /GITHUB_REPOSITORY_ID is not set.*gh api repos\/octo\/harvey-fork --jq '\.owner\.id, \.id'/s,
    );
    expect(() => repositoryRefFromEnv('octo/harvey-fork', {})).toThrow(
      /GITHUB_REPOSITORY_OWNER_ID is not set/,
    );
  });

  test('a malformed id fails naming its value', () => {
    expect(() =>
      repositoryRefFromEnv('octo/harvey-fork', {
        GITHUB_REPOSITORY_OWNER_ID: 'octo',
        GITHUB_REPOSITORY_ID: '1',
      }),
    ).toThrow(/GITHUB_REPOSITORY_OWNER_ID must be GitHub's numeric id \(got "octo"\)/);
  });
});
