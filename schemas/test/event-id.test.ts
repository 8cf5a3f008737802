import fc from 'fast-check';
import { deriveEventId, type EventIdSource } from '../src';

const source = fc.record<EventIdSource>({
  tweetId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  createdAt: fc
    .date({ min: new Date('2017-08-01'), max: new Date('2017-09-30'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  text: fc.string({ minLength: 1, maxLength: 280, unit: 'grapheme' }),
});

describe('deriveEventId', () => {
  it('is 32 lowercase hex characters', () => {
    fc.assert(fc.property(source, (s) => /^[0-9a-f]{32}$/.test(deriveEventId(s))));
  });

  it('gives the same id for the same row, however often it is derived', () => {
    fc.assert(fc.property(source, (s) => deriveEventId(s) === deriveEventId({ ...s })));
  });

  it('gives different ids for rows that differ in any identifying field', () => {
    fc.assert(
      fc.property(source, source, (a, b) => {
        fc.pre(a.tweetId !== b.tweetId || a.createdAt !== b.createdAt || a.text !== b.text);
        return deriveEventId(a) !== deriveEventId(b);
      }),
    );
  });

  it('keeps field boundaries: moving characters between fields changes the id', () => {
    const base = { createdAt: '2017-08-25T20:05:00Z' };
    expect(deriveEventId({ ...base, tweetId: '12', text: '3 rain' })).not.toBe(
      deriveEventId({ ...base, tweetId: '1', text: '23 rain' }),
    );
  });

  it('is stable across releases (changing it would duplicate every stored event)', () => {
    expect(
      deriveEventId({ tweetId: '901234567890123456', createdAt: '2017-08-25T20:05:00Z', text: 'Harvey' }),
    ).toMatchInlineSnapshot(`"54742c3609494964bccb851cf98fac7a"`);
  });
});
