import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli';
import { classify, planMarker, renderPlan, summarizePlan, type TerraformPlanJson } from '../src/plan-summary';

// Shaped like `terraform show -json tfplan` (format 1.2), values included as Terraform writes them.
const PLAN: TerraformPlanJson & Record<string, unknown> = {
  format_version: '1.2',
  terraform_version: '1.14.8',
  resource_changes: [
    {
      address: 'azurerm_resource_group.rg',
      mode: 'managed',
      type: 'azurerm_resource_group',
      change: { actions: ['no-op'] },
    },
    {
      address: 'azurerm_eventhub.hub',
      mode: 'managed',
      type: 'azurerm_eventhub',
      change: { actions: ['update'] },
    },
    {
      address: 'azurerm_key_vault_secret.basic',
      mode: 'managed',
      type: 'azurerm_key_vault_secret',
      change: { actions: ['create'], after: { value: 'producer:s3cr3t-value' } } as never,
    },
    {
      address: 'azurerm_cosmosdb_account.db',
      mode: 'managed',
      type: 'azurerm_cosmosdb_account',
      change: { actions: ['delete', 'create'] },
    },
    {
      address: 'azurerm_monitor_metric_alert.old',
      mode: 'managed',
      type: 'azurerm_monitor_metric_alert',
      change: { actions: ['delete'] },
    },
    {
      address: 'azurerm_function_app_flex_consumption.app',
      mode: 'managed',
      type: 'azurerm_function_app_flex_consumption',
      change: { actions: ['create', 'delete'] },
    },
    {
      address: 'data.azurerm_client_config.current',
      mode: 'data',
      type: 'azurerm_client_config',
      change: { actions: ['read'] },
    },
  ],
  output_changes: { API_BASE_URL: { actions: ['create'] }, RESOURCE_GROUP: { actions: ['no-op'] } },
};

describe('plan summary', () => {
  it("counts like Terraform's own summary line (a replacement is one add and one destroy)", () => {
    const s = summarizePlan(PLAN);
    expect(s.counts).toEqual({ add: 3, change: 1, destroy: 3, replace: 2 });
    expect(s.changes.map((c) => `${c.action} ${c.address}`)).toEqual([
      'replace azurerm_cosmosdb_account.db',
      'update azurerm_eventhub.hub',
      'replace azurerm_function_app_flex_consumption.app',
      'create azurerm_key_vault_secret.basic',
      'delete azurerm_monitor_metric_alert.old',
    ]);
    expect(s.outputs).toEqual([{ name: 'API_BASE_URL', action: 'create' }]);
    expect(s.dataLoss).toEqual(['azurerm_cosmosdb_account.db']);
    expect(s.hasChanges).toBe(true);
  });

  it('renders names and actions, never values, with a caution for data loss', () => {
    const md = renderPlan(summarizePlan(PLAN), { stack: 'pipeline-dev', sha: 'abcdef1234567890' });
    expect(md.startsWith(planMarker('pipeline-dev'))).toBe(true);
    expect(md).toContain('**Plan:** 3 to add, 1 to change, 3 to destroy (2 replaced).');
    expect(md).toContain('> [!CAUTION]');
    expect(md).toContain('`azurerm_cosmosdb_account.db`');
    expect(md).toContain('| -/+ replace | `azurerm_function_app_flex_consumption.app` |');
    expect(md).toContain('commit `abcdef123456`');
    expect(md).not.toContain('s3cr3t');
  });

  it('says so when nothing changes', () => {
    const s = summarizePlan({ format_version: '1.2', resource_changes: [PLAN.resource_changes![0]!] });
    expect(s.hasChanges).toBe(false);
    expect(renderPlan(s, { stack: 'pipeline-dev' })).toContain('**No changes.**');
  });

  it('gives the same digest to the same change set, and a different one when it changes', () => {
    const a = summarizePlan(PLAN).digest;
    const shuffled = { ...PLAN, resource_changes: [...PLAN.resource_changes!].reverse() };
    expect(summarizePlan(shuffled).digest).toBe(a);
    const extra = {
      ...PLAN,
      resource_changes: [
        ...PLAN.resource_changes!,
        {
          address: 'azurerm_storage_account.x',
          type: 'azurerm_storage_account',
          change: { actions: ['delete'] },
        },
      ],
    };
    expect(summarizePlan(extra).digest).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses what is not a plan, and action lists it does not know', () => {
    expect(() => summarizePlan({})).toThrow('not a Terraform plan');
    expect(() => classify(['create', 'update'])).toThrow('unknown Terraform action list');
  });

  it('truncates very long plans', () => {
    const many: TerraformPlanJson = {
      format_version: '1.2',
      resource_changes: Array.from({ length: 30 }, (_, i) => ({
        address: `azurerm_x.r${String(i).padStart(2, '0')}`,
        type: 'azurerm_x',
        change: { actions: ['create'] },
      })),
    };
    expect(renderPlan(summarizePlan(many), { stack: 's', maxRows: 10 })).toContain('…and 20 more.');
  });
});

describe('plan-summary command', () => {
  const run = async (args: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'plan-'));
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(PLAN));
    const env = { GITHUB_STEP_SUMMARY: join(dir, 'summary.md'), GITHUB_OUTPUT: join(dir, 'output.txt') };
    writeFileSync(env.GITHUB_STEP_SUMMARY, '');
    writeFileSync(env.GITHUB_OUTPUT, '');
    let stderr = '';
    const code = await main(
      ['plan-summary', '--plan-json', 'plan.json', '--stack', 'pipeline-dev', ...args],
      {
        stdout: () => undefined,
        stderr: (t) => (stderr += t),
        env,
        cwd: dir,
      },
    );
    return {
      code,
      stderr,
      summary: readFileSync(env.GITHUB_STEP_SUMMARY, 'utf8'),
      outputs: readFileSync(env.GITHUB_OUTPUT, 'utf8'),
      dir,
    };
  };

  it('writes the summary and the step outputs', async () => {
    const r = await run(['--out', 'plan.md']);
    expect(r.code).toBe(0);
    expect(r.summary).toContain('3 to add');
    expect(readFileSync(join(r.dir, 'plan.md'), 'utf8')).toBe(r.summary);
    for (const [name, value] of [
      ['has_changes', 'true'],
      ['add', '3'],
      ['destroy', '3'],
      ['data_loss', 'true'],
      ['digest', summarizePlan(PLAN).digest],
    ]) {
      expect(r.outputs).toMatch(new RegExp(`^${name}<<(EOF_[\\w-]+)\\n${value}\\n\\1$`, 'm'));
    }
  });

  it('passes when the change set is the reviewed one, and fails when it is not', async () => {
    expect((await run(['--expect-digest', summarizePlan(PLAN).digest])).code).toBe(0);
    const changed = await run(['--expect-digest', '0'.repeat(64)]);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('the plan differs from the reviewed one');
  });
});
