import { Construct } from 'constructs';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
import { StorageManagementPolicy } from '@cdktf/provider-azurerm/lib/storage-management-policy';
import { Diagnostics } from './diagnostics';

export interface TieringRule {
  /** Blob name prefix, `<container>/<path>`. */
  readonly prefix: string;
  /** Days since last modification before moving to cool. */
  readonly coolAfterDays: number;
  /** Days since last modification before moving to archive (0 = never). */
  readonly archiveAfterDays: number;
}

export interface SecureStorageProps {
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** LRS, ZRS, GRS, ... */
  readonly replication: string;
  /** Private blob containers to create. */
  readonly containers: readonly string[];
  /** Blob and container soft-delete retention in days. */
  readonly softDeleteRetentionDays: number;
  /** Lifecycle tiering rules (none by default). */
  readonly tiering?: readonly TieringRule[];
  /** Days to keep previous blob versions (versioning creates one per overwrite). */
  readonly deleteVersionsAfterDays: number;
  readonly logAnalyticsWorkspaceId: string;
  readonly tags: Record<string, string>;
}

/**
 * A StorageV2 account as the Well-Architected baseline asks: Entra ID only (shared keys off),
 * TLS 1.2, HTTPS only, no anonymous access, versioning and soft delete, private containers.
 */
export class SecureStorage extends Construct {
  readonly account: StorageAccount;
  readonly containers: Readonly<Record<string, StorageContainer>>;

  constructor(scope: Construct, id: string, props: SecureStorageProps) {
    super(scope, id);
    this.account = new StorageAccount(this, 'account', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      accountKind: 'StorageV2',
      accountTier: 'Standard',
      accountReplicationType: props.replication,
      accessTier: 'Hot',
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      minTlsVersion: 'TLS1_2',
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      crossTenantReplicationEnabled: false,
      localUserEnabled: false,
      sftpEnabled: false,
      infrastructureEncryptionEnabled: true,
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: props.softDeleteRetentionDays },
        containerDeleteRetentionPolicy: { days: props.softDeleteRetentionDays },
      },
      tags: props.tags,
    });

    const containers: Record<string, StorageContainer> = {};
    for (const name of props.containers) {
      containers[name] = new StorageContainer(this, `container-${name}`, {
        name,
        storageAccountId: this.account.id,
        containerAccessType: 'private',
      });
    }
    this.containers = containers;

    new StorageManagementPolicy(this, 'lifecycle', {
      storageAccountId: this.account.id,
      rule: [
        ...(props.tiering ?? []).map((t, i) => ({
          name: `tier-${i}`,
          enabled: true,
          filters: { blobTypes: ['blockBlob'], prefixMatch: [t.prefix] },
          actions: {
            baseBlob: {
              tierToCoolAfterDaysSinceModificationGreaterThan: t.coolAfterDays,
              tierToArchiveAfterDaysSinceModificationGreaterThan:
                t.archiveAfterDays > 0 ? t.archiveAfterDays : undefined,
            },
          },
        })),
        {
          name: 'expire-old-versions',
          enabled: true,
          filters: { blobTypes: ['blockBlob'] },
          actions: { version: { deleteAfterDaysSinceCreation: props.deleteVersionsAfterDays } },
        },
      ],
    });

    new Diagnostics(this, 'account-diagnostics', {
      targetResourceId: this.account.id,
      logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
      logs: false,
      metricCategories: ['Transaction'],
    });
    new Diagnostics(this, 'blob-diagnostics', {
      targetResourceId: `${this.account.id}/blobServices/default`,
      logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
      logs: true,
      metricCategories: ['Transaction'],
    });
  }

  /** The ARM id of a container, for role assignments scoped to it. */
  containerScope(name: string): string {
    if (!this.containers[name]) throw new Error(`Storage account ${this.node.id} has no container ${name}`);
    return `${this.account.id}/blobServices/default/containers/${name}`;
  }
}
