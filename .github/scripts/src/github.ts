import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';

/**
 * The runner's file-based commands (step summary, step outputs, masks), written the way the runner
 * documents them. Outside Actions (a laptop) every function degrades to a no-op or to stderr, so the
 * same scripts run locally.
 */
export interface ActionsEnvironment {
  readonly GITHUB_STEP_SUMMARY?: string | undefined;
  readonly GITHUB_OUTPUT?: string | undefined;
  readonly GITHUB_ACTIONS?: string | undefined;
}

/** Appends markdown to the job summary; returns false when not running in Actions. */
export function appendStepSummary(markdown: string, env: ActionsEnvironment = process.env): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return true;
}

/**
 * Sets a step output. Values go through the heredoc form with a random delimiter, so a value with
 * newlines (or one that happens to contain a delimiter) cannot inject other outputs.
 */
export function setOutput(name: string, value: string, env: ActionsEnvironment = process.env): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new Error(`invalid output name: ${name}`);
  const file = env.GITHUB_OUTPUT;
  if (!file) return false;
  let delimiter = `EOF_${randomUUID()}`;
  while (value.includes(delimiter)) delimiter = `EOF_${randomUUID()}`;
  appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
  return true;
}

/**
 * Asks the runner to mask a value in every later log line. Each line of a multi-line value is
 * masked separately, because the runner masks line by line.
 */
export function maskCommands(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => `::add-mask::${escapeData(line)}`);
}

/** `::error::` / `::warning::` / `::notice::` annotations (plain text outside Actions). */
export function annotation(
  level: 'error' | 'warning' | 'notice',
  message: string,
  env: ActionsEnvironment = process.env,
): string {
  return env.GITHUB_ACTIONS === 'true' ? `::${level}::${escapeData(message)}` : `${level}: ${message}`;
}

/** Workflow-command data escaping, as the runner's toolkit does it. */
export function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
