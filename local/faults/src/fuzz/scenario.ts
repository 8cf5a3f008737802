import { ingestUrl } from '@pipeline/schemas';
import { FUNCTIONS_PROCESS, paths, waitForStored, type RunningStack } from '@pipeline/stack';
import { auditStores, hubEventCount } from '../audit';
import { stackPeakRss, withStack } from '../fault-stack';
import type { Scenario, ScenarioContext, ScenarioResult } from '../scenario';
import { loadSampleEvents } from './corpus';
import { generatePlans, materialize, MUTATION_KINDS, type Plan } from './mutations';
import { policiesWithRateLimit } from '../policies';
import { sendAll, type FuzzTally } from './run';
import { fuzzAgent, send, type Target } from './send';
import { judge } from './verdict';
import { expectedOutcome } from './oracle';
import { VOLUMES } from '../volumes';

export interface FuzzOptions {
  readonly seed: number;
  readonly requests: number;
  /** Requests in flight at once: a few, so a loaded 2-core machine keeps up. */
  readonly concurrency: number;
  /** Peak RSS allowed for the gateway and the functions host, MB. */
  readonly rssLimitMb: number;
  /** A request without an answer within this long is a hang. */
  readonly requestTimeoutMs: number;
}

export const FUZZ_DEFAULTS: FuzzOptions = {
  seed: 20170825,
  requests: VOLUMES.report.fuzzRequests,
  concurrency: 4,
  rssLimitMb: 500,
  requestTimeoutMs: 30_000,
};

/** The product rate limit the fuzz stack runs with (committed: 1,200 per minute, see policies.ts). */
const FUZZ_RATE_LIMIT_CALLS = 1_000_000;

/**
 * Hostile requests through the gateway with valid credentials (so they reach the validation): every
 * answer must match the contract oracle (a 4xx naming the problem, or a 202 for what is in fact
 * valid), nothing may hang or crash, the hub must hold exactly the accepted requests' events, and the
 * gateway's and functions host's memory must stay bounded.
 */
export function createFuzzScenario(overrides: Partial<FuzzOptions> = {}): Scenario {
  const options = { ...FUZZ_DEFAULTS, ...overrides };
  return {
    id: 'fuzz',
    title: `${options.requests} generated hostile requests through the gateway`,
    run: (context) => runFuzz(options, context),
  };
}

