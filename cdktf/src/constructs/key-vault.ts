import { Construct } from 'constructs';
import { KeyVault as AzKeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { Diagnostics } from './diagnostics';

export interface KeyVaultProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly tenantId: string;
  /** Soft-delete retention (7 to 90 days). */
  readonly softDeleteRetentionDays: number;
  /** The principal running Terraform, which writes the secrets (Key Vault Secrets Officer). */
  readonly deployerObjectId: string;
  readonly logAnalyticsWorkspaceId: string;
  readonly tags: Record<string, string>;
}

/** Key Vault with RBAC authorization (no access policies), purge protection and soft delete. */
export class KeyVault extends Construct {
  readonly vault: AzKeyVault;
  /** Secrets must wait for this assignment: without it the deployer cannot write them. */
  readonly deployerAccess: RoleAssignment;

  constructor(scope: Construct, id: string, props: KeyVaultProps) {
    super(scope, id);
    this.vault = new AzKeyVault(this, 'vault', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tenantId: props.tenantId,
      skuName: 'standard',
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: true,
      softDeleteRetentionDays: props.softDeleteRetentionDays,
      enabledForDeployment: false,
      enabledForDiskEncryption: false,
      enabledForTemplateDeployment: false,
      tags: props.tags,
    });
    this.deployerAccess = new RoleAssignment(this, 'deployer-secrets-officer', {
      scope: this.vault.id,
      roleDefinitionName: 'Key Vault Secrets Officer',
      principalId: props.deployerObjectId,
      // Stated, because the deployer's RBAC-admin condition matches on the principal type; the
      // pipeline deploys as the GitHub deploy identity, a service principal.
      principalType: 'ServicePrincipal',
      description: 'The deployment identity writes the generated API secrets',
    });
    new Diagnostics(this, 'diagnostics', {
      targetResourceId: this.vault.id,
      logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
      logs: true,
      metricCategories: ['AllMetrics'],
    });
  }
}
