import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { attachReporter, formatReplaySummary, replay } from '../src';
import { TestServer } from './server';

describe('the reporter', () => {
  it('writes a plain progress line every interval when stderr is not a terminal, and a summary', async () => {
    const server = new TestServer();
    const url = await server.start();
    try {
      const stream = new PassThrough();
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const valid = (await readFile(join(__dirname, '..', 'sample', 'events.ndjson'), 'utf8'))
        .split('\n')
        .slice(0, 18);
      const input = [
        ...Array.from({ length: 12 }, (_v, i) => ({ not: 'an event', i })),
        ...valid.map((line) => JSON.parse(line) as unknown),
      ];
      const engine = replay({ input, url, rate: 100, batchSize: 5, progressIntervalMs: 20 });
      attachReporter(engine, { stream, tty: false, intervalMs: 100 });
      const report = await engine;
      expect(text).toMatch(
        /^replay: \d+ s, \d+\/30 sent, \d+ accepted, \d+ rejected, 0 failed, 0 retries, \d+ events\/s$/m,
      );
      const summary = formatReplaySummary(report);
      expect(summary).toContain('18 accepted, 12 rejected, 0 failed, 0 not sent of 30 read');
      expect(summary).toContain('rejected #0 [preflight]: $.schemaVersion is required; ');
      expect(summary).toContain('... and 2 more rejected');
    } finally {
      await server.stop();
    }
  });
});
