import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import {
  ingestUrl,
  MAX_EVENTS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  type ValidationIssue,
} from '@pipeline/schemas';
import { UsageError } from '../errors';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './retry';
import { EventChecker } from '../checker';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  MIN_MAX_REQUEST_BYTES,
  openInput,
  toItem,
  type ReplayInput,
  type ReplayItem,
} from './source';
import {
  LatencyHistogram,
  replayExitCode,
  type FailedEvent,
  type RejectedEvent,
  type ReplayReport,
} from './report';

export interface ReplayOptions {
  readonly input: ReplayInput;
  /** The ingest endpoint; the contract's `ingestUrl` appends `/events` unless the path already ends with it. */
  readonly url: string;
  /** APIM subscription key, sent as `Ocp-Apim-Subscription-Key`. */
  readonly subscriptionKey?: string | undefined;
  /** Function key, sent as `x-functions-key` (talking to the functions host directly). */
  readonly functionKey?: string | undefined;
  readonly basicUser?: string | undefined;
  readonly basicPassword?: string | undefined;
  /** Events per second; undefined or Infinity for as fast as the concurrency allows. */
  readonly rate?: number | undefined;
  /** Stop after this many events from the input. */
  readonly count?: number | undefined;
  /** Stop sending after this long. */
  readonly durationMs?: number | undefined;
  /** Start the input again when it ends (for a count or duration beyond it; ids repeat, writes are idempotent). */
  readonly loop?: boolean | undefined;
  /** Requests in flight at most; default 8. */
  readonly concurrency?: number | undefined;
  /** Events per request, 1-100; default 50. Batches also stay under `maxRequestBytes`. */
  readonly batchSize?: number | undefined;
  /**
   * Largest request body in bytes; default 96 KiB, under the 100 KiB API Management validates on every
   * tier. A batch that would pass it is sent in parts; an event that alone would pass it is rejected.
   */
  readonly maxRequestBytes?: number | undefined;
  /** Validate with the shared validator before sending (default true); off sends invalid events as they are. */
  readonly preflight?: boolean | undefined;
  /** Read, check and batch, but send nothing. */
  readonly dryRun?: boolean | undefined;
  /** Retries of one request after 429, 5xx or a lost connection; default 6. */
  readonly maxRetries?: number | undefined;
  readonly retryBaseMs?: number | undefined;
  readonly retryMaxMs?: number | undefined;
  /** A Retry-After longer than this is not waited for: the events fail instead. Default 5 minutes. */
  readonly maxRetryAfterMs?: number | undefined;
  /** Per-request timeout for the response headers and body; default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** Seed of the pairing when the input is a folder of Kaggle files. */
  readonly seed?: string | number | undefined;
  /** Stops the replay: no new requests, requests in flight finish, the report says what was sent. */
  readonly signal?: AbortSignal | undefined;
  /** How often `progress` is emitted; default 250 ms. */
  readonly progressIntervalMs?: number | undefined;
}

export interface ReplayProgress {
  readonly elapsedMs: number;
  readonly read: number;
  readonly sent: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly failed: number;
  readonly retries: number;
  readonly inFlight: number;
  /** The planned number of events, when known (a count, or an in-memory array). */
  readonly total: number | undefined;
}

export interface ReplayResponse {
  readonly status: number | 'network';
  readonly events: number;
  readonly attempt: number;
  readonly ms: number;
}

export interface ReplayRetry {
  readonly status: number | 'network';
  readonly attempt: number;
  readonly delayMs: number;
}

type ReplayEventMap = {
  start: [{ url: string; rate: number | null; batchSize: number; concurrency: number; dryRun: boolean }];
  progress: [ReplayProgress];
  response: [ReplayResponse];
  /** The ids of a request the server accepted, in the order sent (for callers that track events). */
  accepted: [readonly string[]];
  retry: [ReplayRetry];
  rejected: [RejectedEvent];
  failed: [FailedEvent];
  done: [ReplayReport];
  error: [Error];
};

