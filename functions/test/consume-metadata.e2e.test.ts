/**
 * A time without an offset in the trigger metadata is UTC, also in a process whose time zone is not
 * UTC. It runs in a child process because jest's sandboxed process.env cannot change the zone of this
 * one, so a time read as local time shows. The other metadata shapes: consume-metadata.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('trigger metadata in a process whose zone is not UTC', () => {
  it('reads a time without an offset as UTC in a process whose zone is not UTC', () => {
    const compiled = join(__dirname, '../dist/src/lib/hub-metadata.js');
    const script = `
      const { readUtcTime, positionsFromTriggerMetadata } = require(${JSON.stringify(compiled)});
      const local = new Date('2026-07-01T12:00:00').toISOString();
      const read = readUtcTime('2026-07-01T12:00:00.1234567');
      const [position] = positionsFromTriggerMetadata(
        { sequenceNumberArray: [1], enqueuedTimeUtcArray: ['2026-12-06T05:08:53.1234567'] }, 1);
      process.stdout.write(JSON.stringify({ local, read, enqueuedAt: position.enqueuedAt }));`;
    const out = JSON.parse(
      execFileSync(process.execPath, ['-e', script], {
        env: { ...process.env, TZ: 'America/New_York' },
      }).toString(),
    ) as { local: string; read: string; enqueuedAt: string };
    expect(out.local).toBe('2026-07-01T16:00:00.000Z'); // the zone is in effect: JavaScript reads local time
    expect(out.read).toBe('2026-07-01T12:00:00.123Z');
    expect(out.enqueuedAt).toBe('2026-12-06T05:08:53.123Z');
  });
});
