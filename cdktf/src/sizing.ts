/**
 * Sizing: from a target event rate and event size to Event Hubs throughput units and partitions,
 * Cosmos DB RU/s and the Functions scale-out ceiling. The service limits are constants here so
 * the docs table and the tests use the same figures.
 */
export const LIMITS = {
  /** Event Hubs Standard, per throughput unit. */
  ingressBytesPerSecondPerTu: 1024 * 1024,
  ingressEventsPerSecondPerTu: 1000,
  egressBytesPerSecondPerTu: 2 * 1024 * 1024,
  maxStandardThroughputUnits: 40,
  maxStandardPartitions: 32,
  /** Cosmos DB: a write of an item up to 1 KB costs about 5 RU (with the indexing policy used here). */
  ruPerKbWrite: 5,
  /** Cosmos DB serverless: highest throughput one container can burst to. */
  serverlessMaxRuPerSecond: 5000,
  /** Flex Consumption scale-out ceiling range. */
  flexMinInstanceCeiling: 40,
  flexMaxInstanceCeiling: 1000,
} as const;

export interface SizingInput {
  /** Target sustained rate in events per second (> 0). */
  readonly eventsPerSecond: number;
  /** Average size of one hub event in bytes (> 0). The claim check keeps it under 1 KB. */
  readonly eventSizeBytes: number;
  /** Consumer groups reading the hub (egress is counted per reader). Default 1. */
  readonly consumerGroups?: number;
  /** Events one consumer instance (one partition) processes per second. Default 500. */
  readonly eventsPerSecondPerConsumer?: number;
  /** Events per ingest HTTP request (the producer batches). Default 100. */
  readonly eventsPerRequest?: number;
  /** Concurrent HTTP requests one Functions instance serves. Default 16. */
  readonly httpConcurrencyPerInstance?: number;
  /** Average ingest request duration in seconds. Default 0.2. */
  readonly requestSeconds?: number;
  /** Multiplier applied for bursts and retries. Default 1.2. */
  readonly headroom?: number;
}

export interface Sizing {
  readonly throughputUnits: number;
  /** Auto-inflate ceiling: twice the base, capped at the tier maximum; 0 when one TU is plenty. */
  readonly autoInflateMaxThroughputUnits: number;
  readonly partitions: number;
  readonly cosmosRuPerSecond: number;
  /** Cosmos mode that fits: serverless while the peak stays within the serverless burst limit. */
  readonly cosmosMode: 'serverless' | 'autoscale';
  /** Autoscale maximum (multiple of 1000), or 0 for serverless. */
  readonly cosmosAutoscaleMaxRu: number;
  readonly functionMaxInstances: number;
}

export class SizingError extends Error {}

export function size(input: SizingInput): Sizing {
  const { eventsPerSecond: rate, eventSizeBytes: bytes } = input;
  if (!(Number.isFinite(rate) && rate > 0))
    throw new SizingError(`eventsPerSecond must be > 0 (got ${rate})`);
  if (!(Number.isFinite(bytes) && bytes > 0))
    throw new SizingError(`eventSizeBytes must be > 0 (got ${bytes})`);
  const readers = input.consumerGroups ?? 1;
  const perConsumer = input.eventsPerSecondPerConsumer ?? 500;
  const perRequest = input.eventsPerRequest ?? 100;
  const concurrency = input.httpConcurrencyPerInstance ?? 16;
  const requestSeconds = input.requestSeconds ?? 0.2;
  const headroom = input.headroom ?? 1.2;

  const peakRate = rate * headroom;
  const ingressBytes = peakRate * bytes;
  const throughputUnits = Math.max(
    1,
    Math.ceil(ingressBytes / LIMITS.ingressBytesPerSecondPerTu),
    Math.ceil(peakRate / LIMITS.ingressEventsPerSecondPerTu),
    Math.ceil((ingressBytes * readers) / LIMITS.egressBytesPerSecondPerTu),
  );
  if (throughputUnits > LIMITS.maxStandardThroughputUnits) {
    throw new SizingError(
      `${rate} events/s of ${bytes} bytes needs ${throughputUnits} throughput units; Event Hubs Standard stops at ${LIMITS.maxStandardThroughputUnits} (use Premium or Dedicated)`,
    );
  }
  const autoInflateMaxThroughputUnits =
    throughputUnits === 1 && peakRate * 2 <= LIMITS.ingressEventsPerSecondPerTu
      ? 0
      : Math.min(LIMITS.maxStandardThroughputUnits, throughputUnits * 2);

  // One consumer instance reads one partition: enough partitions for the consumers to keep up,
  // and at least one per throughput unit so ingress spreads. Partitions cannot grow later.
  const partitions = Math.min(
    LIMITS.maxStandardPartitions,
    Math.max(2, throughputUnits, Math.ceil(peakRate / perConsumer)),
  );

  const ruPerWrite = Math.ceil(bytes / 1024) * LIMITS.ruPerKbWrite;
  const cosmosRuPerSecond = Math.ceil(peakRate * ruPerWrite);
  const cosmosMode = cosmosRuPerSecond <= LIMITS.serverlessMaxRuPerSecond ? 'serverless' : 'autoscale';
  const cosmosAutoscaleMaxRu = cosmosMode === 'serverless' ? 0 : Math.ceil(cosmosRuPerSecond / 1000) * 1000;

  const httpInstances = Math.ceil(((peakRate / perRequest) * requestSeconds) / concurrency);
  const functionMaxInstances = Math.min(
    LIMITS.flexMaxInstanceCeiling,
    Math.max(LIMITS.flexMinInstanceCeiling, partitions + httpInstances),
  );

  return {
    throughputUnits,
    autoInflateMaxThroughputUnits,
    partitions,
    cosmosRuPerSecond,
    cosmosMode,
    cosmosAutoscaleMaxRu,
    functionMaxInstances,
  };
}

/** The markdown table in docs/deploying.md (a test keeps the two identical). */
export function sizingTable(rates: readonly number[] = [100, 1000, 10000], eventSizeBytes = 800): string {
  const lines = [
    '| events/s | throughput units | auto-inflate max | partitions | Cosmos RU/s (peak) | Cosmos mode | Functions max instances |',
    '| ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  ];
  for (const rate of rates) {
    const s = size({ eventsPerSecond: rate, eventSizeBytes });
    const mode = s.cosmosMode === 'serverless' ? 'serverless' : `autoscale, max ${s.cosmosAutoscaleMaxRu}`;
    lines.push(
      `| ${rate.toLocaleString('en-US')} | ${s.throughputUnits} | ${s.autoInflateMaxThroughputUnits || 'off'} | ${s.partitions} | ${s.cosmosRuPerSecond.toLocaleString('en-US')} | ${mode} | ${s.functionMaxInstances} |`,
    );
  }
  return lines.join('\n');
}
