import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { EventHubProducerClient } from '@azure/event-hubs';
import { startStack, type RunningStack } from '../src/launcher';
import { paths, REPO_ROOT } from '../src/paths';
import { PIPELINE_NAMES } from '../src/provision';
import { findOnPath } from '../src/services/func';

jest.setTimeout(120_000);

/**
 * `--host func` runs Azure Functions Core Tools on the built app against the same emulators. Core
 * Tools cannot be installed here (its postinstall downloads the host), so a fake `func` on PATH
 * stands in at that boundary: it records its arguments, working directory, environment and the
 * local.settings.json it finds, then answers HTTP on the port it was given, as the real host does.
 */
const FAKE_FUNC = `#!${process.execPath}
const { writeFileSync, readFileSync } = require('node:fs');
const { createServer } = require('node:http');
const args = process.argv.slice(2);
writeFileSync(process.env.FAKE_FUNC_RECORD, JSON.stringify({
  args,
  cwd: process.cwd(),
  caFile: process.env.NODE_EXTRA_CA_CERTS,
  settings: JSON.parse(readFileSync('local.settings.json', 'utf8')),
}));
const port = Number(args[args.indexOf('--port') + 1]);
const server = createServer((req, res) => res.end('Your Functions 4.0 app is up and running'));
server.listen(port, '127.0.0.1', () => console.log('Host started (fake func)'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const work = mkdtempSync(join(tmpdir(), 'stack-func-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm start -- --host func', () => {
  it('fails at once with a clear error when func is not on PATH (nothing started)', async () => {
    const cli = join(REPO_ROOT, 'local/stack/dist/src/cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
    const emptyPath = join(work, 'empty-bin');
    mkdirSync(emptyPath, { recursive: true });
    const began = Date.now();
    const failure = await promisify(execFile)(
      process.execPath,
      [cli, 'stack', '--host', 'func', '--data', join(work, 'no-func')],
      { env: { ...process.env, PATH: emptyPath, CI: '' }, timeout: 30_000 },
    ).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(
      '--host func needs Azure Functions Core Tools, but `func` is not on PATH',
    );
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it('an unknown --host value is refused', async () => {
    const cli = join(REPO_ROOT, 'local/stack/dist/src/cli.js');
    const failure = await promisify(execFile)(process.execPath, [cli, 'stack', '--host', 'iis'], {
      timeout: 30_000,
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('--host must be "local" or "func", not "iis"');
  });

  describe('with a (fake) func on PATH', () => {
    const bin = join(work, 'bin');
    const record = join(work, 'func-record.json');
    // A package folder of its own (host.json + dist/index.js), so the test never writes into functions/.
    const packageDir = join(work, 'package');
    let stack: RunningStack;

    beforeAll(async () => {
      mkdirSync(bin, { recursive: true });
      writeFileSync(join(bin, 'func'), FAKE_FUNC);
      chmodSync(join(bin, 'func'), 0o755);
      mkdirSync(join(packageDir, 'dist'), { recursive: true });
      writeFileSync(join(packageDir, 'host.json'), '{ "version": "2.0" }\n');
      writeFileSync(join(packageDir, 'dist', 'index.js'), '');
      const env = {
        ...process.env,
        PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`,
        FAKE_FUNC_RECORD: record,
      };
      expect(findOnPath('func', env)).toBe(join(bin, 'func'));
      stack = await startStack({
        ports: { gateway: 0, functions: 0, blob: 0, cosmos: 0, eventHubs: 0 },
        dataDir: join(work, 'data'),
        inMemory: true,
        appEntry: join(packageDir, 'dist', 'index.js'),
        policiesDir: paths.policiesDir,
        functionsHost: 'func',
        env,
      });
    });
    afterAll(() => stack?.stop());

    it('runs `func start --port <functions port>` in the package folder', () => {
      const seen = JSON.parse(readFileSync(record, 'utf8')) as { args: string[]; cwd: string };
      expect(seen.args).toEqual(['start', '--port', String(stack.functions.port)]);
      expect(seen.cwd).toBe(packageDir);
      expect(stack.settingsFile).toBe(join(packageDir, 'local.settings.json'));
    });

    it('gives func the Azure setting names, plus connection strings for the bindings its .NET extensions resolve', async () => {
      const seen = JSON.parse(readFileSync(record, 'utf8')) as {
        caFile: string;
        settings: { Values: Record<string, string> };
      };
      const values = seen.settings.Values;
      expect(values).toMatchObject({
        FUNCTIONS_WORKER_RUNTIME: 'node',
        PipelineStorage__blobServiceUri: stack.storage.azurite.blobEndpoint,
        CosmosDb__accountEndpoint: stack.storage.cosmos.endpoint,
        EventHub__fullyQualifiedNamespace: stack.eventHubs.fullyQualifiedNamespace,
        EventHub: stack.eventHubs.connectionString,
        EVENTHUB_NAME: PIPELINE_NAMES.eventHub,
        EVENTHUB_CONSUMER_GROUP: PIPELINE_NAMES.consumerGroup,
        AzureWebJobsStorage: stack.storage.azurite.connectionString,
      });
      expect(values.CosmosDb).toContain(`AccountEndpoint=${stack.storage.cosmos.endpoint};`);
      expect(seen.caFile).toBe(stack.eventHubs.caFile);
      // The hub's connection string func gets is the emulator's, with the key it accepts.
      const producer = new EventHubProducerClient(values.EventHub!, PIPELINE_NAMES.eventHub);
      try {
        await producer.sendBatch([{ body: 'from func settings' }]);
      } finally {
        await producer.close();
      }
    });

    it('the stack reaches func at the functions URL and stops it with everything else', async () => {
      const response = await fetch(`${stack.urls.functions.replace(/\/api$/, '')}/`);
      expect(await response.text()).toContain('up and running');
      const pid = stack.functions.pid;
      await stack.stop();
      expect(() => process.kill(pid, 0)).toThrow();
    });
  });
});
