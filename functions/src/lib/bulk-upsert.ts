import type {
  Container,
  JSONObject,
  OperationInput,
  OperationResponse,
  UpsertOperationInput,
} from '@azure/cosmos';

/**
 * Upserts a batch of documents with Cosmos DB's bulk API: one request per partition key range and
 * up to 100 documents, instead of one request per document (HOST-10). Every write is an upsert by id,
 * so a retried batch rewrites the same documents; nothing here is ever a partial success for the
 * caller: either every document is stored, or `upsertDocuments` throws and the invocation fails (the
 * function's retry policy runs it again before the batch is checkpointed).
 *
 * `items.bulk` is the SDK's immediate bulk call. Its successor `executeBulkOperations` is built for one
 * long stream of operations: it waits a full second (`intervalForPartialBatchInMs`) before it sends a
 * batch that is not full and again before it returns, so every invocation would last over a second
 * (@azure/cosmos 4.9.3, dist/commonjs/bulk/BulkHelper.js).
 */

/** Cosmos DB's limit per bulk request: 100 operations (Constants.MaxBulkOperationsCount in the SDK). */
export const BULK_OPERATIONS_LIMIT = 100;

/**
 * Status codes of a single bulk operation worth trying again in the same invocation: throttled (429),
 * timed out (408), conflicting concurrent write (449), service unavailable (503), gone (410, a
 * partition that moved), and 424 (not attempted because another operation of the request failed,
 * which only a request that stops at the first failure answers). Anything else (a 400 for a bad
 * document, a 403, a 413 for one too large) will not get better by retrying now: the invocation fails
 * with its message. https://learn.microsoft.com/rest/api/cosmos-db/http-status-codes-for-cosmosdb
 */
const RETRYABLE = new Set([408, 410, 424, 429, 449, 503]);

export interface RetryPolicy {
  /** Attempts of one operation within the invocation (the first included). */
  readonly attempts: number;
  /** The first wait; each next one doubles, up to `maxWaitMs`. */
  readonly firstWaitMs: number;
  readonly maxWaitMs: number;
}

/**
 * Nine retries, as the SDK's own throttling policy (RetryOptions.maxRetryAttemptCount), waiting
 * 0.1, 0.2, ... up to 5 s: about 21 s in all, under the SDK's 30 s (maxWaitTimeInSeconds). After that
 * the invocation fails and the function's retry policy backs off for longer.
 */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 10, firstWaitMs: 100, maxWaitMs: 5_000 };

/** The wait before attempt `attempt + 1` (pure). */
export function waitBefore(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxWaitMs, policy.firstWaitMs * 2 ** (attempt - 1));
}

export interface Verdict {
  readonly retry: number[];
  /** How many operations got each retryable status, for the log. */
  readonly retryStatuses: ReadonlyMap<number, number>;
  readonly failed: { index: number; statusCode: number; message?: string }[];
}

/** Sorts the responses of one bulk call into stored, worth retrying, and failed (pure). */
export function judgeResponses(
  responses: readonly (OperationResponse | undefined)[],
  count: number,
): Verdict {
  const retry: number[] = [];
  const retryStatuses = new Map<number, number>();
  const failed: Verdict['failed'] = [];
  for (let index = 0; index < count; index++) {
    const response = responses[index];
    // A missing response (the SDK answers every operation, so this is not expected) is not a success.
    const statusCode = response?.statusCode ?? 503;
    if (statusCode >= 200 && statusCode < 300) continue;
    if (RETRYABLE.has(statusCode)) {
      retry.push(index);
      retryStatuses.set(statusCode, (retryStatuses.get(statusCode) ?? 0) + 1);
    } else failed.push({ index, statusCode, message: messageOf(response) });
  }
  return { retry, retryStatuses, failed };
}

function messageOf(response: OperationResponse | undefined): string | undefined {
  const body = response?.resourceBody as { message?: unknown } | undefined;
  return typeof body?.message === 'string' ? body.message : undefined;
}

export class BulkUpsertError extends Error {
  override name = 'BulkUpsertError';
}

/** One bulk request: the operations in, one response per operation out, in the same order. */
export type BulkCall = (operations: OperationInput[]) => Promise<readonly (OperationResponse | undefined)[]>;

/**
 * The container's bulk call. `continueOnError` so every operation is tried and answered with its own
 * status (the SDK's default stops at the first failure and leaves the rest unanswered).
 */
export function containerBulk(container: Container): BulkCall {
  return (operations) => container.items.bulk(operations, { continueOnError: true });
}

export interface UpsertOptions {
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told before each retry within the invocation (throttling is worth a warning in the log). */
  readonly onRetry?: (message: string) => void;
}

/**
 * Upserts every document, 100 per bulk call, the calls one after another (one invocation holds one
 * partition's batch; more in flight would only queue on the same partition key ranges).
 */
export async function upsertDocuments(
  bulk: BulkCall,
  partitionKeyOf: (document: Record<string, unknown>) => string,
  documents: readonly Record<string, unknown>[],
  options: UpsertOptions = {},
): Promise<void> {
  const policy = options.retry ?? DEFAULT_RETRY;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let start = 0; start < documents.length; start += BULK_OPERATIONS_LIMIT) {
    let pending = documents.slice(start, start + BULK_OPERATIONS_LIMIT);
    for (let attempt = 1; pending.length > 0; attempt++) {
      const operations = pending.map((document): UpsertOperationInput => ({
        operationType: 'Upsert',
        partitionKey: partitionKeyOf(document),
        resourceBody: document as JSONObject,
      }));
      const verdict = judgeResponses(await bulk(operations), operations.length);
      const first = verdict.failed[0];
      if (first)
        throw new BulkUpsertError(
          `Cosmos DB refused ${verdict.failed.length} of ${pending.length} upserts; the first, ` +
            `id "${String(pending[first.index]!.id)}": ${first.statusCode}${first.message ? ` ${first.message}` : ''}`,
        );
      if (verdict.retry.length === 0) break;
      if (attempt >= policy.attempts)
        throw new BulkUpsertError(
          `Cosmos DB did not take ${verdict.retry.length} of ${pending.length} upserts after ${attempt} attempts ` +
            `(throttled or unavailable); the invocation fails and its retry policy tries the batch again`,
        );
      const wait = waitBefore(policy, attempt);
      const statuses = [...verdict.retryStatuses].map(([code, count]) => `${count} x ${code}`).join(', ');
      options.onRetry?.(
        `Cosmos DB did not take ${verdict.retry.length} of ${pending.length} upserts (${statuses}); ` +
          `retrying them in ${wait} ms (attempt ${attempt + 1} of ${policy.attempts})`,
      );
      pending = verdict.retry.map((index) => pending[index]!);
      await sleep(wait);
    }
  }
}

/**
 * Reads a document's partition key value at the container's key path (`/id`, `/a/b`). Bulk requests
 * carry it per operation; a document without a string there is refused before anything is sent.
 */
export function partitionKeyReader(path: string): (document: Record<string, unknown>) => string {
  const segments = path.split('/').filter(Boolean);
  if (segments.length === 0) throw new BulkUpsertError(`"${path}" is not a partition key path`);
  return (document) => {
    let value: unknown = document;
    for (const segment of segments) value = (value as Record<string, unknown> | undefined)?.[segment];
    if (typeof value !== 'string')
      throw new BulkUpsertError(
        `document "${String(document.id)}" has no string at its partition key path ${path}`,
      );
    return value;
  };
}
