import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli';
import { deployZip } from '../src/deploy-zip';
import { NOT_FOUND, OK, SITE_UNAVAILABLE, UPLOAD_403 } from './az-responses';
import { fakeCli, type RecordedResponse } from './fake-cli';

// Each check spawns the fake az (a node process): slow on a loaded 2-core machine, never stuck.
jest.setTimeout(60_000);

async function cli(args: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}

const ZIP_ARGS = ['functionapp', 'deployment', 'source', 'config-zip'];
const deployArgs = [
  'deploy-zip',
  '--resource-group',
  'rg-harvey-dev',
  '--name',
  'func-abc',
  '--src',
  '/tmp/functions.zip',
];

describe('deploy-zip: config-zip with a bounded backoff', () => {
  it('retries a 403 from the deployment container and a 503 from a starting app, then succeeds', async () => {
    const fake = fakeCli({ az: [{ args: ZIP_ARGS, responses: [UPLOAD_403, SITE_UNAVAILABLE, OK] }] });
    const r = await cli([...deployArgs, '--first-delay', '0'], fake.env);
    expect(r.code).toBe(0);
    const calls = fake.calls();
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual([
      'az',
      ...ZIP_ARGS,
      '--resource-group',
      'rg-harvey-dev',
      '--name',
      'func-abc',
      '--src',
      '/tmp/functions.zip',
      '--timeout',
      '600',
      '--output',
      'none',
    ]);
    expect(r.stderr).toContain('config-zip attempt 1 failed');
    expect(r.stderr).toContain('deployed /tmp/functions.zip to func-abc (attempt 3 of 6)');
  });

  it('gives up after the configured attempts and exits 1 naming the last cause', async () => {
    const fake = fakeCli({ az: [{ args: ZIP_ARGS, responses: [UPLOAD_403] }] });
    const r = await cli([...deployArgs, '--first-delay', '0', '--attempts', '3'], fake.env);
    expect(r.code).toBe(1);
    expect(fake.calls()).toHaveLength(3);
    expect(r.stderr).toContain('config-zip failed 3 times; giving up');
    expect(r.stderr).toContain('error: deploy-zip: ERROR: Failed to upload');
  });

  it('does not retry what waiting cannot fix', async () => {
    const fake = fakeCli({ az: [{ args: ZIP_ARGS, responses: [NOT_FOUND, OK] }] });
    const r = await cli([...deployArgs, '--first-delay', '0'], fake.env);
    expect(r.code).toBe(1);
    expect(fake.calls()).toHaveLength(1);
    expect(r.stderr).toContain('an error waiting cannot fix: ERROR: (ResourceNotFound)');
  });

  it('waits the backoff between attempts (injected sleep)', async () => {
    const waits: number[] = [];
    let n = 0;
    const result = await deployZip(
      {
        resourceGroup: 'rg',
        name: 'func',
        src: 'f.zip',
        timeoutSeconds: 600,
        attempts: 4,
        firstDelayMs: 15_000,
        maxDelayMs: 20_000,
      },
      () =>
        Promise.resolve(
          ++n < 4 ? { code: 1, stdout: '', stderr: UPLOAD_403.stderr! } : { code: 0, stdout: '', stderr: '' },
        ),
      (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
      () => undefined,
    );
    expect(result).toMatchObject({ ok: true, attempts: 4 });
    expect(waits).toEqual([15_000, 20_000, 20_000]);
  });

  it('refuses bad options with exit 2', async () => {
    const fake = fakeCli({});
    expect((await cli(['deploy-zip', '--name', 'f', '--src', 'x.zip'], fake.env)).code).toBe(2);
    expect((await cli([...deployArgs, '--attempts', '0'], fake.env)).code).toBe(2);
    expect(fake.calls()).toEqual([]);
  });
});

describe('function-key: the APIM -> Function key from Key Vault onto the deployed app', () => {
  const KEY = 'k3y-Generated-By-Terraform_0123456789abcdef';
  const keyArgs = [
    'function-key',
    '--resource-group',
    'rg-harvey-dev',
    '--name',
    'func-abc',
    '--vault',
    'kv-abc',
    '--secret',
    'ingest-function-key',
    '--first-delay',
    '0',
  ];
  const READ = ['keyvault', 'secret', 'show'];
  const SET = ['functionapp', 'keys', 'set'];

  it('masks the key before anything else, sets it as host key "apim" with no output, never prints it', async () => {
    const fake = fakeCli({
      az: [
        { args: READ, responses: [{ stdout: `${KEY}\n` }] },
        // The host is still starting right after config-zip; the key API answers 503 once.
        {
          args: SET,
          responses: [
            {
              code: 1,
              stderr: `ERROR: Operation returned an invalid status 'Service Unavailable' (503) for ${KEY}\n`,
            },
            { stdout: '' },
          ],
        },
      ],
    });
    const r = await cli(keyArgs, fake.env);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`::add-mask::${KEY}`);
    expect(r.stdout.split(KEY)).toHaveLength(2); // only inside the mask command
    expect(r.stderr).not.toContain(KEY);
    expect(r.stderr).toContain('***');
    const calls = fake.calls();
    expect(calls[0]).toEqual([
      'az',
      ...READ,
      '--vault-name',
      'kv-abc',
      '--name',
      'ingest-function-key',
      '--query',
      'value',
      '--output',
      'tsv',
    ]);
    expect(calls[1]).toEqual([
      'az',
      ...SET,
      '--resource-group',
      'rg-harvey-dev',
      '--name',
      'func-abc',
      '--key-type',
      'functionKeys',
      '--key-name',
      'apim',
      '--key-value',
      KEY,
      '--output',
      'none',
    ]);
    expect(calls).toHaveLength(3);
  });

  it('fails without setting anything when the secret cannot be read', async () => {
    const fake = fakeCli({
      az: [
        {
          args: READ,
          responses: [
            {
              code: 1,
              stderr:
                'ERROR: (SecretNotFound) A secret with (name/id) ingest-function-key was not found in this key vault.\n',
            },
          ],
        },
        { args: SET, responses: [{ stdout: '' }] },
      ],
    });
    const r = await cli(keyArgs, fake.env);
    expect(r.code).toBe(1);
    expect(fake.calls().map((c) => c.slice(1, 4))).toEqual([READ]);
    expect(r.stderr).toContain('reading the key from Key Vault failed: ERROR: (SecretNotFound)');
  });

  it('does not wait on a function app that does not exist', async () => {
    const fake = fakeCli({
      az: [
        { args: READ, responses: [{ stdout: `${KEY}\n` }] },
        {
          args: SET,
          responses: [
            {
              code: 3,
              stderr:
                "ERROR: (ResourceNotFound) The Resource 'Microsoft.Web/sites/func-abc' was not found.\n",
            },
          ],
        },
      ],
    });
    const r = await cli(keyArgs, fake.env);
    expect(r.code).toBe(1);
    expect(fake.calls()).toHaveLength(2);
  });
});

