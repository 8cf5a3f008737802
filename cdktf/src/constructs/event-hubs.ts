import { Construct } from 'constructs';
import { Eventhub } from '@cdktf/provider-azurerm/lib/eventhub';
import { EventhubConsumerGroup } from '@cdktf/provider-azurerm/lib/eventhub-consumer-group';
import { EventhubNamespace } from '@cdktf/provider-azurerm/lib/eventhub-namespace';
import { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
import type { AzapiProvider } from '../azapi';
import { AzapiUpdateResource } from '../azapi';
import { waitForRoles } from '../rbac-wait';
import { Diagnostics } from './diagnostics';

export interface EventHubsProps {
  readonly namespaceName: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /** Hub name (`tweets`). */
  readonly hubName: string;
  /** Consumer group the consumer function reads with (`cosmos-writer`). */
  readonly consumerGroup: string;
  readonly partitions: number;
  readonly retentionDays: number;
  readonly throughputUnits: number;
  /** 0 disables auto-inflate. */
  readonly autoInflateMaxThroughputUnits: number;
  /** Capture destination: the storage account id and its container name (omit to disable Capture). */
  readonly capture?: {
    readonly storageAccountId: string;
    readonly container: string;
    /** ARM id of the container, the scope of the namespace's write access. */
    readonly containerScope: string;
    readonly intervalSeconds: number;
  };
  readonly azapi: AzapiProvider;
  readonly logAnalyticsWorkspaceId: string;
  readonly tags: Record<string, string>;
}

/**
 * Event Hubs Standard namespace with SAS (local) auth disabled and TLS 1.2, the hub with its
 * consumer group, and Capture to Blob Storage in Avro authenticated by the namespace's managed
 * identity (the storage account accepts no keys).
 */
export class EventHubs extends Construct {
  readonly namespace: EventhubNamespace;
  readonly hub: Eventhub;
  readonly consumerGroup: EventhubConsumerGroup;
  /** The namespace's write access to the capture container (undefined without Capture). */
  readonly captureAccess?: RoleAssignment;

  constructor(scope: Construct, id: string, props: EventHubsProps) {
    super(scope, id);
    const autoInflate = props.autoInflateMaxThroughputUnits > 0;
    this.namespace = new EventhubNamespace(this, 'namespace', {
      name: props.namespaceName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      sku: 'Standard',
      capacity: props.throughputUnits,
      autoInflateEnabled: autoInflate,
      maximumThroughputUnits: autoInflate ? props.autoInflateMaxThroughputUnits : undefined,
      localAuthenticationEnabled: false,
      minimumTlsVersion: '1.2',
      identity: { type: 'SystemAssigned' },
      tags: props.tags,
    });
    this.hub = new Eventhub(this, 'hub', {
      name: props.hubName,
      namespaceId: this.namespace.id,
      partitionCount: props.partitions,
      messageRetention: props.retentionDays,
      // Capture is configured below through ARM (identity-based destination), not by this provider.
      lifecycle: { ignoreChanges: ['capture_description'] },
    });
    this.consumerGroup = new EventhubConsumerGroup(this, 'consumer-group', {
      name: props.consumerGroup,
      namespaceName: this.namespace.name,
      eventhubName: this.hub.name,
      resourceGroupName: props.resourceGroupName,
    });

    const capture = props.capture;
    if (capture) {
      const captureAccess = new RoleAssignment(this, 'capture-writer', {
        scope: capture.containerScope,
        roleDefinitionName: 'Storage Blob Data Contributor',
        principalId: this.namespace.identity.principalId,
        principalType: 'ServicePrincipal',
        description: 'Event Hubs Capture writes Avro files to the capture container',
      });
      // azurerm 4.55 cannot set the capture destination's identity (added upstream in 2026);
      // without it Capture would need the storage keys that are disabled.
      new AzapiUpdateResource(this, 'capture', {
        type: 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01',
        resourceId: this.hub.id,
        provider: props.azapi,
        // Enabling Capture makes the service write to the container: wait for the role to propagate.
        dependsOn: [waitForRoles(this, 'wait-capture-writer', [captureAccess])],
        body: {
          properties: {
            captureDescription: {
              enabled: true,
              encoding: 'Avro',
              intervalInSeconds: capture.intervalSeconds,
              sizeLimitInBytes: 314572800,
              skipEmptyArchives: true,
              destination: {
                name: 'EventHubArchive.AzureBlockBlob',
                identity: { type: 'SystemAssigned' },
                properties: {
                  storageAccountResourceId: capture.storageAccountId,
                  blobContainer: capture.container,
                  archiveNameFormat:
                    '{Namespace}/{EventHub}/{PartitionId}/{Year}/{Month}/{Day}/{Hour}/{Minute}/{Second}',
                },
              },
            },
          },
        },
      });
      this.captureAccess = captureAccess;
    }

    new Diagnostics(this, 'diagnostics', {
      targetResourceId: this.namespace.id,
      logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
      logs: true,
      metricCategories: ['AllMetrics'],
    });
  }
}
