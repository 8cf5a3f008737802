import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';

/**
 * Takes the deployment zip, unpacks it into an empty folder far from the workspace (so nothing can be
 * resolved from the repository's node_modules) and loads it in a fresh Node process with a stand-in
 * for the `@azure/functions-core` module that the Functions worker provides, recording what registers.
 */
describe('deployment package', () => {
  const work = mkdtempSync(join(tmpdir(), 'functions-package-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is self-contained and registers every function with its bindings', () => {
    // The zip this jest run built once with `scripts/package.mjs` (jest/functions-bundle.js), the
    // same script and options as `npm run -w functions package`.
    const zipPath = process.env.PIPELINE_FUNCTIONS_ZIP;
    if (!zipPath)
      throw new Error('PIPELINE_FUNCTIONS_ZIP is unset: run this suite through the root jest config');
    const app = join(work, 'app');
    new AdmZip(zipPath).extractAllTo(app);
    expect(readdirSync(app).sort()).toEqual(['dist', 'host.json', 'package.json']);
    expect(existsSync(join(app, 'node_modules'))).toBe(false);

    const core = join(work, 'core/@azure/functions-core');
    mkdirSync(core, { recursive: true });
    writeFileSync(
      join(core, 'index.js'),
      `const registered = [];
       process.on('exit', () => process.stdout.write(JSON.stringify(registered)));
       module.exports = {
         setProgrammingModel() {},
         registerHook() { return { dispose() {} }; },
         registerFunction(metadata, handler) { registered.push({ metadata, handlerType: typeof handler }); return { dispose() {} }; },
         log() {},
       };`,
    );
    const output = execFileSync(
      process.execPath,
      ['-e', `require(${JSON.stringify(join(app, 'dist/index.js'))})`],
      {
        cwd: app,
        env: { PATH: process.env.PATH, NODE_PATH: join(work, 'core') },
        encoding: 'utf8',
      },
    );
    const registered = JSON.parse(output) as {
      metadata: { name: string; bindings: Record<string, Record<string, unknown>>; retryOptions?: unknown };
      handlerType: string;
    }[];
    const byName = Object.fromEntries(registered.map((r) => [r.metadata.name, r]));
    expect(Object.keys(byName).sort()).toEqual(['consume', 'dashboard', 'images', 'ingest', 'stats']);
    expect(registered.every((r) => r.handlerType === 'function')).toBe(true);

    const bindings = (name: string) => Object.values(byName[name]!.metadata.bindings);
    expect(bindings('ingest')).toContainEqual(
      expect.objectContaining({
        type: 'httpTrigger',
        authLevel: 'function',
        route: 'events',
        methods: ['POST'],
      }),
    );
    expect(bindings('stats')).toContainEqual(
      expect.objectContaining({
        type: 'httpTrigger',
        authLevel: 'function',
        route: 'stats',
        methods: ['GET'],
      }),
    );
    expect(bindings('images')).toContainEqual(
      expect.objectContaining({
        type: 'httpTrigger',
        authLevel: 'function',
        route: 'images/{name}',
        methods: ['GET'],
      }),
    );
    // The page's static files are public (they carry no data); the data routes above need the key.
    expect(bindings('dashboard')).toContainEqual(
      expect.objectContaining({
        type: 'httpTrigger',
        authLevel: 'anonymous',
        route: 'dashboard/{*asset}',
        methods: ['GET'],
      }),
    );
    expect(readdirSync(join(app, 'dist/dashboard')).sort()).toEqual([
      'app.css',
      'app.js',
      'icon.svg',
      'index.html',
      'map.json',
    ]);
    expect(bindings('consume')).toContainEqual(
      expect.objectContaining({
        type: 'eventHubTrigger',
        connection: 'EventHub',
        eventHubName: '%EVENTHUB_NAME%',
        consumerGroup: '%EVENTHUB_CONSUMER_GROUP%',
        cardinality: 'many',
        // Bytes: without a dataType the real host binds object[] and one non-JSON body stalls a partition.
        dataType: 'binary',
      }),
    );
    // No Cosmos DB output binding: consume upserts with the SDK's bulk API itself (HOST-10).
    expect(bindings('consume').map((b) => b.type)).toEqual(['eventHubTrigger']);
    expect(byName.consume!.metadata.retryOptions).toMatchObject({
      strategy: 'exponentialBackoff',
      maxRetryCount: -1,
    });
  }, 120_000);
});
