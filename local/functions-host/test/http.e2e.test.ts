import { build } from 'esbuild';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { deriveEventId } from '@pipeline/schemas';
import { join } from 'node:path';
import { spawnFunctionsHost } from '../src/spawn';
import {
  FIXTURE_APPS,
  FUNCTIONS_APP,
  archivedIds,
  pipelineSettings,
  startHost,
  startServices,
  writeSettings,
  type Services,
  type SettingsFile,
  waitFor,
} from './support';
import { functionsBaseUrl, ingestUrl } from '@pipeline/schemas';

/** A hub endpoint nothing listens on: ingest must answer 503 and publish nothing. */
const UNREACHABLE_HUB =
  'Endpoint=sb://127.0.0.1:9;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true';

function tweet(n: number) {
  const source = {
    tweetId: String(901234567890000000n + BigInt(n)),
    createdAt: new Date(Date.UTC(2017, 7, 25, 20, 5) + n * 60_000).toISOString().replace('.000Z', 'Z'),
    text: `Harvey update ${n} #HurricaneHarvey`,
  };
  return { schemaVersion: 1, id: deriveEventId(source), ...source, retweets: 1, replies: 2, likes: 3 };
}

describe('HTTP triggers (the functions app and a fixture app, in a host process)', () => {
  let services: Services;
  let settings: SettingsFile;
  let app: Awaited<ReturnType<typeof startHost>>;
  let echo: Awaited<ReturnType<typeof startHost>>;

  beforeAll(async () => {
    services = await startServices();
    settings = writeSettings(pipelineSettings(services, UNREACHABLE_HUB));
    [app, echo] = await Promise.all([
      startHost(FUNCTIONS_APP, settings.path),
      startHost(join(FIXTURE_APPS, 'echo-app/index.js'), settings.path, { maxRequestBytes: 1024 }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([app?.stop(), echo?.stop()]);
    await services?.stop();
    settings?.remove();
  }, 30_000);

  const withKey = (key: string) => ({ 'x-functions-key': key });

  it('refuses a function-level route without a key or with a wrong one (401), by header and by ?code=', async () => {
    expect((await fetch(`${app.url}/api/stats`)).status).toBe(401);
    expect((await fetch(`${app.url}/api/stats`, { headers: withKey('wrong') })).status).toBe(401);
    expect((await fetch(`${app.url}/api/stats?code=wrong`)).status).toBe(401);
    const post = await fetch(ingestUrl(functionsBaseUrl(app.url)), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(tweet(1)),
    });
    expect(post.status).toBe(401);
    expect(app.lines.some((l) => /Rejected 'Functions.ingest' POST \/api\/events 401/.test(l))).toBe(true);
  }, 30_000);

  it('answers 404 for unknown routes, outside the route prefix and for methods a function did not register', async () => {
    expect(
      (await fetch(`${app.url}/api/nothing-here`, { headers: withKey(settings.functionKey) })).status,
    ).toBe(404);
    expect((await fetch(`${app.url}/stats`, { headers: withKey(settings.functionKey) })).status).toBe(404);
    expect(
      (await fetch(ingestUrl(functionsBaseUrl(app.url)), { headers: withKey(settings.functionKey) })).status,
    ).toBe(404);
  }, 30_000);

  it('serves the stats route from Cosmos DB with the key, by header or ?code=', async () => {
    for (const init of [{ headers: withKey(settings.functionKey) }, {}]) {
      const url = `${app.url}/api/stats${'headers' in init ? '' : `?code=${settings.functionKey}`}`;
      const response = await fetch(url, init);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = (await response.json()) as Record<string, unknown>;
      expect((body as { totals: { stored: number } }).totals.stored).toBe(0);
    }
  }, 30_000);

  it('runs ingest: 400 with every error for an invalid event (nothing archived)', async () => {
    const response = await fetch(ingestUrl(functionsBaseUrl(app.url)), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...withKey(settings.functionKey) },
      body: JSON.stringify({ ...tweet(2), retweets: -1, id: 'bad' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { path: string }[] };
    expect(body.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['$.retweets']));
  }, 30_000);

  it('runs ingest to Azurite: the raw event is archived; with the hub unreachable the answer is 503, safe to retry', async () => {
    const event = tweet(3);
    const response = await fetch(ingestUrl(functionsBaseUrl(app.url)), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...withKey(settings.functionKey) },
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await archivedIds(services.blobs)).toContain(event.id);
  }, 30_000);

  it('maps the request (method, route params, query, headers, body) and the response (status, headers, jsonBody)', async () => {
    const response = await fetch(`${echo.url}/api/echo/42/a/b%20c?x=1&y=two`, {
      method: 'POST',
      headers: { 'x-custom': 'hello', 'content-type': 'text/plain' },
      body: 'payload',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('yes');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual(
      expect.objectContaining({
        method: 'POST',
        params: { id: '42', rest: 'a/b c' },
        query: { x: '1', y: 'two' },
        header: 'hello',
        body: 'payload',
        functionName: 'echo',
      }),
    );
    expect(body.invocationId).toMatch(/^[0-9a-f-]{36}$/);
  }, 30_000);

  it('answers an empty 500 when a handler throws, as Azure does; the error goes only to the host log', async () => {
    // azure-functions-host ExceptionMiddleware: status 500, nothing written.
    const response = await fetch(`${echo.url}/api/boom`, { headers: withKey(settings.functionKey) });
    expect(response.status).toBe(500);
    expect(await response.text()).toBe('');
    expect(response.headers.get('content-length')).toBe('0');
    expect(response.headers.get('content-type')).toBeNull();
    expect(response.headers.get('x-invocation-id')).toBeNull();
    // The log line comes through the child's stderr, which may trail the answer on the socket.
    const logged = await waitFor('the failure in the host log', () =>
      echo.lines.find((l) => l.includes("Executed 'Functions.boom' (Failed")),
    );
    expect(logged).toMatch(
      /Executed 'Functions\.boom' \(Failed, Id=[0-9a-f-]{36}, Duration=\d+ms\) GET \/api\/boom 500: Error: boom: the handler failed/,
    );
  }, 30_000);

  it('hands repeated query keys and headers over joined by a bare comma, as the real host (?a=1&a=2 -> "1,2")', async () => {
    const answer = await exchange(echo.port, 'GET', '/api/echo/7/q?a=1&a=2&b=x&a=&c=', {
      'x-custom': ['first', 'second'],
    });
    expect(answer.status).toBe(201);
    const body = JSON.parse(answer.body) as { query: Record<string, string>; header: string };
    expect(body.query).toEqual({ a: '1,2', b: 'x', c: '' });
    expect(body.header).toBe('first,second');
  }, 30_000);

  it('hands a chunked body (no Content-Length) to the function as no body at all, as the real host does', async () => {
    // A declared body arrives whole...
    const declared = await exchange(echo.port, 'POST', '/api/echo/1/x', { 'content-length': '7' }, 'payload');
    expect(JSON.parse(declared.body)).toMatchObject({ body: 'payload' });
    // ...a chunked one never does: node:http sends a body of unknown length with Transfer-Encoding: chunked.
    const chunked = await exchange(echo.port, 'POST', '/api/echo/1/x', {}, 'payload');
    expect(chunked.status).toBe(201);
    expect(JSON.parse(chunked.body)).toMatchObject({ body: '' });
  }, 30_000);

  it('runs ingest on a chunked POST: 411 naming the cause, nothing archived', async () => {
    const event = tweet(4);
    const answer = await exchange(
      app.port,
      'POST',
      ingestUrl(functionsBaseUrl('')),
      { 'content-type': 'application/json', ...withKey(settings.functionKey) },
      JSON.stringify(event),
    );
    expect(answer.status).toBe(411);
    expect(JSON.parse(answer.body)).toEqual({
      error: 'LengthRequired',
      message: expect.stringMatching(
        /^Send the body with a Content-Length header \(this request used Transfer-Encoding: chunked\)/,
      ) as unknown,
    });
    // With Content-Length: 0 the body is declared empty: the usual 400.
    const empty = await exchange(
      app.port,
      'POST',
      ingestUrl(functionsBaseUrl('')),
      { 'content-type': 'application/json', 'content-length': '0', ...withKey(settings.functionKey) },
      '',
    );
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.body)).toMatchObject({ error: 'InvalidJson' });
    expect(await archivedIds(services.blobs)).not.toContain(event.id);
  }, 30_000);

  it('runs the app hooks: pre-invocation (replacing the handler) and log (rewriting user logs)', async () => {
    const response = await fetch(`${echo.url}/api/hooked`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-pre-invocation')).toBe('ran');
    expect(await response.text()).toBe('hooked');
    expect(echo.lines.some((l) => l.includes('hooked: login with password=***'))).toBe(true);
    expect(echo.lines.some((l) => l.includes('hunter2'))).toBe(false);
  }, 30_000);

  it('applies an HTTP function output binding (Cosmos DB upsert) before answering', async () => {
    const docs = [
      { id: 'http-output-1', value: 1 },
      { id: 'http-output-2', value: 2 },
    ];
    const response = await fetch(`${echo.url}/api/store`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(docs),
    });
    expect(response.status).toBe(204);
    for (const doc of docs) {
      const { resource } = await services.events().item(doc.id, doc.id).read<{ value: number }>();
      expect(resource?.value).toBe(doc.value);
    }
  }, 30_000);

  it('refuses a body whose Content-Length is over the size limit with 413; a chunked body of any size is dropped, not refused', async () => {
    // Declared: refused before any of the body is read.
    const declared = await rawRequest(
      echo.port,
      '/api/echo/1/x',
      { 'content-length': String(200 * 1024 * 1024) },
      'x',
    );
    expect(declared).toBe(413);
    // Chunked: the real host never reads it, so the function runs with no body whatever its size
    // (past the limit, 1 KB for this host, the connection closes after the answer).
    for (const size of [512, 4096]) {
      const chunked = await exchange(
        echo.port,
        'POST',
        '/api/echo/1/x',
        { 'transfer-encoding': 'chunked' },
        'y'.repeat(size),
      );
      expect(chunked.status).toBe(201);
      expect(JSON.parse(chunked.body)).toMatchObject({ body: '' });
    }
  }, 30_000);

  it('writes one line per invocation: function, outcome, id, duration, status', () => {
    const executed = app.lines.filter((l) => l.includes("Executed 'Functions.stats'"));
    expect(executed.length).toBeGreaterThanOrEqual(2);
    expect(executed[0]).toMatch(
      /Executed 'Functions\.stats' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\) GET \/api\/stats 200/,
    );
  }, 30_000);
});

