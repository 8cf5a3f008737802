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

/** The GitHub OIDC subjects allowed to sign in as the deployment identity. */
export function federatedSubjects(repository: string, environment: string): Record<string, string> {
  return {
    main: `repo:${repository}:ref:refs/heads/main`,
    environment: `repo:${repository}:environment:${environment}`,
    'pull-request': `repo:${repository}:pull_request`,
  };
}

/** ABAC condition: Role Based Access Control Administrator limited to the roles above. */
export function assignableRolesCondition(): string {
  const guids = Object.values(ASSIGNABLE_ROLES).join(', ');
  const clause = (action: string, attribute: string): string =>
    `((!(ActionMatches{'Microsoft.Authorization/roleAssignments/${action}'})) OR (@${attribute}[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${guids}}))`;
  return `${clause('write', 'Request')} AND ${clause('delete', 'Resource')}`;
}

export interface BootstrapStackProps {
  /** `owner/name` of the fork. */
  readonly repository: string;
  /** Subscription to deploy into (drives the state account's name token). */
  readonly subscriptionId: string;
  readonly location: string;
  /** GitHub environment whose deployments may sign in (`production`). */
  readonly githubEnvironment: string;
}

/**
 * Run once, with your own `az login`: the remote state account (Entra ID only), the GitHub
 * deployment identity (an Entra application with federated credentials, no secret), and its
 * role assignments. Its outputs are the GitHub secrets and variables to set.
 */
export class BootstrapStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(props.repository)) {
      throw new Error(`repository must be owner/name (got ${JSON.stringify(props.repository)})`);
    }
    // The state account does not exist yet: this stack's own state is local, kept outside
    // cdktf.out (cdktf/bootstrap.tfstate, git-ignored) so cleaning the output never loses it.
    new LocalBackend(this, { path: '../../../bootstrap.tfstate' });
    new AzurermProvider(this, 'azurerm', { features: [{}], storageUseAzuread: true });
    new AzureadProvider(this, 'azuread', {});
    const client = new DataAzurermClientConfig(this, 'client');
    const subscription = new DataAzurermSubscription(this, 'subscription', {});
    const tags = standardTags('shared', 'tfstate', props.repository);

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

    const [owner, repo] = props.repository.split('/') as [string, string];
    const application = new Application(this, 'github-app', {
      displayName: `github-${owner}-${repo}-deploy`,
      owners: [client.objectId],
      signInAudience: 'AzureADMyOrg',
    });
    const principal = new ServicePrincipal(this, 'github-sp', {
      clientId: application.clientId,
      owners: [client.objectId],
    });
    for (const [name, subject] of Object.entries(
      federatedSubjects(props.repository, props.githubEnvironment),
    )) {
      new ApplicationFederatedIdentityCredential(this, `federated-${name}`, {
        applicationId: application.id,
        displayName: `github-${name}`,
        description: `GitHub Actions OIDC: ${subject}`,
        audiences: ['api://AzureADTokenExchange'],
        issuer: 'https://token.actions.githubusercontent.com',
        subject,
      });
    }

    const grant = (
      id: string,
      scope: string,
      role: string,
      condition?: string,
      dependsOn?: StorageContainer[],
    ): RoleAssignment =>
      new RoleAssignment(this, id, {
        dependsOn,
        scope,
        roleDefinitionName: role,
        principalId: principal.objectId,
        principalType: 'ServicePrincipal',
        condition,
        conditionVersion: condition ? '2.0' : undefined,
      });
    grant('deployer-contributor', subscription.id, 'Contributor');
    grant(
      'deployer-rbac-admin',
      subscription.id,
      'Role Based Access Control Administrator',
      assignableRolesCondition(),
    );
    grant(
      'deployer-state',
      `${account.id}/blobServices/default/containers/${STATE_CONTAINER}`,
      'Storage Blob Data Contributor',
      undefined,
      [container],
    );

    const outputs: Record<string, string> = {
      AZURE_CLIENT_ID: application.clientId,
      AZURE_TENANT_ID: client.tenantId,
      AZURE_SUBSCRIPTION_ID: subscription.subscriptionId,
      TF_STATE_RESOURCE_GROUP: group.name,
      TF_STATE_STORAGE_ACCOUNT: account.name,
      TF_STATE_CONTAINER: container.name,
      GITHUB_SETUP: [
        `gh secret set AZURE_CLIENT_ID --repo ${props.repository} --body ${application.clientId}`,
        `gh secret set AZURE_TENANT_ID --repo ${props.repository} --body ${client.tenantId}`,
        `gh secret set AZURE_SUBSCRIPTION_ID --repo ${props.repository} --body ${subscription.subscriptionId}`,
        `gh variable set TF_STATE_RESOURCE_GROUP --repo ${props.repository} --body ${group.name}`,
        `gh variable set TF_STATE_STORAGE_ACCOUNT --repo ${props.repository} --body ${account.name}`,
        `gh variable set TF_STATE_CONTAINER --repo ${props.repository} --body ${container.name}`,
        `gh variable set AZURE_LOCATION --repo ${props.repository} --body ${props.location}`,
      ].join('\n'),
    };
    for (const [name, value] of Object.entries(outputs))
      new TerraformOutput(this, name, { value, staticId: true });
  }
}
