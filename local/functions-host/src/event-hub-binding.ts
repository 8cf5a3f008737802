/**
 * How the real Functions host turns an Event Hubs batch into the invocation's trigger data and trigger
 * metadata for a Node.js worker. Pure: the delivery (event-hub-trigger.ts) does the I/O.
 *
 * Sources (read, not copied):
 * - azure-functions-host, src/WebJobs.Script.Grpc/MessageExtensions/GrpcMessageConversionExtensions.cs
 *   (`ToRpc`): `string[]` becomes `collection_string`, skipping null or empty entries unless the worker
 *   declares the `IncludeEmptyEntriesInMessagePayload` capability (`ToRpcStringArray`); `byte[][]`
 *   becomes `collection_bytes`, skipping only null entries (`ToRpcByteArray`); `long[]` becomes
 *   `collection_sint64` (`ToRpcLongArray`); anything else (object[], DateTime[], POCOs) is serialized by
 *   Json.NET into `json` (`ToRpcDefault`). Collections need the `TypedDataCollection` capability.
 * - azure-functions-nodejs-worker, src/eventHandlers/getWorkerCapabilities.ts: the capabilities the
 *   Node.js worker declares (no `IncludeEmptyEntriesInMessagePayload`), to which `@azure/functions` adds
 *   what the app asks for in `app.setup({ capabilities })` (src/ProgrammingModel.ts `getCapabilities`).
 * - For `cardinality: many` without a `dataType` the host binds the batch as `object[]`, each body
 *   deserialized by Json.NET: one body that is not JSON fails the binding, so the whole invocation fails
 *   before the handler runs (azure-functions-nodejs-library #187, #340; azure-sdk-for-net Event Hubs
 *   extension #118). `dataType: 'string'` binds `string[]` (UTF-8 bodies), `'binary'` binds `byte[][]`.
 * - azure-functions-nodejs-worker #844: on Flex Consumption `sequenceNumberArray` reaches the handler as
 *   `{ low, high, unsigned }` objects (protobufjs Longs, camel-cased by the library).
 */
import { randomUUID } from 'node:crypto';
import type { RpcTypedData } from './core-types';

/** The capabilities the Azure Functions Node.js worker declares to the host (before the library's). */
export const NODE_WORKER_CAPABILITIES: Readonly<Record<string, string>> = {
  RawHttpBodyBytes: 'true',
  RpcHttpTriggerMetadataRemoved: 'true',
  RpcHttpBodyOnly: 'true',
  IgnoreEmptyValuedRpcHttpHeaders: 'true',
  UseNullableValueDictionaryForHttp: 'true',
  WorkerStatus: 'true',
  TypedDataCollection: 'true',
  HandlesWorkerTerminateMessage: 'true',
};

/** The host keeps empty strings in a string collection only when the worker declares this (any value). */
export const INCLUDE_EMPTY_ENTRIES = 'IncludeEmptyEntriesInMessagePayload';

/** A protobufjs Long as the library hands it over once camel-cased: two 32-bit halves. */
export interface LongObject {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
}

/** RpcTypedData with the int64 collection the host uses for `long[]`. */
export type HostTypedData = RpcTypedData & { collectionSint64?: { sint64?: LongObject[] } | null };

/** The Event Hubs trigger's dataType values this host binds (the binding metadata's `dataType`). */
export type EventHubDataType = 'object' | 'string' | 'binary';

/** The binding failed before the function ran: the invocation fails, and the retry policy applies. */
export class TriggerBindingError extends Error {
  override name = 'TriggerBindingError';
}

/** Reads and checks the binding's `dataType`: absent means the host's default (object for a batch). */
export function eventHubDataType(dataType: unknown, where: string): EventHubDataType {
  if (dataType === undefined || dataType === null || dataType === '' || dataType === 'undefined')
    return 'object';
  if (dataType === 'string' || dataType === 'binary') return dataType;
  throw new Error(
    `${where}: dataType ${JSON.stringify(dataType)} is not supported for an Event Hubs trigger here (use "string", "binary" or none)`,
  );
}

/** Whether the worker asked the host to keep empty entries in string collections. */
export function includesEmptyEntries(capabilities: Readonly<Record<string, string>>): boolean {
  return (capabilities[INCLUDE_EMPTY_ENTRIES] ?? '').trim() !== '';
}

/**
 * The trigger input for one invocation, as the host binds it for this dataType and cardinality.
 * Throws TriggerBindingError where the real host's binding fails.
 */
