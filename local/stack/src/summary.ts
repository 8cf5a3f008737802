import type { Container } from '@azure/cosmos';
import { poll } from '@pipeline/emulators';

export interface ReplaySummaryInput {
  readonly sent: number;
  readonly accepted: readonly string[];
  readonly rejected: number;
  readonly failed: number;
}

export interface PipelineSummary {
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly failed: number;
  readonly stored: number;
  readonly missing: number;
  readonly deadLettered: number;
  /** Ingest accepted -> document produced by the consumer, over the stored events of this replay. */
  readonly latencyMs: {
    readonly p50: number | null;
    readonly p99: number | null;
    readonly max: number | null;
  };
}

export interface StoredTimes {
  readonly id: string;
  readonly ingestedAt: string;
  readonly storedAt: string;
}

/**
 * Waits until every accepted id is readable in Cosmos DB (or the timeout passes), then measures the
 * replay's end-to-end latency from the documents' own timestamps. Ids are read in chunks with
 * parameterized `IN` queries, which the emulator supports and real Cosmos DB serves from the index.
 */
export async function waitForStored(
  container: Container,
  accepted: readonly string[],
  options: { timeoutMs: number; onProgress?: (stored: number, total: number) => void },
): Promise<StoredTimes[]> {
  const wanted = [...new Set(accepted)];
  const found = new Map<string, StoredTimes>();
  const complete = async () => {
    const pending = wanted.filter((id) => !found.has(id));
    for (let i = 0; i < pending.length; i += 100) {
      const chunk = pending.slice(i, i + 100);
      const { resources } = await container.items
        .query<StoredTimes>({
          query: 'SELECT c.id, c.ingestedAt, c.storedAt FROM c WHERE ARRAY_CONTAINS(@ids, c.id)',
          parameters: [{ name: '@ids', value: chunk }],
        })
        .fetchAll();
      for (const doc of resources) found.set(doc.id, doc);
    }
    options.onProgress?.(found.size, wanted.length);
    return found.size === wanted.length;
  };
  await poll(complete, { timeoutMs: options.timeoutMs, intervalMs: 500, rethrow: true });
  return [...found.values()];
}

/** Accepted -> stored milliseconds of each stored document, ascending. */
export function storeLatencies(stored: readonly StoredTimes[]): number[] {
  return stored
    .map((d) => Date.parse(d.storedAt) - Date.parse(d.ingestedAt))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
}

/** Nearest-rank percentile of ascending values (every reported value was measured); null when empty. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  return sorted.length ? sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]! : null;
}

export function summarize(
  replay: ReplaySummaryInput,
  stored: readonly StoredTimes[],
  deadLettered: number,
): PipelineSummary {
  const latencies = storeLatencies(stored);
  const rank = (p: number) => nearestRank(latencies, p);
  const acceptedUnique = new Set(replay.accepted).size;
  return {
    sent: replay.sent,
    accepted: acceptedUnique,
    rejected: replay.rejected,
    failed: replay.failed,
    stored: stored.length,
    missing: acceptedUnique - stored.length,
    deadLettered,
    latencyMs: {
      p50: rank(50),
      p99: rank(99),
      max: latencies.at(-1) ?? null,
    },
  };
}

export function formatSummary(summary: PipelineSummary): string {
  const ms = (v: number | null) => (v === null ? 'n/a' : `${v} ms`);
  return [
    `sent ${summary.sent}, accepted ${summary.accepted}, rejected ${summary.rejected}, failed ${summary.failed}`,
    `stored in Cosmos DB ${summary.stored}${summary.missing ? ` (${summary.missing} accepted events NOT stored)` : ''}, dead-lettered ${summary.deadLettered}`,
    `end-to-end latency (accepted -> stored): p50 ${ms(summary.latencyMs.p50)}, p99 ${ms(summary.latencyMs.p99)}, max ${ms(summary.latencyMs.max)}`,
  ].join('\n');
}
