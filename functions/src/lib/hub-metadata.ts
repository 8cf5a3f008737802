/**
 * Reads the Event Hubs trigger metadata of a `cardinality: many` invocation in every shape the real
 * Functions host can send it, after the Node.js worker and `@azure/functions` have decoded it:
 *
 * - `sequenceNumberArray` is an int64 array. The host sends `long[]` as `collection_sint64`
 *   (azure-functions-host, src/WebJobs.Script.Grpc/MessageExtensions/GrpcMessageConversionExtensions.cs,
 *   `ToRpcLongArray`); protobufjs decodes each as a Long, and the library's camel-casing turns it into a
 *   plain `{ low, high, unsigned }` object (azure-functions-nodejs-worker #844). Numbers, numeric
 *   strings and bigints are read too.
 * - `offsetArray` is a string array (`collection_string`); the library's `tryJsonParse` turns a
 *   numeric offset into a number (@azure/functions src/converters/fromRpcTypedData.ts).
 * - `enqueuedTimeUtcArray` is a .NET `DateTime[]` serialized by Json.NET, which may carry no offset
 *   ("2026-12-06T05:08:53.1234567"). It is UTC by name; JavaScript would read it as local time.
 * - `systemPropertiesArray` holds the same facts per event (`sequenceNumber`, `offset`,
 *   `enqueuedTimeUtc`, or the AMQP annotations `x-opt-sequence-number`, `x-opt-offset`,
 *   `x-opt-enqueued-time`): the fallback when an array is missing.
 *
 * Anything that cannot be read fails loudly: a sequence number that is NaN made every dead letter of a
 * batch overwrite the same blob, and an array shorter than the batch (the host drops empty strings from
 * a string collection unless the worker declares `IncludeEmptyEntriesInMessagePayload`) pairs every
 * later message with another message's position.
 */

/** Where a message sat on the hub: what a dead letter needs so the event can be found and replayed. */
export interface HubPosition {
  readonly eventHubName: string;
  readonly partitionId: string;
  readonly sequenceNumber: number;
  readonly offset?: string;
  readonly enqueuedAt: string;
}

/** The trigger metadata does not describe the batch the handler received. */
export class TriggerMetadataError extends Error {
  override name = 'TriggerMetadataError';
}

/** Reads each message's hub position from the Event Hubs trigger's metadata (cardinality many). */
export function positionsFromTriggerMetadata(
  metadata: Record<string, unknown> | undefined,
  count: number,
): HubPosition[] {
  const partitionContext = (metadata?.partitionContext ?? {}) as Record<string, unknown>;
  const sequenceNumbers = sameLength(metadata, 'sequenceNumberArray', count);
  const offsets = sameLength(metadata, 'offsetArray', count);
  const enqueued = sameLength(metadata, 'enqueuedTimeUtcArray', count);
  const system = sameLength(metadata, 'systemPropertiesArray', count);
  const eventHubName = textOf(partitionContext.eventHubName) ?? 'unknown-hub';
  const partitionId = textOf(partitionContext.partitionId) ?? 'unknown';
  return Array.from({ length: count }, (_, i) => {
    const props = (system?.[i] ?? {}) as Record<string, unknown>;
    const sequenceNumber = firstDefined(
      `sequence number of message ${i}`,
      [sequenceNumbers?.[i], props.sequenceNumber, props['x-opt-sequence-number']],
      readInt64,
    );
    const enqueuedAt = firstDefined(
      `enqueued time of message ${i}`,
      [enqueued?.[i], props.enqueuedTimeUtc, props['x-opt-enqueued-time']],
      readUtcTime,
    );
    if (sequenceNumber === undefined || enqueuedAt === undefined)
      throw new TriggerMetadataError(
        `the trigger metadata gives no ${sequenceNumber === undefined ? 'sequence number' : 'enqueued time'} for message ${i} (neither the array nor systemPropertiesArray)`,
      );
    const offset = [offsets?.[i], props.offset, props['x-opt-offset']].map(readOffset).find(Boolean);
    return { eventHubName, partitionId, sequenceNumber, ...(offset ? { offset } : {}), enqueuedAt };
  });
}

function sameLength(
  metadata: Record<string, unknown> | undefined,
  key: string,
  count: number,
): readonly unknown[] | undefined {
  const value = metadata?.[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new TriggerMetadataError(`trigger metadata ${key} is not an array`);
  if (value.length !== count)
    throw new TriggerMetadataError(
      `trigger metadata ${key} has ${value.length} entries for ${count} messages: the host dropped or added entries (empty bodies in a string collection?), so positions cannot be paired with messages`,
    );
  return value as readonly unknown[];
}

/** The first candidate that is present; a present candidate that cannot be read is an error. */
function firstDefined<T>(
  what: string,
  candidates: readonly unknown[],
  read: (value: unknown) => T | undefined,
): T | undefined {
  for (const candidate of candidates) {
    if (candidate === undefined || candidate === null) continue;
    const value = read(candidate);
    if (value === undefined)
      throw new TriggerMetadataError(`cannot read the ${what} from ${JSON.stringify(candidate)}`);
    return value;
  }
  return undefined;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * An int64 as the worker may hand it over: number, bigint, decimal string, or a protobufjs Long
 * (`{ low, high, unsigned }`, 32-bit halves). Undefined when it is none of these or beyond 2^53.
 */
export function readInt64(value: unknown): number | undefined {
  let big: bigint | undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) big = BigInt(value.trim());
  else if (typeof value === 'object' && value !== null) {
    const { low, high, unsigned } = value as { low?: unknown; high?: unknown; unsigned?: unknown };
    if (typeof low !== 'number' || typeof high !== 'number') return undefined;
    const word = (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
    big = unsigned === true ? word : BigInt.asIntN(64, word);
  }
  if (big === undefined) return undefined;
  const number = Number(big);
  return Number.isSafeInteger(number) ? number : undefined;
}

/**
 * A time as ISO 8601 UTC. A date-time without an offset is UTC (the host's `DateTime` is in UTC); a
 * Date or epoch milliseconds are taken as they are. .NET's seven fractional digits are cut to three.
 */
export function readUtcTime(value: unknown): string | undefined {
  let date: Date;
  if (value instanceof Date) date = value;
  else if (typeof value === 'number') date = new Date(value);
  else if (typeof value === 'string') {
    const match =
      /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
        value.trim(),
      );
    if (!match) return undefined;
    const [, day, time, fraction, zone] = match;
    const seconds = time!.length === 5 ? `${time}:00` : time;
    const millis = (fraction ?? '').padEnd(3, '0').slice(0, 3);
    const offset = !zone || zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
    date = new Date(`${day}T${seconds}.${millis}${offset}`);
  } else return undefined;
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function readOffset(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  const asInt = typeof value === 'object' && value !== null ? readInt64(value) : undefined;
  return asInt === undefined ? undefined : String(asInt);
}
