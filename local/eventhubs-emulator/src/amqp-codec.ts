/**
 * The few AMQP 1.0 encoding steps the emulator does by hand, on raw bytes, so that an event's
 * bare message (properties, application properties, body) is stored and delivered byte for byte
 * as the producer encoded it, with no decode/re-encode per event. Everything else (frames,
 * links, flow control, request/response messages) is rhea's.
 */

/** The batch message format the SDK sends: one data section per encoded inner message. */
export const BATCH_FORMAT = 0x80013700;

const SECTION_HEADER = 0x70;
const SECTION_DELIVERY_ANNOTATIONS = 0x71;
const SECTION_MESSAGE_ANNOTATIONS = 0x72;
const SECTION_PROPERTIES = 0x73;
const SECTION_DATA = 0x75;

/** Thrown for bytes that are not a valid AMQP message. */
export class DecodeError extends Error {
  override name = 'DecodeError';
}

/** Returns the position just past the AMQP value that starts at `pos`. */
export function skipValue(buf: Buffer, pos: number): number {
  if (pos >= buf.length) throw new DecodeError('truncated AMQP value');
  const code = buf[pos]!;
  if (code === 0x00) return skipValue(buf, skipValue(buf, pos + 1));
  const p = pos + 1;
  let end: number;
  switch (code >> 4) {
    case 0x4:
      end = p;
      break;
    case 0x5:
      end = p + 1;
      break;
    case 0x6:
      end = p + 2;
      break;
    case 0x7:
      end = p + 4;
      break;
    case 0x8:
      end = p + 8;
      break;
    case 0x9:
      end = p + 16;
      break;
    case 0xa:
    case 0xc:
    case 0xe:
      if (p >= buf.length) throw new DecodeError('truncated AMQP value');
      end = p + 1 + buf[p]!;
      break;
    case 0xb:
    case 0xd:
    case 0xf:
      if (p + 4 > buf.length) throw new DecodeError('truncated AMQP value');
      end = p + 4 + buf.readUInt32BE(p);
      break;
    default:
      throw new DecodeError(`unknown AMQP type code 0x${code.toString(16)}`);
  }
  if (end > buf.length) throw new DecodeError('truncated AMQP value');
  return end;
}

interface Section {
  /** Section descriptor code (0x70..0x78). */
  readonly code: number;
  readonly start: number;
  /** Where the section's value starts (after the descriptor). */
  readonly valueStart: number;
  readonly end: number;
}

/** Splits an encoded message into its sections. */
export function splitSections(buf: Buffer): Section[] {
  const sections: Section[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf[pos] !== 0x00) throw new DecodeError('expected a described message section');
    let code: number;
    let valueStart: number;
    const d = buf[pos + 1];
    if (d === 0x53) {
      code = buf[pos + 2]!;
      valueStart = pos + 3;
    } else if (d === 0x80) {
      code = Number(buf.readBigUInt64BE(pos + 2) & 0xffn);
      valueStart = pos + 10;
    } else if (d === 0xa3) {
      const symbol = buf.toString('latin1', pos + 3, pos + 3 + buf[pos + 2]!);
      code = SYMBOLIC_SECTIONS[symbol] ?? -1;
      valueStart = pos + 3 + buf[pos + 2]!;
    } else {
      throw new DecodeError('unsupported section descriptor');
    }
    if (code < SECTION_HEADER || code > 0x78)
      throw new DecodeError(`unknown message section 0x${code.toString(16)}`);
    const end = skipValue(buf, valueStart);
    sections.push({ code, start: pos, valueStart, end });
    pos = end;
  }
  return sections;
}

const SYMBOLIC_SECTIONS: Record<string, number> = {
  'amqp:header:list': 0x70,
  'amqp:delivery-annotations:map': 0x71,
  'amqp:message-annotations:map': 0x72,
  'amqp:properties:list': 0x73,
  'amqp:application-properties:map': 0x74,
  'amqp:data:binary': 0x75,
  'amqp:amqp-sequence:list': 0x76,
  'amqp:amqp-value:*': 0x77,
  'amqp:footer:map': 0x78,
};

