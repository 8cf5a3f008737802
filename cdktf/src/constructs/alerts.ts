import { Construct } from 'constructs';
import type { MonitorMetricAlertCriteria } from '@cdktf/provider-azurerm/lib/monitor-metric-alert';
import { MonitorMetricAlert } from '@cdktf/provider-azurerm/lib/monitor-metric-alert';

export interface AlertsProps {
  readonly resourceGroupName: string;
  /** Prefix of the alert names (`alert-<token>`). */
  readonly namePrefix: string;
  readonly actionGroupId: string;
  readonly applicationInsightsId: string;
  readonly eventHubsNamespaceId: string;
  readonly eventHubName: string;
  readonly cosmosAccountId: string;
  readonly apiManagementId: string;
  readonly tags: Record<string, string>;
}

interface AlertSpec {
  readonly id: string;
  readonly description: string;
  readonly scope: string;
  readonly severity: number;
  readonly windowSize: string;
  readonly criteria: MonitorMetricAlertCriteria[];
}

/**
 * Metric alerts on the signals that mean data is late or lost: function failures, Event Hubs
 * throttling, a consumer that stopped reading (backlog), Cosmos DB throttling (429), and API
 * Management 5xx responses and latency. All notify the one action group.
 */
export class Alerts extends Construct {
  readonly alerts: readonly MonitorMetricAlert[];

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    const specs: AlertSpec[] = [
      {
        id: 'function-failures',
        description: 'Function invocations failed (ingest, consume or stats).',
        scope: props.applicationInsightsId,
        severity: 1,
        windowSize: 'PT5M',
        criteria: [
          {
            metricNamespace: 'microsoft.insights/components',
            metricName: 'requests/failed',
            aggregation: 'Count',
            operator: 'GreaterThan',
            threshold: 5,
          },
        ],
      },
      {
        id: 'eventhubs-throttled',
        description: 'Event Hubs throttled requests: the namespace needs more throughput units.',
        scope: props.eventHubsNamespaceId,
        severity: 2,
        windowSize: 'PT5M',
        criteria: [
          {
            metricNamespace: 'Microsoft.EventHub/namespaces',
            metricName: 'ThrottledRequests',
            aggregation: 'Total',
            operator: 'GreaterThan',
            threshold: 0,
          },
        ],
      },
      {
        // Event Hubs has no backlog metric; events arriving while none leave for 15 minutes means
        // the consumer function stopped reading and the backlog is growing.
        id: 'consumer-backlog',
        description: 'Events arrive on the hub but the consumer reads none: the backlog is growing.',
        scope: props.eventHubsNamespaceId,
        severity: 1,
        windowSize: 'PT15M',
        criteria: [
          {
            metricNamespace: 'Microsoft.EventHub/namespaces',
            metricName: 'IncomingMessages',
            aggregation: 'Total',
            operator: 'GreaterThan',
            threshold: 0,
            dimension: [{ name: 'EntityName', operator: 'Include', values: [props.eventHubName] }],
          },
          {
            metricNamespace: 'Microsoft.EventHub/namespaces',
            metricName: 'OutgoingMessages',
            aggregation: 'Total',
            operator: 'LessThan',
            threshold: 1,
            dimension: [{ name: 'EntityName', operator: 'Include', values: [props.eventHubName] }],
          },
        ],
      },
      {
        id: 'cosmos-throttled',
        description: 'Cosmos DB answered 429 (request rate too large): raise RU/s or the autoscale maximum.',
        scope: props.cosmosAccountId,
        severity: 2,
        windowSize: 'PT5M',
        criteria: [
          {
            metricNamespace: 'Microsoft.DocumentDB/databaseAccounts',
            metricName: 'TotalRequests',
            aggregation: 'Count',
            operator: 'GreaterThan',
            threshold: 10,
            dimension: [{ name: 'StatusCode', operator: 'Include', values: ['429'] }],
          },
        ],
      },
      {
        id: 'apim-5xx',
        description: 'API Management returned server errors (5xx).',
        scope: props.apiManagementId,
        severity: 1,
        windowSize: 'PT5M',
        criteria: [
          {
            metricNamespace: 'Microsoft.ApiManagement/service',
            metricName: 'Requests',
            aggregation: 'Total',
            operator: 'GreaterThan',
            threshold: 5,
            dimension: [{ name: 'GatewayResponseCodeCategory', operator: 'Include', values: ['5xx'] }],
          },
        ],
      },
      {
        id: 'apim-latency',
        description: 'API Management average request duration above 2 seconds.',
        scope: props.apiManagementId,
        severity: 3,
        windowSize: 'PT15M',
        criteria: [
          {
            metricNamespace: 'Microsoft.ApiManagement/service',
            metricName: 'Duration',
            aggregation: 'Average',
            operator: 'GreaterThan',
            threshold: 2000,
          },
        ],
      },
    ];
    this.alerts = specs.map(
      (spec) =>
        new MonitorMetricAlert(this, spec.id, {
          name: `${props.namePrefix}-${spec.id}`,
          resourceGroupName: props.resourceGroupName,
          scopes: [spec.scope],
          description: spec.description,
          severity: spec.severity,
          frequency: 'PT5M',
          windowSize: spec.windowSize,
          criteria: spec.criteria,
          action: [{ actionGroupId: props.actionGroupId }],
          tags: props.tags,
        }),
    );
  }
}
