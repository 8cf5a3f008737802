// When a step's events are all stored, without asking the Cosmos DB emulator: the consumer's Event Hubs
// checkpoints have reached the last event of every partition. The Functions host checkpoints a batch
// only after its output bindings succeeded (docs/decisions.md HOST-2; host.json batchCheckpointFrequency
// 1), so a partition checkpointed at its last enqueued event has every event stored (or dead-lettered).
//
// Why not a COUNT: the local Cosmos DB server (@vercel/cosmosdb-server) answers a query by running it
// over a copy of every document, and its COUNT grows faster than the container: measured on an idle
// machine, 90 ms at 6,000 documents, 186 ms at 10,000, 6.5 s at 15,000. Polling it once a second
// blocked the emulator for longer and longer as the steps filled the container, and every upsert the
// consumer had in flight waited behind it: the bench measured its own polling.
import { EventHubConsumerClient } from '@azure/event-hubs';
import { BlobCheckpointStore } from '@azure/eventhubs-checkpointstore-blob';
import { BlobServiceClient } from '@azure/storage-blob';
import { PIPELINE_NAMES } from '@pipeline/schemas';

/** A partition's last enqueued sequence number; undefined while the partition is empty. */
export interface PartitionEnd {
  readonly partitionId: string;
  readonly lastEnqueuedSequenceNumber: number | undefined;
}

/** The partitions whose checkpoint has not reached their last enqueued event (sorted). */
export function partitionsBehind(
  ends: readonly PartitionEnd[],
  checkpoints: ReadonlyMap<string, number>,
): string[] {
  return ends
    .filter(({ partitionId, lastEnqueuedSequenceNumber: last }) => {
      if (last === undefined) return false;
      const checkpointed = checkpoints.get(partitionId);
      return checkpointed === undefined || checkpointed < last;
    })
    .map((end) => end.partitionId)
    .sort();
}

/** Connections of the stack the progress is read from. */
export interface ProgressSources {
  readonly eventHubsConnectionString: string;
  readonly storageConnectionString: string;
}

/** Reads the hub's partition ends and the consumer group's checkpoints; `close` when done. */
export class StoreProgress {
  readonly #hub: EventHubConsumerClient;
  readonly #checkpoints: BlobCheckpointStore;
  /** A hub's partition count is fixed when it is created: asked once, not on every poll. */
  #partitionIds: Promise<string[]> | undefined;

  constructor(sources: ProgressSources) {
    this.#hub = new EventHubConsumerClient(
      PIPELINE_NAMES.consumerGroup,
      sources.eventHubsConnectionString,
      PIPELINE_NAMES.eventHub,
    );
    this.#checkpoints = new BlobCheckpointStore(
      BlobServiceClient.fromConnectionString(sources.storageConnectionString).getContainerClient(
        PIPELINE_NAMES.containers.checkpoints,
      ),
    );
  }

  /** The partitions not yet stored up to their last event (empty: everything enqueued is stored). */
  async behind(): Promise<string[]> {
    const ids = await (this.#partitionIds ??= this.#hub.getPartitionIds());
    const ends = await Promise.all(
      ids.map(async (partitionId): Promise<PartitionEnd> => {
        const p = await this.#hub.getPartitionProperties(partitionId);
        return {
          partitionId,
          lastEnqueuedSequenceNumber: p.isEmpty ? undefined : p.lastEnqueuedSequenceNumber,
        };
      }),
    );
    // The same namespace, hub and group the host's processor writes under (BlobCheckpointStore's names).
    const checkpoints = await this.#checkpoints.listCheckpoints(
      this.#hub.fullyQualifiedNamespace,
      PIPELINE_NAMES.eventHub,
      PIPELINE_NAMES.consumerGroup,
    );
    return partitionsBehind(ends, new Map(checkpoints.map((c) => [c.partitionId, c.sequenceNumber])));
  }

  /** Polls until every partition is stored up to its last event; false when the timeout passed first. */
  async waitUntilStored(timeoutMs: number, intervalMs = 200): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.behind()).length === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  close(): Promise<void> {
    return this.#hub.close();
  }
}
