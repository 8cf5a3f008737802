/** Where the host writes: one line per invocation and per lifecycle event; `debug` only when asked. */
export interface HostLogger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  debug(line: string): void;
}

export function consoleLogger(options: { debug?: boolean } = {}): HostLogger {
  const stamp = () => new Date().toISOString();
  return {
    info: (line) => process.stdout.write(`[${stamp()}] ${line}\n`),
    warn: (line) => process.stderr.write(`[${stamp()}] warn: ${line}\n`),
    error: (line) => process.stderr.write(`[${stamp()}] error: ${line}\n`),
    debug: options.debug ? (line) => process.stdout.write(`[${stamp()}] debug: ${line}\n`) : () => {},
  };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
