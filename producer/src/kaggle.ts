import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './replay/retry';
import { ZipArchive } from './zip';

/**
 * Kaggle's public API, as its own clients call it (Kaggle/kagglehub `src/kagglehub/clients.py`
 * `KaggleApiV1Client`, `src/kagglehub/http_resolver.py`; Kaggle/kaggle-api `datasets_download`,
 * `GET /datasets/download/{ownerSlug}/{datasetSlug}`):
 * - base `https://www.kaggle.com/api/v1`, HTTP basic auth with the username and the API key;
 * - `GET datasets/view/{owner}/{dataset}` answers JSON whose `currentVersionNumber` is the latest version;
 * - `GET datasets/download/{owner}/{dataset}?dataset_version_number={n}` answers the whole dataset as
 *   one zip archive, usually through a redirect to a signed storage URL, with `Content-Length` and,
 *   from Google Cloud Storage, `x-goog-hash: crc32c=...,md5=<base64>` (kagglehub `integrity.py`
 *   checks that MD5; so does this client).
 */
export const KAGGLE_API_URL = 'https://www.kaggle.com/api/v1';

/** The two datasets the pipeline replays (DESIGN.md, "Data"). */
export const KAGGLE_DATASETS = {
  tweets: 'dan195/hurricaneharvey',
  images: 'kmader/satellite-images-of-hurricane-damage',
} as const;

export interface KaggleCredentials {
  readonly username: string;
  readonly key: string;
}

export type KaggleErrorKind = 'credentials' | 'not-found' | 'truncated' | 'http' | 'network' | 'response';

/** A failure with what to do about it in the message; `kind` says which for callers and tests. */
export class KaggleError extends Error {
  constructor(
    readonly kind: KaggleErrorKind,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'KaggleError';
  }
}

export interface DownloadProgress {
  readonly dataset: string;
  readonly received: number;
  /** From Content-Length; undefined when the server did not say. */
  readonly total: number | undefined;
  readonly attempt: number;
}

