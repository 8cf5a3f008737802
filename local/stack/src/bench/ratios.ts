import { BULK_CEILING, PRODUCER } from './settings';
import type { Ceilings, HubBytes, Ratios, StepResult } from './types';

/** Ingest writes one archive blob per request (ARCHIVE-1); the ceiling counts its events. */
export const AZURITE_STAGE = `Azurite (one archive blob per ${PRODUCER.batchSize}-event request)`;

/** Each stage the events pass through, with its ceiling in events per second. */
export function stageCeilings(c: Ceilings): ReadonlyArray<{ stage: string; eventsPerSecond: number }> {
  return [
    { stage: 'producer -> bare HTTP 202', eventsPerSecond: c.bareHttp202EventsPerSecond },
    { stage: 'gateway (policies) -> bare 202', eventsPerSecond: c.gatewayOverBareEventsPerSecond },
    { stage: AZURITE_STAGE, eventsPerSecond: c.azuriteEventsPerSecond },
    { stage: 'Event Hubs send', eventsPerSecond: c.eventHubsSendEventsPerSecond },
    { stage: 'Event Hubs receive', eventsPerSecond: c.eventHubsReceiveEventsPerSecond },
    // As consume writes since HOST-10; the one-per-request figure is the issue-16 goal's reference only.
    {
      stage: `Cosmos DB bulk upserts (${BULK_CEILING.perRequest} per request)`,
      eventsPerSecond: c.cosmosBulkDocumentsPerSecond,
    },
  ];
}

/**
 * The saturation rate: the best stored throughput of the sweep. The half-saturation step is left out:
 * it is offered half of this, so it cannot say anything about the ceiling.
 */
export function saturationPerSecond(steps: readonly StepResult[]): number {
  const sweep = steps.filter((s) => s.kind !== 'half-saturation');
  return sweep.length ? Math.max(...sweep.map((s) => s.storedPerSecond)) : 0;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

export function deriveRatios(ceilings: Ceilings, steps: readonly StepResult[], hub: HubBytes): Ratios {
  const slowest = stageCeilings(ceilings).reduce((a, b) => (b.eventsPerSecond < a.eventsPerSecond ? b : a));
  return {
    pipelineOverSlowestCeiling: round2(saturationPerSecond(steps) / slowest.eventsPerSecond),
    slowestStage: slowest.stage,
    gatewayOverBareBackend: round2(
      ceilings.gatewayOverBareEventsPerSecond / ceilings.bareHttp202EventsPerSecond,
    ),
    hubBytesPerEvent: Math.round(hub.meanBodyBytes),
  };
}
