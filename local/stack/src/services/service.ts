/** A service of the local stack, started and supervised by the launcher. */
export interface RunningService {
  /** Human name, used in every message about it ("Cosmos DB emulator"). */
  readonly name: string;
  /** Where clients reach it. */
  readonly url: string;
  readonly pid?: number;
  stop(): Promise<void>;
}

/** Logs of a child process go to a file, not the terminal: the launcher prints one line per service. */
export type LineSink = (line: string) => void;

/** Runs `start` with a deadline, so a service that hangs is named instead of blocking the launcher. */
export async function startWithin<T>(name: string, timeoutMs: number, start: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([start(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
