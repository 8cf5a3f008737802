import { createServer } from 'node:net';
import { regenerateKey } from '../src';
import { agent, send, startBackend, startTestGateway, validEvent, type TestGateway } from './helpers';
import { apiBaseUrl, functionsBaseUrl, ingestUrl } from '@pipeline/schemas';

// Bounded, but generous: the machine is shared and a child process or 4 MiB upload can be slow under load.
jest.setTimeout(20000);

afterAll(() => agent.close());

/** The repository's policy files, end to end through the gateway to a real HTTP backend. */
describe('the repository policies through the local gateway', () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  let t: TestGateway;
  let events: string;

  beforeAll(async () => {
    backend = await startBackend();
    t = await startTestGateway(backend.url);
    events = ingestUrl(apiBaseUrl(t.gateway.url));
  });
  afterAll(async () => {
    await t?.gateway.stop();
    await backend?.close();
  });
  beforeEach(() => {
    backend.received.length = 0;
  });

  it('loads on the Consumption tier without a warning: api-ingest.xml asks for the tier limit, 102400 bytes', () => {
    expect(t.gateway.warnings).toEqual([]);
  });

  it('forwards a valid event with the function key, without the caller credentials', async () => {
    const event = validEvent();
    const response = await send(events, { headers: t.goodHeaders, body: JSON.stringify(event) });
    expect(response.status).toBe(202);
    expect(response.headers['x-ratelimit-limit']).toBe('1200');
    expect(Number(response.headers['x-ratelimit-remaining'])).toBeLessThan(1200);
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(backend.received).toHaveLength(1);
    const forwarded = backend.received[0]!;
    expect(forwarded.method).toBe('POST');
    expect(forwarded.url).toBe(ingestUrl(functionsBaseUrl('')));
    expect(forwarded.headers['x-functions-key']).toBe(t.config.namedValues['ingest-function-key']);
    expect(forwarded.headers.authorization).toBeUndefined();
    expect(forwarded.headers['ocp-apim-subscription-key']).toBeUndefined();
    expect(forwarded.headers['x-request-id']).toBe(response.headers['x-request-id']);
    expect(JSON.parse(forwarded.body.toString('utf8'))).toEqual(event);
  });

  it('accepts an array of 1..100 events and refuses 0 or 101', async () => {
    const ok = await send(events, {
      headers: t.goodHeaders,
      body: JSON.stringify([validEvent(), validEvent()]),
    });
    expect(ok.status).toBe(202);
    const hundred = await send(events, {
      headers: t.goodHeaders,
      body: JSON.stringify(Array.from({ length: 100 }, () => validEvent())),
    });
    expect(hundred.status).toBe(202);
    for (const body of [[], Array.from({ length: 101 }, () => validEvent())]) {
      const refused = await send(events, { headers: t.goodHeaders, body: JSON.stringify(body) });
      expect(refused.status).toBe(400);
      expect(refused.json()).toEqual({
        statusCode: 400,
        message: expect.stringMatching(
          /^Body of the request does not conform to the definition tweet-event/,
        ) as unknown,
      });
    }
    expect(backend.received).toHaveLength(2);
  });

  it('accepts the secondary key and the subscription-key query parameter, which it strips', async () => {
    const { 'ocp-apim-subscription-key': _primary, ...withoutKey } = t.goodHeaders;
    const secondary = await send(events, {
      headers: { ...withoutKey, 'ocp-apim-subscription-key': t.config.subscriptions[0]!.secondaryKey },
      body: JSON.stringify(validEvent()),
    });
    expect(secondary.status).toBe(202);
    const query = await send(`${events}?subscription-key=${t.config.subscriptions[0]!.primaryKey}&trace=1`, {
      headers: withoutKey,
      body: JSON.stringify(validEvent()),
    });
    expect(query.status).toBe(202);
    expect(backend.received[1]!.url).toBe(`${ingestUrl(functionsBaseUrl(''))}?trace=1`);
  });

  it('answers 401 in APIM shape for a missing or unknown subscription key', async () => {
    const { 'ocp-apim-subscription-key': _key, ...withoutKey } = t.goodHeaders;
    const missing = await send(events, { headers: withoutKey, body: JSON.stringify(validEvent()) });
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual({
      statusCode: 401,
      message:
        'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.',
    });
    const invalid = await send(events, {
      headers: { ...withoutKey, 'ocp-apim-subscription-key': 'not-a-key-at-all' },
      body: '{}',
    });
    expect(invalid.status).toBe(401);
    expect(invalid.json()).toEqual({
      statusCode: 401,
      message:
        'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.',
    });
    expect(backend.received).toHaveLength(0);
  });

  it('answers 401 with WWW-Authenticate for missing or wrong basic-auth credentials', async () => {
    const { authorization: _auth, ...withoutAuth } = t.goodHeaders;
    const expected = {
      statusCode: 401,
      message: 'Access denied due to missing or invalid basic authentication credentials.',
    };
    const missing = await send(events, { headers: withoutAuth, body: JSON.stringify(validEvent()) });
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual(expected);
    expect(missing.headers['www-authenticate']).toBe('Basic realm="ingest", charset="UTF-8"');
    const wrong = await send(events, {
      headers: { ...withoutAuth, authorization: `Basic ${Buffer.from('producer:guess').toString('base64')}` },
      body: JSON.stringify(validEvent()),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json()).toEqual(expected);
    // ignore-case="false": the same credential with the base64 upper-cased is refused.
    const upper = await send(events, {
      headers: { ...withoutAuth, authorization: t.goodHeaders.authorization!.toUpperCase() },
      body: '{}',
    });
    expect(upper.status).toBe(401);
    expect(backend.received).toHaveLength(0);
  });

  it('validates content: content type, size limit and every schema error', async () => {
    const text = await send(events, {
      headers: { ...t.goodHeaders, 'content-type': 'text/plain' },
      body: JSON.stringify(validEvent()),
    });
    expect(text.status).toBe(400);
    expect(text.json()).toEqual({
      statusCode: 400,
      message: 'Unspecified content type text/plain is not allowed.',
    });

    const invalid = await send(events, {
      headers: t.goodHeaders,
      body: JSON.stringify([validEvent(), validEvent({ likes: -1, tweetId: 12, extra: true })]),
    });
    expect(invalid.status).toBe(400);
    const message = (invalid.json() as { message: string }).message;
    expect(message).toContain(
      'Body of the request does not conform to the definition tweet-event, which is associated with the content type application/json.',
    );
    expect(message).toContain('$[1].likes: must be >= 0');
    expect(message).toContain('$[1].tweetId: must be string');
    expect(message).toContain('$[1].extra: is not allowed');
    expect(message).not.toContain('$[0]');

    // The policy and the Consumption tier both validate bodies up to 100 KiB (limits table).
    const big = await send(events, { headers: t.goodHeaders, body: Buffer.alloc(102_400 + 1, 0x20) });
    expect(big.status).toBe(400);
    expect(big.json()).toEqual({
      statusCode: 400,
      message: "Request's body is 102401 bytes long and it exceeds the limit of 102400 bytes.",
    });
    expect(backend.received).toHaveLength(0);
  });

  it('rejects a regenerated (revoked) key at once and keeps the other key working', async () => {
    const original = t.config.subscriptions[0]!;
    const rotated = regenerateKey(original, 'primary');
    t.gateway.setSubscriptions([rotated]);
    try {
      const body = JSON.stringify(validEvent());
      const old = await send(events, {
        headers: { ...t.goodHeaders, 'ocp-apim-subscription-key': original.primaryKey },
        body,
      });
      expect(old.status).toBe(401);
      const fresh = await send(events, {
        headers: { ...t.goodHeaders, 'ocp-apim-subscription-key': rotated.primaryKey },
        body,
      });
      expect(fresh.status).toBe(202);
      const secondary = await send(events, {
        headers: { ...t.goodHeaders, 'ocp-apim-subscription-key': original.secondaryKey },
        body,
      });
      expect(secondary.status).toBe(202);
      t.gateway.setSubscriptions([{ ...rotated, state: 'suspended' }]);
      const suspended = await send(events, {
        headers: { ...t.goodHeaders, 'ocp-apim-subscription-key': rotated.primaryKey },
        body,
      });
      expect(suspended.status).toBe(401);
    } finally {
      t.gateway.setSubscriptions([original]);
    }
  });

  it('answers CORS preflights for the dashboard origin only, without reaching the backend', async () => {
    const allowed = await send(events, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://dashboard.local:8080',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('http://dashboard.local:8080');
    expect(allowed.headers['access-control-allow-methods']).toBe('GET,POST');
    expect(allowed.headers['access-control-allow-headers']).toBe('content-type');
    expect(allowed.headers['access-control-max-age']).toBe('300');
    const other = await send(events, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const disallowedHeader = await send(events, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://dashboard.local:8080',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-custom',
      },
    });
    expect(disallowedHeader.headers['access-control-allow-origin']).toBeUndefined();
    const actual = await send(events, {
      headers: { ...t.goodHeaders, origin: 'http://dashboard.local:8080' },
      body: JSON.stringify(validEvent()),
    });
    expect(actual.status).toBe(202);
    expect(actual.headers['access-control-allow-origin']).toBe('http://dashboard.local:8080');
    expect(actual.headers['access-control-expose-headers']).toBe('Retry-After,x-ratelimit-remaining');
    expect(backend.received).toHaveLength(1);
  });

  it('answers 404 in APIM shape for an unknown path or method', async () => {
    for (const [method, path] of [
      ['POST', '/nope'],
      ['GET', ingestUrl(apiBaseUrl(''))],
      ['POST', `${ingestUrl(apiBaseUrl(''))}/extra`],
    ] as const) {
      const response = await send(`${t.gateway.url}${path}`, { method, headers: t.goodHeaders });
      expect(response.status).toBe(404);
      expect(response.json()).toEqual({ statusCode: 404, message: 'Resource not found' });
    }
  });

  it('logs one line per request with status and subscription, never a secret', async () => {
    t.logs.length = 0;
    await send(events, { headers: t.goodHeaders, body: JSON.stringify(validEvent()) });
    await send(`${events}?subscription-key=${t.config.subscriptions[0]!.secondaryKey}`, {
      headers: { authorization: 'Basic d3Jvbmc6d3Jvbmc=' },
      body: '{}',
    });
    const requests = t.logs.filter((line) => line.msg === 'request');
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      status: 202,
      subscription: 'producer',
      product: 'ingest',
      api: 'ingest',
      operation: 'post-events',
      path: ingestUrl(apiBaseUrl('')),
    });
    expect(typeof requests[0]!.latencyMs).toBe('number');
    expect(requests[1]).toMatchObject({
      status: 401,
      error: { source: 'check-header', reason: 'HeaderValueNotAllowed' },
    });
    const text = JSON.stringify(t.logs);
    for (const secret of [
      t.config.subscriptions[0]!.primaryKey,
      t.config.subscriptions[0]!.secondaryKey,
      t.config.namedValues['basic-auth-header']!,
      t.config.namedValues['ingest-function-key']!,
      t.config.basicAuth.password,
      'd3Jvbmc6d3Jvbmc=',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('a backend that cannot be reached', () => {
  it('answers 500 in APIM shape', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const t = await startTestGateway(`http://127.0.0.1:${port}/api`);
    try {
      const response = await send(ingestUrl(apiBaseUrl(t.gateway.url)), {
        headers: t.goodHeaders,
        body: JSON.stringify(validEvent()),
      });
      expect(response.status).toBe(500);
      expect(response.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
    } finally {
      await t.gateway.stop();
    }
  });
});
