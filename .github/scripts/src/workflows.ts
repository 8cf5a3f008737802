import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEPLOY_OUTPUTS } from './tf-outputs';

/** A loaded workflow: its file name, raw text (comments matter: version pins) and parsed form. */
export interface LoadedWorkflow {
  readonly file: string;
  readonly text: string;
  readonly doc: Workflow;
}

export interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
  readonly 'working-directory'?: string;
  readonly 'timeout-minutes'?: number;
}

export interface Job {
  readonly name?: string;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly 'runs-on'?: string;
  readonly 'timeout-minutes'?: number;
  readonly permissions?: Record<string, string> | string;
  readonly environment?: string | { readonly name: string; readonly url?: string };
  readonly concurrency?: unknown;
  readonly env?: Record<string, unknown>;
  readonly steps?: readonly Step[];
  readonly uses?: string;
  /** Job outputs: expressions, often `${{ steps.<id>.outputs.<NAME> }}`. */
  readonly outputs?: Record<string, string>;
}

export interface Workflow {
  readonly name?: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string> | string;
  readonly concurrency?:
    { readonly group: string; readonly 'cancel-in-progress'?: boolean | string } | string;
  readonly env?: Record<string, unknown>;
  readonly jobs: Record<string, Job>;
}

export function loadWorkflows(dir: string): LoadedWorkflow[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return { file, text, doc: parse(text) as Workflow };
    });
}

/** A `uses:` line as written, with its trailing comment. */
export interface ActionReference {
  readonly file: string;
  readonly line: number;
  readonly action: string;
  readonly ref: string;
  readonly comment: string;
}

export function actionReferences(workflow: LoadedWorkflow): ActionReference[] {
  const refs: ActionReference[] = [];
  workflow.text.split('\n').forEach((raw, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*([^\s#@]+)@([^\s#]+)\s*(?:#\s*(.*))?$/.exec(raw);
    if (m)
      refs.push({
        file: workflow.file,
        line: i + 1,
        action: m[1]!,
        ref: m[2]!,
        comment: (m[3] ?? '').trim(),
      });
  });
  return refs;
}

/** Where a workflow names a Terraform output, and how. */
export interface TerraformOutputReference {
  readonly file: string;
  readonly job: string;
  readonly name: string;
  /** `require`: in a `tf-outputs --require` list; `read`: as `steps.<tf-outputs step>.outputs.<name>`. */
  readonly how: 'require' | 'read';
  /** For a read: whether that step's `--require` list names it (`tf-outputs` sets only those). */
  readonly required?: boolean;
}

/** The `tf-outputs` command of .github/scripts/src/cli.ts, the one way a workflow reads the stack's outputs. */
const TF_OUTPUTS_STEP = /\bcli\.js tf-outputs\b/;

/**
 * Every Terraform output name a workflow uses: the names each `tf-outputs` step requires, and every
 * `steps.<that step>.outputs.<NAME>` in the same job (step fields, job outputs, environment URL).
 * The workflow test checks them against the contract (schemas/src/terraform-outputs.ts), since YAML
 * cannot import it.
 */
export function terraformOutputReferences(workflow: LoadedWorkflow): TerraformOutputReference[] {
  const found: TerraformOutputReference[] = [];
  for (const [job, definition] of Object.entries(workflow.doc.jobs)) {
    const required = new Map<string, readonly string[] | 'all'>();
    for (const step of definition.steps ?? []) {
      if (!step.run || !TF_OUTPUTS_STEP.test(step.run)) continue;
      // As the command resolves them: --all sets every output the stack has, else the --require
      // list, else its default list.
      const listed = /--require[ =]([A-Z0-9_,]+)/.exec(step.run)?.[1]?.split(',').filter(Boolean) ?? [];
      for (const name of listed) found.push({ file: workflow.file, job, name, how: 'require' });
      const sets = /--all\b/.test(step.run) ? 'all' : listed.length ? listed : DEPLOY_OUTPUTS;
      if (step.id) required.set(step.id, sets);
    }
    if (required.size === 0) continue;
    const text = JSON.stringify(definition);
    for (const match of text.matchAll(/\bsteps\.([\w-]+)\.outputs\.([A-Za-z0-9_]+)/g)) {
      const names = required.get(match[1]!);
      if (names)
        found.push({
          file: workflow.file,
          job,
          name: match[2]!,
          how: 'read',
          required: names === 'all' || names.includes(match[2]!),
        });
    }
  }
  return found;
}
