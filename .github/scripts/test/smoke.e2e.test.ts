import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli';
import { type FakeStack, type FakeStackOptions, startFakeStack } from './fake-stack';

const FAKE_PRODUCER = join(__dirname, 'fixtures/fake-producer.js');
const SECRETS = {
  subscriptionKey: 'sub-key-4f1c9a',
  basicUser: 'producer',
  basicPassword: 'pw-9d8e7f6a',
  functionKey: 'fn-key-1b2c3d',
};

function eventsFile(dir: string, n: number, prefix = 'a'): { path: string; ids: string[] } {
  const ids = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(31, '0')}`);
  const path = join(dir, 'events.ndjson');
  writeFileSync(
    path,
    ids
      .map((id, i) => JSON.stringify({ schemaVersion: 1, id, tweetId: String(9e17 + i), text: `t${i}` }))
      .join('\n') + '\n',
  );
  return { path, ids };
}

async function runCli(args: string[], env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'smoke-cli-'));
  const summary = join(dir, 'summary.md');
  writeFileSync(summary, '');
  let stdout = '';
  let stderr = '';
  const code = await main(['smoke', ...args], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: {
      GITHUB_STEP_SUMMARY: summary,
      API_SUBSCRIPTION_KEY: SECRETS.subscriptionKey,
      API_BASIC_CREDENTIAL: `${SECRETS.basicUser}:${SECRETS.basicPassword}`,
      STATS_FUNCTION_KEY: SECRETS.functionKey,
      ...env,
    },
    cwd: dir,
  });
  return { code, stdout, stderr, summary: readFileSync(summary, 'utf8'), dir };
}

describe('smoke test against a running API and stats endpoint', () => {
  let stack: FakeStack | undefined;
  let dir: string;
  const start = async (options: Partial<FakeStackOptions> = {}) => {
    stack = await startFakeStack({ ...SECRETS, storeDelayMs: 300, ...options });
    return stack;
  };
  const smokeArgs = (s: FakeStack, input: string, extra: string[] = []) => [
    '--url',
    s.apiUrl,
    '--stats-url',
    s.statsUrl,
    '--input',
    input,
    '--producer',
    FAKE_PRODUCER,
    '--count',
    '12',
    '--rate',
    '50',
    '--timeout',
    '5',
    '--warmup',
    '5',
    '--interval',
    '100',
    ...extra,
  ];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'smoke-'));
  });
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('passes when every sent event is stored, and reports to the job summary', async () => {
    const s = await start();
    const { path, ids } = eventsFile(dir, 30);
    const run = await runCli([...smokeArgs(s, path), '--report-file', 'report.json', '--json']);
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    // Exactly the first 12 events went through the API, once each.
    expect(s.received).toEqual(ids.slice(0, 12));
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      arrived: string[];
      missing: string[];
      producer: { report: { events: { accepted: number }; argv: string[] } };
    };
    expect(result.ok).toBe(true);
    expect(result.arrived).toEqual(ids.slice(0, 12));
    expect(result.missing).toEqual([]);
    expect(result.producer.report.events.accepted).toBe(12);
    expect(JSON.parse(readFileSync(join(run.dir, 'report.json'), 'utf8'))).toEqual(result);
    expect(run.summary).toContain('## Smoke test passed');
    expect(run.summary).toContain('| 12 | 12 | 0 |');
    // The stats endpoint got the function key, and no secret travelled on the command line.
    expect(s.statsRequests.every((r) => r.headers['x-functions-key'] === SECRETS.functionKey)).toBe(true);
    const argv = result.producer.report.argv.join(' ');
    for (const secret of Object.values(SECRETS)) expect(argv).not.toContain(secret);
  });

  it('fails naming the events that never arrived, and notes the dead letters', async () => {
    const { path, ids } = eventsFile(dir, 12);
    const s = await start({ drop: new Set([ids[3]!, ids[7]!]) });
    const run = await runCli([...smokeArgs(s, path, ['--timeout', '1.5']), '--json']);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout) as {
      ok: boolean;
      failure: string;
      missing: string[];
      message: string;
      deadLetters: unknown;
    };
    expect(result).toMatchObject({ ok: false, failure: 'not-arrived', missing: [ids[3], ids[7]] });
    expect(result.deadLetters).toEqual({ before: 0, after: 2 });
    expect(result.message).toContain('2 of 12 event(s) were accepted but not stored');
    expect(result.message).toContain('Dead letters rose from 0 to 2');
    expect(run.summary).toContain('## Smoke test failed');
    expect(run.stderr).toContain('smoke test failed');
  });

  it('does not count documents stored before the test began (a previous run of the same sample)', async () => {
    const { path, ids } = eventsFile(dir, 12);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const s = await start({
      consumerDown: true,
      preexisting: ids.map((id) => ({ id, storedAt: yesterday })),
    });
    const run = await runCli([...smokeArgs(s, path, ['--timeout', '1']), '--json']);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as { missing: string[] }).missing).toEqual(ids);
  });

  it('re-stored events of a repeated run count again (deterministic ids, fresh storedAt)', async () => {
    const { path, ids } = eventsFile(dir, 12);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const s = await start({ preexisting: ids.map((id) => ({ id, storedAt: yesterday })) });
    const run = await runCli(smokeArgs(s, path));
    expect(run.code).toBe(0);
  });

  it('waits for a cold stats endpoint, but fails at once on wrong credentials', async () => {
    const { path } = eventsFile(dir, 12);
    const s = await start({ statsFailures: 3 });
    expect((await runCli(smokeArgs(s, path))).code).toBe(0);
    expect(s.statsRequests.length).toBeGreaterThan(4);
    await s.close();

    const t = await start();
    const began = Date.now();
    const run = await runCli([...smokeArgs(t, path, ['--warmup', '30']), '--json'], {
      STATS_FUNCTION_KEY: 'wrong',
    });
    expect(run.code).toBe(1);
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(JSON.parse(run.stdout)).toMatchObject({ failure: 'stats-unreachable' });
    expect(t.received).toEqual([]); // nothing was sent
  });

  it('fails when the API does not accept the events, with the producer report in the summary', async () => {
    const { path } = eventsFile(dir, 12);
    const s = await start({ ingestStatus: 400 });
    const run = await runCli([...smokeArgs(s, path), '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, failure: 'producer-failed' });
    expect(run.summary).toContain('**Rejected (12)**');
  });

  it('rejects bad options with exit code 2, naming the option', async () => {
    const { path } = eventsFile(dir, 3);
    const run = await runCli(['--url', 'http://127.0.0.1:9/ingest', '--input', path, '--count', '101']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--count must be at most 100');
    const missing = await runCli(['--input', path]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--url is required');
    const bad = await runCli(['--url', 'ftp://x', '--input', path]);
    expect(bad.code).toBe(2);
  });

  it('reads the local stack secrets file when asked', async () => {
    const s = await start();
    const { path } = eventsFile(dir, 12);
    const secrets = join(dir, 'secrets.json');
    writeFileSync(
      secrets,
      JSON.stringify({
        functionKey: SECRETS.functionKey,
        subscription: { primaryKey: SECRETS.subscriptionKey, secondaryKey: 'x' },
        basicAuth: { user: SECRETS.basicUser, password: SECRETS.basicPassword },
      }),
    );
    const run = await runCli([...smokeArgs(s, path), '--secrets-file', secrets], {
      API_SUBSCRIPTION_KEY: '',
      API_BASIC_CREDENTIAL: '',
      STATS_FUNCTION_KEY: '',
    });
    expect(run.code).toBe(0);
  });
});
