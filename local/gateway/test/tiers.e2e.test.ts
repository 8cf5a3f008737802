import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalGatewayConfig, startGateway, TIERS, type RunningGateway, type Tier } from '../src';
import { tierLimits } from '../src/tiers';
import { agent, GLOBAL_FORWARD, policiesDir, policyXml, send, startBackend, validEvent } from './helpers';
import { apiBaseUrl, ingestUrl } from '@pipeline/schemas';

// Eight gateways per case, some with 2 MiB uploads, on a shared machine.
jest.setTimeout(60_000);

afterAll(() => agent.close());

const V2: readonly Tier[] = ['BasicV2', 'StandardV2', 'PremiumV2'];
const LIMIT = 102_400;

/** The tier table's limits, enforced by the gateway of each tier (schemas/src/apim-tiers.ts). */
describe('tier limits in the gateway', () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  const stops: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    backend = await startBackend();
  });
  afterEach(async () => {
    while (stops.length > 0) await stops.pop()!();
  });
  afterAll(() => backend.close());

  async function gatewayFor(
    tier: Tier,
    files: { product?: string; api?: string; global?: string },
    extra: Partial<Parameters<typeof startGateway>[0]> = {},
  ) {
    const folder = policiesDir({
      'global.xml': files.global ?? GLOBAL_FORWARD,
      'product-ingest.xml': policyXml(`<base />${files.product ?? ''}`),
      'api-ingest.xml': policyXml(
        `<base />${files.api ?? ''}<set-backend-service backend-id="ingest-function" />`,
      ),
    });
    const config = createLocalGatewayConfig();
    const gateway: RunningGateway = await startGateway({
      port: 0,
      policiesDir: folder.dir,
      backendUrl: backend.url,
      namedValues: config.namedValues,
      subscriptions: config.subscriptions,
      logger: () => undefined,
      tier,
      ...extra,
    });
    stops.push(folder.remove, () => gateway.stop());
    const key = config.subscriptions[0]!.primaryKey;
    const headers = { 'content-type': 'application/json', 'ocp-apim-subscription-key': key };
    return { gateway, headers, url: ingestUrl(apiBaseUrl(gateway.url)) };
  }

  it.each(TIERS)(
    '%s: validate-content checks bodies up to 100 KiB even when max-size says 4 MiB',
    async (tier) => {
      // action="ignore": only the size is checked, so a body of exactly the limit passes.
      const { url, headers, gateway } = await gatewayFor(tier, {
        api: `<validate-content unspecified-content-type-action="prevent" max-size="4194304" size-exceeded-action="prevent">
          <content type="application/json" validate-as="json" schema-id="tweet-event" action="ignore" /></validate-content>`,
      });
      expect(gateway.warnings.join('\n')).toContain(
        `is over the ${LIMIT}-byte body limit of the ${tier} tier`,
      );
      backend.received.length = 0;
      const fits = await send(url, { headers, body: Buffer.alloc(LIMIT, 0x20) });
      expect(fits.status).toBe(202);
      const over = await send(url, { headers, body: Buffer.alloc(LIMIT + 1, 0x20) });
      // APIM's "Validation errors" table (validate-content, RequestBody, SizeLimit): 400 in inbound.
      expect(over.status).toBe(400);
      expect(over.json()).toEqual({
        statusCode: 400,
        message: `Request's body is ${LIMIT + 1} bytes long and it exceeds the limit of ${LIMIT} bytes.`,
      });
      expect(backend.received.map((request) => request.body.length)).toEqual([LIMIT]);
    },
  );

  it.each(TIERS)(
    '%s: a chunked body is buffered up to 2 MiB and forwarded with a Content-Length; past it, 413',
    async (tier) => {
      const { gateway, headers } = await gatewayFor(tier, {});
      const limit = tierLimits(tier).bufferedPayloadBytes;
      expect(limit).toBe(2 * 1024 * 1024);
      backend.received.length = 0;
      const fits = await postChunked(gateway.port, headers, limit);
      expect(fits.status).toBe(202);
      const received = backend.received[0]!;
      expect(received.headers['content-length']).toBe(String(limit));
      expect(received.headers['transfer-encoding']).toBeUndefined();
      expect(received.body.length).toBe(limit);

      const over = await postChunked(gateway.port, headers, limit + 1);
      expect(over.status).toBe(413);
      expect(JSON.parse(over.body)).toEqual({
        statusCode: 413,
        message: `Request's body is more than ${limit} bytes long and it exceeds the buffered payload limit of ${limit} bytes.`,
      });
      expect(backend.received).toHaveLength(1);
    },
  );

  it('forwards a chunked event through the repository policies with a Content-Length', async () => {
    const folderless = await gatewayFor('Consumption', {
      api: `<validate-content unspecified-content-type-action="prevent" max-size="102400" size-exceeded-action="prevent">
          <content type="application/json" validate-as="json" schema-id="tweet-event" action="prevent" /></validate-content>`,
    });
    backend.received.length = 0;
    const body = Buffer.from(JSON.stringify(validEvent()));
    const response = await postChunked(folderless.gateway.port, folderless.headers, body.length, body);
    expect(response.status).toBe(202);
    expect(backend.received[0]!.headers['content-length']).toBe(String(body.length));
    expect(backend.received[0]!.body.equals(body)).toBe(true);
  });

  it('ends a request at the tier total duration (30 s on v2 and Consumption, none on classic; scaled to 1 s)', async () => {
    const slow = await startSlowBackend(5000);
    try {
      const results = await Promise.all(
        TIERS.map(async (tier) => {
          const documented = tierLimits(tier).totalRequestSeconds;
          const { url, headers } = await gatewayFor(
            tier,
            {},
            {
              backendUrl: slow.url,
              // The documented 30 s, scaled to 1 s; a tier without a limit keeps none.
              limits: { totalRequestSeconds: documented === null ? null : 1 },
            },
          );
          const started = Date.now();
          const response = await send(url, { headers, body: JSON.stringify(validEvent()) });
          return { tier, documented, status: response.status, ms: Date.now() - started, body: response.text };
        }),
      );
      for (const result of results) {
        if (result.documented === null) {
          expect(result).toMatchObject({ status: 202 });
        } else {
          expect(result.documented).toBe(30);
          expect(result).toMatchObject({ status: 500 });
          expect(JSON.parse(result.body)).toEqual({ statusCode: 500, message: 'Internal server error' });
          // Cut at about 1 s, well before the backend answers at 5 s (a loaded machine adds its share).
          expect(result.ms).toBeLessThan(3500);
        }
      }
    } finally {
      await slow.close();
    }
  });

  it('rate-limits with a token bucket on v2 tiers and a sliding window elsewhere', async () => {
    const results = await Promise.all(
      TIERS.map(async (tier) => {
        // The counters' own clock, moved by the test: a loaded machine cannot stretch 0.65 s into 1 s.
        let now = Date.now();
        const { url, headers } = await gatewayFor(
          tier,
          { product: '<rate-limit calls="2" renewal-period="1" />' },
          { now: () => now },
        );
        const post = async () => (await send(url, { headers, body: JSON.stringify(validEvent()) })).status;
        const burst = [await post(), await post(), await post()];
        // A token returns after period / calls = 0.5 s in a bucket; a window frees a call after 1 s.
        now += 650;
        return { tier, burst, after: await post() };
      }),
    );
    for (const { tier, burst, after } of results) {
      expect(burst).toEqual([202, 202, 429]);
      expect({ tier, after }).toEqual({ tier, after: V2.includes(tier) ? 202 : 429 });
    }
  });

  it.each(TIERS)('%s: cors ends an unmatched simple request with an empty 200 by default', async (tier) => {
    const cors = (attribute: string) =>
      policyXml(
        `<cors${attribute}><allowed-origins><origin>http://dashboard.local</origin></allowed-origins><allowed-headers><header>Content-Type</header></allowed-headers></cors>`,
        { backend: '<forward-request />', outbound: '', onError: '' },
      );
    const apis = [
      {
        id: 'ingest',
        path: 'ingest',
        subscriptionRequired: false,
        operations: [{ id: 'get-stats', method: 'GET', urlTemplate: '/stats' }],
      },
    ];
    const byDefault = await gatewayFor(tier, { global: cors('') }, { apis });
    backend.received.length = 0;
    const stats = (gateway: RunningGateway) =>
      send(`${gateway.url}/ingest/stats`, { method: 'GET', headers: { origin: 'http://evil.example' } });
    const ended = await stats(byDefault.gateway);
    expect(ended.status).toBe(200);
    expect(ended.text).toBe('');
    expect(ended.headers['access-control-allow-origin']).toBeUndefined();
    expect(backend.received).toHaveLength(0);

    const passing = await gatewayFor(
      tier,
      { global: cors(' terminate-unmatched-request="false"') },
      { apis },
    );
    const through = await stats(passing.gateway);
    expect(through.status).toBe(202);
    expect(backend.received).toHaveLength(1);
  });
});

/** POSTs `length` bytes with Transfer-Encoding: chunked (no Content-Length), in 64 KiB writes. */
function postChunked(
  port: number,
  headers: Record<string, string>,
  length: number,
  body?: Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = body ?? Buffer.alloc(length, 0x20);
    let done = false;
    const request = httpRequest(
      { host: '127.0.0.1', port, method: 'POST', path: ingestUrl(apiBaseUrl('')), headers },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () => {
          done = true;
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') });
        });
      },
    );
    request.on('error', (error) => {
      if (!done) reject(error);
    });
    let offset = 0;
    const pump = () => {
      while (!done && offset < payload.length) {
        const chunk = payload.subarray(offset, offset + 64 * 1024);
        offset += chunk.length;
        if (!request.write(chunk)) {
          request.once('drain', pump);
          return;
        }
      }
      if (!done) request.end();
    };
    pump();
  });
}

/** A backend that answers 202 after `delayMs`. */
async function startSlowBackend(delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const timer = setTimeout(() => {
        response.writeHead(202, { 'Content-Type': 'application/json' });
        response.end('{}');
      }, delayMs);
      response.on('close', () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
