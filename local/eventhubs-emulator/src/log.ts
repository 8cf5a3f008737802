export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** A structured logger: each call is one object with `time`, `level` and `msg`. */
export interface Logger {
  error(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  info(msg: string, fields?: object): void;
  debug(msg: string, fields?: object): void;
  readonly debugEnabled: boolean;
}

/** JSON lines on stderr: stdout stays free for whatever a script wants to print. */
export function jsonLinesToStderr(line: object): void {
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

export function createLogger(
  level: LogLevel = 'info',
  sink: (line: object) => void = jsonLinesToStderr,
): Logger {
  const max = RANK[level];
  const emit = (lvl: LogLevel) => (msg: string, fields?: object) => {
    if (RANK[lvl] <= max) sink({ time: new Date().toISOString(), level: lvl, msg, ...fields });
  };
  return {
    error: emit('error'),
    warn: emit('warn'),
    info: emit('info'),
    debug: emit('debug'),
    debugEnabled: max >= RANK.debug,
  };
}
