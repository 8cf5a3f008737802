import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TweetEvent } from '@pipeline/schemas';
import { PassThrough } from 'node:stream';
import { DEFAULT_MAX_REQUEST_BYTES, replay, runCli, UsageError, type ReplayOptions } from '../src';
import { accept, json, TestServer } from './server';

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

function options(overrides: Partial<ReplayOptions>): ReplayOptions {
  return { input: events, url: `${base}/api`, retryBaseMs: 10, retryMaxMs: 50, ...overrides };
}

const bodyBytes = () => server.received.map((request) => Buffer.byteLength(request.body));

describe('requests sized by bytes', () => {
  it('keeps every request body under --max-request-bytes, and loses no event', async () => {
    const report = await replay(options({ batchSize: 100, maxRequestBytes: 20_000 }));
    expect(report.events).toMatchObject({ read: events.length, accepted: events.length, rejected: 0 });
    expect(Math.max(...bodyBytes())).toBeLessThanOrEqual(20_000);
    const received = server.received.flatMap((request) => request.ids);
    expect(new Set(received).size).toBe(events.length);
    expect(report.settings.maxRequestBytes).toBe(20_000);
  });

  it('sends the sample within the default limit with the default batch of 50', async () => {
    const report = await replay(options({}));
    expect(report.events.accepted).toBe(events.length);
    expect(Math.max(...bodyBytes())).toBeLessThanOrEqual(DEFAULT_MAX_REQUEST_BYTES);
  });

  it('reports an event too big to go alone as rejected, with the reason, and sends the rest', async () => {
    const big = events
      .slice(0, 30)
      .reduce((a, b) => (JSON.stringify(a).length >= JSON.stringify(b).length ? a : b));
    const size = Buffer.byteLength(JSON.stringify(big));
    const limit = size + 1; // one byte short of `[` + event + `]`
    const report = await replay(options({ input: events.slice(0, 30), maxRequestBytes: limit }));
    const tooBig = events.slice(0, 30).filter((e) => Buffer.byteLength(JSON.stringify(e)) + 2 > limit);
    expect(tooBig.map((e) => e.id)).toContain(big.id);
    expect(report.events).toMatchObject({ accepted: 30 - tooBig.length, rejected: tooBig.length, failed: 0 });
    expect(report.rejected.find((r) => r.id === big.id)).toMatchObject({
      source: 'preflight',
      errors: [
        {
          path: '$',
          message: `is ${size} bytes; a request holding it alone would be ${size + 2} bytes, over the ${limit}-byte request limit (--max-request-bytes)`,
        },
      ],
    });
    expect(server.received.flatMap((request) => request.ids)).not.toContain(big.id);
  });

  it('splits on a 413 or a size 400 and never sends the same body twice', async () => {
    const ceiling = 30_000;
    server.reset((request, response) => {
      const bytes = Buffer.byteLength(request.body);
      if (bytes > ceiling && request.ids.length % 2 === 0)
        json(response, 413, { error: 'PayloadTooLarge', message: 'too big' });
      else if (bytes > ceiling)
        json(response, 400, {
          statusCode: 400,
          message: `Request's body is ${bytes} bytes long and it exceeds the limit of ${ceiling} bytes.`,
        });
      else accept(request, response);
    });
    const report = await replay(
      options({ input: events.slice(0, 60), batchSize: 60, maxRequestBytes: 200_000 }),
    );
    expect(report.events).toMatchObject({ accepted: 60, rejected: 0, failed: 0 });
    expect(report.requests.splits).toBeGreaterThan(0);
    const bodies = server.received.map((request) => request.body);
    expect(new Set(bodies).size).toBe(bodies.length);
  });

  it('sizes later batches by the limit a size refusal states, instead of bisecting each one', async () => {
    const ceiling = 20_000;
    const refusal = (bytes: number) => ({
      statusCode: 400,
      message: `Request's body is ${bytes} bytes long and it exceeds the limit of ${ceiling} bytes.`,
    });
    server.reset((request, response) => {
      const bytes = Buffer.byteLength(request.body);
      if (bytes > ceiling) json(response, 400, refusal(bytes));
      else accept(request, response);
    });
    const report = await replay(
      options({ batchSize: 100, concurrency: 1, maxRequestBytes: 4 * 1024 * 1024 }),
    );
    expect(report.events).toMatchObject({ accepted: events.length, rejected: 0, failed: 0 });
    // One refusal teaches the limit: the refused batch is split, every later body fits.
    expect(report.requests.byStatus['400']).toBe(1);
    const sizes = bodyBytes();
    expect(sizes[0]).toBeGreaterThan(ceiling);
    expect(Math.max(...sizes.slice(1))).toBeLessThanOrEqual(ceiling);
  });

  it('names a bad --max-request-bytes', async () => {
    expect(() => replay(options({ maxRequestBytes: 10 }))).toThrow(UsageError);
    expect(() => replay(options({ maxRequestBytes: 10 }))).toThrow(/--max-request-bytes.*1024 to 4194304/);
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const code = await runCli(
      ['replay', '--input', SAMPLE_EVENTS, '--dry-run', '--max-request-bytes', 'lots'],
      { stdout: new PassThrough(), stderr, env: {} },
    );
    expect(code).not.toBe(0);
    expect(text).toContain('--max-request-bytes');
  });
});
