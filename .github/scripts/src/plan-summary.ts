import { createHash } from 'node:crypto';
import { cell, details, table } from './markdown';

/** The part of `terraform show -json <planfile>` this summary reads (format_version 1.x). */
export interface TerraformPlanJson {
  readonly format_version?: string;
  readonly terraform_version?: string;
  readonly errored?: boolean;
  readonly resource_changes?: readonly ResourceChange[];
  readonly resource_drift?: readonly ResourceChange[];
  readonly output_changes?: Readonly<Record<string, { readonly actions: readonly string[] }>>;
}

export interface ResourceChange {
  readonly address: string;
  readonly mode?: 'managed' | 'data';
  readonly type: string;
  readonly change: { readonly actions: readonly string[] };
  readonly action_reason?: string;
}

export type Action = 'create' | 'update' | 'delete' | 'replace' | 'read' | 'no-op';

export interface PlanCounts {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
  readonly replace: number;
}

export interface PlanSummary {
  /** Terraform's own arithmetic: a replacement counts as one add and one destroy. */
  readonly counts: PlanCounts;
  readonly changes: readonly { readonly address: string; readonly type: string; readonly action: Action }[];
  /** Deletions or replacements of resources that hold data (state lost on replace). */
  readonly dataLoss: readonly string[];
  readonly outputs: readonly { readonly name: string; readonly action: Action }[];
  readonly hasChanges: boolean;
  /**
   * sha256 over the sorted (address, action) pairs of resources and outputs: what a reviewer
   * approved. Values are left out on purpose (they may be secret, and unknown ones vary by run).
   */
  readonly digest: string;
}

/**
 * Resource types whose replacement or deletion loses data or identity (events, documents, secrets,
 * the archive). A plan that touches them this way is called out at the top of the summary.
 */
export const DATA_BEARING_TYPES: ReadonlySet<string> = new Set([
  'azurerm_cosmosdb_account',
  'azurerm_cosmosdb_sql_database',
  'azurerm_cosmosdb_sql_container',
  'azurerm_storage_account',
  'azurerm_storage_container',
  'azurerm_key_vault',
  'azurerm_key_vault_secret',
  'azurerm_eventhub_namespace',
  'azurerm_eventhub',
  'azurerm_log_analytics_workspace',
  'azurerm_resource_group',
]);

/** Maps Terraform's action lists to one action (`["delete","create"]` and its reverse are replace). */
export function classify(actions: readonly string[]): Action {
  const key = actions.join(',');
  switch (key) {
    case 'create':
    case 'update':
    case 'delete':
    case 'read':
    case 'no-op':
      return key;
    case 'delete,create':
    case 'create,delete':
      return 'replace';
    default:
      throw new Error(`unknown Terraform action list: [${actions.join(', ')}]`);
  }
}

export function summarizePlan(plan: TerraformPlanJson): PlanSummary {
  if (!plan || typeof plan !== 'object' || !('format_version' in plan)) {
    throw new Error('not a Terraform plan: expected the output of `terraform show -json <planfile>`');
  }
  const changes = (plan.resource_changes ?? [])
    .filter((rc) => rc.mode !== 'data')
    .map((rc) => ({ address: rc.address, type: rc.type, action: classify(rc.change.actions) }))
    .filter((c) => c.action !== 'no-op' && c.action !== 'read')
    .sort((a, b) => a.address.localeCompare(b.address));
  const count = (...actions: Action[]) => changes.filter((c) => actions.includes(c.action)).length;
  const outputs = Object.entries(plan.output_changes ?? {})
    .map(([name, o]) => ({ name, action: classify(o.actions) }))
    .filter((o) => o.action !== 'no-op')
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    counts: {
      add: count('create', 'replace'),
      change: count('update'),
      destroy: count('delete', 'replace'),
      replace: count('replace'),
    },
    changes,
    dataLoss: changes
      .filter((c) => (c.action === 'delete' || c.action === 'replace') && DATA_BEARING_TYPES.has(c.type))
      .map((c) => c.address),
    outputs,
    hasChanges: changes.length > 0 || outputs.length > 0,
    digest: createHash('sha256')
      .update(
        JSON.stringify({
          resources: changes.map((c) => [c.address, c.action]),
          outputs: outputs.map((o) => [o.name, o.action]),
        }),
      )
      .digest('hex'),
  };
}

const SYMBOL: Record<Action, string> = {
  create: '+ create',
  update: '~ update',
  delete: '- destroy',
  replace: '-/+ replace',
  read: '<= read',
  'no-op': '',
};

/** The hidden marker that lets a later run find and update its own comment. */
export function planMarker(stack: string): string {
  return `<!-- pipeline-plan:${stack.replace(/[^A-Za-z0-9_.-]/g, '_')} -->`;
}

export interface RenderOptions {
  readonly stack: string;
  /** Link to the workflow run that produced the plan. */
  readonly runUrl?: string | undefined;
  /** The commit the plan was made from. */
  readonly sha?: string | undefined;
  /** At most this many rows in the table; the rest is counted. */
  readonly maxRows?: number;
}

/** Markdown for the job summary and the pull-request comment. Names and actions only: no values. */
export function renderPlan(summary: PlanSummary, options: RenderOptions): string {
  const { counts } = summary;
  const lines = [planMarker(options.stack), `### Terraform plan: \`${cell(options.stack)}\``, ''];
  lines.push(
    summary.hasChanges
      ? `**Plan:** ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy` +
          (counts.replace ? ` (${counts.replace} replaced)` : '') +
          '.'
      : '**No changes.** The infrastructure matches the configuration.',
  );
  if (summary.dataLoss.length) {
    lines.push(
      '',
      `> [!CAUTION]\n> This plan destroys or replaces ${summary.dataLoss.length} resource(s) that hold data: ` +
        summary.dataLoss.map((a) => `\`${cell(a)}\``).join(', ') +
        '. Review before merging.',
    );
  }
  const maxRows = options.maxRows ?? 200;
  if (summary.changes.length) {
    const rows = summary.changes.slice(0, maxRows).map((c) => [SYMBOL[c.action], `\`${c.address}\``]);
    let body = table(['action', 'resource'], rows);
    if (summary.changes.length > maxRows) body += `\n\n…and ${summary.changes.length - maxRows} more.`;
    lines.push('', details(`${summary.changes.length} resource change(s)`, body));
  }
  if (summary.outputs.length) {
    lines.push(
      '',
      details(
        `${summary.outputs.length} output change(s)`,
        table(
          ['action', 'output'],
          summary.outputs.map((o) => [SYMBOL[o.action], `\`${o.name}\``]),
        ),
      ),
    );
  }
  const footer = [
    options.sha ? `commit \`${options.sha.slice(0, 12)}\`` : '',
    options.runUrl ? `[workflow run](${options.runUrl})` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  lines.push(
    '',
    `<sub>${[footer, `change set \`${summary.digest.slice(0, 16)}\``].filter(Boolean).join(' · ')}</sub>`,
  );
  return `${lines.join('\n')}\n`;
}
