import type { BenchResult, StepResult } from '../src/bench/types';

const step = (over: Partial<StepResult>): StepResult => ({
  kind: 'rate',
  offeredPerSecond: 20,
  acceptedPerSecond: 20,
  storedPerSecond: 20,
  events: 200,
  stored: 200,
  errors: 0,
  latencyMs: { p50: 30, p95: 50, p99: 80, max: 90 },
  cpuShare: { functions: 0.2, azurite: 0.2, producer: 0.05 },
  cpuMsPerStoredEvent: { functions: 10, azurite: 10, producer: 2.5 },
  machineBusyCores: 0.8,
  ...over,
});

/** A result shaped like one `npm run bench` writes, with round figures the tests can reason about. */
export function benchResult(over: Partial<BenchResult> = {}): BenchResult {
  return {
    machine: {
      cores: 2,
      cpuModel: 'Test CPU',
      memoryGiB: 24,
      node: 'v20.20.2',
      load: '3.00 2.00 1.00 2/131 1002',
    },
    commit: 'abc1234',
    command: 'npm run bench',
    dataset: 'producer/sample/events.ndjson (300 events)',
    date: '2026-12-02T06:00:00.000Z',
    ceilings: {
      bareHttp202EventsPerSecond: 10_000,
      gatewayOverBareEventsPerSecond: 2_000,
      azuriteBlobPutsPerSecond: 8,
      azuriteEventsPerSecond: 200,
      cosmosUpsertsPerSecond: 280,
      cosmosBulkDocumentsPerSecond: 2_800,
      eventHubsSendEventsPerSecond: 10_000,
      eventHubsReceiveEventsPerSecond: 12_000,
    },
    ceilingCpu: { azurite: 0.95, cosmos: 0.8 },
    steps: [
      step({ offeredPerSecond: 20 }),
      step({ offeredPerSecond: 80, acceptedPerSecond: 80, storedPerSecond: 79 }),
      step({
        kind: 'unlimited',
        offeredPerSecond: null,
        acceptedPerSecond: 180,
        storedPerSecond: 150,
        events: 3000,
        stored: 3000,
        latencyMs: { p50: 5000, p95: 8000, p99: 9000, max: 9500 },
        cpuShare: { functions: 0.9, azurite: 0.6, producer: 0.1 },
        cpuMsPerStoredEvent: { functions: 0.6, azurite: 0.4, producer: 0.07 },
        machineBusyCores: 1.95,
      }),
      step({
        kind: 'half-saturation',
        offeredPerSecond: 75,
        latencyMs: { p50: 40, p95: 200, p99: 400, max: 450 },
      }),
    ],
    processes: {
      functions: { peakRssMb: 350, cpuShare: 0.5 },
      azurite: { peakRssMb: 420, cpuShare: 0.4 },
      producer: { peakRssMb: 180, cpuShare: 0.1 },
    },
    hub: { events: 3400, meanBodyBytes: 619.4, maxBodyBytes: 662 },
    ratios: {
      pipelineOverSlowestCeiling: 0.75,
      slowestStage: 'Azurite (one archive blob per 25-event request)',
      gatewayOverBareBackend: 0.2,
      hubBytesPerEvent: 619,
    },
    ...over,
  };
}
