import { Construct } from 'constructs';
import { FunctionAppFlexConsumption } from '@cdktf/provider-azurerm/lib/function-app-flex-consumption';
import { ServicePlan } from '@cdktf/provider-azurerm/lib/service-plan';
import type { AzapiProvider } from '../azapi';
import { AzapiResourceAction } from '../azapi';
import { Diagnostics } from './diagnostics';

export interface FunctionAppProps {
  readonly name: string;
  readonly planName: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** Node.js major version, matching the functions workspace. */
  readonly nodeVersion: string;
  readonly maximumInstanceCount: number;
  readonly instanceMemoryMb: number;
  /** Blob endpoint of the host storage account (`https://<account>.blob.core.windows.net/`). */
  readonly hostStorageBlobEndpoint: string;
  /** Name of the host storage account (for the identity-based `AzureWebJobsStorage`). */
  readonly hostStorageAccountName: string;
  /** Container in the host storage account holding the deployment package. */
  readonly deploymentContainer: string;
  readonly applicationInsightsConnectionString: string;
  /**
   * Identity-based app settings only (`<Name>__fullyQualifiedNamespace`, `__accountEndpoint`,
   * `__blobServiceUri`) plus plain names; never keys or connection strings.
   */
  readonly appSettings: Readonly<Record<string, string>>;
  /** Origins allowed to call the app from a browser (the dashboard). */
  readonly corsAllowedOrigins: readonly string[];
  readonly logAnalyticsWorkspaceId: string;
  readonly tags: Record<string, string>;
  /** Sets the app settings exactly (see `appSettingsWrite`). */
  readonly azapi: AzapiProvider;
}

/** Identity-based host storage: the account name and the credential, nothing else. */
export function hostStorageSettings(accountName: string): Record<string, string> {
  // learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity:
  // with `<prefix>__accountName` and `__credential = managedidentity` the host uses the app's
  // system identity for blobs, queues and tables. No plain `AzureWebJobsStorage` may exist: the
  // host reads a plain value first, as a connection string (azure-functions-host #11796).
  return {
    AzureWebJobsStorage__accountName: accountName,
    AzureWebJobsStorage__credential: 'managedidentity',
  };
}

/**
 * The Functions app on Flex Consumption (Linux Consumption is being retired): Node, system-assigned
 * identity, deployment package and host storage reached with that identity, HTTPS only, TLS 1.2,
 * no basic-auth publishing.
 */
export class FunctionApp extends Construct {
  readonly plan: ServicePlan;
  readonly app: FunctionAppFlexConsumption;
  /**
   * The PUT of the app's settings that removes the `AzureWebJobsStorage` connection string azurerm
   * injects. azurerm 4.x adds `AzureWebJobsStorage=...;AccountKey=;...` to every Flex Consumption
   * app, identity-based or not (internal/services/appservice/helpers: ExpandSiteConfigFunction-
   * FlexConsumptionApp appends it whenever a storage endpoint is set; hashicorp/terraform-provider-
   * azurerm #29693, #30732, #33211), and the host then fails on the empty AccountKey. Overriding it
   * with "" is no fix: an empty plain value is still read as the connection
   * (Azure/azure-functions-host #11796; Azure/terraform-azurerm-avm-res-web-site #376 dropped it).
   * The workaround reported in #29693 replaces the settings through ARM after azurerm writes them;
   * `replace_triggered_by` runs it again after every change azurerm makes to the app, since an
   * update re-injects the value (#33211).
   */
  readonly appSettingsWrite: AzapiResourceAction;

  constructor(scope: Construct, id: string, props: FunctionAppProps) {
    super(scope, id);
    if (Object.keys(props.appSettings).some((name) => name.startsWith('AzureWebJobsStorage'))) {
      throw new Error(
        'appSettings must not set AzureWebJobsStorage*: the construct sets host storage itself',
      );
    }
    const appSettings = { ...hostStorageSettings(props.hostStorageAccountName), ...props.appSettings };
    this.plan = new ServicePlan(this, 'plan', {
      name: props.planName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      osType: 'Linux',
      skuName: 'FC1',
      tags: props.tags,
    });
    this.app = new FunctionAppFlexConsumption(this, 'site', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      servicePlanId: this.plan.id,
      runtimeName: 'node',
      runtimeVersion: props.nodeVersion,
      maximumInstanceCount: props.maximumInstanceCount,
      instanceMemoryInMb: props.instanceMemoryMb,
      storageContainerType: 'blobContainer',
      storageContainerEndpoint: `${props.hostStorageBlobEndpoint}${props.deploymentContainer}`,
      storageAuthenticationType: 'SystemAssignedIdentity',
      identity: { type: 'SystemAssigned' },
      httpsOnly: true,
      webdeployPublishBasicAuthenticationEnabled: false,
      clientCertificateMode: 'Optional',
      appSettings,
      siteConfig: {
        minimumTlsVersion: '1.2',
        scmMinimumTlsVersion: '1.2',
        http2Enabled: true,
        remoteDebuggingEnabled: false,
        applicationInsightsConnectionString: props.applicationInsightsConnectionString,
        cors: { allowedOrigins: [...props.corsAllowedOrigins], supportCredentials: false },
      },
      tags: props.tags,
    });
    this.appSettingsWrite = new AzapiResourceAction(this, 'app-settings', {
      // learn.microsoft.com/rest/api/appservice/web-apps/update-application-settings: PUT
      // .../sites/{name}/config/appsettings replaces every setting with the body's.
      type: 'Microsoft.Web/sites/config@2024-04-01',
      resourceId: `${this.app.id}/config/appsettings`,
      method: 'PUT',
      body: {
        properties: {
          ...appSettings,
          // azurerm stores site_config's connection string as this setting and reads it back from
          // there; without it the next plan would show a change and telemetry would stop.
          APPLICATIONINSIGHTS_CONNECTION_STRING: props.applicationInsightsConnectionString,
        },
      },
      provider: props.azapi,
      lifecycle: { replaceTriggeredBy: [this.app] },
    });
    new Diagnostics(this, 'diagnostics', {
      targetResourceId: this.app.id,
      logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
      logs: true,
      metricCategories: ['AllMetrics'],
    });
    new Diagnostics(this, 'plan-diagnostics', {
      targetResourceId: this.plan.id,
      logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
      logs: false,
      metricCategories: ['AllMetrics'],
    });
  }
}
