/**
 * Throughput and memory benchmark of the emulator with the real SDK.
 *
 *   npm run -w local/eventhubs-emulator bench -- [--events 50000] [--sizes 1024,12288] [--fill 1000000] [--json]
 *
 * Runs the compiled CLI as a child process (its RSS is the emulator's alone) with an on-disk
 * log in a temporary folder, sends `--events` events of each size in full batches (several sends
 * in flight), receives them all from the earliest position, and prints events/s and MB/s for
 * both. `--fill` then appends that many 1 KB events and reports the emulator's RSS with them in
 * the log (0 skips it). Figures go to stdout; `--json` prints one JSON object instead.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  EventHubConsumerClient,
  EventHubProducerClient,
  earliestEventPosition,
  type EventData,
} from '@azure/event-hubs';
import { sampleProcess } from '@pipeline/emulators';
import { EMULATOR_KEY, EMULATOR_KEY_NAME } from '../src/config';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    sizes: { type: 'string', default: '1024,12288' },
    fill: { type: 'string', default: '1000000' },
    inflight: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const SIZES = values.sizes.split(',').map(Number);
const FILL = Number(values.fill);
const INFLIGHT = Number(values.inflight);

/** CPU seconds (user + system) the process has used so far (/proc on Linux, ps on macOS); NaN if unknown. */
function cpuSeconds(pid: number): number {
  return sampleProcess(pid)?.cpuSeconds ?? NaN;
}

/** Resident memory now, MB; NaN where no source tells it. */
function rssMb(pid: number): number {
  const rss = sampleProcess(pid)?.rssMb;
  return rss === undefined ? NaN : Math.round(rss);
}

