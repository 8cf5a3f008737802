import { Testing } from 'cdktf';
import {
  assignableRolesCondition,
  ASSIGNABLE_ROLES,
  BootstrapStack,
  federatedSubjects,
} from '../src/bootstrap-stack';
import { resource, resources } from './helpers';

function synthBootstrap(repository = 'octo/harvey-fork') {
  const app = Testing.app();
  const stack = new BootstrapStack(app, 'bootstrap', {
    repository,
    subscriptionId: '11111111-2222-3333-4444-555555555555',
    location: 'swedencentral',
    githubEnvironment: 'production',
  });
  return JSON.parse(Testing.synth(stack)) as {
    resource: Record<string, Record<string, Record<string, unknown>>>;
    output: Record<string, { value: string }>;
  };
}

const tf = synthBootstrap();

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

  test('federated credentials for main, the production environment and pull requests; no password', () => {
    const subjects = Object.values(resources(tf, 'azuread_application_federated_identity_credential'))
      .map((c) => c.subject)
      .sort();
    expect(subjects).toEqual(Object.values(federatedSubjects('octo/harvey-fork', 'production')).sort());
    expect(subjects).toContain('repo:octo/harvey-fork:ref:refs/heads/main');
    for (const c of Object.values(resources(tf, 'azuread_application_federated_identity_credential'))) {
      expect(c).toMatchObject({
        issuer: 'https://token.actions.githubusercontent.com',
        audiences: ['api://AzureADTokenExchange'],
      });
    }
    expect(resources(tf, 'azuread_application_password')).toEqual({});
    expect(resources(tf, 'azuread_service_principal_password')).toEqual({});
  });

  test('roles: Contributor, a role-assignment admin limited to the pipeline roles, and the state container', () => {
    const roles = Object.values(resources(tf, 'azurerm_role_assignment'));
    expect(roles.map((r) => r.role_definition_name).sort()).toEqual(
      ['Contributor', 'Role Based Access Control Administrator', 'Storage Blob Data Contributor'].sort(),
    );
    const admin = roles.find((r) => r.role_definition_name === 'Role Based Access Control Administrator')!;
    expect(admin).toMatchObject({ condition: assignableRolesCondition(), condition_version: '2.0' });
    for (const guid of Object.values(ASSIGNABLE_ROLES)) expect(String(admin.condition)).toContain(guid);
    expect(String(admin.condition)).not.toContain('8e3af657-a8ff-443c-a75c-2fe8c4bcb635'); // Owner
    expect(roles.find((r) => r.role_definition_name === 'Storage Blob Data Contributor')!.scope).toMatch(
      /\/blobServices\/default\/containers\/tfstate$/,
    );
  });

  test('prints the GitHub secrets and variables to set', () => {
    for (const name of [
      'AZURE_CLIENT_ID',
      'AZURE_TENANT_ID',
      'AZURE_SUBSCRIPTION_ID',
      'TF_STATE_RESOURCE_GROUP',
      'TF_STATE_STORAGE_ACCOUNT',
      'TF_STATE_CONTAINER',
    ]) {
      expect(tf.output).toHaveProperty(name);
    }
    expect(tf.output.GITHUB_SETUP!.value).toContain('gh secret set AZURE_CLIENT_ID --repo octo/harvey-fork');
    expect(tf.output.GITHUB_SETUP!.value).toContain(
      'gh variable set TF_STATE_STORAGE_ACCOUNT --repo octo/harvey-fork',
    );
  });

  test('refuses a repository that is not owner/name', () => {
    expect(() => synthBootstrap('not a repo')).toThrow(/repository must be owner\/name/);
  });
});
