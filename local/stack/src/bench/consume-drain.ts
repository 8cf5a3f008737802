#!/usr/bin/env node
// `npm run bench:consume`: what the functions host spends on consume alone. Slim events go straight onto
// the hub, past ingest, and the running host drains them into Cosmos DB. Its CPU is read
// from /proc over the drain, per process and, on Linux, split into the main thread and V8's background
// threads (garbage collection, compilation). `npm run bench` measures ingest and consume together; this
// separates them (docs/decisions.md HOST-7). Prints the figures with the command and the machine.
// Usage: npm run bench:consume [-- --events 6000 --rounds 3]
import { parseArgs } from 'node:util';
import { EventHubProducerClient } from '@azure/event-hubs';
import { threadCpuMs } from '@pipeline/emulators';
import { HTTP_SCALE_GROUP } from '@pipeline/functions-host';
import { PIPELINE_NAMES, validateHubEvent, type HubEvent, type TweetEvent } from '@pipeline/schemas';
import type { RunningStack } from '../launcher';
import { currentCommit, machineInfo } from '../report-files';
import { withBenchStack } from './bench-stack';
import { slimLike } from './hub';
import { eventsForStep, readDataset } from './load';
import { cpuSnapshot, type Pids } from './processes';
import { readStored, warmUp } from './steps';

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Slim events with fresh ids, each checked against the hub contract (an invalid one would be dead-lettered). */
function hubEvents(base: readonly TweetEvent[], round: string, count: number): HubEvent[] {
  return eventsForStep(base, round, count).map((event) => {
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
      const message = { body: Buffer.from(JSON.stringify(event)) };
      if (batch.tryAdd(message)) continue;
      await producer.sendBatch(batch);
      batch = await producer.createBatch();
      if (!batch.tryAdd(message)) throw new Error('one slim event does not fit an empty hub batch');
    }
    if (batch.count > 0) await producer.sendBatch(batch);
  } finally {
    await producer.close();
  }
}

/** Milliseconds to three decimals. */
const ms3 = (n: number) => Math.round(n * 1000) / 1000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { events: { type: 'string', default: '6000' }, rounds: { type: 'string', default: '3' } },
  });
  const events = Number(values.events);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(events) || events < 100 || !Number.isInteger(rounds) || rounds < 1)
    throw new Error('--events must be an integer of at least 100 and --rounds at least 1');
  await withBenchStack('consume-drain', say, async ({ stack: running, progress }) => {
    const base = readDataset();
    say('warming up: 1,000 events through the gateway...');
    await warmUp(running, base, 1000, progress);

    const lines: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      const batch = hubEvents(base, `drain-${round}-${Date.now()}`, events);
      // The host keeps running, warm from the rounds before: the hub takes the events ~20x faster than
      // the consumer stores them (docs/performance.md, Event Hubs ceilings), so it drains a backlog.
      // The consumer's own process (its scale group's instance); the whole app where it is one process.
      const pid = consumerPid(running.functions.instances);
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
      const missing =
        batch.length -
        (
          await readStored(
            running.eventsContainer(),
            batch.map((e) => e.id),
          )
        ).length;
      if (missing > 0) throw new Error(`round ${round}: ${missing} events checkpointed but not stored`);
      const perEvent = Object.fromEntries(
        Object.keys(pids).map((name) => [name, ms3(((after[name]! - before[name]!) * 1000) / events)]),
      );
      const threads =
        threadsBefore && threadsAfter
          ? `, main thread ${ms3((threadsAfter.main - threadsBefore.main) / events)}, background threads ${ms3((threadsAfter.background - threadsBefore.background) / events)}`
          : '';
      const line = `round ${round}: ${events} events drained in ${seconds.toFixed(1)} s (${Math.round(events / seconds)}/s); CPU ms per consumed event: functions host (consumer) ${perEvent.functions}${threads}; cosmos ${perEvent.cosmos}, eventHubs ${perEvent.eventHubs}, azurite ${perEvent.azurite}`;
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
  });
}

if (require.main === module)
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });

function consumerPid(instances: readonly { readonly scaleGroup: string; readonly pid: number }[]): number {
  const consumer = instances.find((i) => i.scaleGroup !== HTTP_SCALE_GROUP) ?? instances[0];
  if (!consumer) throw new Error('the stack runs no functions host');
  return consumer.pid;
}
