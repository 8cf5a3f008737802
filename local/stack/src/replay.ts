import { BlobServiceClient } from '@azure/storage-blob';
import { replay, type ReplayReport } from '@pipeline/producer';
import type { RunningStack } from './launcher';
import { PIPELINE_NAMES } from './provision';
import { formatSummary, summarize, waitForStored, type PipelineSummary } from './summary';
import { listBlobNames } from '@pipeline/emulators';

export interface StackReplayOptions {
  /** NDJSON file (or folder of Kaggle files) to replay. */
  readonly input: string;
  readonly say: (line: string) => void;
  /** Events per second; default: as fast as the pipeline takes them. */
  readonly rate?: number;
  /** Send invalid events as they are (default: the producer rejects them before sending). */
  readonly preflight?: boolean;
  /**
   * Retries of one request; default 20 with backoff up to 5 s (full jitter: 10 retries can all be
   * spent within a few seconds, which a functions host restart outlasted in the fault suite).
   */
  readonly maxRetries?: number;
  /** How long to wait for the accepted events to be readable in Cosmos DB. */
  readonly storeTimeoutMs?: number;
}

export interface StackReplayResult extends PipelineSummary {
  readonly report: ReplayReport;
}

/**
 * Replays a dataset into the running stack through its public entry point (the gateway, with the
 * subscription key and basic auth, as in Azure) with the producer library,
 * then waits until every accepted event is readable in Cosmos DB and reports what the pipeline did,
 * with one progress line per second.
 */
export async function replayIntoStack(
  stack: RunningStack,
  options: StackReplayOptions,
): Promise<StackReplayResult> {
  const { say } = options;
  const engine = replay({
    input: options.input,
    url: stack.urls.ingest,
    subscriptionKey: stack.secrets.subscription.primaryKey,
    basicUser: stack.secrets.basicAuth.user,
    basicPassword: stack.secrets.basicAuth.password,
    rate: options.rate,
    preflight: options.preflight,
    progressIntervalMs: 1000,
    maxRetries: options.maxRetries ?? 20,
    retryMaxMs: 5_000,
  });
  engine.on('progress', (p) =>
    say(
      `  replay: ${p.sent} sent, ${p.accepted} accepted, ${p.rejected} rejected, ${p.failed} failed (${(p.elapsedMs / 1000).toFixed(0)} s)`,
    ),
  );
  const report = await engine;
  say(
    `Replayed ${report.events.read} events in ${(report.durationMs / 1000).toFixed(1)} s (${report.throughput.eventsPerSecond.toFixed(0)} events/s).`,
  );
  for (const rejected of report.rejected.slice(0, 10)) {
    say(
      `  rejected ${rejected.id ?? `#${rejected.position}`}: ${rejected.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
    );
  }

  let lastSaid = 0;
  const stored = await waitForStored(stack.eventsContainer(), report.acceptedIds, {
    timeoutMs: options.storeTimeoutMs ?? 60_000,
    onProgress: (found, total) => {
      if (Date.now() - lastSaid >= 1000 && found < total) {
        lastSaid = Date.now();
        say(`  waiting for Cosmos DB: ${found} of ${total} stored`);
      }
    },
  });
  const deadLettered = await countBlobs(
    stack.storage.azurite.connectionString,
    PIPELINE_NAMES.containers.deadLetters,
  );
  const summary = summarize(
    {
      sent: report.events.sent,
      accepted: report.acceptedIds,
      rejected: report.events.rejected,
      failed: report.events.failed,
    },
    stored,
    deadLettered,
  );
  say(formatSummary(summary));
  return { ...summary, report };
}

async function countBlobs(connectionString: string, container: string): Promise<number> {
  const names = await listBlobNames(
    BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container),
  );
  return names.length;
}
