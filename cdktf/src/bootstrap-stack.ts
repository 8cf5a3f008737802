import type { Construct } from 'constructs';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Application } from '@cdktf/provider-azuread/lib/application';
import { ApplicationFederatedIdentityCredential } from '@cdktf/provider-azuread/lib/application-federated-identity-credential';
import { AzureadProvider } from '@cdktf/provider-azuread/lib/provider';
import { ServicePrincipal } from '@cdktf/provider-azuread/lib/service-principal';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { DataAzurermSubscription } from '@cdktf/provider-azurerm/lib/data-azurerm-subscription';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { RoleDefinition } from '@cdktf/provider-azurerm/lib/role-definition';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { ABBREVIATIONS, nameToken, standardTags } from './naming';

export const STATE_CONTAINER = 'tfstate';

/** Roles the pipeline stack assigns; the deployer may assign these and nothing else. */
export const ASSIGNABLE_ROLES = {
  'Azure Event Hubs Data Sender': '2b629674-e913-4c01-ae53-ef4638d8f975',
  'Azure Event Hubs Data Receiver': 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
} as const;

/**
 * Resource providers the pipeline uses. The bootstrap (run by a subscription owner) registers them,
 * so the deploy identity, which holds no subscription-scope role, never has to.
 */
export const PIPELINE_RESOURCE_PROVIDERS = [
  'Microsoft.ApiManagement',
  'Microsoft.DocumentDB',
  'Microsoft.EventHub',
  'Microsoft.Insights',
  'Microsoft.KeyVault',
  'Microsoft.OperationalInsights',
  'Microsoft.Storage',
  'Microsoft.Web',
] as const;

/** Roles the deploy identity holds on each pipeline resource group (and nowhere else but the state container). */
export const DEPLOY_GROUP_ROLES = ['Contributor', 'Role Based Access Control Administrator'] as const;

/**
 * Actions `terraform plan` needs during refresh that the built-in Reader lacks: the azurerm provider
 * (4.55) lists a function app's settings and publishing credentials (POST .../config/appsettings/list) and an API
 * Management subscription's keys (listSecrets) when it reads those resources. All are reads; none
 * changes anything. Source: Azure resource provider operations, learn.microsoft.com/azure/role-based-access-control/permissions/web-and-mobile
 * and .../permissions/integration (Microsoft.Web, Microsoft.ApiManagement).
 */
export const PLAN_READ_ACTIONS = [
  'Microsoft.Web/sites/config/list/action',
  'Microsoft.ApiManagement/service/subscriptions/listSecrets/action',
  'Microsoft.ApiManagement/service/namedValues/listValue/action',
  // azurerm's Cosmos DB account read fails unless it can list the keys and connection strings
  // (internal/services/cosmos/cosmosdb_account_resource.go). Local auth is disabled on the account,
  // so the keys open nothing; the plan identity cannot re-enable it.
  'Microsoft.DocumentDB/databaseAccounts/listKeys/action',
  'Microsoft.DocumentDB/databaseAccounts/readonlykeys/action',
  'Microsoft.DocumentDB/databaseAccounts/listConnectionStrings/action',
] as const;

/** Name of the custom role that carries PLAN_READ_ACTIONS (one per fork: custom role names are tenant-wide). */
export function planRoleName(repository: string): string {
  return `Terraform plan reader (${repository})`;
}

/**
 * Roles the plan identity holds on each pipeline resource group: read the resources, read the Key
 * Vault secrets (refreshing an azurerm_key_vault_secret reads its value), and the list actions
 * above. Nothing that writes.
 */
export const PLAN_GROUP_ROLES = ['Reader', 'Key Vault Secrets User'] as const;

/** The repository's names and GitHub's immutable numeric ids for it. */
export interface RepositoryRef {
  /** `owner/name`. */
  readonly repository: string;
  /** `GITHUB_REPOSITORY_OWNER_ID` (`gh api repos/<owner>/<repo> --jq .owner.id`). */
  readonly ownerId: string;
  /** `GITHUB_REPOSITORY_ID` (`gh api repos/<owner>/<repo> --jq .id`). */
  readonly repositoryId: string;
}

const NUMERIC_ID = /^[1-9][0-9]{0,19}$/;

/**
 * The repository's immutable ids, from the variables GitHub Actions sets in every job
 * (`GITHUB_REPOSITORY_OWNER_ID`, `GITHUB_REPOSITORY_ID`; docs.github.com "Store information in
 * variables", default environment variables). Missing or malformed ids fail with the command that
 * prints them, because a bootstrap without them creates credentials GitHub never matches.
 */
