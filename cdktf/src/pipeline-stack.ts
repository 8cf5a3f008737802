import type { Construct } from 'constructs';
import { Fn, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { CosmosdbSqlRoleAssignment } from '@cdktf/provider-azurerm/lib/cosmosdb-sql-role-assignment';
import { DataAzurermClientConfig } from '@cdktf/provider-azurerm/lib/data-azurerm-client-config';
import { KeyVaultSecret } from '@cdktf/provider-azurerm/lib/key-vault-secret';
import { DataAzurermResourceGroup } from '@cdktf/provider-azurerm/lib/data-azurerm-resource-group';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { Password } from '@cdktf/provider-random/lib/password';
import { TimeProvider } from '@cdktf/provider-time/lib/provider';
import { toDraft07 } from './apim-schema';
import { AzapiProvider } from './azapi';
import type { RemoteStateSettings } from './backend';
import { useRemoteState } from './backend';
import type { EnvironmentConfig } from './config';
import { validateConfig } from './config';
import { Alerts } from './constructs/alerts';
import { ApiManagement } from './constructs/api-management';
import { Cosmos } from './constructs/cosmos';
import { EventHubs } from './constructs/event-hubs';
import { FunctionApp } from './constructs/function-app';
import { KeyVault } from './constructs/key-vault';
import { Monitoring } from './constructs/monitoring';
import { SecureStorage } from './constructs/storage';
import { Naming, standardTags } from './naming';
import type { PolicySet } from './policy-files';
import { tierProblems } from './policy-files';
import { waitForRoles } from './rbac-wait';
import {
  apiBaseUrl,
  APIM_NAMES,
  CONNECTIONS,
  functionsBaseUrl,
  ingestUrl,
  PIPELINE_APP_SETTINGS,
  PIPELINE_NAMES,
  PIPELINE_OUTPUTS,
  type PipelineOutputName,
} from '@pipeline/schemas';

export const COSMOS_DATA_CONTRIBUTOR_ROLE = '00000000-0000-0000-0000-000000000002';

export interface PipelineStackProps {
  readonly config: EnvironmentConfig;
  /** Subscription the stack deploys into (drives the name token). */
  readonly subscriptionId: string;
  /** `owner/name` of the repository, for tags. */
  readonly repository: string;
  /** Policy XML from `policies/`. */
  readonly policies: PolicySet;
  /** The request-body schema derived from the contract (see readRequestSchema), parsed. */
  readonly requestSchema: Record<string, unknown>;
  /** Remote state; local state when undefined. */
  readonly remoteState?: RemoteStateSettings;
  /** Overrides the name token. */
  readonly nameToken?: string;
}

/** The whole pipeline of one environment. */
export class PipelineStack extends TerraformStack {
  readonly naming: Naming;
  /** Created by the bootstrap (so both GitHub identities can be scoped to it); read here. */
  readonly resourceGroup: DataAzurermResourceGroup;
  readonly monitoring: Monitoring;
  readonly dataStorage: SecureStorage;
  readonly hostStorage: SecureStorage;
  readonly eventHubs: EventHubs;
  readonly cosmos: Cosmos;
  readonly keyVault: KeyVault;
  readonly functionApp: FunctionApp;
  readonly apiManagement: ApiManagement;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id);
    const config = validateConfig(props.config);
    const problems = tierProblems(props.policies, config.apiManagement.sku);
    if (problems.length > 0)
      throw new Error(`API Management tier cannot run the policies:\n  - ${problems.join('\n  - ')}`);

    // Local state sits next to the stack's JSON (relative, so synthesis is machine-independent).
    if (props.remoteState) useRemoteState(this, id, props.remoteState);
    else new LocalBackend(this, { path: 'terraform.tfstate' });
    new AzurermProvider(this, 'azurerm', {
      features: [
        {
          keyVault: [{ purgeSoftDeleteOnDestroy: false, recoverSoftDeletedKeyVaults: true }],
          // Every storage resource here is managed through ARM (containers by storage_account_id),
          // so the provider need not reach the blob/queue endpoints, for which neither GitHub
          // identity holds a data role (azurerm provider docs, features.storage.data_plane_available).
          storage: [{ dataPlaneAvailable: false }],
        },
      ],
      // Storage data-plane calls use Entra ID: the accounts accept no shared keys.
      storageUseAzuread: true,
      // The bootstrap registered the resource providers; the deploy and plan identities hold no
      // subscription-scope role, so registering (or listing) here would fail.
      resourceProviderRegistrations: 'none',
    });
    const azapi = new AzapiProvider(this, 'azapi');
    new RandomProvider(this, 'random');
    new TimeProvider(this, 'time');

    const naming = new Naming({
      subscriptionId: props.subscriptionId,
      environment: config.name,
      location: config.location,
      workload: config.workload,
      tokenOverride: props.nameToken,
    });
    this.naming = naming;
    const tags = standardTags(config.name, config.workload, props.repository);
    const location = config.location;
    const client = new DataAzurermClientConfig(this, 'client');

    this.resourceGroup = new DataAzurermResourceGroup(this, 'resource-group', {
      name: naming.resourceGroup,
    });
    const resourceGroupName = this.resourceGroup.name;
    const base = { resourceGroupName, location, tags };

    this.monitoring = new Monitoring(this, 'monitoring', {
      ...base,
      logAnalyticsName: naming.name('logAnalytics'),
      applicationInsightsName: naming.name('applicationInsights'),
      actionGroupName: naming.name('actionGroup'),
      retentionDays: config.monitoring.logRetentionDays,
      dailyQuotaGb: config.monitoring.dailyQuotaGb,
      alertEmails: config.monitoring.alertEmails,
    });
    const workspaceId = this.monitoring.workspace.id;

    this.dataStorage = new SecureStorage(this, 'data-storage', {
      ...base,
      name: naming.name('storageAccount'),
      replication: config.storage.replication,
      containers: [
        PIPELINE_NAMES.containers.raw,
        PIPELINE_NAMES.containers.images,
        PIPELINE_NAMES.containers.deadLetters,
        PIPELINE_NAMES.containers.capture,
        PIPELINE_NAMES.containers.datasets,
      ],
      softDeleteRetentionDays: config.storage.softDeleteRetentionDays,
      deleteVersionsAfterDays: 30,
      tiering: [
        {
          prefix: `${PIPELINE_NAMES.containers.raw}/`,
          coolAfterDays: config.storage.rawToCoolAfterDays,
          archiveAfterDays: config.storage.rawToArchiveAfterDays,
        },
        {
          prefix: `${PIPELINE_NAMES.containers.capture}/`,
          coolAfterDays: config.storage.rawToCoolAfterDays,
          archiveAfterDays: config.storage.rawToArchiveAfterDays,
        },
      ],
      logAnalyticsWorkspaceId: workspaceId,
    });
    // The Functions host keeps leases, keys and Event Hubs checkpoints in its own storage and needs
    // Blob Data Owner there; a separate account keeps that broad role away from pipeline data.
    this.hostStorage = new SecureStorage(this, 'host-storage', {
      ...base,
      name: naming.name('functionStorageAccount'),
      replication: config.storage.replication === 'LRS' ? 'LRS' : 'ZRS',
      containers: [PIPELINE_NAMES.containers.deployments],
      softDeleteRetentionDays: 7,
      deleteVersionsAfterDays: 7,
      logAnalyticsWorkspaceId: workspaceId,
    });

    this.eventHubs = new EventHubs(this, 'event-hubs', {
      ...base,
      namespaceName: naming.name('eventHubsNamespace'),
      hubName: PIPELINE_NAMES.eventHub,
      consumerGroup: PIPELINE_NAMES.consumerGroup,
      partitions: config.eventHubs.partitions,
      retentionDays: config.eventHubs.retentionDays,
      throughputUnits: config.eventHubs.throughputUnits,
      autoInflateMaxThroughputUnits: config.eventHubs.autoInflateMaxThroughputUnits,
      capture: config.eventHubs.captureEnabled
        ? {
            storageAccountId: this.dataStorage.account.id,
            container: PIPELINE_NAMES.containers.capture,
            containerScope: this.dataStorage.containerScope(PIPELINE_NAMES.containers.capture),
            intervalSeconds: config.eventHubs.captureIntervalSeconds,
          }
        : undefined,
      azapi,
      logAnalyticsWorkspaceId: workspaceId,
    });

    this.cosmos = new Cosmos(this, 'cosmos', {
      ...base,
      accountName: naming.name('cosmosAccount'),
      databaseName: PIPELINE_NAMES.cosmosDatabase,
      containerName: PIPELINE_NAMES.cosmosContainer,
      partitionKeyPath: PIPELINE_NAMES.partitionKey,
      throughput: config.cosmos.throughput,
      defaultTtlSeconds: config.cosmos.defaultTtlSeconds,
      backupTier: config.cosmos.backupTier,
      logAnalyticsWorkspaceId: workspaceId,
    });

    this.keyVault = new KeyVault(this, 'key-vault', {
      ...base,
      name: naming.name('keyVault'),
      tenantId: client.tenantId,
      softDeleteRetentionDays: config.keyVault.softDeleteRetentionDays,
      deployerObjectId: client.objectId,
      logAnalyticsWorkspaceId: workspaceId,
    });

    const functionAppName = naming.name('functionApp');
    this.functionApp = new FunctionApp(this, 'function-app', {
      ...base,
      name: functionAppName,
      planName: naming.name('servicePlan'),
      nodeVersion: config.functions.nodeVersion,
      maximumInstanceCount: config.functions.maximumInstanceCount,
      instanceMemoryMb: config.functions.instanceMemoryMb,
      hostStorageBlobEndpoint: this.hostStorage.account.primaryBlobEndpoint,
      hostStorageAccountName: this.hostStorage.account.name,
      deploymentContainer: PIPELINE_NAMES.containers.deployments,
      applicationInsightsConnectionString: this.monitoring.applicationInsights.connectionString,
      appSettings: {
        [`${CONNECTIONS.storage}__blobServiceUri`]: this.dataStorage.account.primaryBlobEndpoint,
        [`${CONNECTIONS.eventHub}__fullyQualifiedNamespace`]: `${this.eventHubs.namespace.name}.servicebus.windows.net`,
        [`${CONNECTIONS.cosmos}__accountEndpoint`]: this.cosmos.account.endpoint,
        ...PIPELINE_APP_SETTINGS,
      },
      corsAllowedOrigins: [],
      logAnalyticsWorkspaceId: workspaceId,
      azapi,
    });
    const app = this.functionApp.app;
    const functionPrincipal = app.identity.principalId;

    // Least privilege, each at the narrowest scope the service allows.
    const functionRoles: (RoleAssignment | CosmosdbSqlRoleAssignment)[] = [];
    const assign = (id: string, scope: string, role: string, description: string): RoleAssignment =>
      new RoleAssignment(this, id, {
        scope,
        roleDefinitionName: role,
        principalId: functionPrincipal,
        principalType: 'ServicePrincipal',
        description,
      });
    const remember = <T extends RoleAssignment | CosmosdbSqlRoleAssignment>(role: T): T => {
      functionRoles.push(role);
      return role;
    };
    remember(
      assign(
        'function-eventhub-sender',
        this.eventHubs.hub.id,
        'Azure Event Hubs Data Sender',
        'ingest publishes to the tweets hub',
      ),
    );
    remember(
      assign(
        'function-eventhub-receiver',
        this.eventHubs.hub.id,
        'Azure Event Hubs Data Receiver',
        'consume reads the tweets hub',
      ),
    );
    for (const container of [
      PIPELINE_NAMES.containers.raw,
      PIPELINE_NAMES.containers.images,
      PIPELINE_NAMES.containers.deadLetters,
    ]) {
      remember(
        assign(
          `function-blob-${container}`,
          this.dataStorage.containerScope(container),
          'Storage Blob Data Contributor',
          `the functions write the ${container} container`,
        ),
      );
    }
    remember(
      assign(
        'function-host-storage',
        this.hostStorage.account.id,
        'Storage Blob Data Owner',
        'the Functions host: deployment package, leases, keys and checkpoints',
      ),
    );
    remember(
      new CosmosdbSqlRoleAssignment(this, 'function-cosmos-writer', {
        resourceGroupName,
        accountName: this.cosmos.account.name,
        roleDefinitionId: `${this.cosmos.account.id}/sqlRoleDefinitions/${COSMOS_DATA_CONTRIBUTOR_ROLE}`,
        principalId: functionPrincipal,
        scope: this.cosmos.databaseScope,
      }),
    );
    // The code deploy (after this apply) is the first use of these roles: the host reads its package
    // and keys from host storage at once. The output FUNCTION_ROLES_READY depends on this wait, so
    // the apply that creates the roles ends only after it.
    const functionRolesReady = waitForRoles(this, 'wait-function-roles', functionRoles);

    // The replay workflow signs in as the deploy identity (the one running this apply) and keeps the
    // prepared Kaggle dataset in the datasets container: read and write there, nowhere else in the
    // data account. Its first use is a later, separate workflow run, so nothing here waits for it; a
    // replay dispatched before it propagates reads no cache and says so (the run goes on).
    new RoleAssignment(this, 'deployer-datasets', {
      scope: this.dataStorage.containerScope(PIPELINE_NAMES.containers.datasets),
      roleDefinitionName: 'Storage Blob Data Contributor',
      principalId: client.objectId,
      // Stated, because the deployer's RBAC-admin condition matches on the principal type.
      principalType: 'ServicePrincipal',
      description: 'The replay workflow caches prepared datasets',
    });

    // Secrets: generated here, stored only in Key Vault (and the encrypted remote state).
    const secretBase = {
      keyVaultId: this.keyVault.vault.id,
      // The deployer's Secrets Officer role was assigned in this apply: wait for it to propagate.
      dependsOn: [waitForRoles(this, 'wait-deployer-secrets-officer', [this.keyVault.deployerAccess])],
      contentType: 'text/plain',
    };
    const basicAuthPassword = new Password(this, 'basic-auth-password', { length: 32, special: false });
    const credential = `${PIPELINE_NAMES.basicAuthUser}:${basicAuthPassword.result}`;
    new KeyVaultSecret(this, 'secret-basic-auth-credential', {
      ...secretBase,
      name: PIPELINE_NAMES.secrets.basicAuthCredential,
      value: credential,
    });
    const basicAuthHeader = new KeyVaultSecret(this, 'secret-basic-auth-header', {
      ...secretBase,
      name: PIPELINE_NAMES.secrets.basicAuthHeader,
      value: `Basic ${Fn.base64encode(credential)}`,
    });
    // The APIM -> Function key is generated here, never read from the app: a new Flex Consumption
    // app has no host keys until code runs, so reading them (data.azurerm_function_app_host_keys)
    // fails a first apply. The deploy workflow sets this value as the host function key `apim`.
    // Letters and digits only, so it needs no escaping in a header or on a command line.
    const functionKeyValue = new Password(this, 'function-key-value', { length: 64, special: false });
    const functionKey = new KeyVaultSecret(this, 'secret-function-key', {
      ...secretBase,
      name: PIPELINE_NAMES.secrets.functionKey,
      value: functionKeyValue.result,
    });

    const functionBaseUrl = functionsBaseUrl(`https://${app.defaultHostname}`);
    this.apiManagement = new ApiManagement(this, 'api-management', {
      ...base,
      name: naming.name('apiManagement'),
      sku: config.apiManagement.sku,
      publisherName: config.apiManagement.publisherName,
      publisherEmail: config.apiManagement.publisherEmail,
      functionBaseUrl,
      functionAppId: app.id,
      basicAuthSecret: basicAuthHeader,
      functionKeySecret: functionKey,
      dashboardOrigin: `https://${app.defaultHostname}`,
      policies: props.policies,
      schemaJson: JSON.stringify(toDraft07(props.requestSchema as never), null, 2),
      applicationInsightsId: this.monitoring.applicationInsights.id,
      applicationInsightsConnectionString: this.monitoring.applicationInsights.connectionString,
      samplingPercentage: config.apiManagement.samplingPercentage,
      logAnalyticsWorkspaceId: workspaceId,
    });
    new KeyVaultSecret(this, 'secret-subscription-key', {
      ...secretBase,
      name: PIPELINE_NAMES.secrets.subscriptionKey,
      value: this.apiManagement.subscription.primaryKey,
    });

    new Alerts(this, 'alerts', {
      resourceGroupName,
      tags,
      namePrefix: naming.name('alert'),
      actionGroupId: this.monitoring.actionGroup.id,
      applicationInsightsId: this.monitoring.applicationInsights.id,
      eventHubsNamespaceId: this.eventHubs.namespace.id,
      eventHubName: PIPELINE_NAMES.eventHub,
      cosmosAccountId: this.cosmos.account.id,
      apiManagementId: this.apiManagement.service.id,
    });

    // One output per contract name (schemas/src/terraform-outputs.ts): the Record type makes a
    // missing or an unknown name a compile error; the workflows read them by these names.
    const O = PIPELINE_OUTPUTS;
    const outputs: Record<PipelineOutputName, string> = {
      [O.environment]: config.name,
      [O.location]: location,
      [O.resourceGroup]: resourceGroupName,
      [O.apiBaseUrl]: this.apiManagement.apiBaseUrl,
      [O.apimName]: this.apiManagement.service.name,
      [O.functionAppName]: app.name,
      [O.functionAppUrl]: `https://${app.defaultHostname}`,
      [O.cosmosEndpoint]: this.cosmos.account.endpoint,
      [O.cosmosDatabase]: PIPELINE_NAMES.cosmosDatabase,
      [O.cosmosContainer]: PIPELINE_NAMES.cosmosContainer,
      [O.keyVaultName]: this.keyVault.vault.name,
      [O.eventHubNamespace]: this.eventHubs.namespace.name,
      [O.eventHubName]: PIPELINE_NAMES.eventHub,
      [O.storageAccount]: this.dataStorage.account.name,
      [O.datasetsContainer]: PIPELINE_NAMES.containers.datasets,
      [O.applicationInsightsName]: this.monitoring.applicationInsights.name,
      [O.subscriptionKeySecret]: PIPELINE_NAMES.secrets.subscriptionKey,
      [O.basicAuthSecret]: PIPELINE_NAMES.secrets.basicAuthCredential,
      [O.basicAuthHeaderSecret]: PIPELINE_NAMES.secrets.basicAuthHeader,
      [O.apimOperation]: `${APIM_NAMES.operationMethod} ${ingestUrl(apiBaseUrl(''))}`,
      // The deploy workflow reads this secret and sets it as the host function key below, after the
      // code deploy (the app has no host before that).
      [O.functionKeySecretName]: PIPELINE_NAMES.secrets.functionKey,
      [O.functionKeyName]: PIPELINE_NAMES.functionHostKeyName,
      // When the function app's role assignments had time to propagate (time_sleep id: an RFC 3339
      // timestamp). Deploy code only after the apply that printed it.
      [O.functionRolesReady]: functionRolesReady.id,
    };
    for (const [name, value] of Object.entries(outputs)) {
      new TerraformOutput(this, name, { value, staticId: true });
    }
  }
}
