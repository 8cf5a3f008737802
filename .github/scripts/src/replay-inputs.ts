/** The replay workflow's inputs, checked before anything is downloaded or sent. */
export const DATASET_SOURCES = ['committed-sample', 'generated', 'url', 'kaggle'] as const;
export type DatasetSource = (typeof DATASET_SOURCES)[number];
/** What the kaggle source does with the prepared-dataset cache (docs/deploying.md). */
export const CACHE_MODES = ['use', 'refresh', 'off'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];

export interface ReplayInputs {
  readonly source: DatasetSource;
  readonly events: number;
  readonly url?: string;
  readonly rate: number;
  /** 0 means the whole dataset. */
  readonly count: number;
  readonly duration?: string;
  /** Source kaggle: read and write the cache, prepare again and overwrite it, or leave it alone. */
  readonly cache: CacheMode;
}

/** Up to this many generated tweets (the real dataset has ~150,000). */
export const MAX_GENERATED = 200_000;
/** Above this the API's default quota throttles anyway (policies/). */
export const MAX_RATE = 10_000;

/** Parses the inputs from the environment; every problem is reported at once, naming the input. */
export function parseReplayInputs(env: NodeJS.ProcessEnv): { inputs?: ReplayInputs; errors: string[] } {
  const errors: string[] = [];
  const source = (env.SOURCE ?? '').trim() as DatasetSource;
  if (!DATASET_SOURCES.includes(source))
    errors.push(
      `source must be one of ${DATASET_SOURCES.join(', ')}; got ${JSON.stringify(env.SOURCE ?? '')}`,
    );
  const integer = (name: string, raw: string | undefined, min: number, max: number, fallback: number) => {
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      errors.push(`${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`);
      return fallback;
    }
    return value;
  };
  const events = integer('events', env.EVENTS, 1, MAX_GENERATED, 1000);
  const count = integer('count', env.COUNT, 0, Number.MAX_SAFE_INTEGER, 0);
  const rateRaw = env.RATE?.trim() ?? '';
  const rate = rateRaw === '' ? 50 : Number(rateRaw);
  if (!Number.isFinite(rate) || rate <= 0 || rate > MAX_RATE)
    errors.push(`rate must be a number above 0 and at most ${MAX_RATE}; got ${JSON.stringify(env.RATE)}`);
  const duration = env.DURATION?.trim() || undefined;
  if (duration !== undefined && !/^[1-9]\d*(ms|s|m|h)$/.test(duration)) {
    errors.push(`duration must look like 90s, 10m or 2h; got ${JSON.stringify(duration)}`);
  }
  const url = env.DATASET_URL?.trim() || undefined;
  if (source === 'url') {
    if (!url) errors.push('url is required when source is url');
    else {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        errors.push(`url is not a URL: ${JSON.stringify(url)}`);
      }
      if (parsed && parsed.protocol !== 'https:') errors.push('url must use https');
    }
  }
  const cache = (env.DATASET_CACHE?.trim() || 'use') as CacheMode;
  if (!CACHE_MODES.includes(cache))
    errors.push(
      `dataset_cache must be one of ${CACHE_MODES.join(', ')}; got ${JSON.stringify(env.DATASET_CACHE)}`,
    );
  // The workflow passes whether both secrets are set (never their values) so this fails before the
  // build; outside the workflow the download itself names what is missing.
  if (source === 'kaggle' && env.KAGGLE_CREDENTIALS !== undefined && env.KAGGLE_CREDENTIALS !== 'true')
    errors.push(
      'source kaggle needs the repository secrets KAGGLE_USERNAME and KAGGLE_KEY (a Kaggle API token: ' +
        'kaggle.com > Settings > API > Create New Token; see docs/deploying.md, "Replay the real dataset")',
    );
  if (errors.length) return { errors };
  return {
    errors,
    inputs: {
      source,
      events,
      rate,
      count,
      cache,
      ...(url && source === 'url' ? { url } : {}),
      ...(duration ? { duration } : {}),
    },
  };
}
