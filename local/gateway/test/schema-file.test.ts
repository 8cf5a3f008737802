import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { BASE64_PATTERN, validateTweetEvent } from '@pipeline/schemas';
import { buildIngestRequestSchema, generatedSchemaFiles } from '../src/apim-schemas';
import { compileSchemas } from '../src/validator';
import { REPO_POLICIES, validEvent } from './helpers';

describe('the APIM schema tweet-event (policies/schemas/tweet-event.json)', () => {
  it('is up to date with the message contract (run `npm run -w local/gateway generate` when this fails)', () => {
    for (const [file, value] of Object.entries(generatedSchemaFiles())) {
      expect(JSON.parse(readFileSync(join(REPO_POLICIES, 'schemas', file), 'utf8'))).toEqual(value);
    }
  });

  const validate = compileSchemas(new Map([['tweet-event', buildIngestRequestSchema()]])).get('tweet-event')!;

  it('accepts exactly what the contract accepts for a single event, and arrays of 1..100 of them', () => {
    const arbitraryEvent = fc.record({
      likes: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant('7')),
      text: fc.string({ maxLength: 300 }),
      tweetId: fc.oneof(fc.stringMatching(/^[0-9]{1,22}$/), fc.constant('x1')),
      extra: fc.option(fc.boolean(), { nil: undefined }),
    });
    fc.assert(
      fc.property(arbitraryEvent, (overrides) => {
        const event = validEvent(
          overrides.extra === undefined ? { ...overrides, extra: undefined } : overrides,
        );
        if (overrides.extra === undefined) delete event.extra;
        const single = validateTweetEvent(event).ok;
        expect(validate(event)).toBe(single);
        expect(validate([validEvent(), event])).toBe(single);
      }),
      { numRuns: 200 },
    );
    expect(validate([])).toBe(false);
    expect(validate(Array.from({ length: 100 }, () => validEvent()))).toBe(true);
    expect(validate(Array.from({ length: 101 }, () => validEvent()))).toBe(false);
    expect(validate('event')).toBe(false);
  });

  const withImageData = (data: string) =>
    validEvent({
      image: { label: 'damage', longitude: -95.061, latitude: 29.83, contentType: 'image/jpeg', data },
    });

  it('answers the image pattern as the contract does, through its one-pass check (HOST-9)', () => {
    // The fast path applies only to the contract's exact pattern string: the APIM schema must carry it.
    expect(JSON.stringify(buildIngestRequestSchema())).toContain(JSON.stringify(BASE64_PATTERN));
    const base64ish = fc.stringMatching(/^[A-Za-z0-9+/=\n é-]{0,40}$/);
    fc.assert(
      fc.property(base64ish, (data) => {
        const withData = withImageData(data);
        expect(validate(withData)).toBe(validateTweetEvent(withData).ok);
      }),
      { numRuns: 500 },
    );
    for (const data of ['QUJD', 'QUI=', 'QQ==', 'QUJD\n', 'Q===', 'QUJ', '']) {
      const withData = withImageData(data);
      expect([data, validate(withData)]).toEqual([data, validateTweetEvent(withData).ok]);
    }
  });
});
