import { EventHubConsumerClient } from '@azure/event-hubs';
import { BlobServiceClient } from '@azure/storage-blob';
import { PIPELINE_NAMES, type RunningStack } from '@pipeline/stack';

/** What the stores hold at the end of a scenario, compared with the ids the API accepted. */
export interface StoreAudit {
  /** Documents in Cosmos DB whose id was accepted. */
  readonly stored: number;
  /** Accepted ids missing from Cosmos DB or from the raw-event archive, each with where it is missing. */
  readonly lost: readonly string[];
  /** Ids found more than once in a store, or found without having been accepted. */
  readonly duplicated: readonly string[];
  readonly rawBlobs: number;
  readonly deadLettered: number;
}

/** Ids that occur more than once, and ids in `found` that are not in `expected`. */
export function compareIds(
  expected: ReadonlySet<string>,
  found: readonly string[],
): { missing: string[]; repeated: string[]; unexpected: string[] } {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const id of found) (seen.has(id) ? repeated : seen).add(id);
  return {
    missing: [...expected].filter((id) => !seen.has(id)).sort(),
    repeated: [...repeated].sort(),
    unexpected: [...seen].filter((id) => !expected.has(id)).sort(),
  };
}

/** The id in a raw-event blob name (`yyyy/mm/dd/<id>.json`). */
export function rawBlobId(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1).replace(/\.json$/, '');
}

async function blobNames(stack: RunningStack, container: string): Promise<string[]> {
  const names: string[] = [];
  const client = BlobServiceClient.fromConnectionString(stack.storage.azurite.connectionString);
  for await (const blob of client.getContainerClient(container).listBlobsFlat()) names.push(blob.name);
  return names;
}

/**
 * Reads every document id in Cosmos DB and every raw-event blob and compares both with the accepted
 * ids: an accepted id missing from either store is lost; an id stored twice or never accepted is a
 * duplicate. Reads everything, so it is for the scenarios' bounded data sets, not production.
 */
export async function auditStores(stack: RunningStack, accepted: Iterable<string>): Promise<StoreAudit> {
  const expected = new Set(accepted);
  const { resources: documents } = await stack
    .eventsContainer()
    .items.query<string>('SELECT VALUE c.id FROM c')
    .fetchAll();
  const rawNames = await blobNames(stack, PIPELINE_NAMES.containers.raw);
  const deadLetters = await blobNames(stack, PIPELINE_NAMES.containers.deadLetters);
  const inCosmos = compareIds(expected, documents);
  const inRaw = compareIds(expected, rawNames.map(rawBlobId));
  return {
    stored: documents.filter((id) => expected.has(id)).length - inCosmos.repeated.length,
    lost: [
      ...inCosmos.missing.map((id) => `${id} (not in Cosmos DB)`),
      ...inRaw.missing.map((id) => `${id} (no raw blob)`),
    ],
    duplicated: [
      ...inCosmos.repeated.map((id) => `${id} (twice in Cosmos DB)`),
      ...inCosmos.unexpected.map((id) => `${id} (in Cosmos DB, but the API never confirmed it with a 202)`),
      ...inRaw.repeated.map((id) => `${id} (two raw blobs)`),
      ...inRaw.unexpected.map((id) => `${id} (raw blob, but the API never confirmed it with a 202)`),
    ],
    rawBlobs: rawNames.length,
    deadLettered: deadLetters.length,
  };
}

/**
 * Audits until nothing is lost or `timeoutMs` passed (every 5 s): the consumer may still be writing
 * the last redelivered batches when the audit first runs. Returns the last audit.
 */
export async function auditUntilComplete(
  stack: RunningStack,
  accepted: readonly string[],
  timeoutMs: number,
): Promise<StoreAudit> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const audit = await auditStores(stack, accepted);
    if (audit.lost.length === 0 || Date.now() >= deadline) return audit;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

/** How many events the hub holds over all partitions (retention keeps them all for the suite's runs). */
export async function hubEventCount(stack: RunningStack): Promise<number> {
  const client = new EventHubConsumerClient(
    '$Default',
    stack.eventHubs.connectionString,
    PIPELINE_NAMES.eventHub,
  );
  try {
    let total = 0;
    for (const partitionId of await client.getPartitionIds()) {
      const p = await client.getPartitionProperties(partitionId);
      if (!p.isEmpty) total += p.lastEnqueuedSequenceNumber - p.beginningSequenceNumber + 1;
    }
    return total;
  } finally {
    await client.close();
  }
}
