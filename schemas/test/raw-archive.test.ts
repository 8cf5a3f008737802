import { createHash } from 'node:crypto';
import {
  archivedEventAt,
  parseArchive,
  RAW_ARCHIVE_NAME_PATTERN,
  serializeArchive,
  type ArchivedEvent,
} from '../src';
import hubEventSchema from '../hub-event.schema.json';
import { MAX_EVENTS_PER_REQUEST } from '../src/limits';

function archived(n: number, createdAt = `2017-08-25T20:0${n}:00Z`): ArchivedEvent {
  return {
    schemaVersion: 1,
    id: n.toString(16).padStart(32, '0'),
    tweetId: String(900 + n),
    createdAt,
    text: `tweet ${n}`,
    retweets: 0,
    replies: 0,
    likes: n,
    image: {
      label: 'damage',
      longitude: -95.1,
      latitude: 29.7,
      contentType: 'image/jpeg',
      blob: `${'a'.repeat(64)}.jpeg`,
      sha256: 'a'.repeat(64),
      bytes: 9000,
    },
  };
}

describe('the raw archive', () => {
  it('names an archive by its content: the earliest event day, then the SHA-256 of its bytes', () => {
    const archive = serializeArchive([
      archived(1, '2017-08-26T01:00:00Z'),
      archived(2, '2017-08-25T23:59:59Z'),
    ]);
    const sha = createHash('sha256').update(archive.body).digest('hex');
    expect(archive.name).toBe(`2017/08/25/${sha}.ndjson`);
    expect(archive.name).toMatch(RAW_ARCHIVE_NAME_PATTERN);
    expect(archive.name).toMatch(new RegExp(hubEventSchema.properties.rawBlob.pattern));
    expect(archive.ids).toEqual([archived(1).id, archived(2).id]);
  });

  it('gives the same name and bytes for the same events (a retry rewrites the same blob)', () => {
    const a = serializeArchive([archived(1), archived(2)]);
    const b = serializeArchive([archived(1), archived(2)]);
    expect(b.name).toBe(a.name);
    expect(b.body.equals(a.body)).toBe(true);
  });

  it('gives another name for any other content: order, a field, an image reference', () => {
    const base = serializeArchive([archived(1), archived(2)]).name;
    expect(serializeArchive([archived(2), archived(1)]).name).not.toBe(base);
    expect(serializeArchive([{ ...archived(1), likes: 5 }, archived(2)]).name).not.toBe(base);
    const otherImage = { ...archived(1), image: { ...archived(1).image!, bytes: 9001 } };
    expect(serializeArchive([otherImage, archived(2)]).name).not.toBe(base);
  });

  it('holds one event per line, in order, and reads any line back', () => {
    const events = [archived(1), archived(2), archived(3)];
    const archive = serializeArchive(events);
    expect(archive.body.toString().split('\n')).toHaveLength(4); // three lines, each ending in \n
    expect(parseArchive(archive.body)).toEqual(events);
    expect(archivedEventAt(archive.body, 2)).toEqual(events[2]);
    expect(archivedEventAt(archive.body, 3)).toBeUndefined();
  });

  it('refuses an empty archive and a repeated id (the ingest function collapses repeats first)', () => {
    expect(() => serializeArchive([])).toThrow('at least one event');
    expect(() => serializeArchive([archived(1), { ...archived(1), likes: 7 }])).toThrow('each event id once');
  });

  it('numbers lines within a request: rawLine stops at the request limit', () => {
    expect(hubEventSchema.properties.rawLine.maximum).toBe(MAX_EVENTS_PER_REQUEST - 1);
  });
});