export interface KaggleClientOptions {
  readonly credentials: KaggleCredentials;
  /** Default KAGGLE_API_URL; tests point it at a fake on loopback. */
  readonly baseUrl?: string | undefined;
  /** Attempts per request after the first (default 4). */
  readonly retries?: number | undefined;
  /** First backoff ceiling; doubles per attempt up to 30 s (default 1000 ms). */
  readonly retryBaseMs?: number | undefined;
  /** Abort an attempt when no byte arrives for this long (default 60 s). */
  readonly idleTimeoutMs?: number | undefined;
  readonly onProgress?: ((progress: DownloadProgress) => void) | undefined;
  /** One line per retry, for the log. */
  readonly onRetry?: ((message: string) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What was downloaded: the report shows size and SHA-256 so a run can be matched to its inputs. */
export interface DownloadedDataset {
  readonly dataset: string;
  readonly version: number | undefined;
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** Whether the server sent an MD5 (x-goog-hash) and the bytes matched it. */
  readonly md5Verified: boolean;
  readonly attempts: number;
  readonly durationMs: number;
}

const DATASET_REF = /^([A-Za-z0-9][A-Za-z0-9_.-]*)\/([A-Za-z0-9][A-Za-z0-9_.-]*)$/;

/** `owner/slug` -> its parts, or a usage error naming the expected form. */
export function parseDatasetRef(ref: string): { owner: string; slug: string } {
  const match = DATASET_REF.exec(ref.trim());
  if (!match)
    throw new KaggleError('response', `${JSON.stringify(ref)} is not a Kaggle dataset (owner/dataset)`);
  return { owner: match[1]!, slug: match[2]! };
}

/** Was it worth trying again: a lost connection, a stall, a cut body, or a status that waiting fixes. */
function isTransient(error: unknown): boolean {
  return error instanceof KaggleError && (error.kind === 'truncated' || error.kind === 'network');
}

export class KaggleClient {
  readonly #base: string;
  readonly #auth: string;
  readonly #options: KaggleClientOptions;

  constructor(options: KaggleClientOptions) {
    if (!options.credentials.username || !options.credentials.key) {
      throw new KaggleError(
        'credentials',
        'Kaggle credentials are missing: set KAGGLE_USERNAME and KAGGLE_KEY (kaggle.com > Settings > API > Create New Token)',
      );
    }
    this.#base = (options.baseUrl ?? KAGGLE_API_URL).replace(/\/+$/, '');
    this.#auth = `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.key}`).toString('base64')}`;
    this.#options = options;
  }

  /** The dataset's latest version number (kagglehub `_get_current_version`). */
  async currentVersion(dataset: string): Promise<number> {
    const { owner, slug } = parseDatasetRef(dataset);
    return this.#withRetries(dataset, async () => {
      const response = await this.#get(
        `${this.#base}/datasets/view/${owner}/${slug}`,
        dataset,
        'application/json',
      );
      const text = await response.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new KaggleError(
          'response',
          `Kaggle answered ${dataset}'s metadata with something other than JSON`,
        );
      }
      const version = (body as { currentVersionNumber?: unknown }).currentVersionNumber;
      if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
        throw new KaggleError('response', `Kaggle's metadata for ${dataset} has no currentVersionNumber`);
      return version;
    }).then((r) => r.value);
  }

  /**
   * Downloads the dataset's zip archive to `out` (written as `<out>.partial`, renamed when complete and
   * checked), retrying what waiting can fix with exponential backoff and full jitter.
   */
  async download(dataset: string, out: string, version?: number): Promise<DownloadedDataset> {
    const { owner, slug } = parseDatasetRef(dataset);
    const query = version === undefined ? '' : `?dataset_version_number=${version}`;
    const url = `${this.#base}/datasets/download/${owner}/${slug}${query}`;
    const started = performance.now();
    const { value, attempts } = await this.#withRetries(dataset, (attempt) =>
      this.#downloadOnce(dataset, url, out, attempt),
    );
    return {
      dataset,
      version,
      path: out,
      ...value,
      attempts,
      durationMs: Math.round(performance.now() - started),
    };
  }

  async #withRetries<T>(
    dataset: string,
    run: (attempt: number) => Promise<T>,
  ): Promise<{ value: T; attempts: number }> {
    const retries = this.#options.retries ?? 4;
    const base = this.#options.retryBaseMs ?? 1000;
    for (let attempt = 0; ; attempt++) {
      try {
        return { value: await run(attempt + 1), attempts: attempt + 1 };
      } catch (error) {
        this.#options.signal?.throwIfAborted();
        const retryAfter = error instanceof RetryableStatus ? error.retryAfterMs : undefined;
        const failure = error instanceof RetryableStatus ? error.failure : error;
        if (!(error instanceof RetryableStatus) && !isTransient(error)) throw failure;
        if (attempt >= retries) {
          throw failure instanceof KaggleError
            ? new KaggleError(
                failure.kind,
                `${failure.message} (gave up after ${attempt + 1} attempts)`,
                failure.status,
                { cause: failure.cause },
              )
            : new KaggleError(
                'network',
                `${dataset}: ${(failure as Error).message} (gave up after ${attempt + 1} attempts)`,
                undefined,
                { cause: failure },
              );
        }
        const delay = Math.max(retryAfter ?? 0, backoffDelay(attempt, base, 30_000));
        this.#options.onRetry?.(
          `${dataset}: attempt ${attempt + 1} failed (${(failure as Error).message}); retrying in ${delay} ms`,
        );
        await sleep(delay, undefined, { signal: this.#options.signal });
      }
    }
  }

  /**
   * One GET with the credentials, following redirects by hand: the credentials go to Kaggle only,
   * never to the storage host the signed URL names (the signature is the authorization there).
   */
  async #get(url: string, dataset: string, accept: string, signal?: AbortSignal): Promise<Response> {
    let target = url;
    for (let hop = 0; hop <= 5; hop++) {
      const toKaggle = new URL(target).origin === new URL(this.#base).origin;
      let response: Response;
      try {
        response = await fetch(target, {
          headers: {
            accept,
            'user-agent': 'harvey-pipeline-producer',
            ...(toKaggle ? { authorization: this.#auth } : {}),
          },
          redirect: 'manual',
          signal: signal ?? this.#options.signal,
        });
      } catch (error) {
        throw new KaggleError(
          'network',
          `${dataset}: GET ${redact(target)} failed: ${describe(error)}`,
          undefined,
          {
            cause: error,
          },
        );
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        target = new URL(location, target).toString();
        continue;
      }
      if (response.ok) return response;
      const detail = (await response.text().catch(() => '')).slice(0, 200).trim();
      throw statusError(dataset, response.status, detail, response.headers.get('retry-after') ?? undefined);
    }
    throw new KaggleError('response', `${dataset}: more than 5 redirects from ${redact(url)}`);
  }

  async #downloadOnce(
    dataset: string,
    url: string,
    out: string,
    attempt: number,
  ): Promise<{ bytes: number; sha256: string; md5Verified: boolean }> {
    const idleMs = this.#options.idleTimeoutMs ?? 60_000;
    const controller = new AbortController();
    const outer = this.#options.signal;
    const onAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    let idle = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
    const partial = `${out}.partial`;
    try {
      const response = await this.#get(
        url,
        dataset,
        'application/zip, application/octet-stream, */*',
        controller.signal,
      );
      const declared = response.headers.get('content-length');
      const total = declared !== null && /^[0-9]+$/.test(declared) ? Number(declared) : undefined;
      const md5Expected = goog(response.headers.get('x-goog-hash'), 'md5');
      const sha256 = createHash('sha256');
      const md5 = md5Expected ? createHash('md5') : undefined;
      let received = 0;
      let lastReport = 0;
      const handle = await open(partial, 'w');
      try {
        const reader = (response.body as ReadableStream<Uint8Array>).getReader() as {
          read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
        };
        for (;;) {
          let chunk: { done: true; value?: undefined } | { done: false; value: Uint8Array };
          try {
            chunk = await reader.read();
          } catch (error) {
            throw new KaggleError(
              'truncated',
              `${dataset}: the download broke off after ${received}${total ? ` of ${total}` : ''} bytes (${describe(controller.signal.reason ?? error)})`,
              undefined,
              { cause: error },
            );
          }
          if (chunk.done) break;
          clearTimeout(idle);
          idle = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
          const bytes = chunk.value;
          received += bytes.length;
          sha256.update(bytes);
          md5?.update(bytes);
          await handle.write(bytes);
          if (received - lastReport >= 1 << 20 || received === total) {
            lastReport = received;
            this.#options.onProgress?.({ dataset, received, total, attempt });
          }
        }
      } finally {
        await handle.close();
      }
      this.#options.onProgress?.({ dataset, received, total, attempt });
      if (total !== undefined && received !== total) {
        throw new KaggleError(
          'truncated',
          `${dataset}: the download is truncated: ${received} of the ${total} bytes Content-Length announced`,
        );
      }
      const md5Actual = md5?.digest('base64');
      if (md5Expected && md5Actual !== md5Expected) {
        throw new KaggleError(
          'truncated',
          `${dataset}: the download is damaged: its MD5 is ${md5Actual}, the server's x-goog-hash says ${md5Expected}`,
        );
      }
      // A body cut without a Content-Length to tell (chunked) still leaves a zip without its directory.
      try {
        (await ZipArchive.open(partial)).close();
      } catch (error) {
        throw new KaggleError(
          'truncated',
          `${dataset}: the download is not a complete zip archive (${describe(error)})`,
          undefined,
          {
            cause: error,
          },
        );
      }
      await rename(partial, out);
      return { bytes: received, sha256: sha256.digest('hex'), md5Verified: md5Expected !== undefined };
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    } finally {
      clearTimeout(idle);
      // Releases the connection when the body was left unread (a failed write, a rejected status).
      controller.abort();
      outer?.removeEventListener('abort', onAbort);
    }
  }
}

