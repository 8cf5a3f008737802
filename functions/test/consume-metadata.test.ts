/**
 * The consumer reads the Event Hubs trigger metadata in every shape the real host sends (int64 as
 * `{ low, high, unsigned }`, numbers, strings; times without an offset; per-event system properties),
 * and refuses metadata that does not describe the batch. The case of a process whose time zone is not
 * UTC needs a child process: consume-metadata.e2e.test.ts.
 */
import fc from 'fast-check';
import {
  positionsFromTriggerMetadata,
  readInt64,
  readUtcTime,
  TriggerMetadataError,
} from '../src/lib/hub-metadata';
import { processBatch } from '../src/lib/consume-core';

/** A signed int64 as protobufjs decodes it, after the library camel-cases it (nodejs-worker #844). */
function longObject(value: bigint) {
  const word = BigInt.asUintN(64, value);
  return {
    low: Number(BigInt.asIntN(32, word)),
    high: Number(BigInt.asIntN(32, word >> 32n)),
    unsigned: false,
  };
}

/** A .NET DateTime (kind UTC) as Json.NET writes it here: no offset, seven fractional digits. */
const dotnet = (date: Date) => `${date.toISOString().slice(0, -1)}0000`;

const sequenceNumber = fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) });
const enqueued = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2099-12-31T23:59:59Z'),
  noInvalidDate: true,
});
type Shape = 'long' | 'number' | 'string' | 'bigint';
const shapeOf = (value: bigint, shape: Shape): unknown =>
  shape === 'long'
    ? longObject(value)
    : shape === 'number'
      ? Number(value)
      : shape === 'string'
        ? value.toString()
        : value;
const timeShape = (date: Date, shape: 'dotnet' | 'iso' | 'offset' | 'date'): unknown =>
  shape === 'dotnet'
    ? dotnet(date)
    : shape === 'iso'
      ? date.toISOString()
      : shape === 'offset'
        ? date.toISOString().replace('Z', '+00:00')
        : date;

describe('trigger metadata shapes (property tests)', () => {
  it('reads every int64 shape to the same sequence number', () => {
    fc.assert(
      fc.property(
        sequenceNumber,
        fc.constantFrom<Shape>('long', 'number', 'string', 'bigint'),
        (n, shape) => {
          expect(readInt64(shapeOf(n, shape))).toBe(Number(n));
        },
      ),
    );
  });

  it('reads every time shape as the same UTC instant, whatever the local zone', () => {
    fc.assert(
      fc.property(enqueued, fc.constantFrom('dotnet', 'iso', 'offset', 'date' as const), (date, shape) => {
        expect(readUtcTime(timeShape(date, shape))).toBe(date.toISOString());
      }),
    );
  });

  it('pairs each message with its own position from the arrays, or from systemPropertiesArray', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(sequenceNumber, { minLength: 1, maxLength: 20 }),
        enqueued,
        fc.constantFrom<Shape>('long', 'number', 'string'),
        fc.boolean(),
        (numbers, start, shape, onlySystemProperties) => {
          const times = numbers.map((_, i) => new Date(start.getTime() + i * 1000));
          const system = numbers.map((n, i) => ({
            sequenceNumber: Number(n),
            offset: String(n),
            enqueuedTimeUtc: dotnet(times[i]!),
          }));
          const metadata = {
            partitionContext: { partitionId: '1', eventHubName: 'tweets' },
            systemPropertiesArray: system,
            ...(onlySystemProperties
              ? {}
              : {
                  sequenceNumberArray: numbers.map((n) => shapeOf(n, shape)),
                  // The library's tryJsonParse turns each numeric offset string into a number.
                  offsetArray: numbers.map((n) => Number(n)),
                  enqueuedTimeUtcArray: times.map(dotnet),
                }),
          };
          const positions = positionsFromTriggerMetadata(metadata, numbers.length);
          expect(positions).toEqual(
            numbers.map((n, i) => ({
              eventHubName: 'tweets',
              partitionId: '1',
              sequenceNumber: Number(n),
              offset: String(n),
              enqueuedAt: times[i]!.toISOString(),
            })),
          );
        },
      ),
    );
  });

  it('gives poison messages of one batch distinct dead letters when sequence numbers are Longs', () => {
    const metadata = {
      partitionContext: { partitionId: '0', eventHubName: 'tweets' },
      sequenceNumberArray: [longObject(4294967296n), longObject(4294967297n)],
      enqueuedTimeUtcArray: [dotnet(new Date()), dotnet(new Date())],
    };
    const { deadLetters } = processBatch(
      ['not json', ''],
      positionsFromTriggerMetadata(metadata, 2),
      new Date(),
    );
    expect(deadLetters.map((d) => d.blobName)).toEqual([
      'tweets/0/4294967296.json',
      'tweets/0/4294967297.json',
    ]);
  });

  it('fails loudly when an array and the batch differ in length (the host dropped an empty body)', () => {
    const metadata = {
      partitionContext: { partitionId: '0', eventHubName: 'tweets' },
      sequenceNumberArray: [1, 2, 3],
      enqueuedTimeUtcArray: ['2026-01-01T00:00:00', '2026-01-01T00:00:01', '2026-01-01T00:00:02'],
    };
    expect(() => positionsFromTriggerMetadata(metadata, 2)).toThrow(TriggerMetadataError);
    expect(() => positionsFromTriggerMetadata(metadata, 2)).toThrow(
      /sequenceNumberArray has 3 entries for 2 messages/,
    );
  });

  it('fails loudly rather than inventing a position it cannot read', () => {
    expect(() => positionsFromTriggerMetadata({ enqueuedTimeUtcArray: ['2026-01-01T00:00:00'] }, 1)).toThrow(
      /no sequence number for message 0/,
    );
    expect(() =>
      positionsFromTriggerMetadata(
        { sequenceNumberArray: [{ unexpected: true }], enqueuedTimeUtcArray: ['x'] },
        1,
      ),
    ).toThrow(/cannot read the sequence number of message 0/);
  });
});
