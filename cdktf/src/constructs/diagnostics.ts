import { Construct } from 'constructs';
import { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';

export interface DiagnosticsProps {
  /** Resource whose logs and metrics are sent. */
  readonly targetResourceId: string;
  /** Log Analytics workspace receiving them. */
  readonly logAnalyticsWorkspaceId: string;
  /** Send every log category (`allLogs` category group). False for resources without logs. */
  readonly logs: boolean;
  /** Metric categories the resource exposes (`AllMetrics` for most, `Transaction` for storage). */
  readonly metricCategories: readonly string[];
}

/** A diagnostic setting sending a resource's logs and metrics to the Log Analytics workspace. */
export class Diagnostics extends Construct {
  readonly setting: MonitorDiagnosticSetting;

  constructor(scope: Construct, id: string, props: DiagnosticsProps) {
    super(scope, id);
    this.setting = new MonitorDiagnosticSetting(this, 'setting', {
      name: 'to-log-analytics',
      targetResourceId: props.targetResourceId,
      logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
      enabledLog: props.logs ? [{ categoryGroup: 'allLogs' }] : undefined,
      enabledMetric: props.metricCategories.map((category) => ({ category })),
    });
  }
}
