import { HttpRequest } from '@azure/functions';
import { clearStatsCache, stats } from '../src/functions/stats';
import { queryStats, type Stats } from '../src/lib/stats-queries';
import { CONTAINERS, quietContext, startTestServices, type TestServices } from './support';

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
              // Four distinct locations; doc i < 4 is the newest at location i, labelled by its own label.
              longitude: -95 - (i % 4) / 10,
              latitude: 29,
              contentType: 'image/jpeg',
              blob: 'x.jpeg',
              sha256: 'x',
              bytes: 1,
            },
          }
        : {}),
      rawBlob: 'x',
      partitionId: String(i % 2),
      sequenceNumber: 100 + i,
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
    // Two request archives (their event counts in metadata) and one per-event blob from before
    // hub event version 2, which counts as one event.
    const raw = services.blobs.getContainerClient(CONTAINERS.raw);
    await Promise.all([
      raw
        .getBlockBlobClient(`2017/08/25/${'a'.repeat(64)}.ndjson`)
        .upload('{}', 2, { metadata: { events: '3' } }),
      raw
        .getBlockBlobClient(`2017/08/26/${'b'.repeat(64)}.ndjson`)
        .upload('{}', 2, { metadata: { events: '2' } }),
      raw.getBlockBlobClient('2017/08/26/c.json').upload('{}', 2),
    ]);
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
    expect(body.accepted).toEqual({ count: 6, capped: false });
    expect(body.map.window).toBe(20);
    expect(body.map.capped).toBe(false);
    expect(
      [...body.map.points]
        .sort((a, b) => b.longitude - a.longitude)
        .map((p) => [p.longitude, p.label, p.damage, p.noDamage]),
    ).toEqual([
      [-95, 'damage', 3, 2], // docs 0, 4, 8 (damage) and 12, 16 (no_damage)
      [-95.1, 'damage', 3, 2],
      [-95.2, 'damage', 3, 2],
      [-95.3, 'damage', 3, 2],
    ]);
    // This test run has no Event Hubs: the lag says why it is not measured instead of guessing.
    expect(JSON.stringify(body.consumerLag)).toMatch(
      /^\{"available":false,"reason":"the Event Hubs connection is not configured \(Missing app setting: set /,
    );
  });

  it('computes the consumer lag from the hub positions and the highest processed sequence number per partition', async () => {
    // Partition 1's newest event (130) was poison: its dead letter counts as processed.
    await services.blobs
      .getContainerClient(CONTAINERS.deadLetters)
      .getBlockBlobClient('tweets/1/130.json')
      .upload('{}', 2);
    const result = await queryStats(
      {
        events: services.events,
        deadLetters: services.blobs.getContainerClient(CONTAINERS.deadLetters),
        rawEvents: services.blobs.getContainerClient(CONTAINERS.raw),
        // The hub's answer (the Event Hubs emulator is tested elsewhere); the documents' side is real.
        hubPartitions: () =>
          Promise.resolve({
            ok: true,
            partitions: [
              {
                partitionId: '0',
                beginSequenceNumber: 0,
                lastEnqueuedSequenceNumber: 128,
                lastEnqueuedAt: new Date(),
                isEmpty: false,
              },
              {
                partitionId: '1',
                beginSequenceNumber: 0,
                lastEnqueuedSequenceNumber: 130,
                lastEnqueuedAt: new Date(),
                isEmpty: false,
              },
              {
                partitionId: '2',
                beginSequenceNumber: 0,
                lastEnqueuedSequenceNumber: 4,
                lastEnqueuedAt: new Date(),
                isEmpty: false,
              },
            ],
          }),
      },
      { latest: 1, latencyWindow: 10, blobCountCap: 2, mapWindow: 5, now: new Date() },
    );
    // Partition 0 stored up to 128 (doc 28); partition 1 up to 129 (doc 29) and dead-lettered 130;
    // partition 2 has nothing stored.
    expect(result.consumerLag).toMatchObject({
      available: true,
      events: 5,
      partitions: [
        { partitionId: '0', lastProcessedSequenceNumber: 128, lag: 0 },
        { partitionId: '1', lastProcessedSequenceNumber: 130, lag: 0 },
        { partitionId: '2', lastProcessedSequenceNumber: -1, lag: 5 },
      ],
    });
    expect(result.accepted).toEqual({ count: 5, capped: true }); // the first two archives' events
    expect(result.map).toMatchObject({ window: 5, capped: true });
    expect(result.map.points).toHaveLength(4);
  });

  it('rejects a bad latest parameter with 400', async () => {
    const { status, body } = await getStats({ latest: '0' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'InvalidQuery' });
  });
});
