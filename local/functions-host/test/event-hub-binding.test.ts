/**
 * How the local host binds an Event Hubs batch and its metadata, checked through the real
 * `@azure/functions` converters (what the handler receives), and how it collects batches for
 * minEventBatchSize / maxWaitTime. Pure: no servers.
 */
import {
  batchTriggerMetadata,
  bindEventBodies,
  eventHubDataType,
  NODE_WORKER_CAPABILITIES,
  TriggerBindingError,
  type EventHubDataType,
} from '../src/event-hub-binding';
import { createBatchCollector } from '../src/event-hub-batching';
import { readHostConfig } from '../src/host-json';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Registry } from '../src/core-module';
import type { RpcTypedData } from '../src/core-types';
import { invokeFunction } from '../src/invoke';
import type * as AzureFunctions from '@azure/functions';

const mockRegistry = new Registry(() => {});
jest.mock('@azure/functions-core', () => mockRegistry.coreApi(), { virtual: true });

const silent = { info() {}, warn() {}, error() {}, debug() {} };
let received: { messages: unknown; triggerMetadata: Record<string, unknown> | undefined } | undefined;

beforeAll(() => {
  // The real @azure/functions library turns the RPC data into the handler's arguments, as in Azure.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { app } = require('@azure/functions') as typeof AzureFunctions;
  app.eventHub('probe', {
    connection: 'EventHub',
    eventHubName: 'tweets',
    cardinality: 'many',
    handler: (messages, context) => {
      received = { messages, triggerMetadata: context.triggerMetadata };
    },
  });
  mockRegistry.completeStartup();
});

/** What the handler receives for this trigger data and metadata. */
async function handOver(data: RpcTypedData, triggerMetadata: Record<string, RpcTypedData> = {}) {
  const fn = mockRegistry.functions.get('probe')!;
  const bindingName = Object.keys(fn.metadata.bindings)[0]!;
  received = undefined;
  await invokeFunction(
    mockRegistry,
    fn,
    { inputData: [{ name: bindingName, data }], triggerMetadata },
    silent,
  );
  return received!;
}
const fromRpcTypedData = async (data: RpcTypedData) => (await handOver(data)).messages;

const bodies = (...texts: string[]) => texts.map((t) => Buffer.from(t, 'utf8'));
const bind = (dataType: EventHubDataType, input: Buffer[], capabilities = NODE_WORKER_CAPABILITIES) =>
  bindEventBodies(input, {
    many: true,
    dataType,
    capabilities,
    bindingName: 'messages',
    sequenceNumbers: input.map((_, i) => 40 + i),
  });

describe('Event Hubs batch binding by dataType (as the real host binds it)', () => {
  it('without a dataType, binds object[]: JSON bodies arrive parsed', async () => {
    expect(await fromRpcTypedData(bind('object', bodies('{"a":1}', '[2]', '"x"')))).toEqual([
      { a: 1 },
      [2],
      'x',
    ]);
  });

  it('without a dataType, one body that is not JSON fails the whole batch before the handler', () => {
    expect(() => bind('object', bodies('{"a":1}', 'not json {', '{"b":2}'))).toThrow(TriggerBindingError);
    expect(() => bind('object', bodies('{"a":1}', 'not json {'))).toThrow(
      /Exception binding parameter 'messages': event 1 \(sequence number 41\) is not JSON/,
    );
    expect(() => bind('object', bodies('{"a":1}', ''))).toThrow(
      /event 1 \(sequence number 41\) has an empty body/,
    );
  });

  it('with dataType string, binds the UTF-8 bodies and drops empty ones (the Node.js worker does not ask to keep them)', async () => {
    const data = bind('string', bodies('{"a":1}', '', 'not json'));
    expect(data.collectionString?.string).toEqual(['{"a":1}', 'not json']);
    // What the handler gets: the library's tryJsonParse on each string.
    expect(await fromRpcTypedData(data)).toEqual([{ a: 1 }, 'not json']);
  });

  it('keeps empty strings when the app declares IncludeEmptyEntriesInMessagePayload', () => {
    const data = bind('string', bodies('a', '', 'b'), {
      ...NODE_WORKER_CAPABILITIES,
      IncludeEmptyEntriesInMessagePayload: 'true',
    });
    expect(data.collectionString?.string).toEqual(['a', '', 'b']);
  });

  it('with dataType binary, binds every body as bytes, empty ones included', async () => {
    const buffers = (await fromRpcTypedData(bind('binary', bodies('{"a":1}', '', 'x')))) as Buffer[];
    expect(buffers.map((b) => b.toString('utf8'))).toEqual(['{"a":1}', '', 'x']);
  });

  it('refuses a dataType it does not bind, naming the function', () => {
    expect(eventHubDataType(undefined, 'f')).toBe('object');
    expect(eventHubDataType('binary', 'f')).toBe('binary');
    expect(() => eventHubDataType('stream', 'function "consume"')).toThrow(
      'function "consume": dataType "stream" is not supported',
    );
  });
});

