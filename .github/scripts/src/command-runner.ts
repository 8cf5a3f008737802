import { execFile } from 'node:child_process';

/** What a finished command said. `code` is 127 when the program is not on PATH (as a shell says). */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with arguments (never through a shell). Tests put a fake `az`/`gh` first on PATH. */
export type CommandRunner = (program: string, args: readonly string[]) => Promise<CommandResult>;

/**
 * A runner over execFile. The child's PATH is the one in `env`, so a test's fake `az` on that PATH
 * is the one found (libuv resolves the program with the PATH of the environment it is given).
 */
export function processRunner(env: NodeJS.ProcessEnv, timeoutMs = 15 * 60_000): CommandRunner {
  return (program, args) =>
    new Promise((resolve) => {
      execFile(
        program,
        [...args],
        { env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolve({ code: 0, stdout, stderr });
          const e = error as NodeJS.ErrnoException & { code?: number | string };
          if (e.code === 'ENOENT')
            return resolve({ code: 127, stdout, stderr: `${program}: command not found` });
          resolve({ code: typeof e.code === 'number' ? e.code : 1, stdout, stderr: stderr || e.message });
        },
      );
    });
}

/** Parses a command's JSON output, naming the command when it is not JSON. */
export function parseJsonOutput<T>(what: string, result: CommandResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`${what} did not print JSON: ${result.stdout.slice(0, 200)}`);
  }
}

/** The last meaningful line of a failed command's stderr (az prints the cause last). */
export function lastErrorLine(result: CommandResult): string {
  const lines = result.stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.at(-1) ?? `exit code ${result.code}`;
}
