import type { Container } from '@azure/cosmos';
import { EventHubConsumerClient } from '@azure/event-hubs';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { parseArchive } from '@pipeline/schemas';
import { PIPELINE_NAMES, type RunningStack } from '@pipeline/stack';
import { listBlobNames, poll, sleep } from '@pipeline/emulators';

/** What the stores hold at the end of a scenario, compared with the ids the API accepted. */
export interface StoreAudit {
  /** Documents in Cosmos DB whose id was accepted. */
  readonly stored: number;
  /** Accepted ids missing from Cosmos DB or from the raw-event archive, each with where it is missing. */
  readonly lost: readonly string[];
  /**
   * Ids found more than once in a store, or found without having been accepted. In the raw archive,
   * an id on two lines (of one archive or of two) is a duplicate: every scenario offers each event
   * once, and a retried request must rewrite its own archive, not write another.
   */
  readonly duplicated: readonly string[];
  /** Request archives in the raw-events container (one per accepted request). */
  readonly rawArchives: number;
  /** Event lines over all request archives. */
  readonly rawEvents: number;
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

async function blobNames(stack: RunningStack, container: string): Promise<string[]> {
  const client = BlobServiceClient.fromConnectionString(stack.storage.azurite.connectionString);
  return listBlobNames(client.getContainerClient(container));
}

/** The event ids of every request archive (`yyyy/mm/dd/<sha256>.ndjson`), line by line. */
export async function archivedIds(container: ContainerClient): Promise<{ archives: number; ids: string[] }> {
  const ids: string[] = [];
  let archives = 0;
  for await (const blob of container.listBlobsFlat()) {
    archives++;
    const body = await container.getBlobClient(blob.name).downloadToBuffer();
    ids.push(...parseArchive(body).map((event) => event.id));
  }
  return { archives, ids };
}

/**
 * Reads every document id in Cosmos DB and every request archive's event ids and compares both with the accepted
 * ids: an accepted id missing from either store is lost; an id stored twice or never accepted is a
 * duplicate. Reads everything, so it is for the scenarios' bounded data sets, not production.
 */
export async function auditStores(stack: RunningStack, accepted: Iterable<string>): Promise<StoreAudit> {
  const expected = new Set(accepted);
  const { resources: documents } = await stack
    .eventsContainer()
    .items.query<string>('SELECT VALUE c.id FROM c')
    .fetchAll();
  const raw = await archivedIds(
    BlobServiceClient.fromConnectionString(stack.storage.azurite.connectionString).getContainerClient(
      PIPELINE_NAMES.containers.raw,
    ),
  );
  const deadLetters = await blobNames(stack, PIPELINE_NAMES.containers.deadLetters);
  const inCosmos = compareIds(expected, documents);
  const inRaw = compareIds(expected, raw.ids);
  return {
    stored: documents.filter((id) => expected.has(id)).length - inCosmos.repeated.length,
    lost: [
      ...inCosmos.missing.map((id) => `${id} (not in Cosmos DB)`),
      ...inRaw.missing.map((id) => `${id} (in no raw archive)`),
    ],
    duplicated: [
      ...inCosmos.repeated.map((id) => `${id} (twice in Cosmos DB)`),
      ...inCosmos.unexpected.map((id) => `${id} (in Cosmos DB, but the API never confirmed it with a 202)`),
      ...inRaw.repeated.map((id) => `${id} (archived twice in the raw archive)`),
      ...inRaw.unexpected.map(
        (id) => `${id} (in the raw archive, but the API never confirmed it with a 202)`,
      ),
    ],
    rawArchives: raw.archives,
    rawEvents: raw.ids.length,
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
  let audit: StoreAudit | undefined;
  const complete = async () => {
    await waitUntilReadable(stack.eventsContainer(), accepted, deadline);
    return (audit = await auditStores(stack, accepted)).lost.length === 0;
  };
  await poll(complete, { timeoutMs, intervalMs: 5_000, rethrow: true });
  return audit!;
}

/**
 * Waits until every id is readable in Cosmos DB or the deadline passes, by point reads of the ids
 * still missing (the id is the partition key: one lookup each). Polling with a query of every id
 * instead scans the whole container each time; before the emulator's query library was patched
 * (docs/decisions.md EMU-QUERY-1) that scan was quadratic in the container's size (~30 s at 14,000
 * documents under load) and starved the consumer it was waiting for.
 */
export async function waitUntilReadable(
  container: Container,
  ids: readonly string[],
  deadline: number,
  concurrency = 16,
): Promise<readonly string[]> {
  let missing = [...new Set(ids)];
  for (;;) {
    const stillMissing: string[] = [];
    for (let i = 0; i < missing.length; i += concurrency) {
      const chunk = missing.slice(i, i + concurrency);
      const reads = await Promise.all(chunk.map((id) => container.item(id, id).read()));
      reads.forEach((read, j) => {
        if (read.statusCode === 404) stillMissing.push(chunk[j]!);
      });
    }
    missing = stillMissing;
    if (missing.length === 0 || Date.now() >= deadline) return missing;
    await sleep(2_000);
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
