import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LIMITS, size, SizingError, sizingTable } from '../src/sizing';
import { ROOT } from './helpers';

// headroom 1 makes the boundaries exact: the target rate is the sized rate.
const at = (eventsPerSecond: number, eventSizeBytes = 500) =>
  size({ eventsPerSecond, eventSizeBytes, headroom: 1 });

describe('sizing', () => {
  test.each([
    [1, 1],
    [1000, 1],
    [1001, 2],
    [2000, 2],
    [2001, 3],
    [40_000, 40],
  ])('%d events/s of 500 bytes need %d throughput units (1,000 events/s per TU)', (rate, tu) => {
    expect(at(rate).throughputUnits).toBe(tu);
  });

  test.each([
    [1024, 1],
    [1025, 2],
  ])('1,000 events/s of %d bytes need %d TU (1 MB/s per TU)', (bytes, tu) => {
    expect(size({ eventsPerSecond: 1000, eventSizeBytes: bytes * 1.024, headroom: 1 }).throughputUnits).toBe(
      tu,
    );
  });

  test('egress counts every consumer group (2 MB/s per TU)', () => {
    const one = size({ eventsPerSecond: 900, eventSizeBytes: 1024, headroom: 1, consumerGroups: 2 });
    const three = size({ eventsPerSecond: 900, eventSizeBytes: 1024, headroom: 1, consumerGroups: 3 });
    expect(one.throughputUnits).toBe(1);
    expect(three.throughputUnits).toBe(2);
  });

  test('beyond 40 TU Standard is not enough, and the error says so', () => {
    expect(() => at(40_001)).toThrow(SizingError);
    expect(() => at(40_001)).toThrow(/Standard stops at 40/);
  });

  test.each([
    [100, 2],
    [1000, 2],
    [1001, 3],
    [16_000, 32],
    [40_000, 32],
  ])('%d events/s -> %d partitions (>= 2, one consumer per 500 events/s, at most 32)', (rate, partitions) => {
    expect(at(rate).partitions).toBe(partitions);
  });

  test.each([
    [1024, 5],
    [1025, 10],
  ])('a %d-byte write costs %d RU', (bytes, ru) => {
    expect(size({ eventsPerSecond: 1, eventSizeBytes: bytes, headroom: 1 }).cosmosRuPerSecond).toBe(ru);
  });

  test('serverless up to 5,000 RU/s, autoscale (a multiple of 1,000) above', () => {
    expect(at(1000)).toMatchObject({
      cosmosRuPerSecond: 5000,
      cosmosMode: 'serverless',
      cosmosAutoscaleMaxRu: 0,
    });
    expect(at(1001)).toMatchObject({
      cosmosRuPerSecond: 5005,
      cosmosMode: 'autoscale',
      cosmosAutoscaleMaxRu: 6000,
    });
  });

  test('auto-inflate is off while one TU carries twice the load, else twice the base up to 40', () => {
    expect(at(500).autoInflateMaxThroughputUnits).toBe(0);
    expect(at(501).autoInflateMaxThroughputUnits).toBe(2);
    expect(at(30_000).autoInflateMaxThroughputUnits).toBe(40);
  });

  test('the function ceiling stays within the Flex Consumption range', () => {
    expect(at(1).functionMaxInstances).toBe(LIMITS.flexMinInstanceCeiling);
    const huge = size({
      eventsPerSecond: 39_000,
      eventSizeBytes: 10,
      headroom: 1,
      eventsPerRequest: 1,
      requestSeconds: 1,
      httpConcurrencyPerInstance: 1,
    });
    expect(huge.functionMaxInstances).toBe(LIMITS.flexMaxInstanceCeiling);
  });

  test.each([0, -1, Number.NaN])('refuses a rate of %d', (rate) => {
    expect(() => size({ eventsPerSecond: rate, eventSizeBytes: 500 })).toThrow(/eventsPerSecond must be > 0/);
  });

  test('docs/deploying.md shows exactly the table this function computes', () => {
    const docs = readFileSync(path.join(ROOT, 'docs', 'deploying.md'), 'utf8');
    expect(docs).toContain(sizingTable());
  });
});
