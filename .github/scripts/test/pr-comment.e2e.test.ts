import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { upsertComment } from '../src/pr-comment';

// A local stand-in for the GitHub REST API's issue-comment endpoints (list, create, update).
async function fakeGitHub(initial: { id: number; body: string }[]) {
  const comments = [...initial];
  const log: string[] = [];
  let nextId = 1000;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      log.push(`${req.method} ${url.pathname}${url.search}`);
      if (req.headers.authorization !== 'Bearer t0ken') return res.writeHead(401).end('{}');
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      let m = /^\/repos\/o\/r\/issues\/7\/comments$/.exec(url.pathname);
      if (m && req.method === 'GET') {
        const page = Number(url.searchParams.get('page'));
        const size = Number(url.searchParams.get('per_page'));
        return reply(
          200,
          comments
            .slice((page - 1) * size, page * size)
            .map((c) => ({ ...c, html_url: `https://gh/c/${c.id}` })),
        );
      }
      if (m && req.method === 'POST') {
        const c = { id: nextId++, body: (JSON.parse(raw) as { body: string }).body };
        comments.push(c);
        return reply(201, { ...c, html_url: `https://gh/c/${c.id}` });
      }
      m = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(url.pathname);
      if (m && req.method === 'PATCH') {
        const c = comments.find((x) => x.id === Number(m[1]))!;
        c.body = (JSON.parse(raw) as { body: string }).body;
        return reply(200, { ...c, html_url: `https://gh/c/${c.id}` });
      }
      reply(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { apiUrl, comments, log, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const MARKER = '<!-- pipeline-plan:pipeline-dev -->';

describe('pull request comment', () => {
  it('creates the comment once, then updates it in place, leaving other comments alone', async () => {
    const others = Array.from({ length: 130 }, (_, i) => ({ id: i + 1, body: `comment ${i}` }));
    const gh = await fakeGitHub(others);
    try {
      const target = { apiUrl: gh.apiUrl, repository: 'o/r', issueNumber: 7, token: 't0ken' };
      const first = await upsertComment(target, MARKER, `${MARKER}\nplan one`);
      expect(first.action).toBe('created');
      const second = await upsertComment(target, MARKER, `${MARKER}\nplan two`);
      expect(second).toEqual({ action: 'updated', id: first.id, url: first.url });
      expect(gh.comments.filter((c) => c.body.includes(MARKER)).map((c) => c.body)).toEqual([
        `${MARKER}\nplan two`,
      ]);
      expect(gh.comments.length).toBe(131);
      // Pages through every comment (131 > 100) before deciding.
      expect(gh.log.filter((l) => l.includes('page=2')).length).toBe(2);
    } finally {
      await gh.close();
    }
  });

  it('reports API failures with the status, and refuses a body without its marker', async () => {
    const gh = await fakeGitHub([]);
    try {
      await expect(
        upsertComment(
          { apiUrl: gh.apiUrl, repository: 'o/r', issueNumber: 7, token: 'wrong' },
          MARKER,
          MARKER,
        ),
      ).rejects.toThrow(/GitHub API GET \/repos\/o\/r\/issues\/7\/comments failed: 401/);
      await expect(
        upsertComment(
          { apiUrl: gh.apiUrl, repository: 'o/r', issueNumber: 7, token: 't0ken' },
          MARKER,
          'no marker',
        ),
      ).rejects.toThrow('marker');
      await expect(
        upsertComment(
          { apiUrl: gh.apiUrl, repository: 'o/r; rm', issueNumber: 7, token: 't0ken' },
          MARKER,
          MARKER,
        ),
      ).rejects.toThrow('bad repository');
    } finally {
      await gh.close();
    }
  });
});
