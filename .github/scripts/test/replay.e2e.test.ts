import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli';
import { startFakeStack } from './fake-stack';

const FAKE_PRODUCER = join(__dirname, 'fixtures/fake-producer.js');
const SECRETS = { subscriptionKey: 'k-1', basicUser: 'producer', basicPassword: 'p-2', functionKey: 'f-3' };

async function replay(apiUrl: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'replay-'));
  const input = join(dir, 'events.ndjson');
  writeFileSync(
    input,
    Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: `r${i}` })).join('\n') + '\n',
  );
  const summary = join(dir, 'summary.md');
  writeFileSync(summary, '');
  let stderr = '';
  const code = await main(
    [
      'replay',
      '--url',
      apiUrl,
      '--input',
      'events.ndjson',
      '--report-file',
      'report.json',
      '--producer',
      FAKE_PRODUCER,
    ],
    {
      stdout: () => undefined,
      stderr: (t) => (stderr += t),
      env: {
        GITHUB_STEP_SUMMARY: summary,
        API_SUBSCRIPTION_KEY: SECRETS.subscriptionKey,
        API_BASIC_CREDENTIAL: `${SECRETS.basicUser}:${SECRETS.basicPassword}`,
        ...env,
      },
      cwd: dir,
    },
  );
  return { code, stderr, summary: readFileSync(summary, 'utf8'), dir };
}

describe('replay command', () => {
  it('runs the producer with the chosen count and rate, and writes its report to the job summary', async () => {
    const stack = await startFakeStack({ ...SECRETS, storeDelayMs: 10 });
    try {
      const r = await replay(stack.apiUrl, { RATE: '200', COUNT: '15' });
      expect(r.code).toBe(0);
      expect(stack.received).toEqual(Array.from({ length: 15 }, (_, i) => `r${i}`));
      expect(r.summary).toContain('### Replay report');
      expect(r.summary).toContain('| 15 | 15 | 15 | 0 | 0 | 0 |');
      const report = JSON.parse(readFileSync(join(r.dir, 'report.json'), 'utf8')) as { argv: string[] };
      expect(report.argv).toEqual(expect.arrayContaining(['--rate', '200', '--count', '15']));
      expect(report.argv.join(' ')).not.toContain(SECRETS.basicPassword);
    } finally {
      await stack.close();
    }
  });

  it("fails with the producer's exit code when events are refused, still reporting them", async () => {
    const stack = await startFakeStack({ ...SECRETS, storeDelayMs: 10, ingestStatus: 400 });
    try {
      const r = await replay(stack.apiUrl, {});
      expect(r.code).toBe(1);
      expect(r.summary).toContain('**Rejected (20)**');
      expect(r.stderr).toContain('the producer exited with 1');
    } finally {
      await stack.close();
    }
  });

  it('refuses bad inputs before sending anything', async () => {
    const stack = await startFakeStack({ ...SECRETS, storeDelayMs: 10 });
    try {
      const r = await replay(stack.apiUrl, { RATE: 'fast' });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('rate must be a number');
      expect(stack.received).toEqual([]);
    } finally {
      await stack.close();
    }
  });
});
