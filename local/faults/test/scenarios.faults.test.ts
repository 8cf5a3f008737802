import { authScenario } from '../src/auth/scenario';
import { createFuzzScenario } from '../src/fuzz/scenario';
import { createEventHubsKill, createFunctionsHostKills } from '../src/scenarios/process-kills';
import { rateLimitFlood } from '../src/scenarios/rate-limit';
import { createAzuriteOutage, createCosmosOutage } from '../src/scenarios/store-outages';
import type { Scenario, ScenarioResult } from '../src/scenario';
import { volumesNamed } from '../src/volumes';

/**
 * The fault lane of `npm test`: every scenario of `npm run faults` (docs/reliability.md), one after
 * another in this one suite, so two whole stacks never fight over the 2 cores (three at once starved
 * each other into timeouts and 500s that were not the faults under test). The jest sequencer starts
 * this suite first; the other tiers share the remaining workers meanwhile (docs/decisions.md
 * FAULTS-LANE-1). Each scenario starts a stack of its own from the functions deployment bundle.
 *
 * Volumes: `test` by default (5,000 events around the host kills, 1,500 around the Event Hubs kill
 * and each store outage, 3,000 fuzz requests);
 * FAULTS_VOLUMES=report runs issue 10's 20,000, 3,000 and 10,000, as `npm run faults` does.
 * FAULTS_DEBUG=1 prints each scenario's progress.
 */
const volumes = volumesNamed(process.env.FAULTS_VOLUMES, 'test');
const say = process.env.FAULTS_DEBUG ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined;
/** The figures for docs/reliability.md, printed whether or not the scenario passed. */
const show = (result: object) => process.stderr.write(`${JSON.stringify(result, null, 2)}\n`);

/** Runs a replay scenario and checks its promise: no broken check, every offered event accepted and stored once. */
async function expectEveryEventStored(scenario: Scenario, offered: number): Promise<ScenarioResult> {
  const result = await scenario.run({ say });
  expect(result.failures).toEqual([]);
  expect(result).toMatchObject({ offered, accepted: offered, stored: offered, lost: [], duplicated: [] });
  return result;
}

describe('processes killed mid-stream', () => {
  it(`loses nothing when the functions host is SIGKILLed 5 times during a ${volumes.hostKillEvents}-event replay`, async () => {
    const offered = volumes.hostKillEvents;
    await expectEveryEventStored(createFunctionsHostKills(offered), offered);
  }, 900_000);

  it('loses nothing when the Event Hubs emulator is SIGKILLed and restarted', async () => {
    await expectEveryEventStored(createEventHubsKill(volumes.steadyEvents), volumes.steadyEvents);
  }, 300_000);
});

describe('stores going away mid-stream', () => {
  it('loses nothing when Cosmos DB is unavailable for 10 s: the consumer retries, the API keeps accepting', async () => {
    await expectEveryEventStored(createCosmosOutage(volumes.steadyEvents), volumes.steadyEvents);
  }, 300_000);

  it('loses nothing when Azurite is unavailable for 10 s: ingest answers 503 and the producer retries', async () => {
    const result = await expectEveryEventStored(
      createAzuriteOutage(volumes.steadyEvents),
      volumes.steadyEvents,
    );
    expect(result.statuses['503']).toBeGreaterThan(0);
    expect(result.statuses['500']).toBeUndefined();
  }, 300_000);
});

describe('overload and hostile input', () => {
  it('answers only 202 or 429 with Retry-After at 5x the rate limit, and the producer still delivers every event', async () => {
    const result = await rateLimitFlood.run({ say });
    expect(result.failures).toEqual([]);
    expect(Object.keys(result.statuses).sort()).toEqual(['202', '429']);
    expect(result.lost).toEqual([]);
    expect(result.duplicated).toEqual([]);
    expect(result.stored).toBe(result.accepted);
  }, 300_000);

  // Hostile input: generated requests through the gateway with valid credentials, a fixed seed. Fails
  // on any 5xx, hang, wrong status, error body that does not name the problem, 2xx for an invalid
  // request, hub event from a rejected request, dead process or runaway memory.
  it(`answers ${volumes.fuzzRequests} hostile requests as the contract says, with nothing rejected on the hub`, async () => {
    const requests = volumes.fuzzRequests;
    const result = await createFuzzScenario({ requests }).run({ say });
    show({ ...result, lost: result.lost.length });
    expect(result.failures).toEqual([]);
    expect(result.offered).toBe(requests);
    expect(result.statuses['500'] ?? 0).toBe(0);
    expect(result.accepted).toBeGreaterThan(0);
    expect(result.lost).toEqual([]);
    expect(result.duplicated).toEqual([]);
  }, 300_000);

  // No key, a wrong key, a valid key of another product, a suspended subscription, missing or wrong
  // basic auth, the functions host without or with a wrong function key: all 401, none reaches the
  // hub or a store; the same request with the right credentials is accepted and reaches the hub.
  it('rejects every request without the right credentials with 401, and none of them reaches the hub', async () => {
    const result = await authScenario.run({ say });
    show(result);
    expect(result.failures).toEqual([]);
    expect(result.statuses['401']).toBe(10);
    expect(result.accepted).toBeGreaterThanOrEqual(2);
    expect(result.lost).toEqual([]);
    expect(result.duplicated).toEqual([]);
  }, 180_000);
});
