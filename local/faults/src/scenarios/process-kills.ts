import { setTimeout as sleep } from 'node:timers/promises';
import { SeededRandom } from '@pipeline/producer';
import { scenarioEvents } from '../events';
import { withStack } from '../fault-stack';
import { replayUnderFaults, type Fault } from '../replay-under-faults';
import type { Scenario, ScenarioResult } from '../scenario';
import { verdict } from '../verdict';

/**
 * While the functions host restarts, the gateway cannot reach its backend and answers 500
 * (BackendConnectionFailure), as API Management does; ingest answers 503 while it cannot reach the
 * hub. The producer retries both. A 4xx would mean an event was turned away.
 */
const RESTART_STATUSES = new Set(['202', '500', '503', 'network']);

/** `count` kill moments, as accepted-event thresholds spread over the middle of the replay, from a seed. */
export function killMoments(seed: number, count: number, events: number): number[] {
  const random = new SeededRandom(seed);
  const slot = (events * 0.9) / count;
  // One moment in each of `count` equal slots (after the first 5% of events), so kills never bunch up
  // and the last one still has events after it.
  return Array.from({ length: count }, (_, i) =>
    Math.round(events * 0.05 + slot * i + random.next() * slot * 0.8),
  );
}

const HOST_KILLS = 5;
const HOST_KILL_SEED = 20_261_128;

/** The consumer's scale group (HOST-8): its process can die alone, as an instance in Azure can. */
const CONSUMER_GROUP = 'function:consume';

/**
 * The functions host SIGKILLed 5 times while `offered` events are replayed (volumes.ts picks how
 * many): the first four take the whole app (both processes), the last the consumer's process alone.
 * Last, because ingest keeps accepting while the consumer restarts: a replay as fast as the pipeline
 * takes it can finish before a later kill's moment comes (the faults run one at a time).
 */
export function createFunctionsHostKills(offered: number): Scenario {
  return {
    id: 'functions-host-kills',
    title: `Functions host SIGKILLed ${HOST_KILLS} times during a ${offered.toLocaleString('en-US')}-event replay (4 times both processes, then the consumer's alone)`,
    async run({ say }): Promise<ScenarioResult> {
      const began = Date.now();
      const events = scenarioEvents(1, offered);
      return withStack({ say }, async (stack) => {
        const faults: Fault[] = killMoments(HOST_KILL_SEED, HOST_KILLS, offered).map((atAccepted, i) =>
          i < HOST_KILLS - 1
            ? {
                name: `functions host SIGKILL #${i + 1} (both processes)`,
                atAccepted,
                inject: async () => {
                  await stack.functions.kill();
                  await stack.restartFunctions();
                },
              }
            : {
                name: `functions host SIGKILL #${i + 1} (the consumer's process alone)`,
                atAccepted,
                inject: async () => {
                  const consumer = stack.functions.instances.find((p) => p.scaleGroup === CONSUMER_GROUP);
                  if (!consumer) throw new Error(`the stack runs no ${CONSUMER_GROUP} process`);
                  process.kill(consumer.pid, 'SIGKILL');
                  await stack.restartFunctions(CONSUMER_GROUP);
                },
              },
        );
        const run = await replayUnderFaults(stack, { events, faults, say, storeTimeoutMs: 300_000 });
        return verdict(stack, {
          id: this.id,
          title: this.title,
          seed: HOST_KILL_SEED,
          offered,
          began,
          run,
          allowedStatuses: RESTART_STATUSES,
          notes: [
            'as fast as the pipeline takes them, in requests of 50, 8 in flight; a killed process is restarted as soon as it is dead',
            "the functions host's peak RSS is its last incarnation's",
          ],
        });
      });
    },
  };
}

const HUB_DOWN_MS = 2_000;

/** The Event Hubs emulator SIGKILLed after 1,000 of `offered` events accepted (volumes.ts). */
export function createEventHubsKill(offered: number): Scenario {
  return {
    id: 'eventhubs-kill',
    title: 'Event Hubs emulator SIGKILLed mid-stream and restarted',
    async run({ say }): Promise<ScenarioResult> {
      const began = Date.now();
      const events = scenarioEvents(2, offered);
      // On disk, so the restarted emulator has every event it acknowledged before the kill.
      return withStack({ say, inMemory: false }, async (stack) => {
        const run = await replayUnderFaults(stack, {
          events,
          rate: 150,
          batchSize: 10,
          say,
          faults: [
            {
              name: `Event Hubs emulator SIGKILL, ${HUB_DOWN_MS / 1000} s down`,
              atAccepted: 1_000,
              inject: async () => {
                stack.eventHubs.kill();
                await sleep(HUB_DOWN_MS);
                await stack.restartEventHubs();
              },
            },
          ],
        });
        const failures =
          (run.report.requests.byStatus['503'] ?? 0) > 0
            ? []
            : ['ingest never answered 503 while the hub was down: the fault did not bite'];
        return verdict(stack, {
          id: this.id,
          title: this.title,
          seed: 2,
          offered,
          began,
          run,
          allowedStatuses: new Set(['202', '503']),
          failures,
          notes: [
            '150 events/s offered in requests of 10; the emulator keeps its partition logs on disk and restarts on the same port',
          ],
        });
      });
    },
  };
}