interface Settings {
  readonly endpoint: URL;
  readonly headers: Record<string, string>;
  readonly rate: number;
  readonly batchSize: number;
  readonly maxRequestBytes: number;
  readonly concurrency: number;
  readonly preflight: boolean;
  readonly dryRun: boolean;
  readonly count: number;
  readonly durationMs: number;
  readonly loop: boolean;
  readonly maxRetries: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly maxRetryAfterMs: number;
  readonly timeoutMs: number;
}

type Outcome =
  | { kind: 'accepted' }
  | { kind: 'invalid'; status: number; byIndex: Map<number, ValidationIssue[]> | undefined; message: string }
  | { kind: 'failed'; status: number | 'network' | 'interrupted'; reason: string; fatal: boolean };

/** Checks the options, naming the offending one; returns the normalized settings. */
export function resolveReplaySettings(options: ReplayOptions): Settings {
  const positive = (value: number | undefined, option: string, fallback: number, integer = true): number => {
    if (value === undefined) return fallback;
    if (!(value > 0) || (integer && !Number.isInteger(value) && value !== Infinity)) {
      throw new UsageError(option, `must be a positive ${integer ? 'integer' : 'number'}; got ${value}`);
    }
    return value;
  };
  let endpoint: URL;
  try {
    endpoint = new URL(options.url);
  } catch {
    throw new UsageError('--url', `${JSON.stringify(options.url)} is not a URL`);
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:')
    throw new UsageError('--url', 'must be an http(s) URL');
  if (endpoint.username || endpoint.password) {
    throw new UsageError(
      '--url',
      'must not hold credentials: use --basic-user/--basic-password or PRODUCER_BASIC_USER/PRODUCER_BASIC_PASSWORD',
    );
  }
  endpoint.pathname = ingestUrl(endpoint.pathname);

  const batchSize = positive(options.batchSize, '--batch-size', 50);
  if (batchSize > MAX_EVENTS_PER_REQUEST)
    throw new UsageError(
      '--batch-size',
      `the API takes at most ${MAX_EVENTS_PER_REQUEST} events per request; got ${batchSize}`,
    );
  const maxRequestBytes = positive(options.maxRequestBytes, '--max-request-bytes', DEFAULT_MAX_REQUEST_BYTES);
  if (maxRequestBytes < MIN_MAX_REQUEST_BYTES || maxRequestBytes > MAX_REQUEST_BYTES)
    throw new UsageError(
      '--max-request-bytes',
      `must be ${MIN_MAX_REQUEST_BYTES} to ${MAX_REQUEST_BYTES} (the ingest function's own limit); got ${maxRequestBytes}`,
    );
  if ((options.basicUser === undefined) !== (options.basicPassword === undefined)) {
    throw new UsageError(
      options.basicUser === undefined ? '--basic-user' : '--basic-password',
      'basic auth needs both a user and a password',
    );
  }
  const maxRetries = options.maxRetries ?? 6;
  if (!Number.isInteger(maxRetries) || maxRetries < 0)
    throw new UsageError('--max-retries', `must be a non-negative integer; got ${maxRetries}`);

  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.subscriptionKey) headers['ocp-apim-subscription-key'] = options.subscriptionKey;
  if (options.functionKey) headers['x-functions-key'] = options.functionKey;
  if (options.basicUser !== undefined) {
    headers.authorization = `Basic ${Buffer.from(`${options.basicUser}:${options.basicPassword}`).toString('base64')}`;
  }
  return {
    endpoint,
    headers,
    rate: positive(options.rate, '--rate', Infinity, false),
    batchSize,
    maxRequestBytes,
    concurrency: positive(options.concurrency, '--concurrency', 8),
    preflight: options.preflight ?? true,
    dryRun: options.dryRun ?? false,
    count: positive(options.count, '--count', Infinity),
    durationMs: positive(options.durationMs, '--duration', Infinity, false),
    loop: options.loop ?? false,
    maxRetries,
    retryBaseMs: options.retryBaseMs ?? 250,
    retryMaxMs: options.retryMaxMs ?? 20_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 300_000,
    timeoutMs: positive(options.timeoutMs, '--timeout', 30_000),
  };
}

