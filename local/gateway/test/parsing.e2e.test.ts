import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLocalGatewayConfig, PolicyError, startGateway, type GatewayOptions } from '../src';
import {
  agent,
  GLOBAL_FORWARD,
  policiesDir,
  policyXml,
  REPO_POLICIES,
  send,
  startBackend,
  validEvent,
} from './helpers';
import { apiBaseUrl, functionsBaseUrl, ingestUrl } from '@pipeline/schemas';

// Bounded, but generous: the machine is shared and a child process or 4 MiB upload can be slow under load.
jest.setTimeout(20000);

afterAll(() => agent.close());

const config = createLocalGatewayConfig({ dashboardOrigin: 'http://dashboard.local' });

function options(dir: string, extra: Partial<GatewayOptions> = {}): GatewayOptions {
  return {
    port: 0,
    policiesDir: dir,
    backendUrl: 'http://127.0.0.1:9/api',
    namedValues: config.namedValues,
    subscriptions: config.subscriptions,
    logger: () => undefined,
    ...extra,
  };
}

/** Starts a gateway on the files and returns the startup error it must refuse with. */
async function startupError(
  files: Record<string, string>,
  extra: Partial<GatewayOptions> = {},
): Promise<PolicyError> {
  const folder = policiesDir(files);
  try {
    const gateway = await startGateway(options(folder.dir, extra));
    await gateway.stop();
    throw new Error('the gateway started');
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return error;
  } finally {
    folder.remove();
  }
}

describe('strict policy parsing', () => {
  it('refuses malformed XML with the file and line', async () => {
    const error = await startupError({
      'global.xml': '<policies>\n  <inbound>\n    <base />\n  </inbnd>\n</policies>\n',
    });
    expect(error.file).toBe(join(error.file.split('/')[0]!, 'global.xml'));
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/global\.xml:4:\d+: malformed XML/);
  });

  it('refuses an element it does not implement, naming it, the file and the line', async () => {
    const error = await startupError({
      'api-ingest.xml': policyXml(
        '\n    <base />\n    <rate-limit-by-key calls="1" renewal-period="1" counter-key="x" />\n',
      ),
    });
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/api-ingest\.xml:4:\d+: <rate-limit-by-key> is not implemented/);
  });

  it('warns about a policy the configured tier lacks before refusing it', async () => {
    const warnings: unknown[] = [];
    await startupError(
      {
        'api-ingest.xml': policyXml(
          '<base /><rate-limit-by-key calls="1" renewal-period="1" counter-key="x" />',
        ),
      },
      { logger: (line) => warnings.push(line) },
    );
    expect(JSON.stringify(warnings)).toContain(
      '<rate-limit-by-key> is not supported on the Consumption tier',
    );
  });

  it('refuses policy expressions in attributes and in values', async () => {
    const inAttribute = await startupError({
      'api-ingest.xml': policyXml(
        '<base />\n<check-header name="X" failed-check-httpcode="401" failed-check-error-message="@(context.Request.Url.Path)" ignore-case="true" />',
      ),
    });
    expect(inAttribute.line).toBe(3);
    expect(inAttribute.message).toContain('policy expression');
    const inValue = await startupError({
      'api-ingest.xml': policyXml(
        '<base />\n<set-header name="X" exists-action="override">\n  <value>@{ return "x"; }</value>\n</set-header>',
      ),
    });
    expect(inValue.line).toBe(4);
    expect(inValue.message).toMatch(/<value> uses a policy expression/);
  });

  it('refuses unknown attributes, misplaced policies and undefined named values', async () => {
    const attribute = await startupError({
      'api-ingest.xml': policyXml(
        '<base /><set-header name="X" exists-action="override" bogus="1"><value>v</value></set-header>',
      ),
    });
    expect(attribute.message).toContain('attribute bogus of <set-header> is not implemented');
    const scope = await startupError({
      'api-ingest.xml': policyXml('<base /><quota calls="1" renewal-period="60" />'),
    });
    expect(scope.message).toContain('<quota> is not allowed at api scope');
    const named = await startupError({
      'api-ingest.xml': policyXml(
        '<base /><set-header name="X"><value>{{no-such-value}}</value></set-header>',
      ),
    });
    expect(named.message).toContain('{{no-such-value}}, which is not defined');
    const file = await startupError({ 'api-other.xml': policyXml('<base />') });
    expect(file.message).toContain('does not match a scope');
  });

  it('never echoes a secret named value in a startup error', async () => {
    const error = await startupError(
      {
        'api-ingest.xml': policyXml(
          '<base /><set-header name="X"><value>{{basic-auth-header}}</value></set-header>',
        ),
      },
      { namedValues: { ...config.namedValues, 'basic-auth-header': 'secret\r\nInjected: yes' } },
    );
    expect(error.message).toContain('line break');
    expect(error.message).not.toContain('secret');
  });

  it('compiles the repository files', async () => {
    const gateway = await startGateway(options(REPO_POLICIES));
    // The files ask for nothing the Consumption tier lacks, max-size included.
    expect(gateway.warnings).toEqual([]);
    await gateway.stop();
    // The files hold only named-value placeholders: no secret-looking literal value.
    for (const file of ['global.xml', 'product-ingest.xml', 'api-ingest.xml']) {
      const text = readFileSync(join(REPO_POLICIES, file), 'utf8');
      expect(text).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}/);
      expect(text).not.toMatch(/@[({]/);
    }
  });
});

