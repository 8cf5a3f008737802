import { execSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { REPO_ROOT } from './paths';

/** What a measured figure in the docs was measured on (`npm run bench`, `npm run faults`). */
export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  /**
   * The 1, 5 and 15 minute load averages when the run ended (os.loadavg, the same figures as Linux's
   * /proc/loadavg, on macOS too): the noise the figures were measured under.
   */
  readonly load: string;
}

export function machineInfo(): Machine {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load: loadavg()
      .map((average) => average.toFixed(2))
      .join(' '),
  };
}

/** The commit the figures were measured at. */
export function currentCommit(): string {
  return execSync('git rev-parse --short HEAD', { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
}

/** Replaces the part of `document` from `begin` to `end` (markers included), or appends `section`. */
export function replaceMarkedSection(document: string, section: string, begin: string, end: string): string {
  const from = document.indexOf(begin);
  const to = document.indexOf(end);
  if (from === -1 || to < from) return `${document.trimEnd()}\n\n${section}\n`;
  return document.slice(0, from) + section + document.slice(to + end.length);
}

/**
 * Writes `section` (plain markdown, its markers first and last) into the marked part of a doc, laid out
 * by the repository's prettier so the rewritten file passes `prettier --check` like every other.
 */
export async function writeMarkedSection(
  file: string,
  section: string,
  begin: string,
  end: string,
): Promise<void> {
  const prettier = await import('prettier');
  const next = replaceMarkedSection(readFileSync(file, 'utf8'), section, begin, end);
  writeFileSync(
    file,
    await prettier.format(next, { ...(await prettier.resolveConfig(file)), filepath: file }),
  );
}
