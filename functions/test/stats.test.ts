import { HttpRequest } from '@azure/functions';
import { clearStatsCache, stats } from '../src/functions/stats';
import { lastMinutes, percentiles } from '../src/lib/stats-core';
import type { Stats } from '../src/lib/stats-queries';
import { CONTAINERS, quietContext, startTestServices, type TestServices } from './support';

describe('stats helpers (pure)', () => {
  it('lists the last 60 minutes ending with the current one', () => {
    const minutes = lastMinutes(new Date('2026-11-28T12:34:56Z'), 60);
    expect(minutes).toHaveLength(60);
    expect(minutes[59]).toEqual({ start: '2026-11-28T12:34:00.000Z', end: '2026-11-28T12:35:00.000Z' });
    expect(minutes[0]!.start).toBe('2026-11-28T11:35:00.000Z');
  });

  it('computes nearest-rank percentiles and ignores unmeasurable values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles([...values, NaN])).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([])).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null });
  });
});

describe('stats function on the Cosmos DB server', () => {
  let services: TestServices;
  const now = Date.now();
  const at = (msAgo: number) => new Date(now - msAgo).toISOString();

  beforeAll(async () => {
    services = await startTestServices();
    const docs = Array.from({ length: 30 }, (_, i) => ({
      id: `doc${String(i).padStart(2, '0')}`,
      tweetId: String(1000 + i),
      createdAt: '2017-08-25T20:05:00Z',
      text: `tweet ${i}`,
      retweets: 0,
      replies: 0,
      likes: i,
      ...(i < 20
        ? {
            image: {
              label: i < 12 ? 'damage' : 'no_damage',
              longitude: -95,
              latitude: 29,
              contentType: 'image/jpeg',
              blob: 'x.jpeg',
              sha256: 'x',
              bytes: 1,
            },
          }
        : {}),
      rawBlob: 'x',
      // doc i was stored i minutes ago (docs 0..29 within the last hour), 100 ms after it was enqueued.
      ingestedAt: at(i * 60_000 + 150),
      enqueuedAt: at(i * 60_000 + 100),
      storedAt: at(i * 60_000),
    }));
    for (const doc of docs) await services.events.items.upsert(doc);
    await services.blobs
      .getContainerClient(CONTAINERS.deadLetters)
      .getBlockBlobClient('tweets/0/1.json')
      .upload('{}', 2);
  }, 60_000);
  afterAll(() => services?.stop());

  async function getStats(query: Record<string, string> = {}) {
    clearStatsCache();
    const response = await stats(
      new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/stats', query }),
      quietContext(),
    );
    return { status: response.status, body: response.jsonBody as Stats };
  }

  it('returns totals, per-label counts, per-minute counts, latest tweets and latency percentiles', async () => {
    const { status, body } = await getStats({ latest: '5' });
    expect(status).toBe(200);
    expect(body.totals).toEqual({ stored: 30, damage: 12, noDamage: 8, withoutImage: 10 });
    expect(body.perMinute).toHaveLength(60);
    expect(body.perMinute.reduce((sum, m) => sum + m.count, 0)).toBe(30);
    expect(body.latest.map((t) => t.id)).toEqual(['doc00', 'doc01', 'doc02', 'doc03', 'doc04']);
    expect(body.latest[0]).not.toHaveProperty('rawBlob');
    expect(body.latency.window).toBe(30);
    expect(body.latency.hubToStoreMs).toEqual({ count: 30, p50: 100, p95: 100, p99: 100, max: 100 });
    expect(body.latency.ingestToStoreMs.p50).toBe(150);
    expect(body.deadLetters).toEqual({ count: 1, capped: false });
  });

  it('rejects a bad latest parameter with 400', async () => {
    const { status, body } = await getStats({ latest: '0' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'InvalidQuery' });
  });
});
