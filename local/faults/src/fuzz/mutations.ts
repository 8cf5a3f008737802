import fc from 'fast-check';
import type { TweetEvent } from '@pipeline/schemas';
import { freshEvent } from './corpus';
import { duplicateMember, nested, raw, writeJson, type RawJson } from './json-text';

/**
 * Hostile requests as data: fast-check generates `Plan`s (small, printable descriptions of one
 * mutation), and `materialize` turns a plan into the bytes and headers of one request. Nothing here
 * decides whether a request should be accepted: that is the oracle's job, from the bytes alone.
 */
export const MUTATION_KINDS = [
  'valid',
  'wrong-type',
  'missing-field',
  'extra-field',
  'huge-string',
  'deep-nesting',
  'invalid-base64',
  'non-jpeg-image',
  'invalid-utf8',
  'duplicate-key',
  'wrong-content-type',
  'truncated-body',
  'aborted-body',
  'giant-header',
  'oversize-body',
  'batch-shape',
  'wrong-shape',
] as const;
export type MutationKind = (typeof MUTATION_KINDS)[number];

const TOP_FIELDS = [
  'schemaVersion',
  'id',
  'tweetId',
  'createdAt',
  'text',
  'retweets',
  'replies',
  'likes',
  'image',
] as const;
const IMAGE_FIELDS = ['label', 'longitude', 'latitude', 'contentType', 'data'] as const;
export type FieldPath =
  readonly [(typeof TOP_FIELDS)[number]] | readonly ['image', (typeof IMAGE_FIELDS)[number]];

/** A JSON value, or verbatim JSON text for what JSON.stringify cannot write (`-0`, `1e400`). */
type Json = unknown;

export type Mutation =
  | { readonly kind: 'valid' }
  | { readonly kind: 'wrong-type'; readonly path: FieldPath; readonly value: Json }
  | { readonly kind: 'missing-field'; readonly path: FieldPath }
  | { readonly kind: 'extra-field'; readonly inImage: boolean; readonly name: string; readonly value: Json }
  | { readonly kind: 'huge-string'; readonly path: FieldPath; readonly length: number; readonly unit: string }
  | {
      readonly kind: 'deep-nesting';
      readonly where: 'field' | 'extra-field' | 'body';
      readonly path: FieldPath;
      readonly depth: number;
      readonly shape: 'array' | 'object';
    }
  | { readonly kind: 'invalid-base64'; readonly variant: Base64Damage; readonly at: number }
  | { readonly kind: 'non-jpeg-image'; readonly bytes: readonly number[] }
  | {
      readonly kind: 'invalid-utf8';
      readonly where: 'text' | 'start' | 'end';
      readonly bytes: readonly number[];
    }
  | {
      readonly kind: 'duplicate-key';
      readonly path: FieldPath;
      readonly value: Json;
      /** The duplicate goes first (so the original value wins) or last (so it wins). */
      readonly first: boolean;
    }
  | { readonly kind: 'wrong-content-type'; readonly value: string | null }
  | { readonly kind: 'truncated-body'; readonly keep: number }
  | { readonly kind: 'aborted-body'; readonly keep: number }
  | { readonly kind: 'giant-header'; readonly bytes: number; readonly count: number }
  | { readonly kind: 'oversize-body'; readonly total: number }
  | { readonly kind: 'batch-shape'; readonly variant: 'empty' | 'too-many' | 'nested' | 'full' }
  | { readonly kind: 'wrong-shape'; readonly value: Json };

type Base64Damage =
  'bad-char' | 'url-safe' | 'no-padding' | 'extra-padding' | 'bad-length' | 'empty' | 'line-break';

/** One request to generate: the mutation, and whether the mutated event travels alone or in a batch. */
export interface Plan {
  readonly mutation: Mutation;
  /** A batch of `size` events with the mutation applied to the one at `at`; null for a lone event. */
  readonly batch: { readonly size: number; readonly at: number } | null;
}