/** Reads a string or symbol at `pos`; undefined for any other type. */
function readStringish(buf: Buffer, pos: number): string | undefined {
  const code = buf[pos];
  if (code === 0xa1 || code === 0xa3) return buf.toString('utf8', pos + 2, pos + 2 + buf[pos + 1]!);
  if (code === 0xb1 || code === 0xb3)
    return buf.toString('utf8', pos + 5, pos + 5 + buf.readUInt32BE(pos + 1));
  return undefined;
}

/** Annotations a sender may not set: the service owns them. */
const SERVICE_ANNOTATIONS = new Set([
  'x-opt-sequence-number',
  'x-opt-offset',
  'x-opt-enqueued-time',
  'x-opt-partition-key',
]);

interface MapEntries {
  partitionKey: string | undefined;
  /** Raw key/value bytes of the entries the service keeps as the sender wrote them. */
  kept: Buffer[];
}

/** Reads a message-annotations map, keeping the sender's own entries as raw bytes. */
function readAnnotations(buf: Buffer, valueStart: number, end: number): MapEntries {
  const code = buf[valueStart];
  let pos: number;
  let count: number;
  if (code === 0xc1) {
    count = buf[valueStart + 2]!;
    pos = valueStart + 3;
  } else if (code === 0xd1) {
    count = buf.readUInt32BE(valueStart + 5);
    pos = valueStart + 9;
  } else if (code === 0x40) {
    return { partitionKey: undefined, kept: [] };
  } else {
    throw new DecodeError('message annotations must be a map');
  }
  const result: MapEntries = { partitionKey: undefined, kept: [] };
  for (let i = 0; i + 1 < count; i += 2) {
    const keyEnd = skipValue(buf, pos);
    const valueEnd = skipValue(buf, keyEnd);
    if (valueEnd > end) throw new DecodeError('message annotations overrun their section');
    const key = readStringish(buf, pos);
    if (key === 'x-opt-partition-key') result.partitionKey = readStringish(buf, keyEnd);
    else if (key === undefined || !SERVICE_ANNOTATIONS.has(key))
      result.kept.push(buf.subarray(pos, valueEnd));
    pos = valueEnd;
  }
  return result;
}

/** One event as a sender transferred it, ready to be stamped and stored. */
export interface InboundEvent {
  /** The sender's message annotations other than the service's, as raw map entries. */
  readonly annotations: readonly Buffer[];
  /** Properties, application properties, body and footer, byte for byte. */
  readonly bare: Buffer;
}

export interface InboundTransfer {
  readonly partitionKey: string | undefined;
  readonly events: InboundEvent[];
}

function toEvent(buf: Buffer): { event: InboundEvent; partitionKey: string | undefined } {
  const sections = splitSections(buf);
  let annotations: MapEntries = { partitionKey: undefined, kept: [] };
  let bareStart = buf.length;
  for (const s of sections) {
    if (s.code === SECTION_MESSAGE_ANNOTATIONS) annotations = readAnnotations(buf, s.valueStart, s.end);
    else if (s.code >= SECTION_PROPERTIES) {
      bareStart = s.start;
      break;
    }
  }
  return {
    event: { annotations: annotations.kept, bare: buf.subarray(bareStart) },
    partitionKey: annotations.partitionKey,
  };
}

/**
 * Unpacks one transfer into events: a batch (format 0x80013700) is an envelope whose data
 * sections each hold one encoded message; any other format is a single event.
 */
