import { INGEST_PRODUCT, type SubscriptionConfig } from '../src';
import { agent, send, startBackend, startTestGateway, validEvent, type TestGateway } from './helpers';
import { apiBaseUrl, ingestUrl } from '@pipeline/schemas';

/**
 * APIM checks a subscription key against the API's products: a key that is valid, active and for a
 * product that does not hold the ingest API gets the same 401 as an unknown key, and nothing reaches
 * the backend.
 */
const REPORTS_PRODUCT = { id: 'reports', apis: [] };
const reportsSubscription: SubscriptionConfig = {
  id: 'analyst',
  product: 'reports',
  primaryKey: 'a'.repeat(32),
  secondaryKey: 'b'.repeat(32),
  state: 'active',
};

describe('subscriptions of another product', () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  let t: TestGateway;

  beforeAll(async () => {
    backend = await startBackend();
    t = await startTestGateway(backend.url);
  });
  afterAll(async () => {
    await t?.gateway.stop();
    await backend?.close();
    await agent.close();
  });

  const post = (key: string) =>
    send(ingestUrl(apiBaseUrl(t.gateway.url)), {
      headers: { ...t.goodHeaders, 'ocp-apim-subscription-key': key },
      body: JSON.stringify(validEvent()),
    });

  it('answers 401 to a valid key of a product without the ingest API, and 202 to the ingest key', async () => {
    t.gateway.setSubscriptions(
      [...t.config.subscriptions, reportsSubscription],
      [INGEST_PRODUCT, REPORTS_PRODUCT],
    );
    for (const key of [reportsSubscription.primaryKey, reportsSubscription.secondaryKey]) {
      const response = await post(key);
      expect(response.status).toBe(401);
      expect(response.json()).toEqual({
        statusCode: 401,
        message:
          'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
      });
    }
    expect(backend.received).toHaveLength(0);
    expect((await post(t.config.subscriptions[0]!.primaryKey)).status).toBe(202);
    expect(backend.received).toHaveLength(1);
  });

  it('opens the ingest API to that key once its product holds the API', async () => {
    t.gateway.setSubscriptions(
      [...t.config.subscriptions, reportsSubscription],
      [INGEST_PRODUCT, { ...REPORTS_PRODUCT, apis: ['ingest'] }],
    );
    expect((await post(reportsSubscription.primaryKey)).status).toBe(202);
  });

  it('refuses products that name an unknown API, and subscriptions to unknown products', () => {
    expect(() =>
      t.gateway.setSubscriptions(t.config.subscriptions, [INGEST_PRODUCT, { id: 'x', apis: ['nope'] }]),
    ).toThrow('product x names unknown API(s): nope');
    expect(() => t.gateway.setSubscriptions([reportsSubscription], [INGEST_PRODUCT])).toThrow(
      'names product "reports", which does not exist',
    );
  });
});
