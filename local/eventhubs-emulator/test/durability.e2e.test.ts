import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventHubProducerClient, earliestEventPosition, type PartitionProperties } from '@azure/event-hubs';
import { startEmulator, type EmulatorConfig, type RunningEmulator } from '../src';
import { captureLogs, receive, sleep, waitFor } from './helpers';

jest.setTimeout(60_000);

let dataDir: string;
const running: RunningEmulator[] = [];

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'eh-emulator-'));
});

afterEach(async () => {
  for (const e of running.splice(0)) await e.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(config?: EmulatorConfig, logs = captureLogs()): Promise<RunningEmulator> {
  const e = await startEmulator({
    port: 0,
    dataDir,
    logger: logs.sink,
    logLevel: 'debug',
    ...(config ? { config } : {}),
  });
  running.push(e);
  return e;
}

async function stop(e: RunningEmulator): Promise<void> {
  running.splice(running.indexOf(e), 1);
  await e.stop();
}

async function send(e: RunningEmulator, partitionId: string, bodies: number[]): Promise<void> {
  const producer = new EventHubProducerClient(e.connectionString('tweets'));
  try {
    for (let i = 0; i < bodies.length; i += 50)
      await producer.sendBatch(
        bodies.slice(i, i + 50).map((body) => ({ body })),
        { partitionId },
      );
  } finally {
    await producer.close();
  }
}

async function properties(e: RunningEmulator, id: string): Promise<PartitionProperties> {
  const producer = new EventHubProducerClient(e.connectionString('tweets'));
  try {
    return await producer.getPartitionProperties(id);
  } finally {
    await producer.close();
  }
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

function segmentFiles(partition: string): string[] {
  return readdirSync(join(dataDir, 'tweets', partition))
    .filter((f) => f.endsWith('.seg'))
    .sort();
}

describe('the on-disk log', () => {
  it('keeps every event, sequence number and offset across a restart', async () => {
    const first = await start();
    await send(first, '0', range(0, 300));
    await send(first, '1', range(1000, 200));
    const before = await properties(first, '0');
    const eventsBefore = await receive(first.connectionString('tweets'), {
      count: 300,
      partitionId: '0',
      startPosition: earliestEventPosition,
    });
    await stop(first);

    const second = await start();
    expect(await properties(second, '0')).toEqual(before);
    expect((await properties(second, '1')).lastEnqueuedSequenceNumber).toBe(199);
    const eventsAfter = await receive(second.connectionString('tweets'), {
      count: 300,
      partitionId: '0',
      startPosition: earliestEventPosition,
    });
    expect(
      eventsAfter.map((r) => [
        r.event.body as number,
        r.event.sequenceNumber,
        r.event.offset,
        r.event.enqueuedTimeUtc.getTime(),
      ]),
    ).toEqual(
      eventsBefore.map((r) => [
        r.event.body as number,
        r.event.sequenceNumber,
        r.event.offset,
        r.event.enqueuedTimeUtc.getTime(),
      ]),
    );
    await send(second, '0', [300]);
    const after = await properties(second, '0');
    expect(after.lastEnqueuedSequenceNumber).toBe(300);
    expect(Number(after.lastEnqueuedOffset)).toBeGreaterThan(Number(before.lastEnqueuedOffset));
  });

  it('truncates a torn tail at start and says how many bytes it dropped', async () => {
    const first = await start();
    await send(first, '0', range(0, 20));
    await stop(first);
    const [segment] = segmentFiles('0');
    const path = join(dataDir, 'tweets', '0', segment!);
    const garbage = Buffer.from('a half-written record from a crash');
    const goodSize = readFileSync(path).length;
    appendFileSync(path, garbage);

    const logs = captureLogs();
    const second = await start(undefined, logs);
    const line = logs.lines.find((l) => l.msg === 'truncated a torn or corrupt tail');
    expect(line).toMatchObject({
      level: 'warn',
      partition: 'tweets/0',
      droppedBytes: garbage.length,
      lastSequenceNumber: 19,
    });
    expect(readFileSync(path).length).toBe(goodSize);
    const events = await receive(second.connectionString('tweets'), {
      count: 20,
      partitionId: '0',
      startPosition: earliestEventPosition,
    });
    expect(events.map((r) => r.event.body as number)).toEqual(range(0, 20));
    await send(second, '0', [20]);
    expect((await properties(second, '0')).lastEnqueuedSequenceNumber).toBe(20);
  });

  it('drops a last record whose checksum does not match', async () => {
    const first = await start();
    await send(first, '0', range(0, 10));
    const props = await properties(first, '0');
    await stop(first);
    const path = join(dataDir, 'tweets', '0', segmentFiles('0')[0]!);
    const bytes = readFileSync(path);
    const lastOffset = Number(props.lastEnqueuedOffset);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 2) ^ 0xff, bytes.length - 2); // inside the last record
    writeFileSync(path, bytes);

    const logs = captureLogs();
    const second = await start(undefined, logs);
    expect(logs.lines.find((l) => l.msg === 'truncated a torn or corrupt tail')).toMatchObject({
      droppedBytes: bytes.length - lastOffset,
      lastSequenceNumber: 8,
    });
    const events = await receive(second.connectionString('tweets'), {
      count: 9,
      partitionId: '0',
      startPosition: earliestEventPosition,
    });
    expect(events.map((r) => r.event.body as number)).toEqual(range(0, 9));
  });

  it('retention deletes expired segments; sequence numbers go on, also after a restart', async () => {
    const config: EmulatorConfig = {
      eventHubs: [{ name: 'tweets', partitionCount: 2, retentionHours: 1 / 3600 }],
      segmentBytes: 2000,
    };
    const first = await start(config);
    for (let i = 0; i < 5; i++) await send(first, '0', range(i * 20, 20));
    expect(segmentFiles('0').length).toBeGreaterThan(1);
    await waitFor(
      'retention to empty partition 0',
      () => segmentFiles('0').length === 1 && segmentFiles('0')[0]!.includes('-00000000000000000100.seg'),
      10_000,
    );
    const props = await properties(first, '0');
    expect(props).toMatchObject({
      isEmpty: true,
      beginningSequenceNumber: 100,
      lastEnqueuedSequenceNumber: 99,
    });
    await stop(first);

    const second = await start(config);
    await send(second, '0', [100]);
    const events = await receive(second.connectionString('tweets'), {
      count: 1,
      partitionId: '0',
      startPosition: earliestEventPosition,
    });
    expect(events.map((r) => [r.event.body as number, r.event.sequenceNumber])).toEqual([[100, 100]]);
    await sleep(10);
  });
});