export function repositoryRefFromEnv(repository: string, env: NodeJS.ProcessEnv): RepositoryRef {
  const read = (name: string): string => {
    const value = env[name]?.trim() ?? '';
    if (value === '') {
      throw new Error(
        `${name} is not set. The bootstrap trusts GitHub's OIDC subjects with immutable ids ` +
          `(repo:<owner>@<ownerId>/<repo>@<repoId>:...), so it needs GITHUB_REPOSITORY_OWNER_ID and GITHUB_REPOSITORY_ID. ` +
          `Print them with: gh api repos/${repository} --jq '.owner.id, .id'`,
      );
    }
    if (!NUMERIC_ID.test(value)) {
      throw new Error(
        `${name} must be GitHub's numeric id (got ${JSON.stringify(value)}); print it with: gh api repos/${repository} --jq '.owner.id, .id'`,
      );
    }
    return value;
  };
  return {
    repository,
    ownerId: read('GITHUB_REPOSITORY_OWNER_ID'),
    repositoryId: read('GITHUB_REPOSITORY_ID'),
  };
}

/**
 * The `sub` prefixes GitHub may send for the repository: with immutable ids (every repository
 * created or renamed on or after 2026-07-15, so every new fork) and by name only (older ones).
 * Source: docs.github.com/actions/reference/security/oidc ("OpenID Connect reference") and the
 * changelog of 2026-04-23, "Immutable subject claims for GitHub Actions OIDC tokens".
 */
export function subjectPrefixes(ref: RepositoryRef): { immutable: string; byName: string } {
  const [owner, repo] = ref.repository.split('/') as [string, string];
  return {
    immutable: `repo:${owner}@${ref.ownerId}/${repo}@${ref.repositoryId}`,
    byName: `repo:${owner}/${repo}`,
  };
}

/**
 * The GitHub OIDC subjects each identity trusts, by credential name. The deploy identity: the
 * `main` branch and the deployment environment. The plan identity: pull requests only.
 */
export function federatedSubjects(
  ref: RepositoryRef,
  environment: string,
): { deploy: Record<string, string>; plan: Record<string, string> } {
  const { immutable, byName } = subjectPrefixes(ref);
  return {
    deploy: {
      main: `${immutable}:ref:refs/heads/main`,
      'main-by-name': `${byName}:ref:refs/heads/main`,
      environment: `${immutable}:environment:${environment}`,
      'environment-by-name': `${byName}:environment:${environment}`,
    },
    plan: {
      'pull-request': `${immutable}:pull_request`,
      'pull-request-by-name': `${byName}:pull_request`,
    },
  };
}

/**
 * ABAC condition on Role Based Access Control Administrator: it may add or remove assignments of
 * the roles above only, and only to service principals (managed identities and the deploy identity
 * itself), never to users or groups. Source: learn.microsoft.com/azure/role-based-access-control/
 * delegate-role-assignments-examples ("Constrain roles", "Constrain roles and principal types") and
 * conditions-authorization-actions-attributes (RoleDefinitionId, PrincipalType; write reads the
 * request, delete the existing assignment). An assignment made under this condition must state its
 * principal type (azurerm_role_assignment `principal_type`), or the condition cannot match.
 */
export function assignableRolesCondition(): string {
  const guids = Object.values(ASSIGNABLE_ROLES).join(', ');
  const clause = (action: string, source: string): string =>
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/${action}'})) OR ` +
    `(@${source}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${guids}} ` +
    `AND @${source}[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}))`;
  return `${clause('write', 'Request')} AND ${clause('delete', 'Resource')}`;
}

/** A pipeline environment's resource group, created here so both identities can be scoped to it. */
export interface PipelineResourceGroup {
  readonly environment: string;
  readonly name: string;
  readonly location: string;
  readonly workload: string;
}

export interface BootstrapStackProps {
  /** The fork, with GitHub's immutable ids for it. */
  readonly repository: RepositoryRef;
  /** Subscription to deploy into (drives the state account's name token). */
  readonly subscriptionId: string;
  readonly location: string;
  /** GitHub environment whose deployments may sign in (`production`). */
  readonly githubEnvironment: string;
  /** The resource group of each pipeline environment (names must match the pipeline stacks'). */
  readonly pipelineResourceGroups: readonly PipelineResourceGroup[];
}

