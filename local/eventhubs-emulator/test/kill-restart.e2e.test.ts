import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventHubProducerClient, earliestEventPosition } from '@azure/event-hubs';
import { EMULATOR_KEY, EMULATOR_KEY_NAME } from '../src';
import { spawnNodeUntilReady, stopChild } from '@pipeline/emulators';
import { receive, sleep } from './helpers';

jest.setTimeout(120_000);

const workspace = join(__dirname, '..');
const cli = join(workspace, 'dist', 'src', 'cli.js');
let dataDir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  // The test runs the compiled CLI, as users do; build it (incremental, quick when up to date).
  const tsc = require.resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-b', workspace], { stdio: 'pipe', timeout: 120_000 });
  } catch (err) {
    throw new Error(
      `could not build ${workspace} for the CLI test: ${String((err as { stdout?: Buffer }).stdout ?? err)}`,
    );
  }
  if (!existsSync(cli)) throw new Error(`${cli} is missing after the build; run "npx tsc -b ${workspace}"`);
  dataDir = mkdtempSync(join(tmpdir(), 'eh-kill-'));
});

afterAll(async () => {
  for (const c of children) await stopChild(c);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function startCli(): Promise<{ child: ChildProcess; connectionString: string }> {
  const { child, ready: match } = await spawnNodeUntilReady(
    'Event Hubs emulator',
    cli,
    ['--port', '0', '--data', dataDir],
    /"msg":"Event Hubs emulator listening".*"port":(\d+)/,
  );
  children.push(child);
  return {
    child,
    connectionString: `Endpoint=sb://127.0.0.1:${match[1]};SharedAccessKeyName=${EMULATOR_KEY_NAME};SharedAccessKey=${EMULATOR_KEY};UseDevelopmentEmulator=true;EntityPath=tweets`,
  };
}

describe('SIGKILL mid-stream', () => {
  it('keeps every event whose send resolved; sequence numbers continue after restart', async () => {
    const first = await startCli();
    const producer = new EventHubProducerClient(first.connectionString, {
      retryOptions: { maxRetries: 0, timeoutInMs: 5000 },
    });
    const acknowledged = new Set<number>();
    let next = 0;
    let stopped = false;
    // Two concurrent senders (one per partition) so that writes are in flight when the kill lands.
    const senders = ['0', '1'].map(async (partitionId) => {
      while (!stopped) {
        const bodies = Array.from({ length: 20 }, () => next++);
        try {
          await producer.sendBatch(
            bodies.map((body) => ({ body })),
            { partitionId },
          );
          for (const b of bodies) acknowledged.add(b);
        } catch {
          return; // the emulator died: these were never acknowledged
        }
      }
    });
    while (acknowledged.size < 2000) await sleep(20);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    stopped = true;
    await Promise.all(senders);
    await producer.close().catch(() => undefined);
    const sentAtKill = next;

    const second = await startCli();
    const received = await receive(second.connectionString, {
      count: acknowledged.size,
      startPosition: earliestEventPosition,
      maxBatchSize: 500,
      settleMs: 500,
    });
    const bodies = new Set(received.map((r) => r.event.body as number));
    const missing = [...acknowledged].filter((b) => !bodies.has(b));
    expect(missing).toEqual([]);
    // Nothing that was never sent, and no duplicates.
    expect(bodies.size).toBe(received.length);
    for (const b of bodies) expect(b).toBeLessThan(sentAtKill);
    const lastSeq: Record<string, number> = {};
    for (const id of ['0', '1']) {
      const seqs = received.filter((r) => r.partitionId === id).map((r) => r.event.sequenceNumber);
      seqs.forEach((s, i) => expect(s).toBe(i));
      lastSeq[id] = seqs.length - 1;
    }

    const producer2 = new EventHubProducerClient(second.connectionString);
    try {
      await producer2.sendBatch([{ body: 'after restart' }], { partitionId: '0' });
      expect((await producer2.getPartitionProperties('0')).lastEnqueuedSequenceNumber).toBe(
        lastSeq['0']! + 1,
      );
    } finally {
      await producer2.close();
    }
    // SIGTERM is a graceful stop: exit code 0.
    const exited = new Promise<number | null>((r) => second.child.once('exit', (code) => r(code)));
    second.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
