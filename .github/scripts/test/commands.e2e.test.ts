import { createServer, type IncomingHttpHeaders } from 'node:http';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadNdjson } from '../src/dataset';
import { countLines } from '../src/sample';

// The commands' other tests need no server: commands.test.ts.
describe('dataset download', () => {
  async function serve(body: string, status = 200) {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(status, { 'content-type': 'application/x-ndjson' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events.ndjson`;
    return { url, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
  }

  it('streams an NDJSON file to disk and counts its events', async () => {
    const body = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify({ id: `e${i}`, text: 'x'.repeat(100) }),
    ).join('\n');
    const s = await serve(body);
    try {
      const out = join(mkdtempSync(join(tmpdir(), 'dl-')), 'events.ndjson');
      expect(await downloadNdjson(s.url, out, { maxBytes: 10_000_000, timeoutMs: 5000 })).toEqual({
        bytes: Buffer.byteLength(body),
        lines: 2500,
      });
      expect(readFileSync(out, 'utf8')).toBe(body);
      expect(await countLines(out)).toBe(2500);
      expect(s.seen[0]!.authorization).toBeUndefined();
    } finally {
      await s.close();
    }
  });

  it('leaves no file behind when the body is not NDJSON, too large, or an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-'));
    const out = join(dir, 'events.ndjson');
    for (const [body, status, message] of [
      ['<html>hello</html>\n', 200, 'its first line is not JSON'],
      ['[1,2]\n', 200, 'not a JSON object'],
      ['{"id":"a"}\n'.repeat(1000), 200, 'over the 5000-byte limit'],
      [
        '{"error":"AuthorizationPermissionMismatch"}',
        403,
        'answered 403: {"error":"AuthorizationPermissionMismatch"}',
      ],
    ] as const) {
      const s = await serve(body, status);
      try {
        await expect(downloadNdjson(s.url, out, { maxBytes: 5000, timeoutMs: 5000 })).rejects.toThrow(
          message,
        );
        expect(existsSync(out)).toBe(false);
        expect(existsSync(`${out}.partial`)).toBe(false);
      } finally {
        await s.close();
      }
    }
  });
});
