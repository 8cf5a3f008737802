import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { validateTweetEvent, type TweetEvent } from '@pipeline/schemas';
import { ExitCode, generateSample, replay, runCli, type ReplayOptions } from '../src';
import { accept, json, TestServer, type Handler } from './server';
import { apiBaseUrl, functionsBaseUrl, ingestUrl } from '@pipeline/schemas';

jest.setTimeout(60_000);

const SAMPLE_EVENTS = join(__dirname, '..', 'sample', 'events.ndjson');
const server = new TestServer();
let base: string;
let events: TweetEvent[];

beforeAll(async () => {
  base = await server.start();
  events = (await readFile(SAMPLE_EVENTS, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TweetEvent);
});
afterAll(() => server.stop());
beforeEach(() => server.reset());

/** Fast retries so the tests spend their time on behaviour, not on waiting. */
function options(overrides: Partial<ReplayOptions>): ReplayOptions {
  return {
    input: events.slice(0, 20),
    url: `${base}/api`,
    retryBaseMs: 10,
    retryMaxMs: 50,
    batchSize: 5,
    ...overrides,
  };
}

/** Every id answered with a 202, and a check that no id was posted again after its 202. */
function acceptedOnce(): Map<string, number> {
  const acceptedAt = new Map<string, number>();
  server.received.forEach((request, index) => {
    for (const id of request.ids) {
      expect(acceptedAt.has(id)).toBe(false);
      if ((request as { status?: number }).status === 202) acceptedAt.set(id, index);
    }
  });
  return acceptedAt;
}

/** Wraps a handler to remember the status it answered, for acceptedOnce. */
function recording(handler: Handler): Handler {
  return (request, response, socket) => {
    const writeHead = response.writeHead.bind(response);
    response.writeHead = (status: number, ...rest: unknown[]) => {
      (request as { status?: number }).status = status;
      return (writeHead as (...args: unknown[]) => typeof response)(status, ...rest);
    };
    return handler(request, response, socket);
  };
}

describe('replay against a local server', () => {
  it('posts batches to /events with the credentials and accepts every event once', async () => {
    server.reset(recording(accept));
    const report = await replay(
      options({
        subscriptionKey: 'sub-key',
        functionKey: 'fn-key',
        basicUser: 'producer',
        basicPassword: 's3cret',
      }),
    );
    expect(report).toMatchObject({
      ok: true,
      exitCode: ExitCode.Ok,
      events: { read: 20, sent: 20, accepted: 20, rejected: 0, failed: 0, notSent: 0 },
    });
    expect(report.requests).toMatchObject({ total: 4, byStatus: { '202': 4 }, retries: 0 });
    expect(report.acceptedIds).toEqual(events.slice(0, 20).map((e) => e.id));
    const first = server.received[0]!;
    expect(first).toMatchObject({ method: 'POST', url: ingestUrl(functionsBaseUrl('')) });
    expect(first.headers).toMatchObject({
      'content-type': 'application/json',
      'ocp-apim-subscription-key': 'sub-key',
      'x-functions-key': 'fn-key',
      authorization: `Basic ${Buffer.from('producer:s3cret').toString('base64')}`,
    });
    expect(JSON.parse(first.body)).toEqual(events.slice(0, 5));
    expect(acceptedOnce().size).toBe(20);
    expect(report.latencyMs.count).toBe(4);
    expect(report.latencyMs.max).toBeGreaterThan(0);
    expect(JSON.stringify(report)).not.toContain('s3cret');
  });

  it('emits start, response, progress and done', async () => {
    const seen: string[] = [];
    const engine = replay(options({ progressIntervalMs: 5 }));
    for (const name of ['start', 'response', 'progress', 'done'] as const)
      engine.on(name, () => seen.push(name));
    await engine;
    expect(seen[0]).toBe('start');
    expect(seen.at(-1)).toBe('done');
    expect(seen).toContain('response');
    expect(seen).toContain('progress');
  });

  it('emits the ids of every accepted request, which add up to the report', async () => {
    const engine = replay(options({}));
    const batches: (readonly string[])[] = [];
    engine.on('accepted', (ids) => batches.push(ids));
    const report = await engine;
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat().sort()).toEqual([...report.acceptedIds].sort());
    expect(batches.flat()).toHaveLength(report.events.accepted);
  });

  it('rejects invalid events locally with the pre-flight check and never sends them', async () => {
    const input = [events[0], { ...events[1], likes: -1 }, events[2]];
    const report = await replay(options({ input }));
    expect(report.exitCode).toBe(ExitCode.Rejected);
    expect(report.events).toMatchObject({ read: 3, sent: 2, accepted: 2, rejected: 1 });
    expect(report.rejected).toEqual([
      {
        id: events[1]!.id,
        position: 1,
        source: 'preflight',
        errors: [{ path: '$.likes', message: 'must be >= 0' }],
      },
    ]);
    expect(server.received.flatMap((r) => r.ids)).toEqual([events[0]!.id, events[2]!.id]);
  });

  it('on a 400 with indexes, reports those events with the server reasons and resends the rest', async () => {
    // The ingest API's contract: any invalid event rejects the whole request and is named by index.
    server.reset(
      recording((request, response) => {
        const posted = JSON.parse(request.body) as unknown[];
        const errors = posted.flatMap((event, index) => {
          const result = validateTweetEvent(event);
          return result.ok ? [] : result.errors.map((e) => ({ index, ...e }));
        });
        if (errors.length)
          json(response, 400, { error: 'InvalidEvents', message: `${errors.length} invalid`, errors });
        else accept(request, response);
      }),
    );
    const bad = new Set([1, 7, 8]);
    const input = events.slice(0, 10).map((e, i) => (bad.has(i) ? { ...e, text: '' } : e));
    const report = await replay(options({ input, preflight: false }));
    expect(report.exitCode).toBe(ExitCode.Rejected);
    expect(report.events).toMatchObject({ read: 10, sent: 10, accepted: 7, rejected: 3, failed: 0 });
    expect(report.rejected.map((r) => [r.position, r.source, r.status, r.errors])).toEqual(
      [1, 7, 8].map((position) => [
        position,
        'server',
        400,
        [{ path: '$.text', message: 'must NOT have fewer than 1 characters' }],
      ]),
    );
    expect(report.requests.byStatus).toEqual({ '202': 2, '400': 2 });
    expect(report.requests.resent).toBe(2);
    expect([...acceptedOnce().keys()].sort()).toEqual(
      input
        .filter((_e, i) => !bad.has(i))
        .map((e) => e.id)
        .sort(),
    );
  });

  it('splits a batch to isolate the culprit of a 400 without indexes (APIM) or of a 413', async () => {
    const culprit = events[3]!.id;
    server.reset(
      recording((request, response) => {
        if (request.ids.includes(culprit))
          json(response, 400, {
            statusCode: 400,
            message: 'Body of the request does not conform to the definition',
          });
        else if (request.ids.length > 2)
          json(response, 413, { error: 'PayloadTooLarge', message: 'too big' });
        else accept(request, response);
      }),
    );
    const report = await replay(options({ input: events.slice(0, 8), batchSize: 8 }));
    expect(report.events).toMatchObject({ accepted: 7, rejected: 1, failed: 0 });
    expect(report.rejected[0]).toMatchObject({ id: culprit, source: 'server', status: 400 });
    expect(report.rejected[0]!.errors[0]!.message).toContain('does not conform');
    expect(report.requests.splits).toBeGreaterThan(0);
    expect(acceptedOnce().size).toBe(7);
  });

  it('retries a 429 after its Retry-After, holding other requests too', async () => {
    let throttled = 0;
    server.reset(
      recording((request, response) => {
        if (throttled++ === 0)
          json(
            response,
            429,
            { statusCode: 429, message: 'Rate limit is exceeded. Try again in 1 seconds.' },
            { 'retry-after': '1' },
          );
        else accept(request, response);
      }),
    );
    const report = await replay(options({ concurrency: 1 }));
    expect(report).toMatchObject({ exitCode: ExitCode.Ok, events: { accepted: 20 } });
    expect(report.requests).toMatchObject({ retries: 1, byStatus: { '202': 4, '429': 1 } });
    const gap = server.received[1]!.at - server.received[0]!.at;
    expect(gap).toBeGreaterThanOrEqual(990);
    expect(acceptedOnce().size).toBe(20);
  });

  it('retries 503s and dropped connections with backoff, and times out slow responses', async () => {
    let calls = 0;
    server.reset(
      recording((request, response, socket) => {
        calls++;
        if (calls === 1) return json(response, 503, { error: 'ServiceUnavailable', message: 'hub down' });
        if (calls === 2) return void socket.destroy();
        if (calls === 3) return void setTimeout(() => accept(request, response), 1500);
        accept(request, response);
      }),
    );
    const report = await replay(options({ input: events.slice(0, 3), batchSize: 3, timeoutMs: 300 }));
    expect(report).toMatchObject({ exitCode: ExitCode.Ok, events: { sent: 3, accepted: 3, failed: 0 } });
    expect(report.requests.byStatus).toEqual({ '503': 1, network: 2, '202': 1 });
    expect(report.requests.retries).toBe(3);
    // The same three events, every time: a retry resends the batch unchanged (ids make it idempotent).
    expect(server.received.map((r) => r.ids)).toEqual(
      Array.from({ length: 4 }, () => events.slice(0, 3).map((e) => e.id)),
    );
  });

  it('gives up after the retries, reports the events as failed and exits 3', async () => {
    server.reset((_request, response) => json(response, 500, { error: 'Internal', message: 'boom' }));
    const report = await replay(options({ input: events.slice(0, 2), maxRetries: 2 }));
    expect(report.exitCode).toBe(ExitCode.Undelivered);
    expect(report.events).toMatchObject({ sent: 2, accepted: 0, failed: 2 });
    expect(report.failed[0]).toMatchObject({ id: events[0]!.id, status: 500 });
    expect(report.failed[0]!.reason).toBe('gave up after 3 attempts; last: 500 Internal: boom');
    expect(server.received).toHaveLength(3);
  });

  it('stops at a refused credential instead of sending the rest', async () => {
    server.reset((_request, response) =>
      json(response, 401, { statusCode: 401, message: 'Access denied due to missing subscription key.' }),
    );
    const report = await replay(options({ input: events.slice(0, 50), concurrency: 1 }));
    expect(report.exitCode).toBe(ExitCode.Undelivered);
    expect(report.stoppedEarly).toContain('401');
    expect(report.events.failed).toBe(5);
    expect(report.events.sent).toBeLessThan(50);
    expect(server.received.length).toBeLessThanOrEqual(2);
  });

  it('honours one quota wait (403 with Retry-After), then fails', async () => {
    server.reset((_request, response) =>
      json(response, 403, { statusCode: 403, message: 'Out of call volume quota.' }, { 'retry-after': '1' }),
    );
    const report = await replay(options({ input: events.slice(0, 2), concurrency: 1 }));
    expect(report.exitCode).toBe(ExitCode.Undelivered);
    expect(server.received).toHaveLength(2);
    expect(server.received[1]!.at - server.received[0]!.at).toBeGreaterThanOrEqual(990);
    expect(report.failed[0]!.reason).toContain('Out of call volume quota');
  });

  it('never loses an event nor sends one again after its 202, whatever the failures', async () => {
    let n = 0;
    server.reset(
      recording((request, response, socket) => {
        const roll = (n++ * 7919) % 10; // a fixed, shuffled mix of outcomes
        if (roll === 0)
          return json(response, 503, { error: 'ServiceUnavailable', message: 'x' }, { 'retry-after': '0' });
        if (roll === 1)
          return json(response, 429, { statusCode: 429, message: 'slow down' }, { 'retry-after': '0' });
        if (roll === 2) return void socket.destroy();
        if (roll === 3) return void setTimeout(() => accept(request, response), 30);
        accept(request, response);
      }),
    );
    const input = events.slice(0, 120);
    const report = await replay(options({ input, batchSize: 7, concurrency: 4, maxRetries: 20 }));
    expect(report.events).toMatchObject({ read: 120, sent: 120, accepted: 120, failed: 0, rejected: 0 });
    const accepted = acceptedOnce();
    expect([...accepted.keys()].sort()).toEqual(input.map((e) => e.id).sort());
    expect(report.requests.retries).toBeGreaterThan(0);
  });

  it('holds the rate within 10% over 3 seconds', async () => {
    // Arrival times at the server are what is measured, and on a loaded shared machine a stalled event
    // loop can skew one 3-second window; the scheduler must hold the rate in at least one of three runs
    // (every attempt's figure is in the failure message).
    const attempts: { measured: number; sent: number; accepted: number }[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      server.reset();
      // Batches of 10 keep the request count (and so the noise of a loaded machine) low: 20 requests/s.
      const report = await replay(
        options({ input: events, rate: 200, durationMs: 3000, loop: true, batchSize: 10, concurrency: 8 }),
      );
      const arrivals = server.received;
      const seconds = (arrivals.at(-1)!.at - arrivals[0]!.at) / 1000;
      // Events sent in the measured span: every batch but the last, which arrives at its end.
      const measured = arrivals.slice(0, -1).reduce((sum, r) => sum + r.ids.length, 0) / seconds;
      attempts.push({ measured, sent: report.events.sent, accepted: report.events.accepted });
      if (measured > 180 && measured < 220) break;
    }
    const best = attempts.at(-1)!;
    expect({ attempts, measuredWithin10Percent: best.measured > 180 && best.measured < 220 }).toMatchObject({
      measuredWithin10Percent: true,
    });
    expect(best.sent).toBeGreaterThan(540);
    expect(best.sent).toBeLessThan(660);
    expect(best.accepted).toBe(best.sent);
  });

  it('stops cleanly when aborted, reporting what was sent', async () => {
    const controller = new AbortController();
    server.reset((request, response) => void setTimeout(() => accept(request, response), 20));
    const engine = replay(options({ input: events, rate: 100, batchSize: 1, signal: controller.signal }));
    setTimeout(() => controller.abort(), 500);
    const report = await engine;
    expect(report.interrupted).toBe(true);
    expect(report.exitCode).toBe(ExitCode.Interrupted);
    expect(report.events.sent).toBeGreaterThan(10);
    expect(report.events.sent).toBeLessThan(300);
    expect(report.events.accepted + report.events.failed).toBe(report.events.sent);
    expect(server.received.length).toBe(report.requests.total);
  });

  it('stops after --count events and supports a dry run that sends nothing', async () => {
    const counted = await replay(options({ input: SAMPLE_EVENTS, count: 12 }));
    expect(counted.events).toMatchObject({ read: 12, accepted: 12 });
    server.reset();
    const dry = await replay(options({ input: SAMPLE_EVENTS, dryRun: true, batchSize: 100 }));
    expect(dry).toMatchObject({
      exitCode: ExitCode.Ok,
      dryRun: true,
      events: { read: 300, sent: 300, accepted: 0 },
    });
    expect(dry.requests.bytesSent).toBeGreaterThan(300 * 1000);
    expect(server.received).toHaveLength(0);
  });

  it('replays a folder of Kaggle files, preparing them on the fly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'producer-replay-'));
    try {
      await generateSample({ out: dir, tweets: 12, images: 0, seed: 9 });
      const report = await replay(options({ input: dir }));
      expect(report.events).toMatchObject({ read: 12, accepted: 12 });
      const posted = server.received.flatMap((r) => JSON.parse(r.body) as TweetEvent[]);
      expect(posted.map((e) => validateTweetEvent(e).ok)).toEqual(Array(12).fill(true));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the CLI', () => {
  function io(env: NodeJS.ProcessEnv = {}) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    return { io: { stdout, stderr, env }, out: () => out, err: () => err };
  }

  it('replays with credentials from the environment and prints the JSON report', async () => {
    const cli = io({
      PRODUCER_SUBSCRIPTION_KEY: 'env-key',
      PRODUCER_BASIC_USER: 'producer',
      PRODUCER_BASIC_PASSWORD: 'hunter2',
    });
    const code = await runCli(
      [
        'replay',
        '--input',
        SAMPLE_EVENTS,
        '--url',
        `${base}/ingest`,
        '--rate',
        'max',
        '--count',
        '30',
        '--json',
      ],
      cli.io,
    );
    expect(code).toBe(0);
    const report = JSON.parse(cli.out()) as Record<string, unknown>;
    expect(report).toMatchObject({
      ok: true,
      exitCode: 0,
      acceptedIdsCount: 30,
      events: { accepted: 30 },
      rejected: [],
      failed: [],
    });
    expect(Object.keys(report.latencyMs as object)).toEqual(['count', 'p50', 'p90', 'p99', 'max', 'mean']);
    expect(server.received[0]!.headers['ocp-apim-subscription-key']).toBe('env-key');
    expect(server.received[0]!.url).toBe(ingestUrl(apiBaseUrl('')));
    expect(cli.out() + cli.err()).not.toContain('hunter2');
    expect(cli.out() + cli.err()).not.toContain('env-key');
  });

  it('exits 1 when the server rejects events, with their ids and reasons in the report', async () => {
    server.reset((_request, response) =>
      json(response, 400, {
        error: 'InvalidEvents',
        message: 'bad',
        errors: [{ index: 0, path: '$.likes', message: 'must be >= 0' }],
      }),
    );
    const cli = io();
    const code = await runCli(
      ['replay', '--input', SAMPLE_EVENTS, '--url', base, '--count', '1', '--json', '--quiet'],
      cli.io,
    );
    expect(code).toBe(ExitCode.Rejected);
    const report = JSON.parse(cli.out()) as { rejected: unknown[] };
    expect(report.rejected).toEqual([
      {
        id: events[0]!.id,
        position: 0,
        line: 1,
        source: 'server',
        status: 400,
        errors: [{ path: '$.likes', message: 'must be >= 0' }],
      },
    ]);
  });

  it('exits 2 for a bad option, naming it, and prints help', async () => {
    const bad = io();
    expect(await runCli(['replay', '--input', SAMPLE_EVENTS, '--url', base, '--rate', 'fast'], bad.io)).toBe(
      ExitCode.Usage,
    );
    expect(bad.err()).toContain('--rate');
    const unknown = io();
    expect(await runCli(['replay', '--bogus'], unknown.io)).toBe(ExitCode.Usage);
    expect(unknown.err()).toContain('--bogus');
    const missing = io();
    expect(await runCli(['replay', '--url', base], missing.io)).toBe(ExitCode.Usage);
    expect(missing.err()).toContain('--input');
    const help = io();
    expect(await runCli(['replay', '--help'], help.io)).toBe(0);
    expect(help.out()).toContain('--batch-size');
  });

  it('exits 4 when the input cannot be used', async () => {
    const cli = io();
    expect(
      await runCli(['prepare', '--tweets', '/nonexistent/tweets.csv', '--out', '/tmp/never.ndjson'], cli.io),
    ).toBe(ExitCode.Input);
  });
});
