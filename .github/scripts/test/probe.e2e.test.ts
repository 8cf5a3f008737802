import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeSummary, RATE_LIMIT_CALLS, runProbe, type ProbeReport } from '../src/probe';
import { PROBE_USAGE } from '../src/probe-cli';
import { apiBaseUrl } from '@pipeline/schemas';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');
const GATEWAY_CLI = join(ROOT, 'local', 'gateway', 'dist', 'src', 'cli.js');

/**
 * The backend as the Functions host and `ingest` behave for the probe's purposes: a body reaches the
 * function only with a Content-Length > 0 (azure-functions-host GrpcMessageConversionExtensions
 * .ToRpcHttp, #7930), and ingest answers 202 `{accepted, ids}`, or 400 `{error, message}`.
 */
async function startIngestLikeBackend(): Promise<{
  url: string;
  seen: { headers: IncomingHttpHeaders; bytes: number }[];
  close(): Promise<void>;
}> {
  const seen: { headers: IncomingHttpHeaders; bytes: number }[] = [];
  const server: Server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => {
      const length = Number(request.headers['content-length'] ?? 0);
      const body = length > 0 ? Buffer.concat(parts) : Buffer.alloc(0);
      seen.push({ headers: request.headers, bytes: body.length });
      const answer = (status: number, value: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(value));
      };
      try {
        const parsed = JSON.parse(body.toString('utf8')) as unknown;
        const events = (Array.isArray(parsed) ? parsed : [parsed]) as { id: string }[];
        answer(202, { accepted: events.length, ids: events.map((event) => event.id) });
      } catch {
        answer(400, { error: 'InvalidJson', message: 'The request body is not JSON' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The real local gateway, in a process of its own, with the repository's policies (Consumption). */
async function startGateway(
  backendUrl: string,
  configFile: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      GATEWAY_CLI,
      '--port',
      '0',
      '--backend',
      backendUrl,
      '--policies',
      join(ROOT, 'policies'),
      '--config',
      configFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /gateway listening on (http:\/\/[^\s,]+)/.exec(text);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${text}`)));
  });
  return { url, child };
}

describe('the fidelity probe against the local twin', () => {
  let backend: Awaited<ReturnType<typeof startIngestLikeBackend>>;
  let gateway: { url: string; child: ChildProcess };
  let folder: string;
  let credentials: { subscriptionKey: string; basicUser: string; basicPassword: string };

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'probe-'));
    backend = await startIngestLikeBackend();
    const configFile = join(folder, 'gateway.json');
    gateway = await startGateway(backend.url, configFile);
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as {
      subscriptions: { primaryKey: string }[];
      basicAuth: { user: string; password: string };
    };
    credentials = {
      subscriptionKey: config.subscriptions[0]!.primaryKey,
      basicUser: config.basicAuth.user,
      basicPassword: config.basicAuth.password,
    };
  });
  afterAll(async () => {
    gateway?.child.kill('SIGTERM');
    await backend?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('gets the expected answer to every case, and 429s from a burst over the rate limit', async () => {
    const report: ProbeReport = await runProbe({ apiUrl: apiBaseUrl(gateway.url), credentials });
    const failed = report.cases.filter((c) => c.differences.length > 0);
    // On failure the summary is the readable diff.
    expect({ failed: failed.map((c) => c.id), summary: failed.length ? probeSummary(report) : '' }).toEqual({
      failed: [],
      summary: '',
    });
    expect(report.burst?.differences).toEqual([]);
    expect(report.burst!.statuses['429']).toBeGreaterThan(0);
    // Exact locally: the cases before the burst that carried a valid key count in the same window.
    const counted = report.cases.filter((c) => !c.id.endsWith('subscription-key')).length;
    expect(report.burst!.statuses['401']! + counted).toBe(RATE_LIMIT_CALLS);
    expect(report.ok).toBe(true);
    // Every body that reached the backend came with its length (the chunked case included).
    expect(backend.seen.every((request) => request.headers['content-length'] !== undefined)).toBe(true);
    expect(backend.seen.every((request) => request.bytes > 0)).toBe(true);
  });
});

describe('npm run probe', () => {
  it('is `npm run probe`, whose --help names every option and the credentials it reads', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.probe).toBe('npm run -s -w .github/scripts probe --');
    const help = spawnSync('npm', ['run', '-s', 'probe', '--', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(PROBE_USAGE);
    for (const name of [
      '--url',
      '--burst',
      '--report-file',
      '--json',
      'API_SUBSCRIPTION_KEY',
      'API_BASIC_CREDENTIAL',
    ])
      expect(PROBE_USAGE).toContain(name);
    // A wrong option gets the usage too, and exit 2.
    const wrong = spawnSync('npm', ['run', '-s', 'probe', '--', '--target', 'x'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("Unknown option '--target'");
    expect(wrong.stderr).toContain('Usage: npm run probe -- --url <api base>');
  });
});