export interface FuzzRequest {
  readonly index: number;
  readonly kind: MutationKind;
  /** The plan, for a failure report. */
  readonly plan: Plan;
  /** Content-Type, or null for none. */
  readonly contentType: string | null;
  /** Headers beyond the credentials and Content-Type. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** Send this many bytes of the body, then drop the connection (a client that dies mid-upload). */
  readonly abortAfter?: number;
}

// ---------------------------------------------------------------------------------------------------
// Arbitraries

const fieldPath: fc.Arbitrary<FieldPath> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...TOP_FIELDS).map((f) => [f] as const) },
  { weight: 2, arbitrary: fc.constantFrom(...IMAGE_FIELDS).map((f) => ['image', f] as const) },
);

/** Strings a careless parser or validator trips over; several are valid for some field. */
const trickyString = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'null',
  '__proto__',
  '0',
  '-1',
  '1e3',
  '123456789012345678901',
  '2017-08-25T20:05:00Z',
  '2017-08-25T20:05:00.123+02:00',
  '2017-02-30T00:00:00Z',
  '2017-08-25 20:05:00',
  '8/25/2017 20:05',
  '2017-08-25T24:00:00Z',
  'damage',
  'no_damage',
  'Damage',
  'image/jpeg',
  'image/png',
  '/9j/',
  '\u202eevil',
  '<script>alert(1)</script>',
  "'; DROP TABLE events; --",
  '😀'.repeat(3),
  '\ud800',
);

/** Numbers at and past the contract's edges, some spelled in ways only a text writer can produce. */
const edgeNumber = fc.constantFrom<Json>(
  0,
  -1,
  1.5,
  1_000_000_000,
  1_000_000_001,
  2 ** 53,
  180,
  180.000001,
  -90,
  90.5,
  raw('-0'),
  raw('1.0'),
  raw('1e2'),
  raw('1E400'),
  raw('-1e400'),
  raw('0.1e1'),
  raw('12345678901234567890123'),
);

const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  edgeNumber,
  trickyString,
  fc.string({ maxLength: 24 }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 3 }),
);

const extraFieldName = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'Id',
    'ID',
    'id ',
    '$where',
    'extra',
    'text\u0000',
  ),
  fc.string({ minLength: 1, maxLength: 12 }),
);

const hugeLength = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 270, max: 300 }) }, // around the text limit (280 code points)
  { weight: 6, arbitrary: fc.integer({ min: 1_000, max: 100_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000_000, max: 4_500_000 }) },
);

const invalidUtf8Bytes = fc.constantFrom<readonly number[]>(
  [0xff],
  [0x80],
  [0xc3, 0x28], // a lead byte without its continuation
  [0xc0, 0xaf], // overlong '/'
  [0xed, 0xa0, 0x80], // a UTF-16 surrogate, encoded
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xe2, 0x82], // truncated three-byte sequence
  [0xef, 0xbb, 0xbf], // a byte order mark: fine at the start, invalid JSON elsewhere
  [0xc3, 0xa9], // a valid 'é': the near miss
);

const contentType = fc.constantFrom<string | null>(
  null,
  '',
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/vnd.api+json',
  'application/json-patch+json',
  'application/jsonx',
  'text/json',
  'json',
  '*/*',
  'application/json, text/plain',
  // near misses that name JSON correctly
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'Application/Json;charset=UTF-8',
  ' application/json ',
);

const fraction = fc.double({ min: 0, max: 0.999, noNaN: true });

