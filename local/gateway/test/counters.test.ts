import { SlidingWindowLimiter, TokenBucketLimiter } from '../src/counters';

describe('rate limiter algorithms (injected clock)', () => {
  it('token bucket: a burst of `calls`, then one call per period / calls', () => {
    let now = 0;
    const bucket = new TokenBucketLimiter(() => now);
    expect([1, 2, 3, 4].map(() => bucket.take('k', 4, 60).allowed)).toEqual([true, true, true, true]);
    const refused = bucket.take('k', 4, 60);
    expect(refused).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 15 });
    now = 15_000;
    expect(bucket.take('k', 4, 60)).toEqual({ allowed: true, remaining: 0, retryAfterSeconds: 0 });
    now = 15_000 + 60_000;
    // Full again, never beyond `calls`.
    expect(bucket.take('k', 4, 60).remaining).toBe(3);
  });

  it('sliding window: the next call only once the oldest leaves the period', () => {
    let now = 0;
    const window = new SlidingWindowLimiter(() => now);
    for (let i = 0; i < 4; i += 1) window.take('k', 4, 60);
    now = 15_000;
    expect(window.take('k', 4, 60)).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 45 });
  });
});
