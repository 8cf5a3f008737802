import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { synthesize } from '../src/main';
import { BOOTSTRAP_SECURITY_RULES, runSecurityRules } from '../src/security-rules';
import { FIXTURE_POLICIES_DIR, policyFilesOnDisk, synthPipeline } from './helpers';

/** A small, stable fingerprint of the whole stack: each resource's address and a hash of it. */
function fingerprint(tf: { resource?: Record<string, Record<string, unknown>> }): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [type, byName] of Object.entries(tf.resource ?? {})) {
    // Exists only when policies/ has the optional operation file, which another workspace owns.
    if (type === 'azurerm_api_management_api_operation_policy') continue;
    for (const [name, attrs] of Object.entries(byName)) {
      // Policy XML and the schema are owned by policies/ and schemas/ and compared with those files
      // elsewhere; keeping them out lets their owners edit them without touching this snapshot.
      const { xml_content: _xml, ...rest } = attrs as Record<string, unknown>;
      if (type === 'azurerm_api_management_global_schema') delete rest.value;
      result[`${type}.${name}`] = createHash('sha256')
        .update(JSON.stringify(rest))
        .digest('hex')
        .slice(0, 12);
    }
  }
  return result;
}

describe('synthesis', () => {
  test('is deterministic: two runs give identical JSON', () => {
    expect(synthPipeline().json).toBe(synthPipeline().json);
  });

  test('whole-stack fingerprint (update with `jest -u` after an intended change)', () => {
    expect(fingerprint(synthPipeline().tf)).toMatchSnapshot();
  });

  test('the synth entry writes plain Terraform JSON for each stack, offline, passing the security rules', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdktf-out-'));
    const allOnDisk = Object.entries(policyFilesOnDisk()).every(
      ([file, present]) => present || file.startsWith('operation'),
    );
    const env = {
      ARM_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555',
      GITHUB_REPOSITORY: 'octo/harvey-fork',
      GITHUB_REPOSITORY_OWNER_ID: '583231',
      GITHUB_REPOSITORY_ID: '1296269',
      ...(allOnDisk ? {} : { POLICIES_DIR: FIXTURE_POLICIES_DIR }),
    };
    const first = synthesize(env, outdir);
    expect(first.stacks).toEqual(['pipeline-dev', 'pipeline-prod', 'bootstrap']);
    for (const stack of first.stacks) {
      const file = path.join(outdir, 'stacks', stack, 'cdk.tf.json');
      expect(existsSync(file)).toBe(true);
      const tf = JSON.parse(readFileSync(file, 'utf8')) as {
        terraform: { required_providers: Record<string, { version: string }> };
      };
      expect(tf.terraform.required_providers.azurerm?.version).toBe('4.55.0');
      if (stack.startsWith('pipeline-')) expect(runSecurityRules(tf as never)).toEqual([]);
      else expect(runSecurityRules(tf as never, BOOTSTRAP_SECURITY_RULES)).toEqual([]);
    }
    const devJson = readFileSync(path.join(outdir, 'stacks', 'pipeline-dev', 'cdk.tf.json'), 'utf8');
    synthesize(env, outdir);
    expect(readFileSync(path.join(outdir, 'stacks', 'pipeline-dev', 'cdk.tf.json'), 'utf8')).toBe(devJson);
  });

  test('remote state: the azurerm backend with Entra ID auth and OIDC when the bootstrap variables are set', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdktf-out-'));
    synthesize(
      {
        POLICIES_DIR: FIXTURE_POLICIES_DIR,
        ARM_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555',
        TF_STATE_RESOURCE_GROUP: 'rg-tfstate',
        TF_STATE_STORAGE_ACCOUNT: 'sttfabc',
      },
      outdir,
    );
    const tf = JSON.parse(
      readFileSync(path.join(outdir, 'stacks', 'pipeline-prod', 'cdk.tf.json'), 'utf8'),
    ) as {
      terraform: { backend: unknown };
    };
    expect(tf.terraform.backend).toEqual({
      azurerm: {
        resource_group_name: 'rg-tfstate',
        storage_account_name: 'sttfabc',
        container_name: 'tfstate',
        key: 'pipeline-prod.tfstate',
        use_azuread_auth: true,
        use_oidc: true,
      },
    });
    expect(() =>
      synthesize(
        { POLICIES_DIR: FIXTURE_POLICIES_DIR, ARM_SUBSCRIPTION_ID: 'x', TF_STATE_STORAGE_ACCOUNT: 'x' },
        outdir,
      ),
    ).toThrow(/TF_STATE_RESOURCE_GROUP/);
  });

  test('the bootstrap without the repository ids fails naming the gh command; the pipeline stacks never need them', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdktf-out-'));
    const base = {
      POLICIES_DIR: FIXTURE_POLICIES_DIR,
      ARM_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555',
    };
    expect(() => synthesize({ ...base, BOOTSTRAP_REPOSITORY: 'octo/harvey-fork' }, outdir)).toThrow(
      /GITHUB_REPOSITORY_OWNER_ID is not set.*gh api repos\/octo\/harvey-fork --jq '\.owner\.id, \.id'/s,
    );
    expect(synthesize(base, outdir).stacks).toEqual(['pipeline-dev', 'pipeline-prod']);
  });

  test('the bootstrap creates the resource groups the pipeline stacks read, by the same names', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'cdktf-out-'));
    synthesize(
      {
        POLICIES_DIR: FIXTURE_POLICIES_DIR,
        ARM_SUBSCRIPTION_ID: '11111111-2222-3333-4444-555555555555',
        BOOTSTRAP_REPOSITORY: 'octo/harvey-fork',
        GITHUB_REPOSITORY_OWNER_ID: '583231',
        GITHUB_REPOSITORY_ID: '1296269',
        AZURE_LOCATION: 'westeurope',
      },
      outdir,
    );
    const read = (stack: string) =>
      JSON.parse(readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as {
        resource?: Record<string, Record<string, { name?: string; location?: string }>>;
        data?: Record<string, Record<string, { name?: string }>>;
      };
    const created = Object.values(read('bootstrap').resource?.azurerm_resource_group ?? {})
      .filter((g) => g.name !== 'rg-tfstate')
      .map((g) => [g.name, g.location]);
    const used = ['pipeline-dev', 'pipeline-prod'].map((s) => [
      Object.values(read(s).data?.azurerm_resource_group ?? {})[0]?.name,
      'westeurope',
    ]);
    expect(created.sort()).toEqual(used.sort());
  });
});
