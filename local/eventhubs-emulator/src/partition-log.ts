import {
  closeSync,
  fdatasync,
  ftruncateSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  unlinkSync,
  writev,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { encodeStoredEvent, type InboundEvent } from './amqp-codec';
import type { Logger } from './log';

/**
 * Record layout on disk (and in memory): a 24-byte header, then the stored AMQP message.
 *   u32 payload length | u32 crc32 of bytes 8.. (header rest + payload) | f64 sequence number | f64 enqueued ms
 * An event's offset is the byte position of its record in the partition's logical log (segments
 * laid end to end), so offsets only grow, across restarts and after retention deletes segments.
 */
const HEADER = 24;
const SEGMENT_SUFFIX = '.seg';
const RECOVERY_CHUNK = 4 * 1024 * 1024;

export interface StoredEvent {
  readonly sequenceNumber: number;
  readonly offset: number;
  readonly enqueuedTime: number;
  /** The complete AMQP message to deliver (annotations + bare message). */
  readonly payload: Buffer;
}

export interface PartitionLogOptions {
  /** Folder for this partition's segment files; omitted = in memory. */
  readonly dir?: string;
  readonly segmentBytes: number;
  readonly retentionMs: number;
  readonly fsync: boolean;
  /** Records larger than this are treated as corruption during recovery. */
  readonly maxRecordBytes: number;
  readonly logger: Logger;
  /** For log lines: "hub/partition". */
  readonly name: string;
}

interface Segment {
  readonly baseOffset: number;
  readonly baseSeq: number;
  readonly path: string;
  readonly fd: number;
  size: number;
  lastTime: number;
}

interface PendingGroup {
  readonly events: readonly InboundEvent[];
  readonly partitionKey: string | undefined;
  readonly resolve: (range: { first: number; last: number }) => void;
  readonly reject: (err: Error) => void;
}

/** A growable array of doubles: one slot per event still in the log. */
class DoubleColumn {
  private data = new Float64Array(1024);
  private start = 0;
  private end = 0;
  get length(): number {
    return this.end - this.start;
  }
  at(i: number): number {
    return this.data[this.start + i]!;
  }
  push(v: number): void {
    if (this.end === this.data.length) {
      const live = this.end - this.start;
      const next = new Float64Array(Math.max(1024, live * 2));
      next.set(this.data.subarray(this.start, this.end));
      this.data = next;
      this.start = 0;
      this.end = live;
    }
    this.data[this.end++] = v;
  }
  dropFront(n: number): void {
    this.start += Math.min(n, this.length);
  }
  truncate(n: number): void {
    this.end = this.start + n;
  }
  /** First index whose value satisfies `pred` (values ascending); `length` if none. */
  lowerBound(pred: (v: number) => boolean): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(this.at(mid))) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function segmentName(baseOffset: number, baseSeq: number): string {
  return `${String(baseOffset).padStart(20, '0')}-${String(baseSeq).padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

/**
 * One partition's append-only log: group-committed appends (an event is acknowledged only after
 * its bytes are written), reads by sequence number from disk, lookups by offset and enqueued
 * time through an in-memory index of two doubles per event, segment-based retention, and
 * recovery that truncates a torn tail.
 */
export class PartitionLog {
  /** Sequence number of the first event still in the log. */
  private firstSeq = 0;
  /** Sequence number the next event gets. */
  private nextSeq = 0;
  private nextOffset = 0;
  private lastTime = 0;
  private lastOffset = -1;
  private readonly offsets = new DoubleColumn();
  private readonly times = new DoubleColumn();
  /** In-memory mode: the payloads, parallel to the index. */
  private readonly memory: Buffer[] | undefined;
  private readonly segments: Segment[] = [];
  private pending: PendingGroup[] = [];
  private writing = false;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly options: PartitionLogOptions) {
    this.memory = options.dir === undefined ? [] : undefined;
  }

  static open(options: PartitionLogOptions): PartitionLog {
    const log = new PartitionLog(options);
    if (options.dir !== undefined) log.recover(options.dir);
    return log;
  }

  get beginSequenceNumber(): number {
    return this.firstSeq;
  }
  /** -1 until the first event. */
  get lastSequenceNumber(): number {
    return this.nextSeq - 1;
  }
  get lastEnqueuedOffset(): number {
    return this.lastOffset;
  }
  get lastEnqueuedTime(): number {
    return this.lastTime;
  }
  get isEmpty(): boolean {
    return this.offsets.length === 0;
  }

  /** Called after each commit; returns an unsubscribe function. */
  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Appends the events as one group; resolves with their sequence numbers once written. */
  append(
    events: readonly InboundEvent[],
    partitionKey: string | undefined,
  ): Promise<{ first: number; last: number }> {
    if (this.closed) return Promise.reject(new Error(`partition ${this.options.name} is closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ events, partitionKey, resolve, reject });
      if (!this.writing) this.flush();
    });
  }

  /** Sequence number of the first event whose offset is > (or >=) `offset`. */
  seqAfterOffset(offset: number, inclusive: boolean): number {
    const i = this.offsets.lowerBound((v) => (inclusive ? v >= offset : v > offset));
    return this.firstSeq + i;
  }

  /** Sequence number of the first event enqueued after `time` (ms). */
  seqAfterTime(time: number): number {
    return this.firstSeq + this.times.lowerBound((v) => v > time);
  }

  /** Reads up to `maxCount` events from `fromSeq`, stopping early past `maxBytes`. */
  read(fromSeq: number, maxCount: number, maxBytes: number): StoredEvent[] {
    const start = Math.max(fromSeq, this.firstSeq);
    const available = this.nextSeq - start;
    if (available <= 0 || maxCount <= 0) return [];
    const count = Math.min(available, maxCount);
    const out: StoredEvent[] = [];
    const i0 = start - this.firstSeq;
    if (this.memory) {
      let bytes = 0;
      for (let k = 0; k < count && (k === 0 || bytes < maxBytes); k++) {
        const payload = this.memory[i0 + k]!;
        bytes += payload.length;
        out.push({
          sequenceNumber: start + k,
          offset: this.offsets.at(i0 + k),
          enqueuedTime: this.times.at(i0 + k),
          payload,
        });
      }
      return out;
    }
    const firstOffset = this.offsets.at(i0);
    const seg = this.segmentFor(firstOffset);
    const segEnd = seg.baseOffset + seg.size;
    // Take whole records within one segment up to the count and byte budget.
    let n = 1;
    while (n < count) {
      const next = this.offsets.at(i0 + n);
      if (next >= segEnd || next - firstOffset >= maxBytes) break;
      n++;
    }
    const endOffset = i0 + n < this.offsets.length ? Math.min(this.offsets.at(i0 + n), segEnd) : segEnd;
    const buf = Buffer.allocUnsafe(endOffset - firstOffset);
    let got = 0;
    while (got < buf.length) {
      const r = readSync(seg.fd, buf, got, buf.length - got, firstOffset - seg.baseOffset + got);
      if (r === 0) throw new Error(`unexpected end of segment ${seg.path}`);
      got += r;
    }
    let pos = 0;
    for (let k = 0; k < n; k++) {
      const len = buf.readUInt32LE(pos);
      out.push({
        sequenceNumber: start + k,
        offset: firstOffset + pos,
        enqueuedTime: buf.readDoubleLE(pos + 16),
        payload: buf.subarray(pos + HEADER, pos + HEADER + len),
      });
      pos += HEADER + len;
    }
    return out;
  }

  /** Deletes whole segments (or, in memory, events) enqueued before `now - retention`. */
  enforceRetention(now = Date.now()): void {
    const cutoff = now - this.options.retentionMs;
    if (this.memory) {
      const drop = this.times.lowerBound((v) => v >= cutoff);
      if (drop > 0) this.dropFront(drop);
      return;
    }
    const active = this.segments[this.segments.length - 1];
    if (active && active.size > 0 && active.lastTime < cutoff && !this.writing) this.roll();
    while (this.segments.length > 1 && this.segments[0]!.lastTime < cutoff) {
      const seg = this.segments.shift()!;
      const next = this.segments[0]!;
      closeSync(seg.fd);
      unlinkSync(seg.path);
      this.dropFront(next.baseSeq - this.firstSeq);
      this.options.logger.info('retention deleted a segment', {
        partition: this.options.name,
        segment: seg.path,
        events: next.baseSeq - seg.baseSeq,
      });
    }
  }

  /** Waits for pending writes, then closes the segment files. */
  async close(): Promise<void> {
    while (this.writing || this.pending.length > 0) await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    for (const seg of this.segments) closeSync(seg.fd);
    this.segments.length = 0;
    this.listeners.clear();
  }

  private dropFront(n: number): void {
    this.offsets.dropFront(n);
    this.times.dropFront(n);
    this.memory?.splice(0, n);
    this.firstSeq += n;
  }

  private segmentFor(offset: number): Segment {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return this.segments[lo]!;
  }

  private roll(): void {
    const dir = this.options.dir!;
    const path = join(dir, segmentName(this.nextOffset, this.nextSeq));
    const fd = openSync(path, 'a+');
    this.segments.push({
      baseOffset: this.nextOffset,
      baseSeq: this.nextSeq,
      path,
      fd,
      size: 0,
      lastTime: this.lastTime,
    });
  }

  private flush(): void {
    const groups = this.pending;
    if (groups.length === 0 || this.closed) return;
    this.pending = [];
    this.writing = true;
    if (!this.memory) {
      const active = this.segments[this.segments.length - 1]!;
      if (active.size >= this.options.segmentBytes) this.roll();
    }
    const startSeq = this.nextSeq;
    const startOffset = this.nextOffset;
    const time = Math.max(Date.now(), this.lastTime);
    const buffers: Buffer[] = [];
    const records: { offset: number; payload: Buffer }[] = [];
    let seq = startSeq;
    let offset = startOffset;
    const ranges: { first: number; last: number }[] = [];
    for (const g of groups) {
      const first = seq;
      for (const event of g.events) {
        const payload = encodeStoredEvent(event, {
          sequenceNumber: seq,
          offset,
          enqueuedTime: time,
          partitionKey: g.partitionKey,
        });
        const header = Buffer.allocUnsafe(HEADER);
        header.writeUInt32LE(payload.length, 0);
        header.writeDoubleLE(seq, 8);
        header.writeDoubleLE(time, 16);
        header.writeUInt32LE(crc32(payload, crc32(header.subarray(8))), 4);
        buffers.push(header, payload);
        records.push({ offset, payload });
        offset += HEADER + payload.length;
        seq++;
      }
      ranges.push({ first, last: seq - 1 });
    }
    const bytes = offset - startOffset;
    const commit = () => {
      for (const r of records) {
        this.offsets.push(r.offset);
        this.times.push(time);
        this.memory?.push(r.payload);
      }
      this.nextSeq = seq;
      this.nextOffset = offset;
      if (records.length > 0) {
        this.lastTime = time;
        this.lastOffset = records[records.length - 1]!.offset;
      }
      groups.forEach((g, i) => g.resolve(ranges[i]!));
      for (const l of this.listeners) l();
    };
    const done = () => {
      this.writing = false;
      if (this.pending.length > 0) this.flush();
    };
    if (this.memory) {
      commit();
      done();
      return;
    }
    const seg = this.segments[this.segments.length - 1]!;
    const fail = (err: Error) => {
      // A partial write must not leave half a record for the next append to follow.
      try {
        ftruncateSync(seg.fd, seg.size);
      } catch {
        // the next recovery truncates the torn tail
      }
      this.options.logger.error('write failed', { partition: this.options.name, error: err.message });
      for (const g of groups) g.reject(err);
      done();
    };
    writevAll(seg.fd, buffers, seg.size, bytes, (err) => {
      if (err) return fail(err);
      const finish = () => {
        seg.size += bytes;
        seg.lastTime = time;
        commit();
        done();
      };
      if (this.options.fsync) fdatasync(seg.fd, (e) => (e ? fail(e) : finish()));
      else finish();
    });
  }

  private recover(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir)
      .filter((n) => n.endsWith(SEGMENT_SUFFIX))
      .sort();
    for (const [i, name] of names.entries()) {
      const m = /^(\d{20})-(\d{20})\.seg$/.exec(name);
      if (!m) throw new Error(`unexpected file ${join(dir, name)} in the data directory`);
      const baseOffset = Number(m[1]);
      const baseSeq = Number(m[2]);
      if (i > 0 && (baseOffset !== this.nextOffset || baseSeq !== this.nextSeq)) {
        throw new Error(
          `segment ${join(dir, name)} does not continue the previous one (a file is missing or corrupt)`,
        );
      }
      if (i === 0) {
        this.firstSeq = this.nextSeq = baseSeq;
        this.nextOffset = baseOffset;
      }
      const path = join(dir, name);
      const fd = openSync(path, 'r+');
      const seg: Segment = { baseOffset, baseSeq, path, fd, size: 0, lastTime: this.lastTime };
      this.segments.push(seg);
      const fileSize = fstatSync(fd).size;
      const valid = this.scan(seg, fileSize);
      if (valid < fileSize) {
        if (i !== names.length - 1) {
          throw new Error(
            `corrupt record in ${path} at byte ${valid}, before the last segment; move the data directory away to start fresh`,
          );
        }
        ftruncateSync(fd, valid);
        this.options.logger.warn('truncated a torn or corrupt tail', {
          partition: this.options.name,
          segment: path,
          droppedBytes: fileSize - valid,
          lastSequenceNumber: this.nextSeq - 1,
        });
      }
      seg.size = valid;
    }
    if (this.segments.length === 0) this.roll();
    this.options.logger.debug('recovered partition', {
      partition: this.options.name,
      segments: this.segments.length,
      begin: this.firstSeq,
      next: this.nextSeq,
    });
  }

  /** Indexes a segment's valid records; returns the byte length of its valid prefix. */
  private scan(seg: Segment, fileSize: number): number {
    let pos = 0;
    let chunk = Buffer.alloc(0);
    let chunkStart = 0;
    const ensure = (from: number, len: number): boolean => {
      if (from + len > fileSize) return false;
      if (from >= chunkStart && from + len <= chunkStart + chunk.length) return true;
      const size = Math.min(Math.max(len, RECOVERY_CHUNK), fileSize - from);
      chunk = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const r = readSync(seg.fd, chunk, got, size - got, from + got);
        if (r === 0) return false;
        got += r;
      }
      chunkStart = from;
      return true;
    };
    for (;;) {
      if (!ensure(pos, HEADER)) return pos;
      const h = pos - chunkStart;
      const len = chunk.readUInt32LE(h);
      if (len === 0 || len > this.options.maxRecordBytes) return pos;
      if (!ensure(pos, HEADER + len)) return pos;
      const r = pos - chunkStart;
      const crc = chunk.readUInt32LE(r + 4);
      const seq = chunk.readDoubleLE(r + 8);
      const time = chunk.readDoubleLE(r + 16);
      if (
        crc32(chunk.subarray(r + HEADER, r + HEADER + len), crc32(chunk.subarray(r + 8, r + HEADER))) !== crc
      )
        return pos;
      if (seq !== this.nextSeq) return pos;
      const offset = seg.baseOffset + pos;
      this.offsets.push(offset);
      this.times.push(time);
      this.nextSeq++;
      this.lastOffset = offset;
      this.lastTime = Math.max(this.lastTime, time);
      seg.lastTime = this.lastTime;
      pos += HEADER + len;
      this.nextOffset = seg.baseOffset + pos;
    }
  }
}

/** writev until every byte is written (the kernel may write less than asked). */
function writevAll(
  fd: number,
  buffers: Buffer[],
  position: number,
  total: number,
  cb: (err: Error | null) => void,
): void {
  writev(fd, buffers, position, (err, written) => {
    if (err) return cb(err);
    if (written === total) return cb(null);
    let skip = written;
    const rest: Buffer[] = [];
    for (const b of buffers) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    writevAll(fd, rest, position + written, total - written, cb);
  });
}
