import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runCli } from '@pipeline/producer';
import { lastJsonDocument, producerEnvironment, replayArguments, type ProducerRunner } from '../src/producer';
import { runSmoke } from '../src/smoke';
import { startFakeStack } from './fake-stack';

/**
 * The real producer (its CLI code, in process) behind the smoke script: proves the flags, the
 * credential environment variables, the `/events` URL handling and the report shape agree.
 */
const realProducer: ProducerRunner = async (request) => {
  let stdout = '';
  let stderr = '';
  const sink = (append: (t: string) => void) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        append(chunk.toString());
        callback();
      },
    });
  // The same arguments the workflow's runner passes, so a flag the real CLI does not know fails here.
  const exitCode = await runCli([...replayArguments(request), '--quiet'], {
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
    env: { ...producerEnvironment(request.credentials) },
  });
  return {
    exitCode,
    signal: null,
    report: lastJsonDocument(stdout),
    stderrTail: stderr.slice(-2000),
    timedOut: false,
  };
};

const SAMPLE = join(__dirname, '../../../producer/sample/events.ndjson');
const SECRETS = {
  subscriptionKey: 'k-123',
  basicUser: 'producer',
  basicPassword: 'p-456',
  functionKey: 'f-789',
};

describe('smoke test with the real producer', () => {
  it('sends the committed sample through the API and sees it stored', async () => {
    const stack = await startFakeStack({ ...SECRETS, storeDelayMs: 200 });
    try {
      const result = await runSmoke(
        {
          apiUrl: stack.apiUrl,
          stats: {
            url: stack.statsUrl,
            headers: { 'x-functions-key': SECRETS.functionKey },
            requestTimeoutMs: 5000,
          },
          input: SAMPLE,
          count: 15,
          rate: 100,
          credentials: {
            subscriptionKey: SECRETS.subscriptionKey,
            basicUser: SECRETS.basicUser,
            basicPassword: SECRETS.basicPassword,
          },
          producerCli: 'in-process',
          arrivalTimeoutMs: 10_000,
          pollIntervalMs: 100,
          warmupTimeoutMs: 5000,
        },
        realProducer,
      );
      const firstIds = readFileSync(SAMPLE, 'utf8')
        .split('\n')
        .filter(Boolean)
        .slice(0, 15)
        .map((l) => (JSON.parse(l) as { id: string }).id);
      expect(result.message).toBe('all 15 event(s) were accepted and stored');
      expect(result.ok).toBe(true);
      expect(result.arrived).toEqual(firstIds);
      expect(new Set(stack.received)).toEqual(new Set(firstIds));
      const report = result.producer!.report as {
        events: { accepted: number; rejected: number; failed: number };
      };
      expect(report.events).toMatchObject({ accepted: 15, rejected: 0, failed: 0 });
    } finally {
      await stack.close();
    }
  }, 30_000);

  it('reports a refused credential as a failed smoke test', async () => {
    const stack = await startFakeStack({ ...SECRETS, storeDelayMs: 200 });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'real-'));
      const input = join(dir, 'e.ndjson');
      writeFileSync(input, readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
      const result = await runSmoke(
        {
          apiUrl: stack.apiUrl,
          stats: {
            url: stack.statsUrl,
            headers: { 'x-functions-key': SECRETS.functionKey },
            requestTimeoutMs: 5000,
          },
          input,
          count: 5,
          rate: 100,
          credentials: {
            subscriptionKey: 'wrong',
            basicUser: SECRETS.basicUser,
            basicPassword: SECRETS.basicPassword,
          },
          producerCli: 'in-process',
          arrivalTimeoutMs: 2000,
          pollIntervalMs: 100,
          warmupTimeoutMs: 5000,
        },
        realProducer,
      );
      expect(result).toMatchObject({ ok: false, failure: 'producer-failed' });
      expect(result.producer!.exitCode).toBe(3); // the producer's "not delivered"
      expect(stack.received).toEqual([]);
    } finally {
      await stack.close();
    }
  }, 30_000);
});
