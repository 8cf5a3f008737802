/** Exit codes of the CLI, one meaning each (documented in producer/README.md). */
export const ExitCode = {
  /** Everything asked for was done: every event accepted, or the file prepared. */
  Ok: 0,
  /** Replay: some events were rejected as invalid (locally or by the server); all others were accepted. */
  Rejected: 1,
  /** Bad options: the message names the option. */
  Usage: 2,
  /** Replay: some events could not be delivered (retries exhausted, auth or quota failure, network). */
  Undelivered: 3,
  /** An input could not be read or is not in the expected format (missing file, CSV without the columns). */
  Input: 4,
  /** A bug or an unexpected failure: the message has the stack. */
  Internal: 5,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM; the report says what was sent. */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A bad option value; `option` is the flag as the user typed it (for example `--rate`). */
export class UsageError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
    this.name = 'UsageError';
  }
}

/** An input that cannot be used at all (as opposed to a bad row, which is reported and skipped). */
export class InputError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InputError';
  }
}
