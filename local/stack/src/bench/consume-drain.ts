#!/usr/bin/env node
// `npm run bench:consume`: what the functions host spends on consume alone. Slim events go straight onto
// the hub, past ingest, and the running host drains them into Cosmos DB. Its CPU is read
// from /proc over the drain, per process and, on Linux, split into the main thread and V8's background
// threads (garbage collection, compilation). `npm run bench` measures ingest and consume together; this
// separates them (docs/decisions.md HOST-7). Prints the figures with the command and the machine.
// Usage: npm run bench:consume [-- --events 6000 --rounds 3]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EventHubProducerClient } from '@azure/event-hubs';
import { replay } from '@pipeline/producer';
import { PIPELINE_NAMES, validateHubEvent, type HubEvent } from '@pipeline/schemas';
import { startStack, type RunningStack } from '../launcher';
import { paths } from '../paths';
import { currentCommit, machineInfo } from '../report-files';
import { slimLike } from './hub';
import { eventsForStep, readDataset } from './load';
import { cpuSnapshot, type Pids } from './processes';
import { StoreProgress } from './progress';
import { PRODUCER } from './settings';

const say = (line: string) => process.stderr.write(`${line}\n`);

/** CPU milliseconds of a process's main thread and of its other threads; undefined off Linux. */
export function threadCpuMs(pid: number): { main: number; background: number } | undefined {
  let taskIds: string[];
  try {
    taskIds = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  let main = 0;
  let background = 0;
  for (const task of taskIds) {
    try {
      const fields = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) / ticksPerMs; // utime + stime
      if (task === String(pid)) main += ms;
      else background += ms;
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return { main, background };
}

/** Slim events with fresh ids, each checked against the hub contract (an invalid one would be dead-lettered). */
function hubEvents(round: string, count: number): HubEvent[] {
  return eventsForStep(readDataset(), round, count).map((event) => {
    const slim = slimLike(event);
    const checked = validateHubEvent(slim);
    if (!checked.ok)
      throw new Error(`a drain event breaks the hub contract: ${JSON.stringify(checked.errors)}`);
    return checked.value;
  });
}

async function sendToHub(stack: RunningStack, events: readonly HubEvent[]): Promise<void> {
  const producer = new EventHubProducerClient(stack.eventHubs.connectionString, PIPELINE_NAMES.eventHub);
  try {
    let batch = await producer.createBatch();
    for (const event of events) {
      if (batch.tryAdd({ body: Buffer.from(JSON.stringify(event)) })) continue;
      await producer.sendBatch(batch);
      batch = await producer.createBatch();
      if (!batch.tryAdd({ body: Buffer.from(JSON.stringify(event)) }))
        throw new Error('one slim event does not fit an empty hub batch');
    }
    if (batch.count > 0) await producer.sendBatch(batch);
  } finally {
    await producer.close();
  }
}

/** Point reads of every id (the id is the partition key), 16 at a time: the ids that are missing. */
async function missingIds(stack: RunningStack, ids: readonly string[]): Promise<string[]> {
  const container = stack.eventsContainer();
  const missing: string[] = [];
  for (let i = 0; i < ids.length; i += 16) {
    const chunk = ids.slice(i, i + 16);
    const reads = await Promise.all(chunk.map((id) => container.item(id, id).read()));
    reads.forEach((read, j) => {
      if (read.statusCode === 404) missing.push(chunk[j]!);
    });
  }
  return missing;
}

const round2 = (n: number) => Math.round(n * 1000) / 1000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { events: { type: 'string', default: '6000' }, rounds: { type: 'string', default: '3' } },
  });
  const events = Number(values.events);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(events) || events < 100 || !Number.isInteger(rounds) || rounds < 1)
    throw new Error('--events must be an integer of at least 100 and --rounds at least 1');
  const work = mkdtempSync(join(tmpdir(), 'consume-drain-'));
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
    });
    const running = stack;
    progress = new StoreProgress({
      eventHubsConnectionString: running.eventHubs.connectionString,
      storageConnectionString: running.storage.azurite.connectionString,
    });
    say('warming up: 1,000 events through the gateway...');
    await replay({
      input: eventsForStep(readDataset(), `warm-${Date.now()}`, 1000),
      url: running.urls.ingest,
      subscriptionKey: running.secrets.subscription.primaryKey,
      basicUser: running.secrets.basicAuth.user,
      basicPassword: running.secrets.basicAuth.password,
      concurrency: PRODUCER.concurrency,
      batchSize: PRODUCER.batchSize,
      maxRetries: PRODUCER.maxRetries,
      preflight: false,
    });
    if (!(await progress.waitUntilStored(120_000)))
      throw new Error('the warm-up was not stored within 120 s');

    const lines: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      const batch = hubEvents(`drain-${round}-${Date.now()}`, events);
      // The host keeps running, warm from the rounds before: the hub takes the events ~20x faster than
      // the consumer stores them (docs/performance.md, Event Hubs ceilings), so it drains a backlog.
      const pid = running.functions.pid;
      const pids: Pids = {
        functions: pid,
        cosmos: running.storage.cosmos.pid,
        eventHubs: running.eventHubs.pid,
        azurite: running.storage.azurite.pid,
      };
      const before = cpuSnapshot(pids);
      const threadsBefore = threadCpuMs(pid);
      const began = Date.now();
      await sendToHub(running, batch);
      if (!(await progress.waitUntilStored(300_000)))
        throw new Error(`round ${round}: not drained within 300 s`);
      const seconds = (Date.now() - began) / 1000;
      const after = cpuSnapshot(pids);
      const threadsAfter = threadCpuMs(pid);
      const missing = await missingIds(
        running,
        batch.map((e) => e.id),
      );
      if (missing.length > 0)
        throw new Error(`round ${round}: ${missing.length} events checkpointed but not stored`);
      const perEvent = Object.fromEntries(
        Object.keys(pids).map((name) => [name, round2(((after[name]! - before[name]!) * 1000) / events)]),
      );
      const threads =
        threadsBefore && threadsAfter
          ? `, main thread ${round2((threadsAfter.main - threadsBefore.main) / events)}, background threads ${round2((threadsAfter.background - threadsBefore.background) / events)}`
          : '';
      const line = `round ${round}: ${events} events drained in ${seconds.toFixed(1)} s (${Math.round(events / seconds)}/s); CPU ms per consumed event: functions host ${perEvent.functions}${threads}; cosmos ${perEvent.cosmos}, eventHubs ${perEvent.eventHubs}, azurite ${perEvent.azurite}`;
      say(line);
      lines.push(line);
    }
    const m = machineInfo();
    process.stdout.write(
      [
        `npm run bench:consume -- --events ${events} --rounds ${rounds}`,
        `${new Date().toISOString()}, commit ${currentCommit()}, ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, load average ${m.load}`,
        ...lines,
      ].join('\n') + '\n',
    );
  } finally {
    await progress?.close();
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module)
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
