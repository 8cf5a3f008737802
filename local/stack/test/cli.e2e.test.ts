import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths, REPO_ROOT } from '../src/paths';
import { apiBaseUrl, ingestUrl } from '@pipeline/schemas';

async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `npm run stack` and `npm run replay` as a user runs them: every service starts, a replay goes through, and Ctrl-C leaves no process behind. */
describe('the stack CLI', () => {
  const work = mkdtempSync(join(tmpdir(), 'stack-cli-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('starts every service and stops all of them on Ctrl-C, leaving no orphan process', async () => {
    const cli = join(REPO_ROOT, 'local/stack/dist/src/cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
    // The run's global setup built the functions bundle (jest/functions-bundle.js).
    if (!existsSync(paths.functionsApp)) throw new Error(`${paths.functionsApp} is missing`);
    const [gateway, functions, blob, cosmos, eventHubs, eventHubsTls] = await freePorts(6);
    const child = spawn(process.execPath, [cli, 'stack', '--in-memory', '--data', join(work, 'data')], {
      env: {
        ...process.env,
        CI: '',
        GATEWAY_PORT: String(gateway),
        FUNCTIONS_PORT: String(functions),
        AZURITE_BLOB_PORT: String(blob),
        COSMOS_PORT: String(cosmos),
        EVENTHUBS_PORT: String(eventHubs),
        EVENTHUBS_TLS_PORT: String(eventHubsTls),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 120_000;
    while (!output.includes('Press Ctrl-C') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(output).toContain('Press Ctrl-C');
    const pids = [...output.matchAll(/\(pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(5);
    expect(pids.every(alive)).toBe(true);
    expect(output).toContain(ingestUrl(apiBaseUrl(`http://127.0.0.1:${gateway}`)));

    // `npm run replay` into the running stack: through the gateway with the stack's own credentials.
    const replayed = execFileSync(
      process.execPath,
      [cli, 'replay', '--data', join(work, 'data'), '--count', '20', '--json'],
      {
        env: { ...process.env, GATEWAY_PORT: String(gateway) },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const report = JSON.parse(replayed) as { events: { accepted: number; failed: number } };
    expect(report.events).toMatchObject({ accepted: 20, failed: 0 });

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopped.');
    expect(pids.filter(alive)).toEqual([]);
  }, 180_000);
});
