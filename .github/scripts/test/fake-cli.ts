import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One recorded answer of the fake `az`/`gh` (stdout: text, or a value printed as JSON). */
export interface RecordedResponse {
  readonly code?: number;
  readonly stdout?: unknown;
  readonly stderr?: string;
}
export interface RecordedCommand {
  readonly args: readonly string[];
  readonly responses: readonly RecordedResponse[];
}
export type Scenario = Partial<Record<'az' | 'gh', readonly RecordedCommand[]>>;

const FAKE = join(__dirname, 'fixtures/fake-cli.js');

/**
 * Puts a fake `az` and `gh` first on PATH, replaying `scenario` (see fixtures/fake-cli.js). With
 * `programs` the bin folder holds only those (a machine without gh, or without az).
 */
export function fakeCli(scenario: Scenario, programs: readonly ('az' | 'gh')[] = ['az', 'gh']) {
  const dir = mkdtempSync(join(tmpdir(), 'fake-cli-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const program of programs) {
    const file = join(bin, program);
    writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${FAKE}" ${program} "$@"\n`);
    chmodSync(file, 0o755);
  }
  const scenarioFile = join(dir, 'scenario.json');
  writeFileSync(scenarioFile, JSON.stringify(scenario));
  const log = join(dir, 'calls.jsonl');
  return {
    // Only the fake bin and the folder of node itself: no real az or gh can answer.
    env: {
      PATH: `${bin}:/usr/bin:/bin`,
      FAKE_CLI_SCENARIO: scenarioFile,
      FAKE_CLI_LOG: log,
    } as NodeJS.ProcessEnv,
    calls: (): string[][] =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}

export function fixture(name: string, replacements: Record<string, string> = {}): unknown {
  let text = readFileSync(join(__dirname, 'fixtures/preflight', name), 'utf8');
  for (const [key, value] of Object.entries(replacements)) text = text.split(`{{${key}}}`).join(value);
  return JSON.parse(text) as unknown;
}