/** The URL as it may be shown: query values (a `code` function key, for one) masked. */
export function redactUrl(url: URL): string {
  const copy = new URL(url);
  for (const key of [...copy.searchParams.keys()]) copy.searchParams.set(key, '***');
  return copy.toString();
}

/**
 * Replays events into the ingest API at a steady rate. The engine only emits events (`start`,
 * `progress`, `response`, `retry`, `rejected`, `failed`, `done`); drawing them is the reporter's job.
 * It starts on the next tick, so listeners attached right after `replay()` see everything, and it is
 * awaitable: `const report = await replay(options)`.
 */
export class ReplayEngine extends EventEmitter<ReplayEventMap> implements PromiseLike<ReplayReport> {
  readonly report: Promise<ReplayReport>;
  readonly #options: ReplayOptions;
  readonly #settings: Settings;
  #pool: Pool | undefined;
  #started = 0;
  #gateUntil = 0;
  /**
   * The body ceiling in force: `maxRequestBytes`, lowered to the limit a server states when it refuses
   * a body for its size, so later batches fit instead of each being refused and bisected.
   */
  #ceiling = 0;
  #ceilingSource = '--max-request-bytes';
  #stopReason: string | undefined;
  #interrupted = false;
  readonly #counts = {
    read: 0,
    sent: 0,
    accepted: 0,
    requests: 0,
    retries: 0,
    resent: 0,
    splits: 0,
    bytes: 0,
    notSent: 0,
  };
  readonly #byStatus: Record<string, number> = {};
  readonly #acceptedIds: string[] = [];
  readonly #rejected: RejectedEvent[] = [];
  readonly #failed: FailedEvent[] = [];
  readonly #latency = new LatencyHistogram();
  readonly #serviceTime = new LatencyHistogram();
  readonly #inFlight = new Set<Promise<void>>();
  #total: number | undefined;

  constructor(options: ReplayOptions) {
    super();
    this.#options = options;
    this.#settings = resolveReplaySettings(options);
    this.#ceiling = this.#settings.maxRequestBytes;
    this.report = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#run());
    // The report promise is the API; an 'error' without listeners must not crash the process.
    this.report.catch(() => undefined);
  }

  then<A = ReplayReport, B = never>(
    onFulfilled?: ((report: ReplayReport) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.report.then(onFulfilled, onRejected);
  }

  /** Stops reading; what is in flight finishes. Same as aborting the signal. */
  stop(reason = 'stopped'): void {
    this.#stopReason ??= reason;
    this.#interrupted = true;
  }

  get #stopping(): boolean {
    return this.#stopReason !== undefined || this.#options.signal?.aborted === true;
  }

  async #run(): Promise<ReplayReport> {
    const s = this.#settings;
    const startedAt = new Date();
    this.#started = performance.now();
    if (Array.isArray(this.#options.input))
      this.#total = Math.min(s.count, s.loop ? Infinity : this.#options.input.length);
    else if (Number.isFinite(s.count)) this.#total = s.count;
    const onAbort = () => this.stop('interrupted');
    this.#options.signal?.addEventListener('abort', onAbort, { once: true });
    if (this.#options.signal?.aborted) onAbort();
    if (!s.dryRun) {
      this.#pool = new Pool(s.endpoint.origin, {
        connections: s.concurrency,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        headersTimeout: s.timeoutMs,
        bodyTimeout: s.timeoutMs,
        connectTimeout: Math.min(s.timeoutMs, 10_000),
      });
    }
    this.emit('start', {
      url: redactUrl(s.endpoint),
      rate: Number.isFinite(s.rate) ? s.rate : null,
      batchSize: s.batchSize,
      concurrency: s.concurrency,
      dryRun: s.dryRun,
    });
    const ticker = setInterval(
      () => this.emit('progress', this.#progress()),
      this.#options.progressIntervalMs ?? 250,
    );
    ticker.unref();
    try {
      await this.#pump();
      await Promise.all(this.#inFlight);
    } finally {
      clearInterval(ticker);
      this.#options.signal?.removeEventListener('abort', onAbort);
      await this.#pool?.close().catch(() => undefined);
    }
    this.emit('progress', this.#progress());
    const report = this.#report(startedAt);
    this.emit('done', report);
    return report;
  }

  /** Reads the input, batches, and dispatches each batch at its scheduled time. */
  async #pump(): Promise<void> {
    const s = this.#settings;
    const pass = await openInput(this.#options.input, this.#options.seed);
    const checker = new EventChecker();
    let batch: ReplayItem[] = [];
    let batchBytes = 2;
    let position = 0;
    let scheduled = 0;
    const dispatch = async (): Promise<boolean> => {
      const items = batch;
      batch = [];
      batchBytes = 2;
      // The schedule: event k is due at start + k / rate. Latency counts from the due time, so time
      // spent waiting for a free connection is measured too (coordinated omission).
      const due = this.#started + (scheduled / s.rate) * 1000;
      if (due > this.#started + s.durationMs) {
        this.#counts.read -= items.length;
        return false;
      }
      if (!s.dryRun && !(await this.#waitUntil(due))) return this.#notSent(items);
      while (this.#inFlight.size >= s.concurrency) await Promise.race(this.#inFlight);
      if (!(await this.#waitUntil(this.#gateUntil))) return this.#notSent(items);
      if (this.#stopping) return this.#notSent(items);
      scheduled += items.length;
      // Without a rate there is no schedule to fall behind: latency counts from the actual send.
      const delivery = this.#deliver(items, Number.isFinite(s.rate) ? due : performance.now()).finally(() =>
        this.#inFlight.delete(delivery),
      );
      this.#inFlight.add(delivery);
      return true;
    };

    for (let passes = 0; ; passes++) {
      let readThisPass = 0;
      for await (const entry of pass()) {
        if (this.#stopping || position >= s.count) break;
        if (performance.now() - this.#started >= s.durationMs) {
          this.#counts.read -= batch.length;
          return;
        }
        const item = toItem(position++, entry, s.preflight, checker);
        readThisPass++;
        this.#counts.read++;
        if (item.problems) {
          this.#reject({
            id: item.id ?? null,
            position: item.position,
            line: item.line,
            source: 'preflight',
            errors: item.problems,
          });
          continue;
        }
        // The body is `[` + events joined by `,` + `]`: 2 bytes, plus each event and one comma per
        // event after the first. batchBytes counts a comma for every event, one more than is sent.
        const bytes = item.raw.length + 1;
        if (this.#tooBig(item)) continue;
        if (batch.length && batchBytes + bytes - 1 > this.#ceiling) {
          if (!(await dispatch())) return;
        }
        batch.push(item);
        batchBytes += bytes;
        if (batch.length >= s.batchSize && !(await dispatch())) return;
      }
      if (this.#stopping || position >= s.count || !s.loop || readThisPass === 0) break;
    }
    if (batch.length) await dispatch();
  }

  /** Sleeps until a performance.now() time; false when stopped meanwhile. */
  async #waitUntil(time: number): Promise<boolean> {
    for (;;) {
      if (this.#stopping) return false;
      const wait = time - performance.now();
      if (wait <= 0) return true;
      // Short naps so a stop is noticed promptly even during a long Retry-After.
      await sleep(Math.min(wait, 100));
    }
  }

  #notSent(items: readonly ReplayItem[]): false {
    this.#counts.notSent += items.length;
    return false;
  }

  /** Delivers one batch: retries, then resends the valid rest after a 400, or splits to find a culprit. */
  async #deliver(batch: readonly ReplayItem[], due: number): Promise<void> {
    // Packed again here: the ceiling may have come down (a size refusal) since the batch was read.
    const queue: (readonly ReplayItem[])[] = this.#pack(batch);
    this.#counts.sent += queue.reduce((sum, items) => sum + items.length, 0);
    if (this.#settings.dryRun) {
      // Nothing is accepted in a dry run: `sent` counts what would have been posted.
      for (const items of queue) this.#counts.bytes += batchBody(items).length;
      return;
    }
    while (queue.length) {
      const items = queue.shift()!;
      const outcome = await this.#send(items);
      if (outcome.kind === 'accepted') {
        this.#counts.accepted += items.length;
        const ids = items.flatMap((item) => (item.id ? [item.id] : []));
        this.#acceptedIds.push(...ids);
        this.emit('accepted', ids);
      } else if (outcome.kind === 'invalid') {
        const named =
          outcome.byIndex && [...outcome.byIndex.keys()].every((i) => i >= 0 && i < items.length)
            ? outcome.byIndex
            : undefined;
        if (named && named.size > 0) {
          for (const [index, errors] of named) {
            this.#rejectByServer(items[index]!, outcome.status, errors);
          }
          const rest = items.filter((_item, index) => !named.has(index));
          if (rest.length) {
            this.#counts.resent++;
            queue.unshift(rest);
          }
        } else if (items.length > 1) {
          // No index to go by (APIM's own 400, a body over its size limit among them, or a 413).
          // Over a limit the server stated: repack under it. Otherwise halve until the culprits stand
          // alone. Either way the same body is never sent again.
          this.#counts.splits++;
          if (batchBody(items).length > this.#ceiling) {
            // Events too big alone are reported by #pack; the rest goes in bodies that fit (never the
            // refused body again: it was over the ceiling, every part is under it).
            queue.unshift(...this.#pack(items, true));
          } else {
            const half = Math.ceil(items.length / 2);
            queue.unshift(items.slice(0, half), items.slice(half));
          }
        } else {
          this.#rejectByServer(items[0]!, outcome.status, [{ path: '$', message: outcome.message }]);
        }
      } else {
        for (const item of [...items, ...queue.flat()]) {
          this.#fail({
            id: item.id ?? null,
            position: item.position,
            line: item.line,
            status: outcome.status,
            reason: outcome.reason,
          });
        }
        queue.length = 0;
        if (outcome.fatal) this.#stopReason ??= outcome.reason;
      }
    }
    this.#latency.recordMs(performance.now() - due);
  }

  /** One request with its retries. */
  async #send(items: readonly ReplayItem[]): Promise<Outcome> {
    const s = this.#settings;
    const body = batchBody(items);
    const bodyBytes = body.length;
    let quotaWaits = 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 && this.#stopping) {
        return {
          kind: 'failed',
          status: 'interrupted',
          reason: 'stopped before the server confirmed delivery',
          fatal: false,
        };
      }
      const sentAt = performance.now();
      this.#counts.requests++;
      this.#counts.bytes += bodyBytes;
      let status: number | 'network';
      let text = '';
      let retryAfter: number | undefined;
      let networkError = '';
      try {
        const response = await this.#pool!.request({
          path: `${s.endpoint.pathname}${s.endpoint.search}`,
          method: 'POST',
          headers: s.headers,
          body,
        });
        status = response.statusCode;
        retryAfter = parseRetryAfter(response.headers['retry-after']);
        text = await response.body.text();
      } catch (error) {
        status = 'network';
        networkError = describeNetworkError(error);
      }
      const ms = performance.now() - sentAt;
      this.#serviceTime.recordMs(ms);
      this.#byStatus[String(status)] = (this.#byStatus[String(status)] ?? 0) + 1;
      this.emit('response', { status, events: items.length, attempt, ms });

      if (typeof status === 'number' && status >= 200 && status < 300) return { kind: 'accepted' };
      if (status === 400 || status === 413) this.#learnLimit(text, bodyBytes);
      if (status === 400)
        return {
          kind: 'invalid',
          status,
          byIndex: errorsByIndex(text),
          message: serverMessage(text, status),
        };
      if (status === 413)
        return { kind: 'invalid', status, byIndex: undefined, message: serverMessage(text, status) };

      const quota = status === 403 && retryAfter !== undefined && quotaWaits === 0;
      const retryable = status === 'network' || isRetryableStatus(status) || quota;
      const reason = status === 'network' ? `no response: ${networkError}` : serverMessage(text, status);
      if (!retryable) {
        // A refused credential, an unknown route or an exhausted quota would fail every later request too.
        const fatal = status === 401 || status === 404 || status === 403;
        return { kind: 'failed', status, reason, fatal };
      }
      if (attempt >= s.maxRetries)
        return {
          kind: 'failed',
          status,
          reason: `gave up after ${attempt + 1} attempts; last: ${reason}`,
          fatal: false,
        };
      if (retryAfter !== undefined && retryAfter > s.maxRetryAfterMs) {
        return {
          kind: 'failed',
          status,
          reason: `asked to retry after ${retryAfter / 1000} s, longer than the ${s.maxRetryAfterMs / 1000} s limit; ${reason}`,
          fatal: status === 403 || status === 429,
        };
      }
      if (quota) quotaWaits++;
      // Retry-After is the server's word: wait that long (plus a little jitter), and hold every other
      // request too when it is throttling (429, quota 403), since the limit is per subscription.
      const delayMs =
        retryAfter !== undefined
          ? retryAfter + Math.round(Math.random() * 100)
          : backoffDelay(attempt, s.retryBaseMs, s.retryMaxMs);
      if (retryAfter !== undefined && (status === 429 || status === 403))
        this.#gateUntil = Math.max(this.#gateUntil, performance.now() + delayMs);
      this.#counts.retries++;
      this.emit('retry', { status, attempt: attempt + 1, delayMs });
      await sleep(delayMs);
    }
  }

  /**
   * An event that alone would pass the ceiling is reported as rejected (it would be refused with a
   * 400 or 413 on every try) and never sent; nothing else is held up. `counted`: it was already
   * counted as sent.
   */
  #tooBig(item: ReplayItem, counted = false): boolean {
    if (item.raw.length + 2 <= this.#ceiling) return false;
    if (counted) this.#counts.sent--;
    this.#reject({
      id: item.id ?? null,
      position: item.position,
      line: item.line,
      source: 'preflight',
      errors: [
        {
          path: '$',
          message: `is ${item.raw.length} bytes; a request holding it alone would be ${item.raw.length + 2} bytes, over the ${this.#ceiling}-byte request limit (${this.#ceilingSource})`,
        },
      ],
    });
    return true;
  }

  /** The items in order, in bodies of at most the ceiling (`[`, the events joined by `,`, `]`). */
  #pack(items: readonly ReplayItem[], counted = false): ReplayItem[][] {
    const chunks: ReplayItem[][] = [];
    let chunk: ReplayItem[] = [];
    let bytes = 0;
    for (const item of items) {
      if (this.#tooBig(item, counted)) continue;
      const next = chunk.length === 0 ? item.raw.length + 2 : bytes + 1 + item.raw.length;
      if (chunk.length > 0 && next > this.#ceiling) {
        chunks.push(chunk);
        chunk = [item];
        bytes = item.raw.length + 2;
      } else {
        chunk.push(item);
        bytes = next;
      }
    }
    if (chunk.length > 0) chunks.push(chunk);
    return chunks;
  }

  /**
   * After a size refusal, sizes later batches by the limit the server stated: APIM's validate-content
   * says "... exceeds the limit of N bytes." (https://learn.microsoft.com/azure/api-management/validate-content-policy,
   * "Validation errors", SizeLimit), the ingest function "limited to N bytes". Never raised, never
   * below what a lone event needs; the refused batch itself is still split by #deliver.
   */
  #learnLimit(text: string, bodyBytes: number): void {
    const stated = /(?:exceeds the limit of|limited to) (\d+) bytes/.exec(text);
    const limit = stated ? Number(stated[1]) : undefined;
    if (limit === undefined || !(limit < bodyBytes) || limit >= this.#ceiling) return;
    this.#ceiling = Math.max(MIN_MAX_REQUEST_BYTES, limit);
    this.#ceilingSource = 'stated by the server';
  }

  #rejectByServer(item: ReplayItem, status: number, errors: readonly ValidationIssue[]): void {
    this.#reject({
      id: item.id ?? null,
      position: item.position,
      line: item.line,
      source: 'server',
      status,
      errors,
    });
  }

  #reject(event: RejectedEvent): void {
    this.#rejected.push(event);
    this.emit('rejected', event);
  }

  #fail(event: FailedEvent): void {
    this.#failed.push(event);
    this.emit('failed', event);
  }

  #progress(): ReplayProgress {
    return {
      elapsedMs: Math.round(performance.now() - this.#started),
      read: this.#counts.read,
      sent: this.#counts.sent,
      accepted: this.#counts.accepted,
      rejected: this.#rejected.length,
      failed: this.#failed.length,
      retries: this.#counts.retries,
      inFlight: this.#inFlight.size,
      total: this.#total,
    };
  }

  #report(startedAt: Date): ReplayReport {
    const s = this.#settings;
    const durationMs = performance.now() - this.#started;
    const seconds = Math.max(durationMs / 1000, 1e-3);
    const interrupted = this.#interrupted;
    const events = {
      read: this.#counts.read,
      sent: this.#counts.sent,
      accepted: this.#counts.accepted,
      rejected: this.#rejected.length,
      failed: this.#failed.length,
      notSent: this.#counts.notSent,
    };
    const exitCode = replayExitCode({ interrupted, events });
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      ok: exitCode === 0,
      exitCode,
      url: redactUrl(s.endpoint),
      dryRun: s.dryRun,
      interrupted,
      stoppedEarly: this.#stopReason,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(durationMs),
      settings: {
        rate: Number.isFinite(s.rate) ? s.rate : null,
        batchSize: s.batchSize,
        maxRequestBytes: s.maxRequestBytes,
        concurrency: s.concurrency,
        preflight: s.preflight,
        count: Number.isFinite(s.count) ? s.count : null,
        durationMs: Number.isFinite(s.durationMs) ? s.durationMs : null,
        loop: s.loop,
        maxRetries: s.maxRetries,
      },
      events,
      requests: {
        total: this.#counts.requests,
        byStatus: { ...this.#byStatus },
        retries: this.#counts.retries,
        resent: this.#counts.resent,
        splits: this.#counts.splits,
        bytesSent: this.#counts.bytes,
      },
      throughput: {
        eventsPerSecond: round((s.dryRun ? events.sent : events.accepted) / seconds),
        requestsPerSecond: round(this.#counts.requests / seconds),
        megabytesPerSecond: round(this.#counts.bytes / 1e6 / seconds),
      },
      latencyMs: this.#latency.summary(),
      serviceTimeMs: this.#serviceTime.summary(),
      acceptedIds: this.#acceptedIds,
      rejected: this.#rejected,
      failed: this.#failed,
    };
  }
}

