import { poll, pollFailure, sleep, waitFor } from '../src';

describe('sleep', () => {
  it('waits about the time asked, and rejects with the reason when aborted', async () => {
    const started = Date.now();
    await sleep(60);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    const controller = new AbortController();
    const pending = sleep(10_000, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(pending).rejects.toThrow('stopped');
  });
});

describe('poll and waitFor', () => {
  it('returns the first value that is neither undefined nor false, retrying thrown errors', async () => {
    let calls = 0;
    const result = await poll(
      () => {
        calls++;
        if (calls === 1) throw new Error('connection refused');
        return calls < 4 ? false : `ready after ${calls}`;
      },
      { timeoutMs: 5_000, intervalMs: 5 },
    );
    expect(result).toEqual({ ok: true, value: 'ready after 4' });
  });

  it('times out with the last error, probing once more at the deadline', async () => {
    const started = Date.now();
    let calls = 0;
    const result = await poll(
      () => {
        calls++;
        throw new Error(`refused ${calls}`);
      },
      { timeoutMs: 120, intervalMs: 50 },
    );
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(115);
    expect(elapsed).toBeLessThan(1_000);
    // 0, 50, 100 and the deadline (120): the last pause is cut to end at the deadline.
    expect(calls).toBeGreaterThanOrEqual(3);
    expect((result as { lastError: Error }).lastError.message).toBe(`refused ${calls}`);
  });

  it('stops at once on an error that waiting cannot heal', async () => {
    let calls = 0;
    const result = await poll(
      () => {
        calls++;
        throw Object.assign(new Error('401 Unauthorized'), { status: 401 });
      },
      { timeoutMs: 10_000, intervalMs: 5, isPermanent: (e) => (e as { status?: number }).status === 401 },
    );
    expect(calls).toBe(1);
    expect(pollFailure('stats', 10_000, result)).toBe('gave up waiting for stats: 401 Unauthorized');
  });

  it('lets a probe error through at once with rethrow', async () => {
    let calls = 0;
    const failing = () => {
      calls++;
      throw new Error('query failed');
    };
    await expect(poll(failing, { timeoutMs: 10_000, intervalMs: 5, rethrow: true })).rejects.toThrow(
      'query failed',
    );
    expect(calls).toBe(1);
  });

  it('names what it waited for, how long, and the last error when it throws', async () => {
    await expect(
      waitFor(
        'the hub',
        () => {
          throw new Error('ECONNREFUSED');
        },
        { timeoutMs: 30, intervalMs: 10 },
      ),
    ).rejects.toThrow('timed out after 30 ms waiting for the hub: ECONNREFUSED');
    await expect(waitFor('a count', () => Promise.resolve(3), { timeoutMs: 30 })).resolves.toBe(3);
  });

  it('ends with the abort reason when its signal aborts', async () => {
    const controller = new AbortController();
    const pending = poll(() => undefined, { timeoutMs: 10_000, intervalMs: 20, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 30);
    await expect(pending).rejects.toThrow('shutting down');
  });
});
