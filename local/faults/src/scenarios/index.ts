import { authScenario } from '../auth/scenario';
import { fuzzScenario } from '../fuzz/scenario';
import type { Scenario } from '../scenario';
import { eventHubsKill, functionsHostKills } from './process-kills';
import { rateLimitFlood } from './rate-limit';
import { azuriteOutage, cosmosOutage } from './store-outages';

/** Every scenario of the suite, in the order the report lists them. */
export const SCENARIOS: readonly Scenario[] = [
  functionsHostKills,
  eventHubsKill,
  cosmosOutage,
  azuriteOutage,
  rateLimitFlood,
  fuzzScenario,
  authScenario,
];