/**
 * Run once, with your own `az login` as a subscription owner: registers the resource providers,
 * creates the remote state account (Entra ID only), the pipeline's resource groups, and two GitHub
 * identities (Entra applications with federated credentials, no secret): a deploy identity for the
 * `main` branch and the deployment environment, with Contributor and a constrained RBAC
 * administrator on the pipeline groups only; and a plan identity for pull requests that can only
 * read. Its outputs are the GitHub secrets and variables to set.
 */
export class BootstrapStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    const repository = props.repository.repository;
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
      throw new Error(`repository must be owner/name (got ${JSON.stringify(repository)})`);
    }
    for (const [name, value] of [
      ['ownerId', props.repository.ownerId],
      ['repositoryId', props.repository.repositoryId],
    ] as const) {
      if (!NUMERIC_ID.test(value))
        throw new Error(`repository ${name} must be GitHub's numeric id (got ${JSON.stringify(value)})`);
    }
    if (props.pipelineResourceGroups.length === 0) {
      throw new Error('pipelineResourceGroups must name at least one resource group');
    }
    // The state account does not exist yet: this stack's own state is local, kept outside
    // cdktf.out (cdktf/bootstrap.tfstate, git-ignored) so cleaning the output never loses it.
    new LocalBackend(this, { path: '../../../bootstrap.tfstate' });
    new AzurermProvider(this, 'azurerm', {
      features: [{ storage: [{ dataPlaneAvailable: false }] }],
      storageUseAzuread: true,
      // Registered here, by the owner, so the pipeline's provider can skip registration.
      resourceProviderRegistrations: 'none',
      resourceProvidersToRegister: [...PIPELINE_RESOURCE_PROVIDERS],
    });
    new AzureadProvider(this, 'azuread', {});
    const client = new DataAzurermClientConfig(this, 'client');
    const subscription = new DataAzurermSubscription(this, 'subscription', {});
    const tags = standardTags('shared', 'tfstate', repository);

    const group = new ResourceGroup(this, 'state-group', {
      name: `${ABBREVIATIONS.resourceGroup}tfstate`,
      location: props.location,
      tags,
    });
    const account = new StorageAccount(this, 'state-account', {
      name: `${ABBREVIATIONS.stateStorageAccount}${nameToken(props.subscriptionId, 'tfstate', props.location)}`,
      resourceGroupName: group.name,
      location: props.location,
      accountKind: 'StorageV2',
      accountTier: 'Standard',
      accountReplicationType: 'ZRS',
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      minTlsVersion: 'TLS1_2',
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      crossTenantReplicationEnabled: false,
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: 30 },
        containerDeleteRetentionPolicy: { days: 30 },
      },
      tags,
    });
    const container = new StorageContainer(this, 'state-container', {
      name: STATE_CONTAINER,
      storageAccountId: account.id,
      containerAccessType: 'private',
    });
    const containerScope = `${account.id}/blobServices/default/containers/${STATE_CONTAINER}`;

    const pipelineGroups = props.pipelineResourceGroups.map(
      (g) =>
        new ResourceGroup(this, `pipeline-group-${g.environment}`, {
          name: g.name,
          location: g.location,
          tags: standardTags(g.environment, g.workload, repository),
        }),
    );

    const [owner, repo] = repository.split('/') as [string, string];
    const subjects = federatedSubjects(props.repository, props.githubEnvironment);
    const identity = (kind: 'deploy' | 'plan'): { application: Application; principal: ServicePrincipal } => {
      const application = new Application(this, `github-${kind}-app`, {
        displayName: `github-${owner}-${repo}-${kind}`,
        owners: [client.objectId],
        signInAudience: 'AzureADMyOrg',
      });
      const principal = new ServicePrincipal(this, `github-${kind}-sp`, {
        clientId: application.clientId,
        owners: [client.objectId],
      });
      for (const [name, subject] of Object.entries(subjects[kind])) {
        new ApplicationFederatedIdentityCredential(this, `${kind}-federated-${name}`, {
          applicationId: application.id,
          displayName: `github-${name}`,
          description: `GitHub Actions OIDC: ${subject}`,
          audiences: ['api://AzureADTokenExchange'],
          issuer: 'https://token.actions.githubusercontent.com',
          subject,
        });
      }
      return { application, principal };
    };
    const deploy = identity('deploy');
    const plan = identity('plan');

    const grant = (
      id: string,
      principal: ServicePrincipal,
      scope: string,
      role: { name: string } | { id: string },
      options: { condition?: string; dependsOn?: StorageContainer[]; description: string },
    ): RoleAssignment =>
      new RoleAssignment(this, id, {
        dependsOn: options.dependsOn,
        scope,
        ...('name' in role ? { roleDefinitionName: role.name } : { roleDefinitionId: role.id }),
        principalId: principal.objectId,
        principalType: 'ServicePrincipal',
        condition: options.condition,
        conditionVersion: options.condition ? '2.0' : undefined,
        description: options.description,
      });

    const planRole = new RoleDefinition(this, 'plan-role', {
      name: planRoleName(repository),
      scope: subscription.id,
      description: 'Read-only list actions terraform plan needs to refresh the pipeline (no writes)',
      permissions: [{ actions: [...PLAN_READ_ACTIONS] }],
      assignableScopes: pipelineGroups.map((g) => g.id),
    });

    props.pipelineResourceGroups.forEach((g, i) => {
      const scope = pipelineGroups[i]!.id;
      grant(
        `deployer-contributor-${g.environment}`,
        deploy.principal,
        scope,
        { name: 'Contributor' },
        {
          description: `GitHub deploy (main, ${props.githubEnvironment}) manages the ${g.environment} pipeline`,
        },
      );
      grant(
        `deployer-rbac-admin-${g.environment}`,
        deploy.principal,
        scope,
        { name: 'Role Based Access Control Administrator' },
        {
          condition: assignableRolesCondition(),
          description: 'Assigns only the pipeline data roles, only to service principals',
        },
      );
      for (const role of PLAN_GROUP_ROLES) {
        grant(
          `plan-${role.toLowerCase().replace(/ /g, '-')}-${g.environment}`,
          plan.principal,
          scope,
          { name: role },
          {
            description: `GitHub pull-request plans read the ${g.environment} pipeline`,
          },
        );
      }
      grant(
        `plan-list-${g.environment}`,
        plan.principal,
        scope,
        { id: planRole.roleDefinitionResourceId },
        {
          description: 'List actions terraform plan needs to refresh (read-only)',
        },
      );
    });
    grant(
      'deployer-state',
      deploy.principal,
      containerScope,
      { name: 'Storage Blob Data Contributor' },
      {
        dependsOn: [container],
        description: 'The deploy identity reads, writes and locks the Terraform state',
      },
    );
    // Read only: a pull-request plan reads the state but cannot take the lock (a blob lease is a
    // write), so plans for review run with -lock=false.
    grant(
      'plan-state',
      plan.principal,
      containerScope,
      { name: 'Storage Blob Data Reader' },
      {
        dependsOn: [container],
        description: 'Pull-request plans read the Terraform state (no lock, no write)',
      },
    );

    const outputs: Record<string, string> = {
      AZURE_CLIENT_ID: deploy.application.clientId,
      AZURE_PLAN_CLIENT_ID: plan.application.clientId,
      AZURE_TENANT_ID: client.tenantId,
      AZURE_SUBSCRIPTION_ID: subscription.subscriptionId,
      TF_STATE_RESOURCE_GROUP: group.name,
      TF_STATE_STORAGE_ACCOUNT: account.name,
      TF_STATE_CONTAINER: container.name,
      PIPELINE_RESOURCE_GROUPS: props.pipelineResourceGroups
        .map((g) => `${g.environment}=${g.name}`)
        .join(','),
      GITHUB_SETUP: [
        `gh secret set AZURE_CLIENT_ID --repo ${repository} --body ${deploy.application.clientId}`,
        `gh secret set AZURE_PLAN_CLIENT_ID --repo ${repository} --body ${plan.application.clientId}`,
        `gh secret set AZURE_TENANT_ID --repo ${repository} --body ${client.tenantId}`,
        `gh secret set AZURE_SUBSCRIPTION_ID --repo ${repository} --body ${subscription.subscriptionId}`,
        `gh variable set TF_STATE_RESOURCE_GROUP --repo ${repository} --body ${group.name}`,
        `gh variable set TF_STATE_STORAGE_ACCOUNT --repo ${repository} --body ${account.name}`,
        `gh variable set TF_STATE_CONTAINER --repo ${repository} --body ${container.name}`,
        `gh variable set AZURE_LOCATION --repo ${repository} --body ${props.location}`,
      ].join('\n'),
    };
    for (const [name, value] of Object.entries(outputs))
      new TerraformOutput(this, name, { value, staticId: true });
  }
}
