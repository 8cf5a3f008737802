import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { azureReadiness, readinessMessage } from '../src/azure-ready';
import { touchesInfrastructure } from '../src/changed-paths';
import { main } from '../src/cli';
import { downloadNdjson } from '../src/dataset';
import { maskCommands, setOutput } from '../src/github';
import { parseReplayInputs } from '../src/replay-inputs';
import { renderProducerReport } from '../src/report';
import { imagesFor } from '../src/sample';
import { parseOutputs, resolveOutputs } from '../src/tf-outputs';

function tempEnv() {
  const dir = mkdtempSync(join(tmpdir(), 'cmd-'));
  const env = { GITHUB_OUTPUT: join(dir, 'out.txt'), GITHUB_STEP_SUMMARY: join(dir, 'summary.md') };
  writeFileSync(env.GITHUB_OUTPUT, '');
  writeFileSync(env.GITHUB_STEP_SUMMARY, '');
  return {
    dir,
    env,
    outputs: () => readFileSync(env.GITHUB_OUTPUT, 'utf8'),
    summary: () => readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8'),
  };
}

async function cli(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env, cwd });
  return { code, stdout, stderr };
}

describe('step outputs and masks', () => {
  it('writes multi-line values so they cannot inject other outputs', () => {
    const t = tempEnv();
    setOutput('a', 'one\nEOF\nb=evil', t.env);
    const text = t.outputs();
    const delimiter = /^a<<(EOF_[\w-]+)$/m.exec(text)![1]!;
    expect(text).toBe(`a<<${delimiter}\none\nEOF\nb=evil\n${delimiter}\n`);
    expect(() => setOutput('bad name', 'x', t.env)).toThrow('invalid output name');
  });

  it('masks every line of a secret, escaped', () => {
    expect(maskCommands('line1\n  line2%\n\n')).toEqual(['::add-mask::line1', '::add-mask::line2%25']);
  });
});