// Weights: oversize bodies (4-6 MB each) and batch shapes (a full batch stores 100 events) are the
// costly requests, so they get the smallest share.
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'valid' as const }) },
  {
    weight: 39,
    arbitrary: fc.record({ kind: fc.constant('wrong-type' as const), path: fieldPath, value: jsonValue }),
  },
  { weight: 18, arbitrary: fc.record({ kind: fc.constant('missing-field' as const), path: fieldPath }) },
  {
    weight: 24,
    arbitrary: fc.record({
      kind: fc.constant('extra-field' as const),
      inImage: fc.boolean(),
      name: extraFieldName,
      value: jsonValue,
    }),
  },
  {
    weight: 24,
    arbitrary: fc.record({
      kind: fc.constant('huge-string' as const),
      path: fieldPath,
      length: hugeLength,
      unit: fc.constantFrom('a', 'é', '😀', '\u0000', '"', 'A'),
    }),
  },
  {
    weight: 15,
    arbitrary: fc.record({
      kind: fc.constant('deep-nesting' as const),
      where: fc.constantFrom('field' as const, 'extra-field' as const, 'body' as const),
      path: fieldPath,
      depth: fc.oneof(fc.integer({ min: 2, max: 200 }), fc.integer({ min: 1_000, max: 100_000 })),
      shape: fc.constantFrom('array' as const, 'object' as const),
    }),
  },
  {
    weight: 24,
    arbitrary: fc.record({
      kind: fc.constant('invalid-base64' as const),
      variant: fc.constantFrom<Base64Damage>(
        'bad-char',
        'url-safe',
        'no-padding',
        'extra-padding',
        'bad-length',
        'empty',
        'line-break',
      ),
      at: fraction,
    }),
  },
  {
    weight: 15,
    arbitrary: fc
      .tuple(
        fc.constantFrom<number[]>(
          [],
          [0xff, 0xd8, 0xff],
          [0xff, 0xd8],
          [0x89, 0x50, 0x4e, 0x47],
          [0xff, 0xd9, 0xff],
        ),
        fc.uint8Array({ minLength: 1, maxLength: 48 }),
      )
      .map(([head, tail]) => ({ kind: 'non-jpeg-image' as const, bytes: [...head, ...tail] })),
  },
  {
    weight: 24,
    arbitrary: fc.record({
      kind: fc.constant('invalid-utf8' as const),
      where: fc.constantFrom('text' as const, 'start' as const, 'end' as const),
      bytes: invalidUtf8Bytes,
    }),
  },
  {
    weight: 24,
    arbitrary: fc.record({
      kind: fc.constant('duplicate-key' as const),
      path: fieldPath,
      value: jsonValue,
      // Mostly last, so the duplicate (usually invalid) wins and the request is rejected: accepted
      // requests cost blob and hub writes, and the run must stay within minutes.
      first: fc.oneof(
        { weight: 1, arbitrary: fc.constant(true) },
        { weight: 3, arbitrary: fc.constant(false) },
      ),
    }),
  },
  {
    weight: 21,
    arbitrary: fc.record({ kind: fc.constant('wrong-content-type' as const), value: contentType }),
  },
  { weight: 21, arbitrary: fc.record({ kind: fc.constant('truncated-body' as const), keep: fraction }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('aborted-body' as const), keep: fraction }) },
  {
    weight: 18,
    arbitrary: fc.oneof(
      // Node's (and the gateway's) header limit is 16 KiB: well under, around, and well over it.
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('giant-header' as const),
          bytes: fc.integer({ min: 1_000, max: 12_000 }),
          count: fc.integer({ min: 1, max: 8 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('giant-header' as const),
          bytes: fc.integer({ min: 15_000, max: 17_500 }),
          count: fc.integer({ min: 1, max: 3 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('giant-header' as const),
          bytes: fc.integer({ min: 17_500, max: 64_000 }),
          count: fc.integer({ min: 1, max: 4 }),
        }),
      },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('oversize-body' as const),
      // Around the gateway's 100 KiB limit (decision GW-7), around the function's own 4 MiB, and past both.
      total: fc.oneof(
        fc.integer({ min: 102_400 - 64, max: 102_400 + 64 }),
        fc.integer({ min: 4_194_304 - 64, max: 4_194_304 + 64 }),
        fc.integer({ min: 4_200_000, max: 6_000_000 }),
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('batch-shape' as const),
      // A full batch of 100 valid events is the costly one (100 events stored): rarely.
      variant: fc.oneof(
        { weight: 15, arbitrary: fc.constantFrom('empty' as const, 'too-many' as const, 'nested' as const) },
        { weight: 1, arbitrary: fc.constant('full' as const) },
      ),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('wrong-shape' as const), value: jsonValue }) },
);

