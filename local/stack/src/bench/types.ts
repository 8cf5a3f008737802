// The shape of one `npm run bench` result: what docs/benchmarks/pipeline.json holds and what the
// report, the chart and the goals are computed from.

import type { Machine } from '../report-files';

export type { Machine };

/** Each stage alone, in the same run as the pipeline steps. All per second. */
export interface Ceilings {
  /** The producer against a bare Node HTTP server answering 202 (its own process). */
  readonly bareHttp202EventsPerSecond: number;
  /** The same producer, the gateway with the repository's policies in front of the same bare server. */
  readonly gatewayOverBareEventsPerSecond: number;
  readonly azuriteBlobPutsPerSecond: number;
  /**
   * Ingest writes one archive blob per request (ARCHIVE-1), and each image once per functions process
   * (cached after that), so Azurite carries archive PUTs/s x events per request.
   */
  readonly azuriteEventsPerSecond: number;
  /** One upsert per request (as the Cosmos DB output binding writes): the issue-16 goal's reference. */
  readonly cosmosUpsertsPerSecond: number;
  /** Documents per second in bulk requests (BULK_CEILING), as consume writes since HOST-10. */
  readonly cosmosBulkDocumentsPerSecond: number;
  readonly eventHubsSendEventsPerSecond: number;
  readonly eventHubsReceiveEventsPerSecond: number;
}

/**
 * CPU share (1 = one core) each store process used while its ceiling was measured: set beside its
 * share in the pipeline, it shows whether the store got the CPU there that it can use alone.
 */
export interface CeilingCpu {
  readonly azurite: number | null;
  readonly cosmos: number | null;
}

export interface Latency {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export type StepKind = 'rate' | 'unlimited' | 'half-saturation';

export interface StepResult {
  readonly kind: StepKind;
  /** The producer's schedule; null when it sent as fast as the gateway answered. */
  readonly offeredPerSecond: number | null;
  /** Events per second the gateway accepted, as the producer saw it (its send rate when unlimited). */
  readonly acceptedPerSecond: number;
  /** Events stored per second, from the step's first send to its last document's `storedAt`. */
  readonly storedPerSecond: number;
  readonly events: number;
  readonly stored: number;
  /** Events rejected or failed after retries. */
  readonly errors: number;
  /** Accepted (ingest's `ingestedAt`) -> written by the consumer (`storedAt`), from the documents. */
  readonly latencyMs: Latency;
  /** CPU seconds per wall second of each process during this step (1 = one core). */
  readonly cpuShare: Readonly<Record<string, number>>;
  /** CPU milliseconds each process spent during this step per event stored in it (two decimals). */
  readonly cpuMsPerStoredEvent: Readonly<Record<string, number>>;
  /** CPU seconds per wall second of the whole machine (every process, the neighbours' too). */
  readonly machineBusyCores: number | null;
}

export interface ProcessUsage {
  /** Peak resident memory over the whole run (VmHWM). */
  readonly peakRssMb: number | null;
  /** CPU seconds per wall second over all the steps (1 = one full core). */
  readonly cpuShare: number | null;
}

export interface HubBytes {
  /** Slim events read back from the stack's hub. */
  readonly events: number;
  readonly meanBodyBytes: number;
  readonly maxBodyBytes: number;
}

export interface Ratios {
  /** Saturation throughput (stored events/s) / the slowest stage ceiling (in events/s). */
  readonly pipelineOverSlowestCeiling: number;
  readonly slowestStage: string;
  readonly gatewayOverBareBackend: number;
  readonly hubBytesPerEvent: number;
}

export interface BenchResult {
  readonly machine: Machine;
  readonly commit: string;
  readonly command: string;
  readonly dataset: string;
  /** Events run through the pipeline before the steps, unmeasured (absent in runs before 2026-12-07). */
  readonly warmupEvents?: number;
  readonly date: string;
  readonly ceilings: Ceilings;
  readonly ceilingCpu: CeilingCpu;
  readonly steps: readonly StepResult[];
  readonly processes: Readonly<Record<string, ProcessUsage>>;
  readonly hub: HubBytes;
  readonly ratios: Ratios;
}
