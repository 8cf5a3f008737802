import { consume } from '../src/functions/consume';
import { type StoredEventDocument } from '../src/lib/consume-core';
import { CONTAINERS, listBlobNames, quietContext, startTestServices, type TestServices } from './support';
import { hubEvent, triggerMetadata } from './consume-batches';

describe('consume handler with Cosmos DB and Blob Storage', () => {
  let services: TestServices;
  beforeAll(async () => {
    services = await startTestServices();
  }, 60_000);
  afterAll(() => services?.stop());

  it('upserts every valid event once (bulk, 100 per request), dead-letters the poison ones, and a redelivery rewrites the same documents', async () => {
    // 150 events: two bulk requests, the second one partial.
    const events = Array.from({ length: 150 }, (_, i) => hubEvent(i));
    const batch: unknown[] = [...events.slice(0, 25), 'garbage', ...events.slice(25), events[3]];
    await consume(batch, quietContext(triggerMetadata(batch.length, '0', 500)));
    await consume(batch, quietContext(triggerMetadata(batch.length, '0', 500))); // a redelivery
    const { resources: count } = await services.events.items
      .query<number>('SELECT VALUE COUNT(1) FROM c')
      .fetchAll();
    expect(count).toEqual([150]);
    const { resource } = await services.events.item(events[7]!.id, events[7]!.id).read<StoredEventDocument>();
    expect(resource).toMatchObject({
      id: events[7]!.id,
      text: events[7]!.text,
      image: events[7]!.image,
      partitionId: '0',
      sequenceNumber: 507,
    });

    expect(await listBlobNames(services.blobs, CONTAINERS.deadLetters)).toEqual(['tweets/0/525.json']);
    const letter = await services.blobs
      .getContainerClient(CONTAINERS.deadLetters)
      .getBlobClient('tweets/0/525.json')
      .downloadToBuffer();
    expect(JSON.parse(letter.toString())).toMatchObject({
      message: 'garbage',
      position: { partitionId: '0', sequenceNumber: 525 },
    });
  });

  it('fails the invocation (so the batch is retried) when a dead letter cannot be written', async () => {
    const saved = process.env.DEADLETTER_CONTAINER;
    process.env.DEADLETTER_CONTAINER = 'missing-container';
    try {
      await expect(consume(['garbage'], quietContext(triggerMetadata(1)))).rejects.toThrow(/container/i);
    } finally {
      process.env.DEADLETTER_CONTAINER = saved;
    }
  });
});
