import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFirstEvents, runSmoke } from '../src/smoke';

const FAKE_PRODUCER = join(__dirname, 'fixtures/fake-producer.js');

describe('readFirstEvents', () => {
  it('takes the first N distinct ids, skipping blank lines, and rejects lines without an id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'events-'));
    const file = join(dir, 'e.ndjson');
    writeFileSync(file, '{"id":"a"}\n\n{"id":"a"}\r\n{"id":"b"}\n{"id":"c"}\n');
    expect((await readFirstEvents(file, 2)).map((e) => e.id)).toEqual(['a', 'b']);
    expect((await readFirstEvents(file, 10)).map((e) => e.id)).toEqual(['a', 'b', 'c']);
    writeFileSync(file, '{"id":"a"}\n{"text":"x"}\n');
    await expect(readFirstEvents(file, 5)).rejects.toThrow('e.ndjson:2: the event has no string id');
    writeFileSync(file, '\n');
    await expect(readFirstEvents(file, 5)).rejects.toThrow('holds no events');
  });

  it('refuses more than the stats endpoint can show', async () => {
    await expect(
      runSmoke({
        apiUrl: 'http://127.0.0.1:9',
        stats: { url: 'http://127.0.0.1:9/stats', headers: {}, requestTimeoutMs: 100 },
        input: '/nonexistent',
        count: 101,
        rate: 1,
        credentials: {},
        producerCli: FAKE_PRODUCER,
        arrivalTimeoutMs: 1,
        pollIntervalMs: 1,
        warmupTimeoutMs: 1,
      }),
    ).rejects.toThrow('count must be an integer from 1 to 100');
  });
});
