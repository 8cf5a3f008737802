import { authScenario } from '../auth/scenario';
import { createFuzzScenario } from '../fuzz/scenario';
import type { Scenario } from '../scenario';
import { VOLUMES, type Volumes } from '../volumes';
import { createEventHubsKill, createFunctionsHostKills } from './process-kills';
import { rateLimitFlood } from './rate-limit';
import { createAzuriteOutage, createCosmosOutage } from './store-outages';

/** Every scenario of the suite at the given volumes, in the order the report lists them. */
export function scenarios(volumes: Volumes): readonly Scenario[] {
  return [
    createFunctionsHostKills(volumes.hostKillEvents),
    createEventHubsKill(volumes.steadyEvents),
    createCosmosOutage(volumes.steadyEvents),
    createAzuriteOutage(volumes.steadyEvents),
    rateLimitFlood,
    createFuzzScenario({ requests: volumes.fuzzRequests }),
    authScenario,
  ];
}

/** What `npm run faults` runs: the report volumes of docs/reliability.md. */
export const SCENARIOS: readonly Scenario[] = scenarios(VOLUMES.report);
