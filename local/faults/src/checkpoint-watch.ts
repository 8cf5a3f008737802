import { BlobServiceClient } from '@azure/storage-blob';
import { PIPELINE_NAMES, type RunningStack } from '@pipeline/stack';

/**
 * Samples the consumer's checkpoints (the blobs the Event Hubs checkpoint store keeps in Azurite, one
 * per partition, with the sequence number in their metadata) four times a second. The consumer
 * checkpoints a batch only after storing it, so the first advance after a fault is the moment the
 * consumer stored again, whatever backlog it still has. Cheap: two small blobs, no database query.
 */
export class CheckpointWatch {
  readonly samples: { atMs: number; total: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(
    private readonly stack: RunningStack,
    private readonly elapsed: () => number,
  ) {}

  start(): this {
    this.#timer = setInterval(() => void this.sample(), 250);
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const container = BlobServiceClient.fromConnectionString(
        this.stack.storage.azurite.connectionString,
      ).getContainerClient(PIPELINE_NAMES.containers.checkpoints);
      let total = 0;
      for await (const blob of container.listBlobsFlat({ includeMetadata: true }))
        if (blob.name.includes('/checkpoint/')) total += Number(blob.metadata?.sequencenumber ?? -1) + 1;
      this.samples.push({ atMs: this.elapsed(), total });
    } catch {
      // Azurite itself may be the fault; the next sample will tell.
    } finally {
      this.#busy = false;
    }
  }

  /** Ms from `sinceMs` until the checkpoints first advanced past where they were then; null if never. */
  advancedAfter(sinceMs: number): number | null {
    return firstAdvanceAfter(this.samples, sinceMs);
  }
}

/** Pure part of CheckpointWatch: the first sample after `sinceMs` above the last one at or before it. */
export function firstAdvanceAfter(
  samples: readonly { atMs: number; total: number }[],
  sinceMs: number,
): number | null {
  const before = samples.filter((s) => s.atMs <= sinceMs).at(-1)?.total ?? 0;
  const next = samples.find((s) => s.atMs > sinceMs && s.total > before);
  return next ? next.atMs - sinceMs : null;
}
