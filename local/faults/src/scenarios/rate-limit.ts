import { setTimeout as sleep } from 'node:timers/promises';
import { ingestUrl, type TweetEvent } from '@pipeline/schemas';
import { paths, type RunningStack } from '@pipeline/stack';
import { scenarioEvents } from '../events';
import { policiesWithRateLimit } from '../policies';
import { withStack } from '../fault-stack';
import { replayUnderFaults } from '../replay-under-faults';
import { countStatuses, type Scenario, type ScenarioResult } from '../scenario';
import { verdict } from '../verdict';

/**
 * The product's rate limit, scaled down so the scenario is short: 20 calls per 2 s sliding window
 * (10 calls/s) instead of 1,200 per 60 s. Same policy, same enforcement, only the figures differ.
 */
export const SCALED_LIMIT = { calls: 20, periodSeconds: 2 } as const;
const FLOOD_RATE = 5 * (SCALED_LIMIT.calls / SCALED_LIMIT.periodSeconds);
const FLOOD_SECONDS = 10;
const PRODUCER_EVENTS = 400;

interface FloodResult {
  /** From the first request sent to the last response. */
  spanMs: number;
  readonly statuses: (number | 'network')[];
  readonly acceptedIds: string[];
  readonly problems: string[];
}

/**
 * A client that ignores Retry-After: one request of one event every 1/rate s for `seconds`, with the
 * producer's credentials (the limit is per subscription). Every answer must be a 202 or a 429 with
 * Retry-After and an error body.
 */
async function flood(
  stack: RunningStack,
  events: readonly TweetEvent[],
  rate: number,
  seconds: number,
): Promise<FloodResult> {
  const result: FloodResult = { spanMs: 0, statuses: [], acceptedIds: [], problems: [] };
  const headers = {
    'content-type': 'application/json',
    'ocp-apim-subscription-key': stack.secrets.subscription.primaryKey,
    authorization: `Basic ${Buffer.from(`${stack.secrets.basicAuth.user}:${stack.secrets.basicAuth.password}`).toString('base64')}`,
  };
  const requests: Promise<void>[] = [];
  const began = Date.now();
  for (let i = 0; i < rate * seconds; i++) {
    const event = events[i]!;
    requests.push(
      fetch(ingestUrl(stack.urls.ingest), {
        method: 'POST',
        headers,
        body: JSON.stringify([event]),
      })
        .then(async (response) => {
          const body = await response.text();
          result.statuses.push(response.status);
          if (response.status === 202) result.acceptedIds.push(event.id);
          else if (response.status === 429) {
            if (!response.headers.get('retry-after'))
              result.problems.push(`429 without Retry-After: ${body.slice(0, 120)}`);
            if (!/"message"/.test(body))
              result.problems.push(`429 without an error body: ${body.slice(0, 120)}`);
          } else result.problems.push(`the flood got ${response.status}: ${body.slice(0, 160)}`);
        })
        .catch((error: unknown) => {
          result.statuses.push('network');
          result.problems.push(`the flood lost a connection: ${String(error)}`);
        }),
    );
    const due = began + ((i + 1) * 1000) / rate;
    await sleep(Math.max(0, due - Date.now()));
  }
  await Promise.all(requests);
  result.spanMs = Date.now() - began;
  return result;
}

export const rateLimitFlood: Scenario = {
  id: 'rate-limit-5x',
  title: `Offered load at 5x the gateway's rate limit`,
  async run({ say }): Promise<ScenarioResult> {
    const began = Date.now();
    const policies = policiesWithRateLimit(paths.policiesDir, SCALED_LIMIT);
    const producerEvents = scenarioEvents(5, PRODUCER_EVENTS);
    const floodEvents = scenarioEvents(6, FLOOD_RATE * FLOOD_SECONDS);
    try {
      return await withStack({ say, policiesDir: policies.dir }, async (stack) => {
        let floodResult: FloodResult | undefined;
        const run = await replayUnderFaults(stack, {
          events: producerEvents,
          batchSize: 4,
          concurrency: 4,
          // The flood holds the window for 10 s and each 429 costs the producer one retry.
          maxRetries: 30,
          alsoExpected: () => floodResult?.acceptedIds ?? [],
          say,
          faults: [
            {
              name: `a client ignoring Retry-After at ${FLOOD_RATE} requests/s for ${FLOOD_SECONDS} s`,
              atAccepted: 0,
              inject: async () => {
                floodResult = await flood(stack, floodEvents, FLOOD_RATE, FLOOD_SECONDS);
              },
            },
          ],
        });
        const flooded = floodResult!;
        const floodStatuses = countStatuses(flooded.statuses);
        const admitted = floodStatuses['202'] ?? 0;
        // The sliding window admits at most `calls` per period: over the flood's span (on a loaded machine
        // requests arrive over more than the 10 s they were sent in), that many per period plus one window.
        const bound = Math.floor(
          SCALED_LIMIT.calls * (flooded.spanMs / 1000 / SCALED_LIMIT.periodSeconds + 1),
        );
        const failures = [...flooded.problems.slice(0, 10)];
        if (admitted > bound)
          failures.push(`the flood got ${admitted} requests admitted, more than the limit allows (${bound})`);
        if ((floodStatuses['429'] ?? 0) === 0)
          failures.push('the flood was never throttled: the fault did not bite');
        return verdict(stack, {
          id: this.id,
          title: this.title,
          seed: 5,
          offered: PRODUCER_EVENTS,
          alsoOffered: floodEvents.length,
          alsoAccepted: flooded.acceptedIds,
          extraStatuses: floodStatuses,
          began,
          run,
          allowedStatuses: new Set(['202', '429']),
          failures,
          notes: [
            `rate limit scaled to ${SCALED_LIMIT.calls} calls per ${SCALED_LIMIT.periodSeconds} s (${SCALED_LIMIT.calls / SCALED_LIMIT.periodSeconds}/s); the flood offered ${FLOOD_RATE} requests/s of one event: ${admitted} admitted (at most ${bound} over its ${(flooded.spanMs / 1000).toFixed(1)} s), ${floodStatuses['429'] ?? 0} answered 429 with Retry-After`,
            `the producer (${PRODUCER_EVENTS} events in requests of 4, 4 in flight, honouring Retry-After, up to 30 retries) delivered ${run.report.events.accepted}; its statuses: ${JSON.stringify(run.report.requests.byStatus)}`,
          ],
        });
      });
    } finally {
      policies.remove();
    }
  },
};
