import { paths } from '@pipeline/stack';
import { loadSampleEvents } from '../src/fuzz/corpus';
import { duplicateMember, nested, raw, writeJson } from '../src/fuzz/json-text';
import {
  generatePlans,
  materialize,
  MUTATION_KINDS,
  type FuzzRequest,
  type Plan,
} from '../src/fuzz/mutations';
import { expectedOutcome, namesOf } from '../src/fuzz/oracle';
import { judge } from '../src/fuzz/verdict';

const samples = loadSampleEvents(paths.sampleEvents);
const lone = (mutation: Plan['mutation']): FuzzRequest => materialize({ mutation, batch: null }, samples, 1);

describe('JSON text with holes', () => {
  it('writes raw fragments verbatim and nests deeply without recursion', () => {
    expect(writeJson({ a: raw('1e400'), b: [raw('-0')] })).toBe('{"a":1e400,"b":[-0]}');
    expect(writeJson(nested(3, 'array'))).toBe('[[[1]]]');
    expect(writeJson(nested(100_000, 'object'))).toHaveLength(100_000 * 6 + 1);
  });
  it('adds a duplicate member first (the original wins) or last (the duplicate wins)', () => {
    const text = '{"a":1,"b":{"c":"}"}}';
    expect(JSON.parse(duplicateMember(text, 0, 'a', '2', true))).toEqual({ a: 1, b: { c: '}' } });
    expect(JSON.parse(duplicateMember(text, 0, 'a', '2', false))).toEqual({ a: 2, b: { c: '}' } });
  });
});

describe('the oracle', () => {
  it('expects a 202 with the ids for an untouched event and for a batch', () => {
    const request = lone({ kind: 'valid' });
    const id = (JSON.parse(request.body.toString()) as { id: string }).id;
    expect(expectedOutcome(request)).toEqual({ accept: [id], reject: null });
    const batch = materialize({ mutation: { kind: 'valid' }, batch: { size: 3, at: 1 } }, samples, 2);
    expect(expectedOutcome(batch).accept).toHaveLength(3);
  });
  it('decides duplicate keys by the last one, as JSON.parse does', () => {
    const loses = lone({ kind: 'duplicate-key', path: ['likes'], value: -1, first: true });
    expect(expectedOutcome(loses).accept).not.toBeNull();
    const wins = lone({ kind: 'duplicate-key', path: ['likes'], value: -1, first: false });
    expect(expectedOutcome(wins).reject).toMatchObject({ statuses: [400], mentions: ['likes'] });
  });
  it('accepts near misses: a byte order mark, a JSON media type with parameters, 1.0 for an integer', () => {
    expect(
      expectedOutcome(lone({ kind: 'invalid-utf8', where: 'start', bytes: [0xef, 0xbb, 0xbf] })).accept,
    ).not.toBeNull();
    expect(
      expectedOutcome(lone({ kind: 'wrong-content-type', value: 'Application/Json;charset=UTF-8' })).accept,
    ).not.toBeNull();
    expect(
      expectedOutcome(lone({ kind: 'wrong-type', path: ['likes'], value: raw('1.0') })).accept,
    ).not.toBeNull();
  });
  it('rejects, naming the problem', () => {
    expect(expectedOutcome(lone({ kind: 'wrong-content-type', value: 'text/plain' })).reject).toMatchObject({
      statuses: [400, 415],
    });
    expect(
      expectedOutcome(lone({ kind: 'invalid-utf8', where: 'text', bytes: [0xff] })).reject?.mentions,
    ).toEqual(['utf-8']);
    expect(expectedOutcome(lone({ kind: 'truncated-body', keep: 0.5 })).reject?.mentions).toEqual(['json']);
    expect(
      expectedOutcome(lone({ kind: 'non-jpeg-image', bytes: [0x89, 0x50, 0x4e, 0x47] })).reject?.mentions,
    ).toEqual(['jpeg']);
    expect(expectedOutcome(lone({ kind: 'oversize-body', total: 5_000_000 })).reject?.statuses).toEqual([
      400, 413,
    ]);
    expect(expectedOutcome(lone({ kind: 'giant-header', bytes: 30_000, count: 2 })).reject?.statuses).toEqual(
      [431],
    );
  });
  it('allows either outcome for a header block within a kilobyte of the 16 KiB limit', () => {
    const outcome = expectedOutcome(lone({ kind: 'giant-header', bytes: 16_000, count: 1 }));
    expect(outcome.accept).not.toBeNull();
    expect(outcome.reject?.statuses).toEqual([431]);
  });
  it('expects nothing but no acceptance from an upload the client abandons', () => {
    expect(expectedOutcome(lone({ kind: 'aborted-body', keep: 0.3 }))).toMatchObject({
      dropped: true,
      accept: null,
    });
  });
  it('names a field by the last segment of its path, escaped or not', () => {
    expect(namesOf('$.image.data', 'x')).toEqual(['data']);
    expect(namesOf('$["a\\"b"]', 'x')).toEqual(['a"b', 'a\\"b']);
    expect(namesOf('$[""]', 'is not allowed')).toEqual(['is not allowed']);
    expect(namesOf('$', 'must be object')).toEqual(['must be object']);
  });
});

describe('the verdict', () => {
  const invalid = expectedOutcome(lone({ kind: 'missing-field', path: ['text'] }));
  const body = (value: unknown) => Buffer.from(JSON.stringify(value));
  it('passes a 400 whose message names the field', () => {
    expect(
      judge(invalid, { status: 400, body: body({ statusCode: 400, message: '$.text: is required' }) }),
    ).toBeUndefined();
  });
  it('fails a 5xx, a 2xx for an invalid request, a bare 4xx, a vague 4xx and a lost connection', () => {
    expect(judge(invalid, { status: 500, body: body({ message: 'x' }) })).toMatch(/^500/);
    expect(judge(invalid, { status: 202, body: body({ accepted: 1, ids: [] }) })).toMatch(/invalid request/);
    expect(judge(invalid, { status: 400, body: Buffer.from('Bad Request') })).toMatch(
      /without a JSON error body/,
    );
    expect(judge(invalid, { status: 400, body: body({ message: 'no' }) })).toMatch(
      /does not name the problem/,
    );
    expect(judge(invalid, { status: 429, body: body({ message: 'text' }) })).toMatch(/^429, expected 400/);
    expect(judge(invalid, { error: 'ECONNRESET', timedOut: false })).toMatch(/connection lost/);
  });
});

describe('the generated plans', () => {
  it('are the same for the same seed, and 10,000 of them hold every mutation kind', () => {
    expect(generatePlans(7, 50)).toEqual(generatePlans(7, 50));
    const kinds = new Set(generatePlans(20170825, 10_000).map((plan) => plan.mutation.kind));
    expect([...kinds].sort()).toEqual([...MUTATION_KINDS].sort());
  });
});