describe('scopes, <base /> and the smaller policies', () => {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(() => backend.close());

  async function run(
    files: Record<string, string>,
    init: { headers?: Record<string, string>; body?: string } = {},
  ) {
    const folder = policiesDir(files);
    const gateway = await startGateway(options(folder.dir, { backendUrl: backend.url }));
    backend.received.length = 0;
    try {
      return await send(ingestUrl(apiBaseUrl(gateway.url)), {
        headers: {
          'content-type': 'application/json',
          'ocp-apim-subscription-key': config.subscriptions[0]!.primaryKey,
          ...init.headers,
        },
        body: init.body ?? JSON.stringify(validEvent()),
      });
    } finally {
      await gateway.stop();
      folder.remove();
    }
  }

  const mark = (value: string) =>
    `<set-header name="x-order" exists-action="append"><value>${value}</value></set-header>`;

  it('evaluates global -> product -> API -> operation, with <base /> where each file puts it', async () => {
    const response = await run({
      'global.xml': policyXml(mark('global'), { backend: '<forward-request />', outbound: '', onError: '' }),
      'product-ingest.xml': policyXml(`<base />${mark('product')}`),
      'api-ingest.xml': policyXml(
        `<base />${mark('{{dashboard-origin}}')}<set-backend-service backend-id="ingest-function" />`,
      ),
      'operation-ingest-post-events.xml': policyXml(
        `${mark('operation-before')}<base />${mark('operation-after')}`,
        {
          outbound:
            '<base /><set-header name="x-outbound" exists-action="override"><value>set</value></set-header><set-status code="201" reason="Made" />',
        },
      ),
    });
    expect(response.status).toBe(201);
    expect(response.headers['x-outbound']).toBe('set');
    expect(backend.received[0]!.headers['x-order']).toBe(
      'operation-before, global, product, http://dashboard.local, operation-after',
    );
  });

  it('drops the parent scopes where a file leaves out <base />', async () => {
    const response = await run({
      'global.xml': policyXml(mark('global'), { backend: '<forward-request />', outbound: '', onError: '' }),
      'api-ingest.xml': policyXml(`${mark('api')}<set-backend-service backend-id="ingest-function" />`),
    });
    expect(response.status).toBe(202);
    expect(backend.received[0]!.headers['x-order']).toBe('api');
  });

  it('sends nothing to a backend when no forward-request is in effect', async () => {
    const response = await run({
      'api-ingest.xml': policyXml('<base /><set-backend-service backend-id="ingest-function" />'),
    });
    expect(response.status).toBe(200);
    expect(response.text).toBe('');
    expect(backend.received).toHaveLength(0);
  });

  it('ip-filter: 403 for a caller outside an allow list or inside a forbid list', async () => {
    const api = (filter: string) => ({
      'global.xml': GLOBAL_FORWARD,
      'api-ingest.xml': policyXml(`<base />${filter}<set-backend-service backend-id="ingest-function" />`),
    });
    const outside = await run(
      api('<ip-filter action="allow"><address-range from="10.0.0.0" to="10.0.0.255" /></ip-filter>'),
    );
    expect(outside.status).toBe(403);
    expect(outside.json()).toEqual({
      statusCode: 403,
      message: 'Caller IP address 127.0.0.1 is not allowed. Access denied.',
    });
    const forbidden = await run(api('<ip-filter action="forbid"><address>127.0.0.1</address></ip-filter>'));
    expect(forbidden.status).toBe(403);
    expect(forbidden.json()).toEqual({
      statusCode: 403,
      message: 'Caller IP address is blocked. Access denied.',
    });
    const inside = await run(
      api('<ip-filter action="allow"><address-range from="127.0.0.0" to="127.0.0.255" /></ip-filter>'),
    );
    expect(inside.status).toBe(202);
  });

  it('return-response answers from the gateway; on-error set-status rewrites an error', async () => {
    const returned = await run({
      'api-ingest.xml': policyXml(
        '<base /><return-response><set-status code="418" reason="Teapot" /><set-header name="Content-Type" exists-action="override"><value>text/plain</value></set-header><set-body>short and stout</set-body></return-response>',
      ),
    });
    expect(returned.status).toBe(418);
    expect(returned.text).toBe('short and stout');
    expect(returned.headers['content-type']).toBe('text/plain');
    const rewritten = await run({
      'api-ingest.xml': policyXml(
        '<base /><check-header name="X-Need" failed-check-httpcode="401" failed-check-error-message="need it" ignore-case="true" />',
        {
          onError: '<base /><set-status code="403" reason="Forbidden" />',
        },
      ),
    });
    expect(rewritten.status).toBe(403);
    expect(rewritten.json()).toEqual({ statusCode: 401, message: 'need it' });
  });

  it('validate-content action="detect" logs the problem and lets the request through', async () => {
    const folder = policiesDir({
      'global.xml': GLOBAL_FORWARD,
      'api-ingest.xml': policyXml(
        '<base /><validate-content unspecified-content-type-action="detect" max-size="1024" size-exceeded-action="prevent"><content type="application/json" validate-as="json" schema-id="tweet-event" action="detect" /></validate-content><set-query-parameter name="from" exists-action="override"><value>gateway</value></set-query-parameter><set-backend-service backend-id="ingest-function" />',
      ),
    });
    const logs: Record<string, unknown>[] = [];
    const gateway = await startGateway(
      options(folder.dir, {
        backendUrl: backend.url,
        logger: (line) => logs.push(line as Record<string, unknown>),
      }),
    );
    backend.received.length = 0;
    try {
      const headers = { 'ocp-apim-subscription-key': config.subscriptions[0]!.primaryKey };
      const invalid = await send(`${ingestUrl(apiBaseUrl(gateway.url))}?from=client`, {
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(validEvent({ likes: -1 })),
      });
      expect(invalid.status).toBe(202);
      const plain = await send(ingestUrl(apiBaseUrl(gateway.url)), {
        headers: { ...headers, 'content-type': 'text/plain' },
        body: 'hi',
      });
      expect(plain.status).toBe(202);
      const tooBig = await send(ingestUrl(apiBaseUrl(gateway.url)), {
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(validEvent({ text: 'x'.repeat(280), image: undefined })) + ' '.repeat(1024),
      });
      expect(tooBig.status).toBe(400);
      expect(backend.received.map((request) => request.url)).toEqual([
        `${ingestUrl(functionsBaseUrl(''))}?from=gateway`,
        `${ingestUrl(functionsBaseUrl(''))}?from=gateway`,
      ]);
      const detected = logs
        .filter((line) => line.msg === 'validate-content detected')
        .map((line) => String(line.detail));
      expect(detected).toEqual([
        expect.stringContaining('$.likes: must be >= 0') as unknown,
        'Unspecified content type text/plain is not allowed.',
      ]);
    } finally {
      await gateway.stop();
      folder.remove();
    }
  });
});
