import { Construct } from 'constructs';
import { FunctionAppFlexConsumption } from '@cdktf/provider-azurerm/lib/function-app-flex-consumption';
import { ServicePlan } from '@cdktf/provider-azurerm/lib/service-plan';
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
}

/**
 * The Functions app on Flex Consumption (Linux Consumption is being retired): Node, system-assigned
 * identity, deployment package and host storage reached with that identity, HTTPS only, TLS 1.2,
 * no basic-auth publishing.
 */
export class FunctionApp extends Construct {
  readonly plan: ServicePlan;
  readonly app: FunctionAppFlexConsumption;

  constructor(scope: Construct, id: string, props: FunctionAppProps) {
    super(scope, id);
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
      appSettings: {
        // Identity-based host storage. The empty AzureWebJobsStorage overrides the connection
        // string azurerm 4.x injects even for identity auth (hashicorp/terraform-provider-azurerm
        // #29693), which would otherwise stop the host from starting; expect a diff on each plan.
        AzureWebJobsStorage: '',
        AzureWebJobsStorage__accountName: props.hostStorageAccountName,
        AzureWebJobsStorage__credential: 'managedidentity',
        ...props.appSettings,
      },
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