describe('tf-outputs', () => {
  const OUTPUTS = {
    API_BASE_URL: { sensitive: false, type: 'string', value: 'https://apim-x.azure-api.net/ingest' },
    FUNCTION_APP_NAME: { sensitive: false, type: 'string', value: 'func-x' },
    TOKEN: { sensitive: true, type: 'string', value: 's3cret' },
    OBJ: { sensitive: false, type: ['object', {}], value: { a: 1 } },
  };

  it('sets the required outputs, masking sensitive ones first', async () => {
    const t = tempEnv();
    writeFileSync(join(t.dir, 'o.json'), JSON.stringify(OUTPUTS));
    const r = await cli(
      ['tf-outputs', '--json-file', 'o.json', '--require', 'API_BASE_URL,TOKEN'],
      t.env,
      t.dir,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('::add-mask::s3cret');
    expect(r.stdout).toContain('TOKEN=***');
    expect(r.stdout).not.toMatch(/TOKEN=s3cret/);
    expect(t.outputs()).toMatch(
      /^API_BASE_URL<<(EOF_[\w-]+)\nhttps:\/\/apim-x\.azure-api\.net\/ingest\n\1$/m,
    );
  });

  it('fails naming every missing output, and refuses objects and non-outputs', async () => {
    expect(() =>
      resolveOutputs(parseOutputs(JSON.stringify(OUTPUTS)), ['API_BASE_URL', 'KEY_VAULT_NAME', 'APIM_NAME']),
    ).toThrow('the stack has no output KEY_VAULT_NAME, APIM_NAME');
    expect(() => resolveOutputs(parseOutputs(JSON.stringify(OUTPUTS)), ['OBJ'])).toThrow('not a scalar');
    expect(() => parseOutputs('[]')).toThrow('expected an object');
    expect(() => parseOutputs('{"A": 1}')).toThrow('output A has no value');
    const t = tempEnv();
    writeFileSync(join(t.dir, 'o.json'), JSON.stringify(OUTPUTS));
    const r = await cli(['tf-outputs', '--json-file', 'o.json'], t.env, t.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('RESOURCE_GROUP');
  });
});

describe('infra-changed', () => {
  it('matches the stack, policies, schemas, lockfile and the deploying workflows only', () => {
    expect(
      touchesInfrastructure([
        'cdktf/src/pipeline-stack.ts',
        'policies/ingest.xml',
        'schemas/tweet-event.schema.json',
        'package-lock.json',
        '.github/workflows/deploy.yml',
        'functions/src/functions/ingest.ts',
        'docs/deploying.md',
        'cdktf.json.bak',
        'producer/package-lock.json',
      ]),
    ).toEqual([
      'cdktf/src/pipeline-stack.ts',
      'policies/ingest.xml',
      'schemas/tweet-event.schema.json',
      'package-lock.json',
      '.github/workflows/deploy.yml',
    ]);
  });

  it('sets infra=true|false', async () => {
    const t = tempEnv();
    writeFileSync(join(t.dir, 'files.txt'), 'README.md\nfunctions/src/index.ts\n');
    await cli(['infra-changed', '--files', 'files.txt'], t.env, t.dir);
    writeFileSync(join(t.dir, 'files.txt'), 'README.md\ncdktf/src/main.ts\n');
    await cli(['infra-changed', '--files', 'files.txt'], t.env, t.dir);
    expect([...t.outputs().matchAll(/^infra<<(EOF_[\w-]+)\n(\w+)\n\1$/gm)].map((m) => m[2])).toEqual([
      'false',
      'true',
    ]);
  });
});

describe('azure-ready', () => {
  const FULL = {
    ARM_CLIENT_ID: 'c',
    ARM_TENANT_ID: 't',
    ARM_SUBSCRIPTION_ID: 's',
    TF_STATE_RESOURCE_GROUP: 'rg',
    TF_STATE_STORAGE_ACCOUNT: 'st',
    ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
  };

  it('is ready only with every setting and an OIDC token endpoint', () => {
    expect(azureReadiness(FULL)).toEqual({ ready: true, missing: [], oidcAvailable: true });
    const fork = azureReadiness({ GITHUB_ACTIONS: 'true' });
    expect(fork.ready).toBe(false);
    expect(readinessMessage(fork)).toMatch(
      /^Terraform plan skipped: the repository has no AZURE_CLIENT_ID .*TF_STATE_STORAGE_ACCOUNT \(variable\); and no OIDC token/,
    );
    expect(azureReadiness({ ...FULL, ACTIONS_ID_TOKEN_REQUEST_URL: '' }).ready).toBe(false);
  });

  it('notices and passes by default, fails with --require', async () => {
    const t = tempEnv();
    const skipped = await cli(['azure-ready'], { ...t.env, GITHUB_ACTIONS: 'true' }, t.dir);
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/^::notice::Terraform plan skipped/);
    expect(t.outputs()).toMatch(/^ready<<(EOF_[\w-]+)\nfalse\n\1$/m);
    const required = await cli(['azure-ready', '--require'], { ...t.env, GITHUB_ACTIONS: 'true' }, t.dir);
    expect(required.code).toBe(1);
    expect(required.stderr).toMatch(/^::error::Cannot deploy/);
    expect((await cli(['azure-ready', '--require'], { ...t.env, ...FULL }, t.dir)).code).toBe(0);
  });
});

describe('replay inputs', () => {
  it('accepts the defaults and each source', () => {
    expect(parseReplayInputs({ SOURCE: 'committed-sample' })).toEqual({
      errors: [],
      inputs: { source: 'committed-sample', events: 1000, rate: 50, count: 0, cache: 'use' },
    });
    expect(
      parseReplayInputs({ SOURCE: 'kaggle', KAGGLE_CREDENTIALS: 'true', DATASET_CACHE: 'refresh' }),
    ).toEqual({
      errors: [],
      inputs: { source: 'kaggle', events: 1000, rate: 50, count: 0, cache: 'refresh' },
    });
    expect(
      parseReplayInputs({
        SOURCE: 'url',
        DATASET_URL: 'https://acct.blob.core.windows.net/c/e.ndjson',
        RATE: '200',
        COUNT: '500',
        DURATION: '10m',
      }).inputs,
    ).toEqual({
      source: 'url',
      url: 'https://acct.blob.core.windows.net/c/e.ndjson',
      events: 1000,
      rate: 200,
      count: 500,
      duration: '10m',
      cache: 'use',
    });
  });

  it('reports every bad input at once, naming it', async () => {
    const { errors } = parseReplayInputs({
      SOURCE: 'url',
      DATASET_URL: 'http://x/e.ndjson',
      RATE: '0',
      COUNT: '-1',
      DURATION: '10 minutes',
      EVENTS: '1.5',
    });
    expect(errors).toEqual([
      'events must be an integer from 1 to 200000; got "1.5"',
      'count must be an integer from 0 to 9007199254740991; got "-1"',
      'rate must be a number above 0 and at most 10000; got "0"',
      'duration must look like 90s, 10m or 2h; got "10 minutes"',
      'url must use https',
    ]);
    expect(parseReplayInputs({ SOURCE: 'hf' }).errors).toEqual([
      'source must be one of committed-sample, generated, url, kaggle; got "hf"',
    ]);
    // The workflow passes whether both Kaggle secrets are set; a missing one fails before any work.
    expect(
      parseReplayInputs({ SOURCE: 'kaggle', KAGGLE_CREDENTIALS: 'false', DATASET_CACHE: 'sometimes' }).errors,
    ).toEqual([
      'dataset_cache must be one of use, refresh, off; got "sometimes"',
      expect.stringMatching(/^source kaggle needs the repository secrets KAGGLE_USERNAME and KAGGLE_KEY/),
    ]);
    const t = tempEnv();
    const r = await cli(['replay-inputs'], { SOURCE: 'url' }, t.dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('url is required when source is url');
  });
});

describe('dataset download', () => {
  it('needs a token for Azure Blob URLs', async () => {
    await expect(
      downloadNdjson('https://acct.blob.core.windows.net/c/e.ndjson', '/tmp/never', {
        maxBytes: 1,
        timeoutMs: 1,
      }),
    ).rejects.toThrow('AZURE_STORAGE_TOKEN');
  });

  it('the dataset command copies the committed sample', async () => {
    const t = tempEnv();
    const r = await cli(['dataset', '--source', 'committed-sample', '--out', 'events.ndjson'], t.env, t.dir);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(t.dir, 'events.ndjson'), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(100);
    for (const line of lines.slice(0, 5))
      expect((JSON.parse(line) as { id: string }).id).toMatch(/^[0-9a-f]{32}$/);
    expect(t.outputs()).toMatch(new RegExp(`^events<<(EOF_[\\w-]+)\\n${lines.length}\\n\\1$`, 'm'));
  });

  it('sizes generated image sets like the real data', () => {
    expect(imagesFor(150_000)).toBe(23_000);
    expect(imagesFor(1000)).toBe(153);
    expect(imagesFor(1)).toBe(1);
    expect(imagesFor(10_000_000)).toBe(23_000);
  });
});

describe('producer report rendering', () => {
  it('renders counts, rate, statuses, latency, rejections and failures', () => {
    const md = renderProducerReport({
      ok: false,
      durationMs: 60_500,
      settings: { rate: 100 },
      events: { read: 6000, sent: 6000, accepted: 5990, rejected: 2, failed: 8, notSent: 0 },
      requests: { total: 120, byStatus: { '202': 118, '400': 1, '503': 1 }, retries: 3 },
      throughput: { eventsPerSecond: 99.2 },
      latencyMs: { count: 120, p50: 12.25, p90: 30, p99: 88.5, max: 120, mean: 15 },
      rejected: [{ id: 'abc', source: 'server', errors: [{ path: '$.likes', message: 'must be >= 0' }] }],
      failed: [{ id: 'def', status: 503, reason: 'retries exhausted' }],
      stoppedEarly: 'the API refused the credential (401)',
    });
    expect(md).toContain('| read | sent | accepted | rejected | failed | not sent |');
    expect(md).toContain('| 6,000 | 6,000 | 5,990 | 2 | 8 | 0 |');
    expect(md).toContain(
      'duration 60.5 s · target 100 events/s · achieved 99.2 events/s · 120 requests · 3 retries',
    );
    expect(md).toContain('| 118 | 1 | 1 |');
    expect(md).toContain('| end to end (corrected) | 12.3 | 30 | 88.5 | 120 | 15 |');
    expect(md).toContain('| abc | server | $.likes must be &gt;= 0 |');
    expect(md).toContain('| def | 503 | retries exhausted |');
    expect(md).toContain('Stopped early: the API refused the credential (401)');
  });

  it('says when there is no report', () => {
    expect(renderProducerReport(undefined)).toContain('The producer printed no JSON report.');
  });
});
