import { parseIngestBody } from '../src/lib/ingest-request';
import { tweetEvent } from './events';

// The body check moved from a fatal TextDecoder to buffer.isUtf8 (HOST-5): the verdicts must not change.
describe('parseIngestBody: UTF-8', () => {
  const notUtf8 = [
    ['a lone continuation byte', [0x7b, 0x80, 0x7d]],
    ['an invalid lead byte', [0x7b, 0xff, 0xfe, 0x7d]],
    ['an overlong NUL (C0 80)', [0x22, 0xc0, 0x80, 0x22]],
    ['an encoded surrogate (ED A0 80)', [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ['a truncated sequence', [0x22, 0xe2, 0x82]],
  ] as const;

  it.each(notUtf8)('rejects %s as not UTF-8, as the decoder did', (_name, bytes) => {
    const result = parseIngestBody(Buffer.from(bytes));
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(bytes))).toThrow();
    expect(result).toMatchObject({
      ok: false,
      status: 400,
      body: { error: 'InvalidJson', errors: [{ path: '$', message: 'is not valid UTF-8' }] },
    });
  });

  it('keeps multi-byte text and drops a leading byte order mark, as the decoder did', () => {
    const event = { ...tweetEvent(1, { withImage: false }), text: 'Harvey 🌀 Überschwemmung — ½ m' };
    const json = Buffer.from(JSON.stringify(event));
    for (const body of [json, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json])]) {
      const result = parseIngestBody(body);
      expect(result).toEqual({ ok: true, events: [event] });
    }
  });
});
