import { processBatch, positionsFromTriggerMetadata, type HubPosition } from '../src/lib/consume-core';
import { imageBlobOf, toHubEvent } from '../src/lib/claim-check';
import { hubEvent, triggerMetadata } from './consume-batches';
import { tweetEvent } from './events';

describe('processBatch (pure)', () => {
  const positions = (count: number): HubPosition[] =>
    positionsFromTriggerMetadata(triggerMetadata(count), count);
  const now = new Date('2026-11-28T12:00:05Z');

  it('turns every valid message of a batch into a document, not only the last', () => {
    const events = [hubEvent(1), hubEvent(2), hubEvent(3)];
    const { documents, deadLetters } = processBatch(events, positions(3), now);
    expect(deadLetters).toEqual([]);
    expect(documents.map((d) => d.id)).toEqual(events.map((e) => e.id));
    expect(documents[1]).toEqual({
      ...events[1],
      enqueuedAt: '2026-11-28T12:00:01.000Z',
      storedAt: '2026-11-28T12:00:05.000Z',
      partitionId: '1',
      sequenceNumber: 101,
    });
  });

  it('keeps an event whose counts are unknown: absent on the hub event and in the document, never null', () => {
    const { retweets: _r, likes: _l, ...source } = tweetEvent(7);
    const hub = toHubEvent(
      source,
      imageBlobOf(source),
      { blob: `2017/08/25/${'c'.repeat(64)}.ndjson`, line: 0 },
      now,
    );
    expect(Object.keys(hub)).not.toContain('retweets');
    expect(Object.keys(hub)).not.toContain('likes');
    expect(hub.replies).toBe(source.replies);
    const { documents, deadLetters } = processBatch([Buffer.from(JSON.stringify(hub))], positions(1), now);
    expect(deadLetters).toEqual([]);
    expect(documents[0]).not.toHaveProperty('retweets');
    expect(documents[0]).not.toHaveProperty('likes');
    expect(documents[0]).toHaveProperty('replies', source.replies);
  });

  it('accepts messages as objects, JSON strings or UTF-8 bytes', () => {
    const [a, b, c] = [hubEvent(1), hubEvent(2), hubEvent(3)];
    const { documents } = processBatch(
      [a, JSON.stringify(b), Buffer.from(JSON.stringify(c))],
      positions(3),
      now,
    );
    expect(documents.map((d) => d.id)).toEqual([a.id, b.id, c.id]);
  });

  it('decodes bytes as a fatal UTF-8 decoder would: views, a BOM, surrogates and overlongs (HOST-5)', () => {
    const [a, b] = [hubEvent(1), hubEvent(2)];
    const text = JSON.stringify(a);
    // A view into a larger buffer (as the SDK hands bodies over) decodes only its own bytes.
    const backing = Buffer.from(`xx${text}yy`);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, Buffer.byteLength(text));
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(b))]);
    const surrogate = Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]);
    const overlong = Buffer.from([0x22, 0xc0, 0xaf, 0x22]);
    const { documents, deadLetters } = processBatch([view, withBom, surrogate, overlong], positions(4), now);
    expect(documents.map((d) => d.id)).toEqual([a.id, b.id]);
    expect(deadLetters.map((d) => d.record.reason)).toEqual([
      'the message body is not valid UTF-8',
      'the message body is not valid UTF-8',
    ]);
  });

  it('dead-letters poison messages with the reason and position, and keeps the rest', () => {
    const good = hubEvent(1);
    const { image: _image, ...noRawBlob } = { ...hubEvent(2), rawBlob: undefined };
    const { documents, deadLetters } = processBatch(
      ['{not json', good, noRawBlob, Buffer.from([0xff, 0xfe])],
      positions(4),
      now,
    );
    expect(documents.map((d) => d.id)).toEqual([good.id]);
    expect(deadLetters.map((d) => d.blobName)).toEqual([
      'tweets/1/100.json',
      'tweets/1/102.json',
      'tweets/1/103.json',
    ]);
    expect(deadLetters[0]!.record.reason).toMatch(/^the message body is not valid JSON/);
    expect(deadLetters[1]!.record).toMatchObject({
      reason: 'the event breaks the hub event contract',
      errors: [{ path: '$.rawBlob', message: 'is required' }],
    });
    expect(deadLetters[2]!.record).toMatchObject({
      reason: 'the message body is not valid UTF-8',
      message: { base64: '//4=' },
    });
    expect(deadLetters[0]!.record.position).toEqual({
      eventHubName: 'tweets',
      partitionId: '1',
      sequenceNumber: 100,
      offset: '100000',
      enqueuedAt: '2026-11-28T12:00:00.000Z',
    });
  });

  it('dead-letters bytes that are empty or not JSON (dataType binary), keeping the text readable', () => {
    const good = hubEvent(1);
    const { documents, deadLetters } = processBatch(
      [Buffer.alloc(0), Buffer.from('not json'), Buffer.from(JSON.stringify(good))],
      positions(3),
      now,
    );
    expect(documents.map((d) => d.id)).toEqual([good.id]);
    expect(deadLetters.map((d) => [d.blobName, d.record.message])).toEqual([
      ['tweets/1/100.json', ''],
      ['tweets/1/101.json', 'not json'],
    ]);
    expect(deadLetters[0]!.record.reason).toMatch(/^the message body is not valid JSON/);
  });

  it('collapses repeated ids in one batch into one document, the later message winning', () => {
    const first = hubEvent(1);
    const again = { ...first, likes: 99 };
    const { documents } = processBatch([first, hubEvent(2), again], positions(3), now);
    expect(documents).toHaveLength(2);
    expect(documents.find((d) => d.id === first.id)).toMatchObject({ likes: 99, sequenceNumber: 102 });
  });
});
