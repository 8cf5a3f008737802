import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths, sampleProcess, startStack, type RunningStack, type StackOptions } from '@pipeline/stack';

export type FaultStackOptions = Partial<
  Pick<StackOptions, 'interpose' | 'policiesDir' | 'inMemory' | 'debug'>
> & {
  readonly say?: (line: string) => void;
};

/**
 * Runs `body` against a whole stack of its own (ephemeral ports, a temporary data folder that is
 * removed afterwards) and stops the stack even when `body` throws. Blobs and hub events stay in
 * memory unless `inMemory: false` (which a scenario that kills the Event Hubs emulator needs, so it
 * comes back with its partitions). In memory by default because Azurite's on-disk extent store can
 * hang every later upload after a client dies mid-upload (as the functions host does when killed);
 * see docs/reliability.md.
 */
export async function withStack<T>(
  options: FaultStackOptions,
  body: (stack: RunningStack) => Promise<T>,
): Promise<T> {
  const work = mkdtempSync(join(tmpdir(), 'pipeline-faults-'));
  const stack = await startStack({
    ports: { gateway: 0, functions: 0, blob: 0, cosmos: 0, eventHubs: 0 },
    dataDir: join(work, 'data'),
    inMemory: options.inMemory ?? true,
    appEntry: paths.functionsApp,
    policiesDir: options.policiesDir ?? paths.policiesDir,
    debug: options.debug ?? false,
    ...(options.interpose ? { interpose: options.interpose } : {}),
    ...(options.say ? { say: options.say } : {}),
  });
  try {
    return await body(stack);
  } finally {
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Peak RSS (MB) of the stack's processes now; the functions host counts its current incarnation. */
export function stackPeakRss(stack: RunningStack): Record<string, number> {
  const pids: Record<string, number | undefined> = {
    gateway: stack.gateway.pid,
    functions: stack.functions.pid,
    azurite: stack.storage.azurite.pid,
    cosmos: stack.storage.cosmos.pid,
    eventHubs: stack.eventHubs.pid,
    'test runner': process.pid,
  };
  const peaks: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const sample = pid === undefined ? undefined : sampleProcess(pid);
    if (sample) peaks[name] = Math.round(sample.peakRssMb);
  }
  return peaks;
}
