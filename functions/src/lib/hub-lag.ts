import { EventHubConsumerClient } from '@azure/event-hubs';
import { eventHubsCredential } from './credentials';
import { eventHubName, MissingSettingError, readConnection, readSetting } from './settings';
import { APP_SETTINGS, CONNECTIONS } from '@pipeline/schemas';

/** What the hub says about one partition (the `$management` partition read). */
export interface HubPartition {
  readonly partitionId: string;
  readonly beginSequenceNumber: number;
  readonly lastEnqueuedSequenceNumber: number;
  readonly lastEnqueuedAt: Date | null;
  readonly isEmpty: boolean;
}

export type HubPartitionsResult =
  | { readonly ok: true; readonly partitions: readonly HubPartition[] }
  | { readonly ok: false; readonly reason: string };

/**
 * One consumer client for the process, used only for management reads (no receiving, no checkpoints):
 * in Azure its identity needs `Azure Event Hubs Data Receiver`, which the consumer function has anyway.
 */
let client: EventHubConsumerClient | undefined;

function consumerClient(): EventHubConsumerClient {
  if (client) return client;
  const setting = readConnection(CONNECTIONS.eventHub, ['fullyQualifiedNamespace']);
  // No default: the consume trigger binds `%EVENTHUB_CONSUMER_GROUP%`, so the lag must be read for that
  // same group. A fallback to `$Default` measured another reader's position (a drift found in review).
  const group = readSetting(APP_SETTINGS.consumerGroup);
  // One quick try: the dashboard polls every few seconds and would rather say "not measured" than wait.
  const options = { retryOptions: { maxRetries: 0, timeoutInMs: 3_000 } };
  client = setting.identityEndpoint
    ? new EventHubConsumerClient(
        group,
        setting.identityEndpoint,
        eventHubName(),
        eventHubsCredential(CONNECTIONS.eventHub),
        options,
      )
    : new EventHubConsumerClient(group, setting.connectionString!, eventHubName(), options);
  return client;
}

/** Reads every partition's last enqueued position, within `timeoutMs`; never throws. */
export async function readHubPartitions(timeoutMs = 3_000): Promise<HubPartitionsResult> {
  let hub: EventHubConsumerClient;
  try {
    hub = consumerClient();
  } catch (error) {
    if (error instanceof MissingSettingError)
      return { ok: false, reason: `the Event Hubs connection is not configured (${error.message})` };
    return { ok: false, reason: describe(error) };
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const ids = await hub.getPartitionIds({ abortSignal: abort.signal });
    const partitions = await Promise.all(
      ids.map(async (id) => {
        const p = await hub.getPartitionProperties(id, { abortSignal: abort.signal });
        return {
          partitionId: p.partitionId,
          beginSequenceNumber: p.beginningSequenceNumber,
          lastEnqueuedSequenceNumber: p.lastEnqueuedSequenceNumber,
          lastEnqueuedAt: p.lastEnqueuedOnUtc ?? null,
          isEmpty: p.isEmpty,
        };
      }),
    );
    return { ok: true, partitions };
  } catch (error) {
    return {
      ok: false,
      reason: abort.signal.aborted
        ? `Event Hubs did not answer within ${timeoutMs} ms`
        : `Event Hubs: ${describe(error)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Closes the management client (tests, host shutdown). */
export async function closeHubLagClient(): Promise<void> {
  const open = client;
  client = undefined;
  await open?.close();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
