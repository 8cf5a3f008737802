import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { blobContainer, cosmosContainer } from '../lib/clients';
import { errorResponse, json, serviceUnavailable } from '../lib/responses';
import { containers, readSetting } from '../lib/settings';
import { closeHubLagClient, readHubPartitions } from '../lib/hub-lag';
import { queryStats, type Stats } from '../lib/stats-queries';
import { APP_SETTINGS, DEFAULT_LATEST, MAX_LATEST } from '@pipeline/schemas';

/**
 * The last answer, shared by every caller for STATS_CACHE_MS (default 2 s): a dashboard polls every
 * ~2 s, and ten open dashboards should cost Cosmos DB what one does.
 */
let cached: { key: string; at: number; stats: Stats } | undefined;

/**
 * GET /api/stats?latest=N: aggregates for the dashboard, read from Cosmos DB, Blob Storage (dead-letter
 * and raw-archive counts) and the hub's partition positions (consumer lag). `authLevel: function`: the
 * payload carries tweet texts and locations, so it needs the key (the page sends it from its URL fragment).
 */
export async function stats(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const latestParam = request.query.get('latest');
  const latest = latestParam === null ? DEFAULT_LATEST : Number(latestParam);
  if (!Number.isInteger(latest) || latest < 1 || latest > MAX_LATEST) {
    return errorResponse(400, {
      error: 'InvalidQuery',
      message: `latest must be an integer from 1 to ${MAX_LATEST}`,
      errors: [{ path: '$.query.latest', message: `must be an integer from 1 to ${MAX_LATEST}` }],
    });
  }
  const cacheMs = Number(readSetting(APP_SETTINGS.statsCacheMs, '2000'));
  const key = String(latest);
  if (cached && cached.key === key && Date.now() - cached.at < cacheMs)
    return json(200, cached.stats, { 'cache-control': 'no-store' });
  try {
    const result = await queryStats(
      {
        events: cosmosContainer(),
        deadLetters: blobContainer(containers.deadLetters()),
        rawEvents: blobContainer(containers.raw()),
        hubPartitions: () => readHubPartitions(),
      },
      { latest, latencyWindow: 1000, blobCountCap: 10_000, mapWindow: 2_000, now: new Date() },
    );
    cached = { key, at: Date.now(), stats: result };
    return json(200, result, { 'cache-control': 'no-store' });
  } catch (error) {
    context.error(`stats failed: ${error instanceof Error ? error.message : String(error)}`);
    return serviceUnavailable('The statistics store is unavailable; try again shortly.');
  }
}

/** Forgets the cached answer (tests). */
export function clearStatsCache(): void {
  cached = undefined;
}

app.http('stats', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'stats',
  handler: stats,
});

// The lag reader holds an AMQP connection to Event Hubs: close it when the worker shuts down.
app.hook.appTerminate(() => closeHubLagClient());
