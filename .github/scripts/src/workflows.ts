import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

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
