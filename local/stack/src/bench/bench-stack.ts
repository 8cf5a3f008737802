// The stack a bench runs against: in memory, on ephemeral ports, in a temporary folder, with a reader
// of the consumer's progress; stopped and removed whatever happens.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type RunningStack } from '../launcher';
import { paths } from '../paths';
import { StoreProgress } from './progress';

export interface BenchStack {
  readonly stack: RunningStack;
  readonly progress: StoreProgress;
  /** The run's temporary folder (the stack's data is in `<work>/data`). */
  readonly work: string;
}

export async function withBenchStack<T>(
  name: string,
  say: (line: string) => void,
  use: (bench: BenchStack) => Promise<T>,
): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), `${name}-`));
  let stack: RunningStack | undefined;
  let progress: StoreProgress | undefined;
  try {
    say('starting the stack (in memory, ephemeral ports)...');
    stack = await startStack({
      ports: { gateway: 0, functions: 0, blob: 0, cosmos: 0, eventHubs: 0 },
      dataDir: join(work, 'data'),
      inMemory: true,
      appEntry: paths.functionsApp,
      policiesDir: paths.policiesDir,
      say,
    });
    progress = new StoreProgress({
      eventHubsConnectionString: stack.eventHubs.connectionString,
      storageConnectionString: stack.storage.azurite.connectionString,
    });
    return await use({ stack, progress, work });
  } finally {
    await progress?.close();
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