/** Whether the body holds sample events at all (and so may hold a batch of them). */
function carriesEvents(kind: MutationKind): boolean {
  return kind !== 'batch-shape' && kind !== 'wrong-shape';
}

export const planArbitrary: fc.Arbitrary<Plan> = mutation.chain((m) =>
  fc
    .oneof(
      { weight: 5, arbitrary: fc.constant(null) },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 2, max: 3 })
          .chain((size) => fc.record({ size: fc.constant(size), at: fc.nat(size - 1) })),
      },
    )
    .map((batch) => ({
      mutation: m,
      batch: carriesEvents(m.kind) ? batch : null,
    })),
);

/** `count` plans from a fixed seed: the same seed always yields the same requests. */
export function generatePlans(seed: number, count: number): Plan[] {
  return fc.sample(planArbitrary, { seed, numRuns: count });
}

// ---------------------------------------------------------------------------------------------------
// Materializing a plan

type Mutable = Record<string, unknown>;

function getAt(event: Mutable, path: FieldPath): { parent: Mutable | undefined; key: string } {
  if (path.length === 1) return { parent: event, key: path[0] };
  const image = event.image;
  return {
    parent: typeof image === 'object' && image !== null ? (image as Mutable) : undefined,
    key: path[1],
  };
}

/** Sets a member as an own property, even `__proto__` (plain assignment would set the prototype). */
function define(target: Mutable, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function damageBase64(data: string, variant: Base64Damage, at: number): string {
  const i = Math.floor(at * data.length);
  switch (variant) {
    case 'bad-char':
      return `${data.slice(0, i)}${'-_.* é'[Math.floor(at * 1000) % 6]}${data.slice(i + 1)}`;
    case 'url-safe':
      return data.replace(/\+/g, '-').replace(/\//g, '_');
    case 'no-padding':
      return data.replace(/=+$/, '');
    case 'extra-padding':
      return `${data}==`;
    case 'bad-length':
      return data.slice(0, Math.max(1, i - (i % 4) + 1 + (Math.floor(at * 10) % 3)));
    case 'empty':
      return '';
    case 'line-break':
      return `${data.slice(0, i)}\r\n${data.slice(i)}`;
  }
}

function hugeString(length: number, unit: string): string {
  // Past a megabyte, ASCII: the point is the size, and 4.5 M emoji would be 18 MB of test data.
  return (length >= 1_000_000 ? 'a' : unit).repeat(length);
}

/** Applies an event-level mutation to `event` in place. */
function mutateEvent(event: Mutable, m: Mutation): void {
  switch (m.kind) {
    case 'wrong-type': {
      const { parent, key } = getAt(event, m.path);
      if (parent) define(parent, key, m.value);
      return;
    }
    case 'missing-field': {
      const { parent, key } = getAt(event, m.path);
      if (parent) delete parent[key];
      return;
    }
    case 'extra-field': {
      const image = event.image as Mutable | undefined;
      define(m.inImage && image ? image : event, m.name, m.value);
      return;
    }
    case 'huge-string': {
      const { parent, key } = getAt(event, m.path);
      if (parent) define(parent, key, hugeString(m.length, m.unit));
      return;
    }
    case 'deep-nesting': {
      const value: RawJson = nested(m.depth, m.shape);
      if (m.where === 'extra-field') define(event, 'nested', value);
      else {
        const { parent, key } = getAt(event, m.path);
        if (parent) define(parent, key, value);
      }
      return;
    }
    case 'invalid-base64': {
      const image = event.image as Mutable | undefined;
      if (image) image.data = damageBase64(String(image.data), m.variant, m.at);
      return;
    }
    case 'non-jpeg-image': {
      const image = event.image as Mutable | undefined;
      if (image) image.data = Buffer.from(m.bytes).toString('base64');
      return;
    }
    default:
      return;
  }
}

/** The offset of the `{` that opens the event with this id in the text (ids are unique per request). */
function eventStart(text: string, id: string): number {
  const at = text.indexOf(`{"schemaVersion":1,"id":"${id}"`);
  if (at < 0) throw new Error(`event ${id} not found in the body`);
  return at;
}

function applyDuplicateKey(
  text: string,
  id: string,
  m: Extract<Mutation, { kind: 'duplicate-key' }>,
): string {
  const start = eventStart(text, id);
  const objectStart = m.path.length === 1 ? start : text.indexOf('"image":{', start) + '"image":'.length;
  if (objectStart < start) return text; // no image to duplicate a member in
  return duplicateMember(text, objectStart, m.path[m.path.length - 1]!, writeJson(m.value), m.first);
}

function insertBytes(body: Buffer, at: number, bytes: readonly number[]): Buffer {
  return Buffer.concat([body.subarray(0, at), Buffer.from(bytes), body.subarray(at)]);
}

function bodyValue(
  plan: Plan,
  samples: readonly TweetEvent[],
  index: number,
): { value: unknown; target?: string } {
  const m = plan.mutation;
  const fresh = (slot: number) => freshEvent(samples, index, slot) as unknown as Mutable;
  if (m.kind === 'batch-shape') {
    if (m.variant === 'empty') return { value: [] };
    if (m.variant === 'nested') return { value: [[fresh(0)]] };
    const size = m.variant === 'too-many' ? 101 : 100;
    return { value: Array.from({ length: size }, (_, slot) => fresh(slot)) };
  }
  if (m.kind === 'wrong-shape') return { value: m.value };
  if (m.kind === 'deep-nesting' && m.where === 'body') return { value: nested(m.depth, m.shape) };
  const events = Array.from({ length: plan.batch?.size ?? 1 }, (_, slot) => fresh(slot));
  const target = events[plan.batch?.at ?? 0]!;
  // Read before mutating: the id locates the event in the text for text-level mutations.
  const id = String(target.id);
  mutateEvent(target, m);
  return { value: plan.batch ? events : events[0], target: id };
}

/** The request a plan describes, with events of its own (see freshEvent). */
export function materialize(plan: Plan, samples: readonly TweetEvent[], index: number): FuzzRequest {
  const m = plan.mutation;
  const { value, target } = bodyValue(plan, samples, index);
  let text = writeJson(value);
  if (m.kind === 'duplicate-key' && target) text = applyDuplicateKey(text, target, m);
  let body: Buffer = Buffer.from(text, 'utf8');
  let abortAfter: number | undefined;
  if (m.kind === 'invalid-utf8') {
    const textAt = target
      ? body.indexOf('"text":"', body.indexOf(`"id":"${target}"`)) + '"text":"'.length
      : 0;
    const at = m.where === 'start' ? 0 : m.where === 'end' ? body.length : textAt;
    body = insertBytes(body, at, m.bytes);
  } else if (m.kind === 'oversize-body') {
    // Trailing whitespace is valid JSON: only the size can make this request fail.
    body = Buffer.concat([body, Buffer.alloc(Math.max(0, m.total - body.length), 0x20)]);
  } else if (m.kind === 'truncated-body') {
    body = body.subarray(0, Math.floor(m.keep * body.length));
  } else if (m.kind === 'aborted-body') {
    abortAfter = Math.floor(m.keep * body.length);
  }
  const headers: [string, string][] = [];
  if (m.kind === 'giant-header') {
    const each = Math.ceil(m.bytes / m.count);
    for (let i = 0; i < m.count; i++) headers.push([`x-fuzz-padding-${i}`, 'p'.repeat(each)]);
  }
  return {
    index,
    kind: m.kind,
    plan,
    contentType: m.kind === 'wrong-content-type' ? m.value : 'application/json',
    headers,
    body,
    ...(abortAfter === undefined ? {} : { abortAfter }),
  };
}