describe('Event Hubs batch trigger metadata (Azure shapes by default)', () => {
  const events = [0, 1].map((i) => ({
    sequenceNumber: 4294967296 + i,
    offset: String(8589934592 + i),
    enqueuedTimeUtc: new Date(Date.UTC(2026, 11, 6, 5, 8, 53, 120 + i)),
    partitionKey: i === 0 ? null : 'k',
    properties: {},
  }));
  let metadata: Record<string, unknown>;
  beforeAll(async () => {
    const wire = batchTriggerMetadata(
      events,
      { FullyQualifiedNamespace: 'ns', EventHubName: 'tweets', ConsumerGroup: 'cg', PartitionId: '1' },
      'consume',
      NODE_WORKER_CAPABILITIES,
    );
    metadata = (await handOver({ collectionBytes: { bytes: [] } }, wire)).triggerMetadata!;
  });

  it('sends sequence numbers as int64 ({ low, high, unsigned } once the library camel-cases them)', () => {
    expect(metadata.sequenceNumberArray).toEqual([
      { low: 0, high: 1, unsigned: false },
      { low: 1, high: 1, unsigned: false },
    ]);
  });

  it('sends offsets as strings (the library parses numeric ones) and times without an offset', () => {
    expect(metadata.offsetArray).toEqual([8589934592, 8589934593]);
    expect(metadata.enqueuedTimeUtcArray).toEqual([
      '2026-12-06T05:08:53.1200000',
      '2026-12-06T05:08:53.1210000',
    ]);
    expect(metadata.partitionContext).toEqual({
      fullyQualifiedNamespace: 'ns',
      eventHubName: 'tweets',
      consumerGroup: 'cg',
      partitionId: '1',
    });
  });

  it('drops null partition keys from the string collection, as the host does without the capability', () => {
    expect(metadata.partitionKeyArray).toEqual(['k']);
  });

  it('sends per-event system properties with the sequence number, offset and enqueued time', () => {
    expect((metadata.systemPropertiesArray as Record<string, unknown>[])[1]).toMatchObject({
      sequenceNumber: 4294967297,
      'x-opt-sequence-number': 4294967297,
      offset: '8589934593',
      enqueuedTimeUtc: '2026-12-06T05:08:53.1210000',
    });
  });
});

describe('minEventBatchSize and maxWaitTime (host.json)', () => {
  const collector = (min: number, max = 10, wait = 1000) =>
    createBatchCollector<number>({ minEventBatchSize: min, maxEventBatchSize: max, maxWaitTimeMs: wait });

  it('with a minimum of 1, dispatches what arrives at once (maxWaitTime plays no part)', () => {
    const c = collector(1);
    expect(c.add([1], 0)).toEqual([1]);
    expect(c.add([2, 3], 1)).toEqual([2, 3]);
    expect(c.add([], 2)).toBeUndefined();
  });

  it('does not hold the first batch after the partition is taken', () => {
    expect(collector(5).add([1, 2], 0)).toEqual([1, 2]);
  });

  it('then holds events until the minimum is reached, dispatching one batch of at most maxEventBatchSize', () => {
    const c = collector(3, 4);
    c.add([0], 0);
    expect(c.add([1, 2], 10)).toBeUndefined();
    expect(c.held).toBe(2);
    expect(c.add([3, 4, 5, 6, 7], 20)).toEqual([1, 2, 3, 4]);
    expect(c.held).toBe(3);
    // The rest (at the minimum) leaves at the receiver's next hand-over, even an empty one.
    expect(c.add([], 30)).toEqual([5, 6, 7]);
  });

  it('dispatches a partial batch once maxWaitTime has passed since the wait began', () => {
    const c = collector(5, 10, 1000);
    c.add([0], 0);
    expect(c.add([1], 100)).toBeUndefined();
    expect(c.add([2], 600)).toBeUndefined();
    expect(c.add([], 1099)).toBeUndefined();
    expect(c.add([], 1100)).toEqual([1, 2]);
    expect(c.held).toBe(0);
  });

  it('drops held events when the partition is lost (they were never checkpointed)', () => {
    const c = collector(5);
    c.add([0], 0);
    c.add([1, 2], 1);
    c.clear();
    expect(c.held).toBe(0);
    expect(c.add([], 5000)).toBeUndefined();
  });

  function hostJson(eventHubs: object): string {
    const dir = mkdtempSync(join(tmpdir(), 'host-json-'));
    const path = join(dir, 'host.json');
    writeFileSync(path, JSON.stringify({ version: '2.0', extensions: { eventHubs } }));
    return path;
  }

  it('reads minEventBatchSize and refuses settings the extension refuses', () => {
    expect(
      readHostConfig(hostJson({ minEventBatchSize: 5, maxWaitTime: '00:00:02' })).eventHubs,
    ).toMatchObject({
      minEventBatchSize: 5,
      maxWaitTimeMs: 2000,
    });
    expect(() => readHostConfig(hostJson({ minEventBatchSize: 200, maxEventBatchSize: 100 }))).toThrow(
      'minEventBatchSize (200) must not exceed maxEventBatchSize (100)',
    );
    expect(() => readHostConfig(hostJson({ minEventBatchSize: 0 }))).toThrow(
      'minEventBatchSize must be a positive integer',
    );
    expect(() => readHostConfig(hostJson({ maxWaitTime: '00:10:01' }))).toThrow(
      'maxWaitTime must be at most 10 minutes',
    );
  });
});
