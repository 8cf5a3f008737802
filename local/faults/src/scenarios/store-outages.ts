import type { InterposedStore } from '@pipeline/stack';
import { scenarioEvents } from '../events';
import { FaultProxy } from '../fault-proxy';
import { withStack } from '../fault-stack';
import { replayUnderFaults } from '../replay-under-faults';
import type { Scenario, ScenarioResult } from '../scenario';
import { verdict } from '../verdict';

const RATE = 150;
const OUTAGE_MS = 10_000;
/** Ingest answers 503 (with Retry-After) when it cannot store; a 500 or an accepted-but-unstored event is a bug. */
const API_STATUSES = new Set(['202', '503']);

/**
 * A store the functions host depends on goes away for 10 s mid-stream (the proxy in front of it
 * refuses connections and resets open ones) while the producer keeps replaying at a steady rate.
 */
function storeOutage(spec: {
  id: string;
  /** Events offered at 150/s (volumes.ts); the outage starts after 800 accepted. */
  offered: number;
  number: number;
  store: InterposedStore;
  title: string;
  allowedStatuses: ReadonlySet<string>;
  /**
   * Proof that the fault bit: what the API answered, and when the first event accepted after the
   * outage began was stored (ms after its end; negative if during it).
   */
  expectation: (statuses: Readonly<Record<string, number>>, probeStoredAfterEndMs: number | null) => string[];
}): Scenario {
  return {
    id: spec.id,
    title: spec.title,
    async run({ say }): Promise<ScenarioResult> {
      const began = Date.now();
      const proxies: FaultProxy[] = [];
      const events = scenarioEvents(spec.number, spec.offered);
      try {
        return await withStack(
          {
            say,
            interpose: async (store, port) => {
              if (store !== spec.store) return port;
              const proxy = await FaultProxy.start({ host: '127.0.0.1', port });
              proxies.push(proxy);
              return proxy.port;
            },
          },
          async (stack) => {
            const proxy = proxies[0]!;
            const run = await replayUnderFaults(stack, {
              events,
              rate: RATE,
              batchSize: 10,
              say,
              faults: [
                {
                  name: `${spec.store === 'blob' ? 'Azurite' : 'Cosmos DB'} unavailable for ${OUTAGE_MS / 1000} s`,
                  atAccepted: 800,
                  inject: () => proxy.outage(OUTAGE_MS),
                },
              ],
            });
            const statuses = run.report.requests.byStatus;
            return verdict(stack, {
              id: spec.id,
              title: spec.title,
              seed: spec.number,
              offered: spec.offered,
              began,
              run,
              allowedStatuses: spec.allowedStatuses,
              failures: spec.expectation(statuses, run.faults[0]?.probeStoredAfterEndMs ?? null),
              notes: [`${RATE} events/s offered in requests of 10; the outage starts after 800 accepted`],
            });
          },
        );
      } finally {
        for (const proxy of proxies) await proxy.stop();
      }
    },
  };
}

export const createCosmosOutage = (offered: number): Scenario =>
  storeOutage({
    id: 'cosmos-outage',
    offered,
    number: 3,
    store: 'cosmos',
    title: 'Cosmos DB unavailable for 10 s mid-stream',
    // Ingest never touches Cosmos DB: the API keeps accepting while the consumer retries its batch.
    allowedStatuses: new Set(['202']),
    // The first event accepted during the outage can only be stored once Cosmos DB is back.
    expectation: (_statuses, probeStoredAfterEndMs) =>
      probeStoredAfterEndMs !== null && probeStoredAfterEndMs <= 0
        ? [
            'an event accepted during the outage was stored before Cosmos DB came back: the fault did not bite',
          ]
        : [],
  });

export const createAzuriteOutage = (offered: number): Scenario =>
  storeOutage({
    id: 'azurite-outage',
    offered,
    number: 4,
    store: 'blob',
    title: 'Azurite (Blob Storage) unavailable for 10 s mid-stream',
    allowedStatuses: API_STATUSES,
    expectation: (statuses) =>
      (statuses['503'] ?? 0) > 0
        ? []
        : ['ingest never answered 503 during the outage: the fault did not bite'],
  });
