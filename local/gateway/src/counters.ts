/**
 * Counters for rate-limit (sliding window on classic tiers, token bucket on v2; per subscription) and quota (fixed window counted from the
 * subscription's start, per subscription), as documented on
 * https://learn.microsoft.com/azure/api-management/rate-limit-policy and quota-policy. Node runs the
 * check and the increment in one synchronous step, so concurrent requests can never both take the
 * last call: no over-admission (APIM itself is only approximately accurate across its nodes).
 */
export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly remaining: number;
  /** Seconds until a call is allowed again (only when refused). */
  readonly retryAfterSeconds: number;
}

/** What the gateway asks of a rate limiter, whichever algorithm the tier uses. */
export interface RateLimiter {
  take(key: string, calls: number, periodSeconds: number): RateLimitDecision;
}

export class SlidingWindowLimiter implements RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  take(key: string, calls: number, periodSeconds: number): RateLimitDecision {
    const now = this.now();
    const periodMs = periodSeconds * 1000;
    let window = this.windows.get(key);
    if (!window) this.windows.set(key, (window = []));
    let expired = 0;
    while (expired < window.length && window[expired]! <= now - periodMs) expired += 1;
    if (expired > 0) window.splice(0, expired);
    if (window.length >= calls) {
      const oldest = window[window.length - calls]!;
      return {
        allowed: false,
        remaining: 0,
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + periodMs - now) / 1000)),
      };
    }
    window.push(now);
    return { allowed: true, remaining: calls - window.length, retryAfterSeconds: 0 };
  }
}

/**
 * The v2 tiers' rate limiting: "The v2 tiers use a token bucket algorithm for rate limiting, which
 * differs from the sliding window algorithm in classic tiers" (MicrosoftDocs/azure-docs,
 * includes/api-management-rate-limit-implementation-v2.md, 2025-11-14, included by
 * https://learn.microsoft.com/azure/api-management/rate-limit-policy). The pages name no bucket size
 * or refill rate; read the natural way, a bucket holds `calls` tokens, starts full and refills
 * continuously at `calls` per `renewal-period`. So a burst of `calls` passes at once, as with the
 * sliding window, but capacity then returns a token at a time instead of all at once when the window
 * has passed: after a burst, the next call is allowed after period / calls, not after the period.
 */
export class TokenBucketLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  take(key: string, calls: number, periodSeconds: number): RateLimitDecision {
    const now = this.now();
    const perMs = calls / (periodSeconds * 1000);
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = { tokens: calls, at: now }));
    bucket.tokens = Math.min(calls, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      return {
        allowed: false,
        remaining: 0,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)),
      };
    }
    bucket.tokens -= 1;
    return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
  }
}

export interface QuotaDecision {
  readonly allowed: boolean;
  readonly exceeded?: 'calls' | 'bandwidth';
  /** Seconds until the period renews (Infinity for a lifetime quota). */
  readonly secondsToRenewal: number;
}

interface QuotaCounter {
  period: number;
  calls: number;
  bytes: number;
}

export class FixedWindowQuota {
  private readonly counters = new Map<string, QuotaCounter>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one call unless the calls or bandwidth limit of the current period is reached. */
  take(
    key: string,
    limits: { calls?: number; bandwidthKb?: number; periodSeconds: number },
    startedAt: number,
  ): QuotaDecision & { counter?: QuotaCounter } {
    const now = this.now();
    const { period, secondsToRenewal } = periodOf(now, startedAt, limits.periodSeconds);
    let counter = this.counters.get(key);
    if (!counter || counter.period !== period)
      this.counters.set(key, (counter = { period, calls: 0, bytes: 0 }));
    if (limits.calls !== undefined && counter.calls >= limits.calls)
      return { allowed: false, exceeded: 'calls', secondsToRenewal };
    if (limits.bandwidthKb !== undefined && counter.bytes >= limits.bandwidthKb * 1024) {
      return { allowed: false, exceeded: 'bandwidth', secondsToRenewal };
    }
    counter.calls += 1;
    return { allowed: true, secondsToRenewal, counter };
  }

  /** Adds transferred bytes (request and response bodies) to the period the call was admitted in. */
  addBytes(counter: { period: number; bytes: number } | undefined, bytes: number): void {
    if (counter) counter.bytes += bytes;
  }
}

function periodOf(
  now: number,
  startedAt: number,
  periodSeconds: number,
): { period: number; secondsToRenewal: number } {
  if (periodSeconds === 0) return { period: 0, secondsToRenewal: Infinity };
  const periodMs = periodSeconds * 1000;
  const elapsed = Math.max(0, now - startedAt);
  const period = Math.floor(elapsed / periodMs);
  const renewsAt = startedAt + (period + 1) * periodMs;
  return { period, secondsToRenewal: Math.max(1, Math.ceil((renewsAt - now) / 1000)) };
}

/** hh:mm:ss as in APIM's "Quota will be replenished in 00:59:12." */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.ceil(seconds));
  const days = Math.floor(total / 86400);
  const hh = String(Math.floor((total % 86400) / 3600)).padStart(2, '0');
  const mm = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const ss = String(total % 60).padStart(2, '0');
  return days > 0 ? `${days}.${hh}:${mm}:${ss}` : `${hh}:${mm}:${ss}`;
}