/** A status that waiting can fix, carried through the retry loop with its Retry-After. */
class RetryableStatus extends Error {
  constructor(
    readonly failure: KaggleError,
    readonly retryAfterMs: number | undefined,
  ) {
    super(failure.message);
  }
}

function statusError(dataset: string, status: number, detail: string, retryAfter: string | undefined): Error {
  const suffix = detail ? `: ${detail}` : '';
  if (status === 401 || status === 403) {
    return new KaggleError(
      'credentials',
      `Kaggle refused the credentials for ${dataset} (${status}${suffix}). Check the repository secrets ` +
        `KAGGLE_USERNAME (your Kaggle user name) and KAGGLE_KEY (the key of an API token: kaggle.com > ` +
        `Settings > API > Create New Token); a 403 can also mean the dataset's rules must be accepted on its page first.`,
      status,
    );
  }
  if (status === 404) {
    return new KaggleError(
      'not-found',
      `Kaggle has no dataset ${dataset} (404${suffix}): was it renamed or removed? Open https://www.kaggle.com/datasets/${dataset} ` +
        `and update the dataset name (producer/src/kaggle.ts KAGGLE_DATASETS).`,
      status,
    );
  }
  const error = new KaggleError('http', `${dataset}: Kaggle answered ${status}${suffix}`, status);
  return isRetryableStatus(status) ? new RetryableStatus(error, parseRetryAfter(retryAfter)) : error;
}

/** One value of an `x-goog-hash` header (`crc32c=...,md5=...`), as kagglehub `integrity.py` reads it. */
export function goog(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** A URL for messages: a signed URL's query is its credential. */
function redact(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

/** A dataset and the version to download (undefined: whatever is latest when the download starts). */
export interface DatasetVersion {
  readonly dataset: string;
  readonly version: number | undefined;
}

/**
 * Pins each dataset to its current version, so the download and any cache key name the same files.
 * A metadata answer this client cannot read only costs the pin (warned); bad credentials or a missing
 * dataset fail here, before any download.
 */
export async function resolveVersions(
  client: KaggleClient,
  datasets: readonly string[],
  warn: (message: string) => void = () => undefined,
): Promise<DatasetVersion[]> {
  const resolved: DatasetVersion[] = [];
  for (const dataset of datasets) {
    try {
      resolved.push({ dataset, version: await client.currentVersion(dataset) });
    } catch (error) {
      if (error instanceof KaggleError && (error.kind === 'credentials' || error.kind === 'not-found'))
        throw error;
      warn(`cannot read ${dataset}'s current version (${(error as Error).message}); downloading the latest`);
      resolved.push({ dataset, version: undefined });
    }
  }
  return resolved;
}

/** The archive's file name, as the Kaggle CLI names it (`<dataset slug>.zip`). */
export function archiveName(dataset: string): string {
  return `${parseDatasetRef(dataset).slug}.zip`;
}