describe('azure-ready names the identity a job signs in as', () => {
  it('asks for AZURE_PLAN_CLIENT_ID in the pull-request plan and AZURE_CLIENT_ID elsewhere', async () => {
    const env = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://t', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' };
    const plan = await cli(['azure-ready', '--identity', 'plan'], env);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('the repository has no AZURE_PLAN_CLIENT_ID (secret or variable)');
    const deploy = await cli(['azure-ready', '--require'], env);
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain('AZURE_CLIENT_ID (secret or variable)');
    expect(deploy.stderr).not.toContain('AZURE_PLAN_CLIENT_ID');
    expect((await cli(['azure-ready', '--identity', 'admin'], env)).code).toBe(2);
  });
});

describe('state-exists: the first pull request plans against an empty state', () => {
  const args = [
    'state-exists',
    '--account',
    'sttfabc',
    '--container',
    'tfstate',
    '--key',
    'pipeline-dev.tfstate',
  ];
  const EXISTS = ['storage', 'blob', 'exists'];

  async function withOutputs(responses: RecordedResponse[]) {
    const fake = fakeCli({ az: [{ args: EXISTS, responses }] });
    const dir = mkdtempSync(join(tmpdir(), 'state-'));
    const out = join(dir, 'out.txt');
    writeFileSync(out, '');
    const r = await cli(args, { ...fake.env, GITHUB_OUTPUT: out });
    return { ...r, outputs: readFileSync(out, 'utf8'), calls: fake.calls() };
  }

  it('sets exists=false before the first apply and exists=true after it', async () => {
    const before = await withOutputs([{ stdout: { exists: false } }]);
    expect(before.code).toBe(0);
    expect(before.outputs).toMatch(/^exists<<EOF_[\w-]+\nfalse\n/);
    expect(before.stdout).toContain('does not exist yet');
    expect(before.calls[0]).toEqual([
      'az',
      ...EXISTS,
      '--account-name',
      'sttfabc',
      '--container-name',
      'tfstate',
      '--name',
      'pipeline-dev.tfstate',
      '--auth-mode',
      'login',
      '--output',
      'json',
    ]);
    const after = await withOutputs([{ stdout: { exists: true } }]);
    expect(after.outputs).toMatch(/\ntrue\n/);
  });

  it('fails, rather than plan against an empty state, when it cannot tell', async () => {
    const r = await withOutputs([
      {
        code: 1,
        stderr:
          'ERROR: This request is not authorized to perform this operation using this permission.\nErrorCode:AuthorizationPermissionMismatch\n',
      },
    ]);
    expect(r.code).toBe(1);
    expect(r.outputs).toBe('');
    expect(r.stderr).toContain('state-exists: ErrorCode:AuthorizationPermissionMismatch');
  });
});
