import { Construct } from 'constructs';
import { CosmosdbAccount } from '@cdktf/provider-azurerm/lib/cosmosdb-account';
import { CosmosdbSqlContainer } from '@cdktf/provider-azurerm/lib/cosmosdb-sql-container';
import { CosmosdbSqlDatabase } from '@cdktf/provider-azurerm/lib/cosmosdb-sql-database';
import type { CosmosThroughput } from '../config';
import { Diagnostics } from './diagnostics';

/** Paths the stats queries filter or sort on; everything else is excluded from the index. */
export const INDEXED_PATHS = ['/image/label/?', '/storedAt/?'] as const;

export interface CosmosProps {
  readonly accountName: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly databaseName: string;
  readonly containerName: string;
  /** The partition key path the functions use (`/id`). */
  readonly partitionKeyPath: string;
  readonly throughput: CosmosThroughput;
  /** Default document time to live in seconds (omitted: documents never expire). */
  readonly defaultTtlSeconds?: number;
  readonly backupTier: string;
  readonly logAnalyticsWorkspaceId: string;
  readonly tags: Record<string, string>;
}

/**
 * Cosmos DB for NoSQL with key auth disabled (Entra ID data-plane roles only), key-based metadata
 * writes disabled, continuous backup, serverless or autoscale, and an indexing policy limited to
 * what the dashboard queries.
 */
export class Cosmos extends Construct {
  readonly account: CosmosdbAccount;
  readonly database: CosmosdbSqlDatabase;
  readonly container: CosmosdbSqlContainer;

  constructor(scope: Construct, id: string, props: CosmosProps) {
    super(scope, id);
    const serverless = props.throughput.mode === 'serverless';
    this.account = new CosmosdbAccount(this, 'account', {
      name: props.accountName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      offerType: 'Standard',
      kind: 'GlobalDocumentDB',
      localAuthenticationDisabled: true,
      accessKeyMetadataWritesEnabled: false,
      minimalTlsVersion: 'Tls12',
      consistencyPolicy: { consistencyLevel: 'Session' },
      geoLocation: [{ location: props.location, failoverPriority: 0 }],
      capabilities: serverless ? [{ name: 'EnableServerless' }] : undefined,
      backup: { type: 'Continuous', tier: props.backupTier },
      tags: props.tags,
    });
    this.database = new CosmosdbSqlDatabase(this, 'database', {
      name: props.databaseName,
      accountName: this.account.name,
      resourceGroupName: props.resourceGroupName,
    });
    this.container = new CosmosdbSqlContainer(this, 'container', {
      name: props.containerName,
      accountName: this.account.name,
      databaseName: this.database.name,
      resourceGroupName: props.resourceGroupName,
      partitionKeyPaths: [props.partitionKeyPath],
      partitionKeyVersion: 2,
      defaultTtl: props.defaultTtlSeconds,
      autoscaleSettings:
        props.throughput.mode === 'autoscale' ? { maxThroughput: props.throughput.maxThroughput } : undefined,
      indexingPolicy: {
        indexingMode: 'consistent',
        includedPath: INDEXED_PATHS.map((path) => ({ path })),
        excludedPath: [{ path: '/*' }],
      },
    });
    new Diagnostics(this, 'diagnostics', {
      targetResourceId: this.account.id,
      logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
      logs: true,
      metricCategories: ['Requests'],
    });
  }

  /** Scope of a data-plane role assignment limited to this database. */
  get databaseScope(): string {
    return `${this.account.id}/dbs/${this.database.name}`;
  }
}
