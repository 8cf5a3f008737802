import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  functionsPids,
  isPortFree,
  paths,
  sampleProcess,
  startStack,
  type RunningStack,
  type StackOptions,
} from '@pipeline/stack';

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
    ports: {
      gateway: 0,
      // The services a scenario kills and restarts on the same port get one below Linux's ephemeral
      // range (32768-60999): while they are down, a client's outgoing connection may be given their
      // port as its own, and the restart would then fail with EADDRINUSE.
      functions: await freePortBelowEphemeralRange(),
      blob: 0,
      cosmos: 0,
      eventHubs: await freePortBelowEphemeralRange(),
    },
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
    // FAULTS_KEEP_DATA=1 keeps the services' logs and data for a post-mortem.
    if (process.env.FAULTS_KEEP_DATA) options.say?.(`kept the stack's data and logs in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/** Peak RSS (MB) of the stack's processes now; the functions host's instances count their current incarnation. */
export function stackPeakRss(stack: RunningStack): Record<string, number> {
  const pids: Record<string, number | undefined> = {
    gateway: stack.gateway.pid,
    ...functionsPids(stack.functions.instances),
    azurite: stack.storage.azurite.pid,
    cosmos: stack.storage.cosmos.pid,
    eventHubs: stack.eventHubs.pid,
    'test runner': process.pid,
  };
  const peaks: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    const sample = pid === undefined ? undefined : sampleProcess(pid);
    // No peak where the system does not tell it (another process on macOS): left out, not guessed.
    if (sample?.peakRssMb !== undefined) peaks[name] = Math.round(sample.peakRssMb);
  }
  return peaks;
}

/** A free loopback port from 20000-32767, outside the range the kernel hands out to outgoing connections. */
export async function freePortBelowEphemeralRange(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    if (await isPortFree('127.0.0.1', port)) return port;
  }
  throw new Error('no free port between 20000 and 32767 on 127.0.0.1 after 50 tries');
}
