import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiBaseUrl, ingestUrl } from '@pipeline/schemas';

/**
 * A stand-in for the local stack's public surface, for the smoke script's own tests only: the
 * ingest API behind a subscription key and basic auth (as the gateway/APIM), and the stats endpoint
 * behind a function key, with a consumer that stores accepted events after a delay.
 */
export interface FakeStackOptions {
  readonly subscriptionKey: string;
  readonly basicUser: string;
  readonly basicPassword: string;
  readonly functionKey: string;
  /** Delay from accept to stored (the hub and the consumer). */
  readonly storeDelayMs: number;
  /** Ids the consumer never stores (they go to dead letters). */
  readonly drop?: ReadonlySet<string>;
  /** The stats endpoint answers 503 this many times first (a cold app). */
  readonly statsFailures?: number;
  /** The consumer is down: nothing is stored. */
  readonly consumerDown?: boolean;
  /** Documents already stored before the test, with their storedAt. */
  readonly preexisting?: readonly { id: string; storedAt: string }[];
  /** Answer every ingest request with this status instead. */
  readonly ingestStatus?: number;
}

export interface FakeStack {
  readonly apiUrl: string;
  readonly statsUrl: string;
  readonly received: string[];
  readonly statsRequests: { headers: IncomingMessage['headers']; url: string }[];
  close(): Promise<void>;
}

export async function startFakeStack(options: FakeStackOptions): Promise<FakeStack> {
  const stored = new Map<string, string>();
  for (const doc of options.preexisting ?? []) stored.set(doc.id, doc.storedAt);
  let deadLetters = 0;
  let statsFailures = options.statsFailures ?? 0;
  const received: string[] = [];
  const statsRequests: FakeStack['statsRequests'] = [];
  const timers = new Set<NodeJS.Timeout>();
  const expectedBasic = `Basic ${Buffer.from(`${options.basicUser}:${options.basicPassword}`).toString('base64')}`;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      if (req.method === 'POST' && url.pathname === ingestUrl(apiBaseUrl(''))) {
        if (req.headers['ocp-apim-subscription-key'] !== options.subscriptionKey)
          return send(res, 401, { error: 'NoKey' });
        if (req.headers.authorization !== expectedBasic) return send(res, 401, { error: 'NoBasic' });
        if (options.ingestStatus)
          return send(res, options.ingestStatus, { error: 'Rejected', message: 'no' });
        const parsed = JSON.parse(raw) as { id: string } | { id: string }[];
        const events = Array.isArray(parsed) ? parsed : [parsed];
        const ids = events.map((e) => e.id);
        received.push(...ids);
        if (!options.consumerDown) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            for (const id of ids) {
              if (options.drop?.has(id)) deadLetters++;
              else stored.set(id, new Date().toISOString());
            }
          }, options.storeDelayMs);
          timers.add(timer);
        }
        return send(res, 202, { accepted: ids.length, ids });
      }
      if (req.method === 'GET' && url.pathname === '/api/stats') {
        statsRequests.push({ headers: req.headers, url: req.url ?? '' });
        if (req.headers['x-functions-key'] !== options.functionKey)
          return send(res, 401, { error: 'Unauthorized' });
        if (statsFailures > 0) {
          statsFailures--;
          return send(res, 503, { error: 'ServiceUnavailable', message: 'warming up' });
        }
        const latestN = Number(url.searchParams.get('latest') ?? 20);
        const latest = [...stored]
          .map(([id, storedAt]) => ({ id, storedAt }))
          .sort((a, b) => b.storedAt.localeCompare(a.storedAt))
          .slice(0, latestN);
        return send(res, 200, {
          generatedAt: new Date().toISOString(),
          totals: { stored: stored.size, damage: 0, noDamage: 0, withoutImage: stored.size },
          perMinute: [],
          latest,
          deadLetters: { count: deadLetters, capped: false },
        });
      }
      send(res, 404, { error: 'NotFound' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: apiBaseUrl(`http://127.0.0.1:${port}`),
    statsUrl: `http://127.0.0.1:${port}/api/stats`,
    received,
    statsRequests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
