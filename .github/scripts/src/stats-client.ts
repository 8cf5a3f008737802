import type { LatestTweet, Stats } from '@pipeline/schemas';
import { MAX_LATEST } from '@pipeline/schemas';

/** The slice of `GET /api/stats` (the contract's Stats, schemas/src/stats.ts) the smoke test reads. */
export interface StatsSnapshot {
  readonly generatedAt: Stats['generatedAt'];
  readonly totals: Pick<Stats['totals'], 'stored'>;
  readonly latest: readonly Pick<LatestTweet, 'id' | 'storedAt'>[];
  readonly deadLetters?: Stats['deadLetters'];
}

export interface StatsEndpoint {
  /** Full URL of the stats endpoint, e.g. https://func-x.azurewebsites.net/api/stats. */
  readonly url: string;
  /** Request headers (function key, or the API's subscription key and basic auth). */
  readonly headers: Readonly<Record<string, string>>;
  /** Per-request timeout. */
  readonly requestTimeoutMs: number;
}

/** The most documents one stats call returns: the contract's cap, which the function enforces. */
export { MAX_LATEST };

export class StatsError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined for a network error or a malformed body. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'StatsError';
  }
}

export async function fetchStats(endpoint: StatsEndpoint, latest = MAX_LATEST): Promise<StatsSnapshot> {
  const url = new URL(endpoint.url);
  url.searchParams.set('latest', String(latest));
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json', ...endpoint.headers },
      signal: AbortSignal.timeout(endpoint.requestTimeoutMs),
    });
  } catch (error) {
    throw new StatsError(`GET ${url.origin}${url.pathname} failed: ${describe(error)}`);
  }
  const text = await response.text();
  if (!response.ok) {
    throw new StatsError(
      `GET ${url.origin}${url.pathname} answered ${response.status}: ${text.slice(0, 200)}`,
      response.status,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new StatsError(
      `GET ${url.origin}${url.pathname} answered ${response.status} with a body that is not JSON`,
      response.status,
    );
  }
  return parseStats(body);
}

export function parseStats(body: unknown): StatsSnapshot {
  const b = body as Partial<StatsSnapshot> | null;
  if (
    !b ||
    typeof b.generatedAt !== 'string' ||
    Number.isNaN(Date.parse(b.generatedAt)) ||
    typeof b.totals?.stored !== 'number' ||
    !Array.isArray(b.latest) ||
    !(b.latest as unknown[]).every((d) => {
      const doc = d as { id?: unknown; storedAt?: unknown } | null;
      return (
        doc !== null &&
        typeof doc === 'object' &&
        typeof doc.id === 'string' &&
        typeof doc.storedAt === 'string'
      );
    })
  ) {
    throw new StatsError('the stats answer lacks generatedAt, totals.stored or latest[].{id,storedAt}');
  }
  return b as StatsSnapshot;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
