import { Construct } from 'constructs';
import { ApplicationInsights } from '@cdktf/provider-azurerm/lib/application-insights';
import { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
import { MonitorActionGroup } from '@cdktf/provider-azurerm/lib/monitor-action-group';
import { Diagnostics } from './diagnostics';

export interface MonitoringProps {
  readonly resourceGroupName: string;
  readonly location: string;
  readonly logAnalyticsName: string;
  readonly applicationInsightsName: string;
  readonly actionGroupName: string;
  /** Log Analytics retention in days. */
  readonly retentionDays: number;
  /** Daily ingestion cap in GB (-1 for none). */
  readonly dailyQuotaGb: number;
  /** Alert e-mail recipients. */
  readonly alertEmails: readonly string[];
  readonly tags: Record<string, string>;
}

/** Log Analytics, workspace-based Application Insights and the action group alerts notify. */
export class Monitoring extends Construct {
  readonly workspace: LogAnalyticsWorkspace;
  readonly applicationInsights: ApplicationInsights;
  readonly actionGroup: MonitorActionGroup;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.workspace = new LogAnalyticsWorkspace(this, 'workspace', {
      name: props.logAnalyticsName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku: 'PerGB2018',
      retentionInDays: props.retentionDays,
      dailyQuotaGb: props.dailyQuotaGb,
      // Queries need Entra ID; the workspace's shared keys are not used by anything here.
      localAuthenticationEnabled: false,
      tags: props.tags,
    });
    this.applicationInsights = new ApplicationInsights(this, 'app-insights', {
      name: props.applicationInsightsName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      applicationType: 'Node.JS',
      workspaceId: this.workspace.id,
      retentionInDays: props.retentionDays,
      tags: props.tags,
    });
    this.actionGroup = new MonitorActionGroup(this, 'action-group', {
      name: props.actionGroupName,
      resourceGroupName: props.resourceGroupName,
      shortName: 'pipeline',
      emailReceiver: props.alertEmails.map((emailAddress, i) => ({
        name: `email-${i}`,
        emailAddress,
        useCommonAlertSchema: true,
      })),
      tags: props.tags,
    });
    new Diagnostics(this, 'workspace-diagnostics', {
      targetResourceId: this.workspace.id,
      logAnalyticsWorkspaceId: this.workspace.id,
      logs: true,
      metricCategories: ['AllMetrics'],
    });
    new Diagnostics(this, 'app-insights-diagnostics', {
      targetResourceId: this.applicationInsights.id,
      logAnalyticsWorkspaceId: this.workspace.id,
      // Workspace-based: its telemetry already lands in the workspace; logs here would double it.
      logs: false,
      metricCategories: ['AllMetrics'],
    });
  }
}