/** Settings the echo fixture app starts with (its Cosmos DB output is never reached). */
function echoAppSettings(): ReturnType<typeof writeSettings> {
  return writeSettings({
    CosmosDb: 'AccountEndpoint=http://127.0.0.1:9/;AccountKey=a2V5;',
    COSMOS_DATABASE: 'db',
    COSMOS_CONTAINER: 'c',
  });
}

describe('startup errors', () => {
  let blocker: Server | undefined;
  afterAll(() => new Promise<void>((done) => (blocker ? blocker.close(() => done()) : done())));

  it('fails fast naming the host and the port when the port is in use', async () => {
    blocker = createServer();
    const port = await new Promise<number>((done) =>
      blocker!.listen(0, '127.0.0.1', () => done((blocker!.address() as { port: number }).port)),
    );
    const settings = echoAppSettings();
    try {
      await expect(
        startHost(join(FIXTURE_APPS, 'echo-app/index.js'), settings.path, { port }),
      ).rejects.toThrow(`Functions host cannot listen on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      settings.remove();
    }
  }, 30_000);

  it('refuses a scale group the app does not have, naming the groups it has', async () => {
    const settings = echoAppSettings();
    try {
      await expect(
        startHost(join(FIXTURE_APPS, 'echo-app/index.js'), settings.path, { scaleGroup: 'function:consume' }),
      ).rejects.toThrow(/scale group "function:consume" has no function in .*; its scale groups: http/);
    } finally {
      settings.remove();
    }
  }, 30_000);

  it('refuses an unsupported trigger, naming the function and the binding', async () => {
    const settings = writeSettings({});
    try {
      await expect(startHost(join(FIXTURE_APPS, 'timer-app/index.js'), settings.path)).rejects.toThrow(
        /function "tick", binding "timerTrigger\w*": trigger type "timerTrigger" is not supported/,
      );
    } finally {
      settings.remove();
    }
  }, 30_000);

  it('refuses a binding whose %SETTING% is not set, naming the function, the binding and the setting', async () => {
    const settings = writeSettings({ CosmosDb: 'AccountEndpoint=http://127.0.0.1:9/;AccountKey=a2V5;' });
    try {
      await expect(startHost(join(FIXTURE_APPS, 'echo-app/index.js'), settings.path)).rejects.toThrow(
        /function "store", binding "cosmosDBOutput\w*" \(cosmosDB\): the app setting "COSMOS_DATABASE" \(from "%COSMOS_DATABASE%"\) is not set/,
      );
    } finally {
      settings.remove();
    }
  }, 30_000);
});

/** A raw HTTP request, so the test controls Content-Length and chunking; resolves with the status. */
function rawRequest(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The host may close the connection right after answering 413 while the body is still going out.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    req.write(body);
    req.end();
  });
}

/** A raw HTTP exchange (node:http: repeated headers, chunked bodies); resolves with status, headers and body. */
function exchange(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The host may close the connection after answering while a large chunked body is still going out.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe('error details (an explicit local debugging option)', () => {
  it('with --error-details a failed invocation answers 500 with the error and its invocation id', async () => {
    const settings = echoAppSettings();
    const lines: string[] = [];
    const host = await spawnFunctionsHost({
      appEntry: join(FIXTURE_APPS, 'echo-app/index.js'),
      settingsFile: settings.path,
      port: 0,
      errorDetails: true,
      onLine: (line) => lines.push(line),
    });
    try {
      const response = await fetch(`${host.url}/api/boom`, {
        headers: { 'x-functions-key': settings.functionKey },
      });
      expect(response.status).toBe(500);
      const body = (await response.json()) as { message: string; invocationId: string };
      expect(body.message).toBe('boom: the handler failed');
      expect(response.headers.get('x-invocation-id')).toBe(body.invocationId);
      await waitFor('the failure in the host log', () =>
        lines.find((l) => l.includes(`Executed 'Functions.boom' (Failed, Id=${body.invocationId}`)),
      );
      expect(lines.some((l) => l.includes('error details are on'))).toBe(true);
    } finally {
      await host.stop();
      settings.remove();
    }
  }, 30_000);
});

describe('graceful stop', () => {
  it('on SIGTERM finishes the invocation in flight, then exits', async () => {
    const settings = echoAppSettings();
    const host = await startHost(join(FIXTURE_APPS, 'echo-app/index.js'), settings.path);
    try {
      const started = Date.now();
      const inFlight = fetch(`${host.url}/api/slow?ms=1500`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stopped = host.stop().then(() => Date.now());
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ finished: true });
      const answeredAt = Date.now();
      expect(answeredAt - started).toBeGreaterThanOrEqual(1400);
      expect(await stopped).toBeGreaterThanOrEqual(answeredAt - 50);
      expect(host.lines.some((l) => l.includes('SIGTERM: stopping'))).toBe(true);
      expect(host.lines.some((l) => l.includes("Executed 'Functions.slow' (Succeeded"))).toBe(true);
      expect(host.lines.at(-1)).toMatch(/Functions host stopped$/);
    } finally {
      await host.kill();
      settings.remove();
    }
  }, 30_000);
});

describe('the deployment bundle', () => {
  let services: Services;
  let settings: SettingsFile;
  let work: string;
  let host: Awaited<ReturnType<typeof startHost>> | undefined;

  beforeAll(async () => {
    services = await startServices();
    settings = writeSettings(pipelineSettings(services, UNREACHABLE_HUB));
    // The same esbuild options as `npm run -w functions package`, into a folder of this test's own (the
    // functions workspace's staging folder belongs to its own tests): the bundle carries its own copy
    // of @azure/functions, which must find this host's @azure/functions-core at run time.
    work = mkdtempSync(join(tmpdir(), 'functions-bundle-'));
    await build({
      entryPoints: [FUNCTIONS_APP],
      outfile: join(work, 'dist/index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['@azure/functions-core'],
      logLevel: 'error',
    });
    copyFileSync(join(FUNCTIONS_APP, '../../../host.json'), join(work, 'host.json'));
    host = await startHost(join(work, 'dist/index.js'), settings.path);
  }, 90_000);

  afterAll(async () => {
    await host?.stop();
    await services?.stop();
    settings?.remove();
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it('registers the same functions from the bundle and serves them', async () => {
    expect(host!.lines.join('\n')).toMatch(
      /ingest: POST \/api\/events \(function\).*consume: eventHubTrigger tweets\/cosmos-writer.*stats: GET \/api\/stats \(function\)/,
    );
    const response = await fetch(`${host!.url}/api/stats?code=${settings.functionKey}`);
    expect(response.status).toBe(200);
    const invalid = await fetch(ingestUrl(functionsBaseUrl(host!.url)), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': settings.functionKey },
      body: '[{"id": 1}]',
    });
    expect(invalid.status).toBe(400);
  }, 30_000);
});