export function bindEventBodies(
  bodies: readonly Buffer[],
  options: {
    readonly many: boolean;
    readonly dataType: EventHubDataType;
    readonly capabilities: Readonly<Record<string, string>>;
    readonly bindingName: string;
    readonly sequenceNumbers: readonly number[];
  },
): HostTypedData {
  const { many, dataType, capabilities } = options;
  if (!many) {
    const body = bodies[0]!;
    return dataType === 'binary' ? { bytes: body } : { string: body.toString('utf8') };
  }
  if (dataType === 'binary') return { collectionBytes: { bytes: [...bodies] } };
  const texts = bodies.map((body) => body.toString('utf8'));
  if (dataType === 'string') {
    const keepEmpty = includesEmptyEntries(capabilities);
    return { collectionString: { string: keepEmpty ? texts : texts.filter((t) => t !== '') } };
  }
  // object[]: every body deserialized (Json.NET), then the array serialized back as one JSON value.
  const values = texts.map((text, i) => {
    const where = `Exception binding parameter '${options.bindingName}': event ${i} (sequence number ${options.sequenceNumbers[i] ?? '?'})`;
    if (text.trim() === '') throw new TriggerBindingError(`${where} has an empty body, which is not JSON`);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new TriggerBindingError(
        `${where} is not JSON (${error instanceof Error ? error.message : String(error)}); without a dataType the host binds the batch as object[]`,
      );
    }
  });
  return { json: JSON.stringify(values) };
}

/** What the metadata needs of a received event. */
export interface MetadataEvent {
  readonly sequenceNumber: number;
  readonly offset: string | number;
  readonly enqueuedTimeUtc: Date;
  readonly partitionKey?: string | null;
  readonly properties?: Record<string, unknown>;
}

export interface PartitionContextMetadata {
  readonly FullyQualifiedNamespace: string;
  readonly EventHubName: string;
  readonly ConsumerGroup: string;
  readonly PartitionId: string;
}

const json = (value: unknown): HostTypedData => ({ json: JSON.stringify(value) });

/** A signed int64 as the two 32-bit halves protobufjs decodes it into. */
export function toLongObject(value: number): LongObject {
  const word = BigInt.asUintN(64, BigInt(value));
  return {
    low: Number(BigInt.asIntN(32, word)),
    high: Number(BigInt.asIntN(32, word >> 32n)),
    unsigned: false,
  };
}

/**
 * A .NET `DateTime` (kind UTC) as the host serializes it here: ISO 8601 with no offset, seven
 * fractional digits. JavaScript's Date parses such text as local time; the consumer must not.
 */
export function dotnetUtcDateTime(date: Date): string {
  return `${date.toISOString().slice(0, -1)}0000`;
}

/** The offset is a string in the Event Hubs extension 5.x+ (`EventData.OffsetString`). */
const offsetText = (offset: string | number) => String(offset);

function systemProperties(event: MetadataEvent) {
  return {
    'x-opt-sequence-number': event.sequenceNumber,
    'x-opt-offset': offsetText(event.offset),
    // The AMQP annotation is a DateTimeOffset: Json.NET writes it with its offset.
    'x-opt-enqueued-time': `${dotnetUtcDateTime(event.enqueuedTimeUtc)}+00:00`,
    SequenceNumber: event.sequenceNumber,
    Offset: offsetText(event.offset),
    EnqueuedTimeUtc: dotnetUtcDateTime(event.enqueuedTimeUtc),
    PartitionKey: event.partitionKey ?? null,
  };
}

function stringArray(values: readonly (string | null)[], capabilities: Readonly<Record<string, string>>) {
  const keepEmpty = includesEmptyEntries(capabilities);
  return {
    collectionString: {
      string: keepEmpty ? values.map((v) => v ?? '') : values.filter((v): v is string => !!v),
    },
  };
}

/** The trigger metadata of a `cardinality: many` invocation, in the host's wire shapes (PascalCase). */
export function batchTriggerMetadata(
  events: readonly MetadataEvent[],
  partitionContext: PartitionContextMetadata,
  method: string,
  capabilities: Readonly<Record<string, string>>,
): Record<string, HostTypedData> {
  return {
    PartitionContext: json(partitionContext),
    PartitionKeyArray: stringArray(
      events.map((e) => e.partitionKey ?? null),
      capabilities,
    ),
    OffsetArray: stringArray(
      events.map((e) => offsetText(e.offset)),
      capabilities,
    ),
    SequenceNumberArray: { collectionSint64: { sint64: events.map((e) => toLongObject(e.sequenceNumber)) } },
    EnqueuedTimeUtcArray: json(events.map((e) => dotnetUtcDateTime(e.enqueuedTimeUtc))),
    PropertiesArray: json(events.map((e) => e.properties ?? {})),
    SystemPropertiesArray: json(events.map(systemProperties)),
    sys: json({ MethodName: method, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
  };
}

/** The trigger metadata of a `cardinality: one` invocation. */
export function singleTriggerMetadata(
  event: MetadataEvent,
  partitionContext: PartitionContextMetadata,
  method: string,
): Record<string, HostTypedData> {
  return {
    PartitionContext: json(partitionContext),
    PartitionKey: json(event.partitionKey ?? null),
    Offset: { string: offsetText(event.offset) },
    SequenceNumber: json(event.sequenceNumber),
    EnqueuedTimeUtc: json(dotnetUtcDateTime(event.enqueuedTimeUtc)),
    Properties: json(event.properties ?? {}),
    SystemProperties: json(systemProperties(event)),
    sys: json({ MethodName: method, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
  };
}
