import type { OperationInput, OperationResponse } from '@azure/cosmos';
import {
  BULK_OPERATIONS_LIMIT,
  BulkUpsertError,
  DEFAULT_RETRY,
  judgeResponses,
  partitionKeyReader,
  upsertDocuments,
  waitBefore,
  type BulkCall,
} from '../src/lib/bulk-upsert';

// The emulator never throttles, so the bulk call is scripted here: the one boundary that only Azure
// has (a 429 per operation under load). The real bulk path against the emulator is in
// consume.e2e.test.ts.
const ok = (): OperationResponse => ({ statusCode: 200, requestCharge: 6 });
const status = (statusCode: number, message?: string): OperationResponse => ({
  statusCode,
  requestCharge: 0,
  ...(message ? { resourceBody: { message } } : {}),
});
const docs = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `e${i}`, text: `t${i}` }));
const byId = partitionKeyReader('/id');

/** A bulk call answering from a script of per-id statuses (consumed one per attempt), 200 after. */
function scripted(script: Record<string, number[]> = {}) {
  const calls: OperationInput[][] = [];
  const call: BulkCall = (operations) => {
    calls.push(operations);
    return Promise.resolve(
      operations.map((op) => {
        const id = String((op as unknown as { resourceBody: { id: string } }).resourceBody.id);
        const next = script[id]?.shift();
        return next === undefined ? ok() : status(next, `status ${next}`);
      }),
    );
  };
  return { call, calls };
}

const noSleep = () => Promise.resolve();

describe('judgeResponses', () => {
  it('sorts stored, retryable and refused operations by index', () => {
    const verdict = judgeResponses(
      [
        ok(),
        status(429),
        status(400, 'bad id'),
        status(503),
        { statusCode: 201, requestCharge: 1 },
        status(413),
        status(424),
      ],
      7,
    );
    expect(verdict.retry).toEqual([1, 3, 6]);
    expect([...verdict.retryStatuses]).toEqual([
      [429, 1],
      [503, 1],
      [424, 1],
    ]);
    expect(verdict.failed).toEqual([
      { index: 2, statusCode: 400, message: 'bad id' },
      { index: 5, statusCode: 413, message: undefined },
    ]);
  });

  it('counts an operation the SDK left unanswered as not stored (retried)', () => {
    expect(judgeResponses([ok()], 3).retry).toEqual([1, 2]);
  });
});

describe('upsertDocuments', () => {
  it('sends 100 upserts per bulk request, each with its partition key, in order', async () => {
    const { call, calls } = scripted();
    await upsertDocuments(call, byId, docs(250), { sleep: noSleep });
    expect(calls.map((c) => c.length)).toEqual([BULK_OPERATIONS_LIMIT, BULK_OPERATIONS_LIMIT, 50]);
    expect(calls[2]![0]).toEqual({
      operationType: 'Upsert',
      partitionKey: 'e200',
      resourceBody: { id: 'e200', text: 't200' },
    });
  });

  it('sends nothing for an empty batch', async () => {
    const { call, calls } = scripted();
    await upsertDocuments(call, byId, [], { sleep: noSleep });
    expect(calls).toHaveLength(0);
  });

  it('retries only the throttled operations, with growing waits, until they are stored', async () => {
    const { call, calls } = scripted({ e3: [429, 429], e7: [503] });
    const waits: number[] = [];
    const warnings: string[] = [];
    await upsertDocuments(call, byId, docs(10), {
      sleep: (ms) => Promise.resolve(void waits.push(ms)),
      onRetry: (message) => warnings.push(message),
    });
    expect(calls.map((c) => c.map((op) => (op as { partitionKey: string }).partitionKey))).toEqual([
      docs(10).map((d) => d.id),
      ['e3', 'e7'],
      ['e3'],
    ]);
    expect(waits).toEqual([100, 200]);
    expect(warnings).toEqual([
      'Cosmos DB did not take 2 of 10 upserts (1 x 429, 1 x 503); retrying them in 100 ms (attempt 2 of 10)',
      'Cosmos DB did not take 1 of 2 upserts (1 x 429); retrying them in 200 ms (attempt 3 of 10)',
    ]);
  });

  it('fails the invocation when throttling outlasts its attempts', async () => {
    const { call, calls } = scripted({ e1: Array.from({ length: 20 }, () => 429) });
    await expect(upsertDocuments(call, byId, docs(3), { sleep: noSleep })).rejects.toThrow(
      /did not take 1 of 1 upserts after 10 attempts/,
    );
    expect(calls).toHaveLength(DEFAULT_RETRY.attempts);
  });

  it('fails at once, naming the document and status, when Cosmos DB refuses an upsert', async () => {
    const { call, calls } = scripted({ e2: [400] });
    const error = await upsertDocuments(call, byId, docs(5), { sleep: noSleep }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkUpsertError);
    expect((error as Error).message).toBe(
      'Cosmos DB refused 1 of 5 upserts; the first, id "e2": 400 status 400',
    );
    expect(calls).toHaveLength(1);
  });

  it('lets a failed request (no per-operation answer) fail the invocation', async () => {
    const call: BulkCall = () => Promise.reject(new Error('Bulk request errored with: connect ECONNREFUSED'));
    await expect(upsertDocuments(call, byId, docs(2), { sleep: noSleep })).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('waitBefore', () => {
  it('doubles from 100 ms and stops at 5 s, about 21 s over the nine retries', () => {
    const waits = Array.from({ length: DEFAULT_RETRY.attempts - 1 }, (_, i) =>
      waitBefore(DEFAULT_RETRY, i + 1),
    );
    expect(waits).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(21_300);
  });
});

describe('partitionKeyReader', () => {
  it('reads a top-level or nested string', () => {
    expect(byId({ id: 'x' })).toBe('x');
    expect(partitionKeyReader('/user/name')({ id: 'x', user: { name: 'ann' } })).toBe('ann');
  });

  it('refuses a document without a string at the path, naming it', () => {
    expect(() => byId({ id: 7 })).toThrow('document "7" has no string at its partition key path /id');
    expect(() => partitionKeyReader('/user/name')({ id: 'x' })).toThrow(/"x" has no string/);
    expect(() => partitionKeyReader('/')).toThrow(/not a partition key path/);
  });
});
