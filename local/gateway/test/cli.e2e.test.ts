import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { regenerateKey, type LocalGatewayConfig } from '../src';
import { CONFIG_POLL_MS } from '../src/reload';
import { agent, policiesDir, policyXml, REPO_POLICIES, send } from './helpers';
import { apiBaseUrl, ingestUrl } from '@pipeline/schemas';

// Bounded, but generous: the machine is shared and a child process or 4 MiB upload can be slow under load.
jest.setTimeout(30000);

// The CLI is the compiled JavaScript (`npm test` runs `tsc -b` before jest).
const CLI = join(__dirname, '../dist/src/cli.js');

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 20_000,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** The CLI serving the repository's policies in front of a backend that is never reached. */
function serve(configPath: string) {
  return spawn(
    process.execPath,
    [
      CLI,
      '--port',
      '0',
      '--policies',
      REPO_POLICIES,
      '--config',
      configPath,
      '--backend',
      'http://127.0.0.1:9/api',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** The child's stderr so far, and a wait for a pattern in it. */
function readStderr(child: ChildProcessByStdio<null, null, Readable>) {
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${pattern}: ${stderr}`)),
        15_000,
      );
      const check = () => {
        const match = stderr.match(pattern);
        if (match) {
          clearTimeout(timer);
          child.stderr.off('data', check);
          resolve(match);
        }
      };
      child.stderr.on('data', check);
      check();
    });
  return { waitFor, text: () => stderr };
}

async function stop(child: ChildProcessByStdio<null, null, Readable>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  await closed;
}

describe('the gateway CLI', () => {
  const work = mkdtempSync(join(tmpdir(), 'gateway-cli-'));
  afterAll(async () => {
    await agent.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is built (run tsc -b first)', () => {
    expect(existsSync(CLI)).toBe(true);
  });

  it('--check compiles the repository policies and creates the local config with random secrets', async () => {
    const config = join(work, 'gateway.local.json');
    const result = await run(['--check', '--policies', REPO_POLICIES, '--config', config]);
    expect(result.stderr).toContain('compile for the Consumption tier');
    expect(result.code).toBe(0);
    const written = JSON.parse(readFileSync(config, 'utf8')) as {
      subscriptions: { primaryKey: string }[];
      namedValues: Record<string, string>;
    };
    expect(written.subscriptions[0]!.primaryKey).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(written.namedValues).sort()).toEqual([
      'basic-auth-header',
      'dashboard-origin',
      'ingest-function-key',
    ]);
  });

  it('--check fails with file and line on a broken policy', async () => {
    const folder = policiesDir({ 'api-ingest.xml': policyXml('<base />\n<bogus-policy />') });
    try {
      const result = await run([
        '--check',
        '--policies',
        folder.dir,
        '--config',
        join(work, 'broken.local.json'),
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /policy error: .*api-ingest\.xml:3:\d+: <bogus-policy> is not implemented/,
      );
    } finally {
      folder.remove();
    }
  });

  it('serves, and re-reads rotated keys and new products on SIGHUP', async () => {
    const configPath = join(work, 'serve.local.json');
    const child = serve(configPath);
    const { waitFor } = readStderr(child);
    try {
      const url = (await waitFor(/gateway listening on (http:\/\/[^\s,]+)/))[1]!;
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as LocalGatewayConfig;
      const original = config.subscriptions[0]!;
      const post = (key: string) =>
        send(ingestUrl(apiBaseUrl(url)), { headers: { 'ocp-apim-subscription-key': key }, body: '{}' });
      // A valid key without basic auth fails at check-header, after the subscription check.
      expect(((await post(original.primaryKey)).json() as { message: string }).message).toContain(
        'basic authentication',
      );
      const rotated = regenerateKey(original, 'primary');
      writeFileSync(configPath, JSON.stringify({ ...config, subscriptions: [rotated] }));
      child.kill('SIGHUP');
      await waitFor(/subscriptions reloaded \(SIGHUP\)/);
      expect(((await post(original.primaryKey)).json() as { message: string }).message).toContain(
        'invalid subscription key',
      );
      expect(((await post(rotated.primaryKey)).json() as { message: string }).message).toContain(
        'basic authentication',
      );

      // Products are re-read too: an active key of a product without the ingest API is refused there.
      const analyst = { ...regenerateKey(rotated, 'primary'), id: 'analyst', product: 'reports' };
      writeFileSync(
        configPath,
        JSON.stringify({
          ...config,
          products: [
            { id: 'ingest', apis: ['ingest'] },
            { id: 'reports', apis: [] },
          ],
          subscriptions: [rotated, { ...analyst, secondaryKey: `${analyst.primaryKey}2` }],
        }),
      );
      child.kill('SIGHUP');
      await waitFor(/subscriptions reloaded \(SIGHUP\)[\s\S]*subscriptions reloaded \(SIGHUP\)/);
      expect(((await post(analyst.primaryKey)).json() as { message: string }).message).toContain(
        'invalid subscription key',
      );
      expect(((await post(rotated.primaryKey)).json() as { message: string }).message).toContain(
        'basic authentication',
      );
    } finally {
      await stop(child);
    }
  });

  // The trigger every system has (Windows has no SIGHUP): writing the file is enough.
  it('re-reads the config file when it changes, without a signal, and skips a change that alters nothing', async () => {
    const configPath = join(work, 'watched.local.json');
    const child = serve(configPath);
    const { waitFor, text } = readStderr(child);
    try {
      const url = (await waitFor(/gateway listening on (http:\/\/[^\s,]+)/))[1]!;
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as LocalGatewayConfig;
      const original = config.subscriptions[0]!;
      const post = (key: string) =>
        send(ingestUrl(apiBaseUrl(url)), { headers: { 'ocp-apim-subscription-key': key }, body: '{}' });

      // The file changes (compact, no longer indented) but not what it says: no reload, nothing logged.
      writeFileSync(configPath, JSON.stringify(config));
      await new Promise((resolve) => setTimeout(resolve, 4 * CONFIG_POLL_MS));
      expect(text()).not.toMatch(/subscriptions (not )?reloaded/);

      // Saved the way editors do, to a new file renamed over the old one.
      const rotated = regenerateKey(original, 'primary');
      const temporary = `${configPath}.tmp`;
      writeFileSync(temporary, JSON.stringify({ ...config, subscriptions: [rotated] }, null, 2));
      renameSync(temporary, configPath);
      await waitFor(/subscriptions reloaded \(config file changed\)/);
      expect(((await post(original.primaryKey)).json() as { message: string }).message).toContain(
        'invalid subscription key',
      );
      expect(((await post(rotated.primaryKey)).json() as { message: string }).message).toContain(
        'basic authentication',
      );
      expect(text()).not.toContain('SIGHUP');
    } finally {
      await stop(child);
    }
  });

  it('survives a SIGHUP sent the moment it announces that it listens', async () => {
    // The stack and the fault suite signal as soon as they read the line; a handler installed after
    // the line left a window in which SIGHUP's default action ended the process.
    const child = serve(join(work, 'hup.local.json'));
    let stderr = '';
    const reloaded = new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        const before = stderr;
        stderr += chunk.toString('utf8');
        if (!before.includes('gateway listening') && stderr.includes('gateway listening'))
          child.kill('SIGHUP');
        if (stderr.includes('subscriptions reloaded')) resolve();
      });
      child.once('exit', (code, signal) =>
        reject(new Error(`the gateway exited (${signal ?? code}): ${stderr}`)),
      );
    });
    try {
      await reloaded;
      expect(child.exitCode).toBeNull();
    } finally {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await closed;
    }
  });
});
