import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { compare, PROBE_CASES, probeSummary, RATE_LIMIT_CALLS } from '../src/probe';
import { probeCommand } from '../src/probe-cli';

const ROOT = join(__dirname, '..', '..', '..');

describe('the probe and the product policy', () => {
  it('keeps its rate-limit figure equal to the product policy', () => {
    const policy = readFileSync(join(ROOT, 'policies', 'product-ingest.xml'), 'utf8');
    expect(/<rate-limit calls="(\d+)"/.exec(policy)?.[1]).toBe(String(RATE_LIMIT_CALLS));
  });
});

describe('the guide to a failing probe (docs/deploying.md)', () => {
  const docs = readFileSync(join(ROOT, 'docs', 'deploying.md'), 'utf8');
  const section = (heading: string) => {
    const start = docs.indexOf(heading);
    expect(start).toBeGreaterThan(-1);
    const end = docs.indexOf('\n## ', start + heading.length);
    return docs.slice(start, end < 0 ? undefined : end);
  };

  it('says what every case proves, where the diff is, and what to fix, with an example', () => {
    const guide = section('\n## Reading a failing probe\n');
    const rows = guide.split('\n').filter((line) => line.startsWith('| `'));
    const documented = rows.flatMap((row) =>
      [...row.split('|')[1]!.matchAll(/`([\w-]+)`/g)].map((m) => m[1]!),
    );
    expect(documented.sort()).toEqual([...PROBE_CASES.map((c) => c.id), 'rate-limit-burst'].sort());
    for (const place of ['job summary', 'probe-report', 'local/gateway', 'local/functions-host'])
      expect(guide).toContain(place);
    expect(guide).toMatch(/kinder/);
    expect(guide).toMatch(/stricter/);
    expect(guide).toContain('*Example.*');
    expect(guide).toContain('npm run probe --');
  });

  it('puts the probe in the walkthrough and in the offline/Azure table', () => {
    expect(section('\n## 5. First merge\n')).toContain('fidelity probe');
    const table = section('\n## What is proven offline, what only Azure proves\n');
    expect(table).toMatch(
      /^\| API Management's answers \|.*stack\.e2e\.test\.ts.*\|.*Reading a failing probe/m,
    );
  });
});

describe('a target that differs', () => {
  it('names every difference in one line', () => {
    const expected = PROBE_CASES.find((c) => c.id === 'no-basic-credential')!.expect;
    expect(
      compare(expected, { status: 400, headers: {}, body: ['error', 'message'], message: 'Bad credential' }),
    ).toEqual([
      'status: expected 401, got 400',
      'header www-authenticate: expected, missing',
      'body: expected {message, statusCode}, got {error, message}',
      'message: expected /basic authentication credentials/, got "Bad credential"',
    ]);
  });

  it('puts the differences under the summary table', () => {
    const probe = PROBE_CASES[0]!;
    const summary = probeSummary({
      ok: false,
      target: 'https://example.azure-api.net',
      cases: [
        {
          id: probe.id,
          proves: probe.proves,
          expected: probe.expect,
          observed: { status: 413, headers: {}, body: 'empty' },
          differences: ['status: expected 202, got 413'],
        },
      ],
    });
    expect(summary).toContain('the target differs from the twin');
    expect(summary).toContain('| valid-event |');
    expect(summary).toContain('❌');
    expect(summary).toContain('### Differences');
    expect(summary).toContain('  - status: expected 202, got 413');
  });

  it('refuses to run without a URL or credentials (exit 2)', async () => {
    const run = async (argv: string[], env: NodeJS.ProcessEnv) => {
      const stderr = new PassThrough();
      let text = '';
      stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const code = await probeCommand({ argv, env, stdout: new PassThrough(), stderr });
      return { code, text };
    };
    expect(await run([], {})).toEqual({ code: 2, text: expect.stringContaining('--url') as unknown });
    expect(await run(['--url', 'http://127.0.0.1:9/ingest'], {})).toEqual({
      code: 2,
      text: expect.stringContaining('API_SUBSCRIPTION_KEY') as unknown,
    });
    expect(
      await run(['--url', 'http://127.0.0.1:9/ingest', '--burst', 'many'], {
        API_SUBSCRIPTION_KEY: 'k',
        API_BASIC_CREDENTIAL: 'u:p',
      }),
    ).toEqual({ code: 2, text: expect.stringContaining('--burst') as unknown });
  });
});