/** Starts a replay; see ReplayEngine. Throws UsageError at once for bad options. */
export function replay(options: ReplayOptions): ReplayEngine {
  return new ReplayEngine(options);
}

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');
const EMPTY = Buffer.alloc(0);

/** The request body, `[e1,e2,...]`, assembled from the events' own bytes. */
function batchBody(items: readonly ReplayItem[]): Buffer {
  const parts: Buffer[] = [OPEN];
  items.forEach((item, index) => parts.push(index ? COMMA : EMPTY, item.raw));
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

/** The server's per-event errors (`errors: [{index, path, message}]`), grouped by index. */
export function errorsByIndex(text: string): Map<number, ValidationIssue[]> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return undefined;
  const byIndex = new Map<number, ValidationIssue[]>();
  for (const error of errors as unknown[]) {
    const { index, path, message } = (error ?? {}) as { index?: unknown; path?: unknown; message?: unknown };
    if (typeof index !== 'number' || !Number.isInteger(index)) return undefined;
    const list = byIndex.get(index) ?? [];
    list.push({
      path: typeof path === 'string' ? path : '$',
      message: typeof message === 'string' ? message : 'rejected',
    });
    byIndex.set(index, list);
  }
  return byIndex;
}

/** A one-line reason from an error body: the ingest API's `{error, message}` or APIM's `{statusCode, message}`. */
function serverMessage(text: string, status: number): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const parts = [
      typeof body.error === 'string' ? body.error : '',
      typeof body.message === 'string' ? body.message : '',
    ].filter(Boolean);
    if (parts.length) return `${status} ${parts.join(': ')}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  const snippet = text.trim().slice(0, 200);
  return snippet ? `${status} ${snippet}` : `HTTP ${status}`;
}

function describeNetworkError(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? `${e.code}: ` : '';
  return `${code}${typeof e.message === 'string' ? e.message : String(error)}`;
}