async function runFuzz(options: FuzzOptions, context: ScenarioContext): Promise<ScenarioResult> {
  const started = Date.now();
  const samples = loadSampleEvents(paths.sampleEvents);
  const plans = generatePlans(options.seed, options.requests);
  const policies = policiesWithRateLimit(paths.policiesDir, { calls: FUZZ_RATE_LIMIT_CALLS });
  try {
    return await withStack({ policiesDir: policies.dir, inMemory: true, say: context.say }, async (stack) => {
      const sendStarted = Date.now();
      const hubBefore = await hubEventCount(stack);
      const agent = fuzzAgent(options.concurrency);
      const target: Target = {
        url: new URL(ingestUrl(stack.urls.ingest)),
        credentials: credentialsOf(stack),
        agent,
        timeoutMs: options.requestTimeoutMs,
      };
      let tally: FuzzTally;
      try {
        tally = await sendAll(plans, samples, target, {
          concurrency: options.concurrency,
          maxFailures: 200,
          onProgress: (done) => context.say(`fuzz: ${done} of ${plans.length} requests sent`),
        });
        await controlRequest(plans, samples, target, tally);
      } finally {
        agent.destroy();
      }
      const sendMs = Date.now() - sendStarted;
      const failures = [...tally.failures];
      for (const [name, pid] of [
        ['gateway', stack.gateway.pid] as const,
        ...stack.functions.instances.map((i) => [`functions host (${i.scaleGroup})`, i.pid] as const),
      ]) {
        if (!isAlive(pid)) failures.push(`the ${name} (pid ${pid}) is no longer running`);
      }

      context.say(`fuzz: waiting for ${new Set(tally.acceptedIds).size} accepted events in Cosmos DB`);
      await waitForStored(stack.eventsContainer(), tally.acceptedIds, { timeoutMs: 120_000 });
      const audit = await auditStores(stack, tally.acceptedIds);
      const hubEvents = (await hubEventCount(stack)) - hubBefore;
      if (hubEvents !== tally.hubEventsExpected) {
        failures.push(
          `the hub holds ${hubEvents} new events; the accepted requests account for ${tally.hubEventsExpected}`,
        );
      }
      for (const id of audit.lost) failures.push(`accepted but lost: ${id}`);
      for (const id of audit.duplicated) failures.push(`stored wrongly: ${id}`);

      const peakRssMb = stackPeakRss(stack);
      // The gateway and every process of the functions app (one per scale group).
      const functionsProcesses = Object.keys(peakRssMb).filter((name) => name.startsWith(FUNCTIONS_PROCESS));
      for (const name of [
        'gateway',
        ...(functionsProcesses.length ? functionsProcesses : [FUNCTIONS_PROCESS]),
      ]) {
        const peak = peakRssMb[name];
        if (peak === undefined) failures.push(`no RSS figure for the ${name}`);
        else if (peak > options.rssLimitMb)
          failures.push(`the ${name} peaked at ${peak} MB RSS (limit ${options.rssLimitMb} MB)`);
      }

      return {
        id: 'fuzz',
        title: `${options.requests} generated hostile requests through the gateway`,
        seed: options.seed,
        offered: tally.sent,
        accepted: tally.acceptedIds.length,
        stored: audit.stored,
        lost: audit.lost,
        duplicated: audit.duplicated,
        deadLettered: audit.deadLettered,
        statuses: tally.statuses,
        hubEvents,
        recoveryMs: null,
        durationMs: Date.now() - started,
        peakRssMb,
        notes: [
          `rate limit raised from ${policies.original} to ${FUZZ_RATE_LIMIT_CALLS} calls per period in a copy of policies/ (one subscription sends thousands a minute); quota unchanged (${tally.sent} calls, ${Math.round(tally.bytesSent / 1_048_576)} MiB sent, under 100,000 calls and 10 GiB a day)`,
          `sent ${tally.sent} requests in ${Math.round(sendMs / 1000)} s at concurrency ${options.concurrency} (${Math.round(tally.sent / (sendMs / 1000))} requests/s)`,
          ...kindLines(tally),
          `peak RSS MB: ${Object.entries(peakRssMb)
            .map(([name, mb]) => `${name} ${mb}`)
            .join(', ')}`,
        ],
        failures,
      };
    });
  } finally {
    policies.remove();
  }
}

/** Requests per mutation kind, with how many the oracle found valid and how many were accepted. */
function kindLines(tally: FuzzTally): string[] {
  return MUTATION_KINDS.filter((kind) => tally.kinds[kind]).map((kind) => {
    const { sent, valid, accepted } = tally.kinds[kind]!;
    return `${kind}: ${sent} sent, ${valid} valid per the contract, ${accepted} accepted`;
  });
}

function credentialsOf(stack: RunningStack): Record<string, string> {
  const { user, password } = stack.secrets.basicAuth;
  return {
    'ocp-apim-subscription-key': stack.secrets.subscription.primaryKey,
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  };
}

/** One valid event after the storm: the API must still accept, or the run proved nothing about it. */
async function controlRequest(
  plans: readonly Plan[],
  samples: Parameters<typeof materialize>[1],
  target: Target,
  tally: FuzzTally,
): Promise<void> {
  const request = materialize({ mutation: { kind: 'valid' }, batch: null }, samples, plans.length);
  const outcome = await send(target, request);
  const problem = judge(expectedOutcome(request), outcome);
  if (problem) tally.failures.push(`the valid request after the fuzzing failed: ${problem}`);
  else {
    tally.acceptedIds.push(...expectedOutcome(request).accept!);
    tally.hubEventsExpected += 1;
  }
}

function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
