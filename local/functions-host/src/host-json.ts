import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The host.json settings this host honours, with the Azure host's defaults. */
export interface HostConfig {
  /** Where it was read from (undefined: none found, defaults used). */
  readonly path?: string;
  readonly routePrefix: string;
  readonly eventHubs: EventHubsConfig;
}

export interface EventHubsConfig {
  readonly maxEventBatchSize: number;
  /** Above 1, a batch waits for this many events, up to maxWaitTimeMs (cardinality many only). */
  readonly minEventBatchSize: number;
  /** How long a batch waits to reach minEventBatchSize; ignored when that is 1. */
  readonly maxWaitTimeMs: number;
  readonly prefetchCount: number;
  readonly batchCheckpointFrequency: number;
  readonly initialOffset:
    | { readonly type: 'fromStart' }
    | { readonly type: 'fromEnd' }
    | { readonly type: 'fromEnqueuedTime'; readonly enqueuedTimeUtc: Date };
}

/** host.json sits at the app root: next to the bundle's `dist/`, or two levels above tsc's `dist/src/`. */
export function findHostJson(appEntry: string): string | undefined {
  let dir = dirname(appEntry);
  for (let level = 0; level < 4; level++) {
    const candidate = join(dir, 'host.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export function readHostConfig(path: string | undefined): HostConfig {
  const json = path ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  const extensions = (json.extensions ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const http = extensions.http ?? {};
  const eh = extensions.eventHubs ?? {};
  const where = path ?? 'host.json';
  const offset = (eh.initialOffsetOptions ?? {}) as { type?: string; enqueuedTimeUtc?: string };
  const offsetType = (offset.type ?? 'fromStart').toLowerCase();
  let initialOffset: EventHubsConfig['initialOffset'];
  if (offsetType === 'fromstart') initialOffset = { type: 'fromStart' };
  else if (offsetType === 'fromend') initialOffset = { type: 'fromEnd' };
  else if (offsetType === 'fromenqueuedtime') {
    const at = new Date(offset.enqueuedTimeUtc ?? NaN);
    if (Number.isNaN(at.getTime()))
      throw new Error(`${where}: initialOffsetOptions.enqueuedTimeUtc must be a date for fromEnqueuedTime`);
    initialOffset = { type: 'fromEnqueuedTime', enqueuedTimeUtc: at };
  } else throw new Error(`${where}: unknown initialOffsetOptions.type "${offset.type}"`);
  // Defaults and limits of the Event Hubs extension 5.x as its host.json settings document them: the
  // minimum batch size may not exceed the maximum, and maxWaitTime is at most ten minutes
  // (https://learn.microsoft.com/azure/azure-functions/functions-bindings-event-hubs#hostjson-settings).
  const maxEventBatchSize = positiveInt(eh.maxEventBatchSize, 100, `${where}: maxEventBatchSize`);
  const minEventBatchSize = positiveInt(eh.minEventBatchSize, 1, `${where}: minEventBatchSize`);
  if (minEventBatchSize > maxEventBatchSize)
    throw new Error(
      `${where}: minEventBatchSize (${minEventBatchSize}) must not exceed maxEventBatchSize (${maxEventBatchSize})`,
    );
  const maxWaitTimeMs =
    eh.maxWaitTime === undefined ? 60_000 : parseTimeSpan(eh.maxWaitTime, `${where}: maxWaitTime`);
  if (maxWaitTimeMs > 10 * 60_000)
    throw new Error(
      `${where}: maxWaitTime must be at most 10 minutes ("00:10:00"), not "${String(eh.maxWaitTime)}"`,
    );
  if (maxWaitTimeMs <= 0) throw new Error(`${where}: maxWaitTime must be longer than zero`);
  return {
    ...(path ? { path } : {}),
    routePrefix: typeof http.routePrefix === 'string' ? http.routePrefix.replace(/^\/+|\/+$/g, '') : 'api',
    eventHubs: {
      maxEventBatchSize,
      minEventBatchSize,
      maxWaitTimeMs,
      prefetchCount: positiveInt(eh.prefetchCount, 300, `${where}: prefetchCount`),
      batchCheckpointFrequency: positiveInt(
        eh.batchCheckpointFrequency,
        1,
        `${where}: batchCheckpointFrequency`,
      ),
      initialOffset,
    },
  };
}

function positiveInt(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new Error(`${what} must be a positive integer`);
  return value;
}

/** .NET TimeSpan text, as host.json writes durations: `[d.]hh:mm:ss[.fff]`. */
export function parseTimeSpan(value: unknown, what: string): number {
  const match =
    typeof value === 'string' ? /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(value) : null;
  if (!match) throw new Error(`${what} must be a duration like "00:00:05"`);
  const [, days, hours, minutes, seconds, fraction] = match;
  return (
    ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    Math.round(Number(`0.${fraction ?? '0'}`) * 1000)
  );
}
