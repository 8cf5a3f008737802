/**
 * Waiting, once: a sleep and a poll-until-deadline that the stack, the fault suite, the tests and the
 * smoke script share, so each wait reports its timeout the same way (what it waited for, for how long,
 * and the last error the probe threw) instead of nine loops with nine messages.
 */

/** Resolves after `ms` (at once for 0 or less); rejects with the signal's reason if it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The signal's reason as an Error (AbortSignal.abort() without a reason gives a DOMException, an Error too). */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** What a probe returns while the awaited state has not come yet: `undefined` or `false`. */
export type Probe<T> = () => T | undefined | false | Promise<T | undefined | false>;

export interface PollOptions {
  /** How long to keep trying, from the first attempt. */
  readonly timeoutMs: number;
  /** Pause between attempts (default 200 ms); the last pause is cut to end at the deadline. */
  readonly intervalMs?: number;
  /** An error that waiting cannot heal (a 401, a bad URL): stop at once instead of at the deadline. */
  readonly isPermanent?: (error: unknown) => boolean;
  /**
   * Let every error the probe throws propagate at once: for probes whose failure is a real failure
   * (a query against a service known to be up), not a sign of "not yet".
   */
  readonly rethrow?: boolean;
  readonly signal?: AbortSignal;
}

export type PollResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: 'timeout' | 'permanent'; readonly lastError?: unknown };

/**
 * Calls `probe` until it returns a value (neither `undefined` nor `false`) or the deadline passes. A
 * thrown error counts as "not yet" (a service still starting refuses connections) unless
 * `isPermanent` or `rethrow` says otherwise. The probe runs at least once, and once more at the
 * deadline, so a state reached during the last pause is not missed. Throws only for an abort or with
 * `rethrow`.
 */
export async function poll<T>(probe: Probe<T>, options: PollOptions): Promise<PollResult<T>> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 200;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return { ok: true, value };
    } catch (error) {
      if (options.rethrow) throw error;
      if (options.isPermanent?.(error)) return { ok: false, reason: 'permanent', lastError: error };
      lastError = error;
    }
    const left = deadline - Date.now();
    if (left <= 0) return { ok: false, reason: 'timeout', lastError };
    await sleep(Math.min(interval, left), options.signal);
  }
}

/** Like `poll`, but resolves with the value and throws `timed out after N ms waiting for <what>[: last error]`. */
export async function waitFor<T>(what: string, probe: Probe<T>, options: PollOptions): Promise<T> {
  const result = await poll(probe, options);
  if (result.ok) return result.value;
  throw new Error(pollFailure(what, options.timeoutMs, result));
}

/** The sentence for a failed poll, for callers that report rather than throw. */
export function pollFailure(what: string, timeoutMs: number, result: PollResult<unknown>): string {
  if (result.ok) return '';
  const cause = result.lastError === undefined ? '' : `: ${messageOf(result.lastError)}`;
  return result.reason === 'permanent'
    ? `gave up waiting for ${what}${cause}`
    : `timed out after ${timeoutMs} ms waiting for ${what}${cause}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
