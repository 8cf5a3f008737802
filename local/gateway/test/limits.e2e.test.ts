import { createLocalGatewayConfig, startGateway, type RunningGateway } from '../src';
import { agent, GLOBAL_FORWARD, policiesDir, policyXml, send, startBackend, validEvent } from './helpers';
import { apiBaseUrl, ingestUrl } from '@pipeline/schemas';

// Bounded, but generous: the machine is shared and a child process or 4 MiB upload can be slow under load.
jest.setTimeout(20000);

afterAll(() => agent.close());

/** rate-limit and quota counters under concurrent requests, with small limits in temporary policy files. */
describe('rate-limit and quota', () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  const stops: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    backend = await startBackend();
  });
  afterEach(async () => {
    while (stops.length > 0) await stops.pop()!();
  });
  afterAll(() => backend.close());

  async function gatewayWith(productInbound: string, now?: () => number) {
    const folder = policiesDir({
      'global.xml': GLOBAL_FORWARD,
      'product-ingest.xml': policyXml(`<base />${productInbound}`),
      'api-ingest.xml': policyXml('<base /><set-backend-service backend-id="ingest-function" />'),
    });
    const config = createLocalGatewayConfig();
    const second = createLocalGatewayConfig().subscriptions[0]!;
    const gateway: RunningGateway = await startGateway({
      port: 0,
      policiesDir: folder.dir,
      backendUrl: backend.url,
      namedValues: config.namedValues,
      subscriptions: [...config.subscriptions, { ...second, id: 'second' }],
      logger: () => undefined,
      now,
    });
    stops.push(folder.remove, () => gateway.stop());
    backend.received.length = 0;
    const post = (key: string, body = JSON.stringify(validEvent())) =>
      send(ingestUrl(apiBaseUrl(gateway.url)), {
        headers: { 'content-type': 'application/json', 'ocp-apim-subscription-key': key },
        body,
      });
    return { post, primary: config.subscriptions[0]!.primaryKey, other: second.primaryKey };
  }

  it('admits exactly `calls` of many concurrent requests and answers the rest 429 with Retry-After', async () => {
    // A stopped clock: Retry-After must not depend on how long 30 requests take on a loaded machine.
    const now = Date.now();
    const { post, primary, other } = await gatewayWith(
      '<rate-limit calls="5" renewal-period="60" remaining-calls-header-name="x-remaining" total-calls-header-name="x-total" />',
      () => now,
    );
    const responses = await Promise.all(Array.from({ length: 30 }, () => post(primary)));
    const admitted = responses.filter((response) => response.status === 202);
    const throttled = responses.filter((response) => response.status === 429);
    expect(admitted).toHaveLength(5);
    expect(throttled).toHaveLength(25);
    expect(backend.received).toHaveLength(5);
    expect(admitted.map((response) => response.headers['x-remaining']).sort()).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    expect(admitted.every((response) => response.headers['x-total'] === '5')).toBe(true);
    for (const response of throttled) {
      const retryAfter = Number(response.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(59);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(response.json()).toEqual({
        statusCode: 429,
        message: `Rate limit is exceeded. Try again in ${retryAfter} seconds.`,
      });
    }
    // Counted per subscription: another subscription of the product still has all its calls.
    expect((await post(other)).status).toBe(202);
  });

  it('slides: a call is allowed again once the oldest one leaves the window', async () => {
    // The counters' clock, moved by the test instead of sleeping through the window.
    let now = Date.now();
    const { post, primary } = await gatewayWith('<rate-limit calls="2" renewal-period="1" />', () => now);
    expect((await post(primary)).status).toBe(202);
    expect((await post(primary)).status).toBe(202);
    const refused = await post(primary);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    now += 1100;
    expect((await post(primary)).status).toBe(202);
  });

  it('enforces a call quota per period with 403 and the time to renewal', async () => {
    const { post, primary } = await gatewayWith('<quota calls="3" renewal-period="3600" />');
    const responses = await Promise.all(Array.from({ length: 12 }, () => post(primary)));
    expect(responses.filter((response) => response.status === 202)).toHaveLength(3);
    const refused = responses.filter((response) => response.status === 403);
    expect(refused).toHaveLength(9);
    expect(backend.received).toHaveLength(3);
    for (const response of refused) {
      const retryAfter = Number(response.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(3500);
      expect(retryAfter).toBeLessThanOrEqual(3600);
      expect(response.json()).toEqual({
        statusCode: 403,
        message: expect.stringMatching(
          /^Out of call volume quota\. Quota will be replenished in (00:5\d:\d\d|01:00:00)\.$/,
        ) as unknown,
      });
    }
  });

  it('enforces a bandwidth quota in kilobytes of traffic', async () => {
    const { post, primary } = await gatewayWith('<quota bandwidth="2" renewal-period="60" />');
    const big = JSON.stringify(validEvent({ text: 'x'.repeat(280) }));
    // Each call moves its body (~0.4 KB) plus the backend's answer; the third one crosses 2 KB.
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) statuses.push((await post(primary, big)).status);
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.at(-1)).toBe(403);
    const refused = await post(primary, big);
    expect((refused.json() as { message: string }).message).toMatch(
      /^Out of bandwidth quota\. Quota will be replenished in 00:0[01]:\d\d\.$/,
    );
  });
});