export function unpackTransfer(payload: Buffer, format: number): InboundTransfer {
  if (format !== BATCH_FORMAT) {
    const { event, partitionKey } = toEvent(payload);
    return { partitionKey, events: [event] };
  }
  const sections = splitSections(payload);
  let partitionKey: string | undefined;
  const events: InboundEvent[] = [];
  for (const s of sections) {
    if (s.code === SECTION_MESSAGE_ANNOTATIONS) {
      partitionKey = readAnnotations(payload, s.valueStart, s.end).partitionKey;
    } else if (s.code === SECTION_DATA) {
      const code = payload[s.valueStart];
      const inner =
        code === 0xa0
          ? payload.subarray(s.valueStart + 2, s.end)
          : code === 0xb0
            ? payload.subarray(s.valueStart + 5, s.end)
            : undefined;
      if (!inner) throw new DecodeError('a batch data section must be binary');
      const unpacked = toEvent(inner);
      partitionKey ??= unpacked.partitionKey;
      events.push(unpacked.event);
    } else if (
      s.code !== SECTION_HEADER &&
      s.code !== SECTION_DELIVERY_ANNOTATIONS &&
      s.code !== SECTION_PROPERTIES
    ) {
      throw new DecodeError(`unexpected section 0x${s.code.toString(16)} in a batch`);
    }
  }
  return { partitionKey, events };
}

/** Builds a map section from already-encoded key/value entries. */
function mapSection(code: number, entries: readonly Buffer[], count: number): Buffer {
  const size = entries.reduce((n, e) => n + e.length, 0);
  const head = Buffer.allocUnsafe(3 + 9);
  head[0] = 0x00;
  head[1] = 0x53;
  head[2] = code;
  head[3] = 0xd1;
  head.writeUInt32BE(size + 4, 4);
  head.writeUInt32BE(count * 2, 8);
  return Buffer.concat([head, ...entries], head.length + size);
}

function symbol(name: string): Buffer {
  const b = Buffer.allocUnsafe(2 + name.length);
  b[0] = 0xa3;
  b[1] = name.length;
  b.write(name, 2, 'latin1');
  return b;
}

const KEYS = {
  seq: symbol('x-opt-sequence-number'),
  offset: symbol('x-opt-offset'),
  time: symbol('x-opt-enqueued-time'),
  pkey: symbol('x-opt-partition-key'),
  lastSeq: symbol('last_enqueued_sequence_number'),
  lastOffset: symbol('last_enqueued_offset'),
  lastTime: symbol('last_enqueued_time_utc'),
  retrieved: symbol('runtime_info_retrieval_time_utc'),
};

function long(code: 0x81 | 0x83, v: number): Buffer {
  const b = Buffer.allocUnsafe(9);
  b[0] = code;
  b.writeBigInt64BE(BigInt(Math.trunc(v)), 1);
  return b;
}

function str(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length < 256) return Buffer.concat([Buffer.from([0xa1, bytes.length]), bytes]);
  const head = Buffer.allocUnsafe(5);
  head[0] = 0xb1;
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

export interface Stamp {
  readonly sequenceNumber: number;
  readonly offset: number;
  readonly enqueuedTime: number;
  readonly partitionKey: string | undefined;
}

/** The stored form of an event: its message annotations (the service's stamps first) + bare message. */
export function encodeStoredEvent(event: InboundEvent, stamp: Stamp): Buffer {
  const entries = [
    KEYS.seq,
    long(0x81, stamp.sequenceNumber),
    KEYS.offset,
    str(String(stamp.offset)),
    KEYS.time,
    long(0x83, stamp.enqueuedTime),
  ];
  let count = 3;
  if (stamp.partitionKey !== undefined) {
    entries.push(KEYS.pkey, str(stamp.partitionKey));
    count++;
  }
  entries.push(...event.annotations);
  count += event.annotations.length;
  const annotations = mapSection(SECTION_MESSAGE_ANNOTATIONS, entries, count);
  return Buffer.concat([annotations, event.bare], annotations.length + event.bare.length);
}

/** Delivery annotations with the partition's last-enqueued info, for receivers that ask for it. */
export function runtimeInfoSection(
  lastSeq: number,
  lastOffset: number,
  lastTime: number,
  now: number,
): Buffer {
  return mapSection(
    SECTION_DELIVERY_ANNOTATIONS,
    [
      KEYS.lastSeq,
      long(0x81, lastSeq),
      KEYS.lastOffset,
      str(String(lastOffset)),
      KEYS.lastTime,
      long(0x83, lastTime),
      KEYS.retrieved,
      long(0x83, now),
    ],
    4,
  );
}