async function startEmulatorProcess(
  dataDir: string,
): Promise<{ pid: number; port: number; stop(): Promise<void> }> {
  const cli = join(__dirname, '..', 'src', 'cli.js');
  const started = spawn(process.execPath, [cli, '--port', '0', '--data', dataDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: started.stderr }).on('line', (line) => {
      const m = /"msg":"Event Hubs emulator listening".*"port":(\d+)/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    started.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return {
    pid: started.pid!,
    port,
    stop: async () => {
      started.kill('SIGTERM');
      await new Promise((r) => started.once('exit', r));
    },
  };
}

function makeEvent(i: number, size: number): EventData {
  // A JSON body of about `size` bytes, like a tweet event with its text padded.
  return {
    body: { id: String(i), createdAt: '2017-08-25T20:05:00Z', text: 'x'.repeat(Math.max(0, size - 70)) },
  };
}

/** Sends `count` events in full batches with `INFLIGHT` sends at a time; resolves with seconds taken. */
async function sendAll(
  producer: EventHubProducerClient,
  count: number,
  size: number,
  first = 0,
): Promise<number> {
  const t0 = process.hrtime.bigint();
  let next = first;
  const end = first + count;
  const worker = async () => {
    while (next < end) {
      const batch = await producer.createBatch();
      while (next < end && batch.tryAdd(makeEvent(next, size))) next++;
      await producer.sendBatch(batch);
    }
  };
  await Promise.all(Array.from({ length: INFLIGHT }, worker));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function receiveAll(connectionString: string, count: number): Promise<number> {
  const client = new EventHubConsumerClient('$Default', connectionString);
  let got = 0;
  const t0 = process.hrtime.bigint();
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const sub = client.subscribe(
    {
      processEvents: (events) => {
        got += events.length;
        if (got >= count) done();
        return Promise.resolve();
      },
      processError: (err) => {
        process.stderr.write(`receive error: ${err.message}\n`);
        return Promise.resolve();
      },
    },
    { startPosition: earliestEventPosition, maxBatchSize: 1000, maxWaitTimeInSeconds: 1 },
  );
  await finished;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await sub.close();
  await client.close();
  return seconds;
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  let peakRss = 0;
  for (const size of SIZES) {
    // A fresh emulator and log per size, so each receive reads exactly this size's events.
    const dataDir = mkdtempSync(join(tmpdir(), 'eh-bench-'));
    const emulator = await startEmulatorProcess(dataDir);
    const sampler = setInterval(() => {
      const now = rssMb(emulator.pid);
      if (Number.isFinite(now)) peakRss = Math.max(peakRss, now);
    }, 200);
    const cs = `Endpoint=sb://127.0.0.1:${emulator.port};SharedAccessKeyName=${EMULATOR_KEY_NAME};SharedAccessKey=${EMULATOR_KEY};UseDevelopmentEmulator=true;EntityPath=tweets`;
    const producer = new EventHubProducerClient(cs);
    try {
      await sendAll(producer, 1000, size); // warm-up: connections, links, JIT
      const cpu0 = cpuSeconds(emulator.pid);
      const sendSeconds = await sendAll(producer, EVENTS, size, 1000);
      const cpu1 = cpuSeconds(emulator.pid);
      const receiveSeconds = await receiveAll(cs, EVENTS + 1000);
      const cpu2 = cpuSeconds(emulator.pid);
      const mb = (EVENTS * size) / 1e6;
      const r = {
        eventBytes: size,
        events: EVENTS,
        sendEventsPerSec: Math.round(EVENTS / sendSeconds),
        sendMBPerSec: +(mb / sendSeconds).toFixed(1),
        receiveEventsPerSec: Math.round((EVENTS + 1000) / receiveSeconds),
        receiveMBPerSec: +(((EVENTS + 1000) * size) / 1e6 / receiveSeconds).toFixed(1),
        emulatorRssMb: rssMb(emulator.pid),
        // Emulator CPU per event: a figure that depends less on the load of a shared machine.
        emulatorCpuMicrosPerEventSent: Math.round(((cpu1 - cpu0) / EVENTS) * 1e6),
        emulatorCpuMicrosPerEventReceived: Math.round(((cpu2 - cpu1) / (EVENTS + 1000)) * 1e6),
      };
      results.push(r);
      if (!values.json) {
        process.stdout.write(
          `${size} B events x ${EVENTS}: send ${r.sendEventsPerSec} ev/s (${r.sendMBPerSec} MB/s), receive ${r.receiveEventsPerSec} ev/s (${r.receiveMBPerSec} MB/s), emulator RSS ${r.emulatorRssMb} MB, emulator CPU ${r.emulatorCpuMicrosPerEventSent} µs/event sent, ${r.emulatorCpuMicrosPerEventReceived} µs/event received\n`,
        );
      }
      if (size === SIZES[0] && FILL > 0) {
        const fillSeconds = await sendAll(producer, FILL, 1024, 1000 + EVENTS);
        const fill = {
          filledEvents: FILL + EVENTS + 1000,
          fillEventsPerSec: Math.round(FILL / fillSeconds),
          emulatorRssMbWithFullLog: rssMb(emulator.pid),
        };
        results.push(fill);
        if (!values.json) {
          process.stdout.write(
            `log filled to ${fill.filledEvents} events of 1 KB (${fill.fillEventsPerSec} ev/s): emulator RSS ${fill.emulatorRssMbWithFullLog} MB\n`,
          );
        }
      }
    } finally {
      clearInterval(sampler);
      await producer.close();
      await emulator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const summary = {
    node: process.version,
    cpus: cpus().length,
    loadAverageAtEnd: loadavg().map((l) => +l.toFixed(1)),
    peakEmulatorRssMb: peakRss,
    results,
  };
  process.stdout.write(
    values.json
      ? `${JSON.stringify(summary)}\n`
      : `peak emulator RSS ${peakRss} MB (node ${summary.node}, ${summary.cpus} CPUs, load average ${summary.loadAverageAtEnd.join(' ')})\n`,
  );
}

main().catch((err: Error) => {
  process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
