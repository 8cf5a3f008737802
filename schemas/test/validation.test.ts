import tweetSchema from '../tweet-event.schema.json';
import {
  MAX_IMAGE_BASE64_CHARACTERS,
  MAX_TEXT_CHARACTERS,
  validateHubEvent,
  validateTweetEvent,
  type ValidationIssue,
} from '../src';
import { validEvent } from './fixtures';

function errorsOf(value: unknown): readonly ValidationIssue[] {
  const result = validateTweetEvent(value);
  if (result.ok) throw new Error('expected the value to be rejected');
  return result.errors;
}

describe('validateTweetEvent', () => {
  it('accepts a complete event and one without an image', () => {
    expect(validateTweetEvent(validEvent()).ok).toBe(true);
    const { image: _image, ...withoutImage } = validEvent();
    expect(validateTweetEvent(withoutImage).ok).toBe(true);
  });

  it.each<[string, unknown, ValidationIssue]>([
    [
      'a numeric tweet id',
      validEvent({ tweetId: Number('901234567890123456') as unknown as string }),
      { path: '$.tweetId', message: 'must be string' },
    ],
    ['a negative count', validEvent({ likes: -1 }), { path: '$.likes', message: 'must be >= 0' }],
    ['a fractional count', validEvent({ retweets: 1.5 }), { path: '$.retweets', message: 'must be integer' }],
    [
      'a bad timestamp',
      validEvent({ createdAt: '8/25/2017 20:05' }),
      { path: '$.createdAt', message: 'must be a valid date-time' },
    ],
    [
      'an empty text',
      validEvent({ text: '' }),
      { path: '$.text', message: 'must NOT have fewer than 1 characters' },
    ],
    [
      'an unknown schema version',
      validEvent({ schemaVersion: 2 as 1 }),
      { path: '$.schemaVersion', message: 'must be equal to constant' },
    ],
    [
      'an id that is not hex',
      validEvent({ id: 'not-an-id' }),
      { path: '$.id', message: 'must be 32 lowercase hex characters' },
    ],
  ])('rejects %s with its path and reason', (_name, value, expected) => {
    expect(errorsOf(value)).toContainEqual(expected);
  });

  it('names a missing field by its own path', () => {
    const { text: _text, ...missing } = validEvent();
    expect(errorsOf(missing)).toEqual([{ path: '$.text', message: 'is required' }]);
  });

  it('accepts an event without a count (unknown), yet refuses a null or negative count', () => {
    const { retweets: _r, replies: _p, likes: _l, ...noCounts } = validEvent();
    expect(validateTweetEvent(noCounts).ok).toBe(true);
    const { likes: _likes, ...noLikes } = validEvent();
    expect(validateTweetEvent(noLikes).ok).toBe(true);
    expect(errorsOf({ ...validEvent(), likes: null })).toContainEqual({
      path: '$.likes',
      message: 'must be integer',
    });
    expect(errorsOf({ ...validEvent(), replies: -1 })).toHaveLength(1);
  });

  it('names an extra field by its own path', () => {
    expect(errorsOf({ ...validEvent(), sentiment: 'sad' })).toEqual([
      { path: '$.sentiment', message: 'is not allowed' },
    ]);
  });

  it('counts text length in characters, so 280 emoji pass and 281 fail', () => {
    expect(validateTweetEvent(validEvent({ text: '🌀'.repeat(MAX_TEXT_CHARACTERS) })).ok).toBe(true);
    expect(errorsOf(validEvent({ text: '🌀'.repeat(MAX_TEXT_CHARACTERS + 1) }))).toEqual([
      { path: '$.text', message: `must NOT have more than ${MAX_TEXT_CHARACTERS} characters` },
    ]);
  });

  it('checks the image: range, label, base64 and size', () => {
    const image = validEvent().image!;
    expect(errorsOf(validEvent({ image: { ...image, latitude: 91 } }))).toEqual([
      { path: '$.image.latitude', message: 'must be <= 90' },
    ]);
    expect(errorsOf(validEvent({ image: { ...image, longitude: -180.5 } }))).toEqual([
      { path: '$.image.longitude', message: 'must be >= -180' },
    ]);
    expect(errorsOf(validEvent({ image: { ...image, label: 'flooded' as 'damage' } }))).toEqual([
      { path: '$.image.label', message: 'must be equal to one of the allowed values' },
    ]);
    expect(errorsOf(validEvent({ image: { ...image, data: "b'\\xff\\xd8'" } }))).toEqual([
      { path: '$.image.data', message: 'must be standard base64 (A-Z, a-z, 0-9, +, / and = padding)' },
    ]);
    expect(
      errorsOf(validEvent({ image: { ...image, data: 'A'.repeat(MAX_IMAGE_BASE64_CHARACTERS + 4) } })),
    ).toEqual([
      { path: '$.image.data', message: `must NOT have more than ${MAX_IMAGE_BASE64_CHARACTERS} characters` },
    ]);
  });

  it('reports every error at once, not only the first', () => {
    const errors = errorsOf({ ...validEvent({ likes: -1, text: '' }), extra: 1 });
    expect(errors.map((e) => e.path).sort()).toEqual(['$.extra', '$.likes', '$.text']);
  });

  it('rejects values that are not objects', () => {
    expect(errorsOf(null)).toEqual([{ path: '$', message: 'must be object' }]);
    expect(errorsOf([validEvent()])).toEqual([{ path: '$', message: 'must be object' }]);
  });

  it('states the same limits in the schema file as in the code', () => {
    expect(tweetSchema.properties.text.maxLength).toBe(MAX_TEXT_CHARACTERS);
    expect(tweetSchema.$defs.SatelliteImage.properties.data.maxLength).toBe(MAX_IMAGE_BASE64_CHARACTERS);
  });
});

describe('validateHubEvent', () => {
  it('rejects an event that still carries image bytes', () => {
    const { image, ...rest } = validEvent();
    const result = validateHubEvent({
      ...rest,
      schemaVersion: 2,
      rawBlob: `2017/08/25/${'c'.repeat(64)}.ndjson`,
      rawLine: 0,
      ingestedAt: '2026-11-28T12:00:00.000Z',
      image,
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors).toContainEqual({ path: '$.image.data', message: 'is not allowed' });
  });

  it('accepts a version 2 event (request archive and line) and refuses the version 1 shape', () => {
    const { image: _image, ...rest } = validEvent();
    const v2 = {
      ...rest,
      schemaVersion: 2,
      rawBlob: `2017/08/25/${'c'.repeat(64)}.ndjson`,
      rawLine: 99,
      ingestedAt: '2026-11-28T12:00:00.000Z',
    };
    expect(validateHubEvent(v2).ok).toBe(true);
    const { retweets: _r, replies: _p, likes: _l, ...noCounts } = v2;
    expect(validateHubEvent(noCounts).ok).toBe(true);
    expect(validateHubEvent({ ...v2, rawLine: 100 }).ok).toBe(false);
    const { rawLine: _line, ...v1 } = { ...v2, schemaVersion: 1, rawBlob: `2017/08/25/${rest.id}.json` };
    const result = validateHubEvent(v1);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.map((e) => e.path)).toEqual(
        expect.arrayContaining(['$.schemaVersion', '$.rawBlob', '$.rawLine']),
      );
  });
});

describe('a value the engine cannot validate', () => {
  it('is invalid input with a message, not an exception (never a 500 upstream)', () => {
    // Stands in for what the engine throws on an input too large or too deep for it (a RangeError).
    const hostile = Object.defineProperty({ ...validEvent() }, 'text', {
      enumerable: true,
      get() {
        throw new RangeError('Maximum call stack size exceeded');
      },
    });
    const result = validateTweetEvent(hostile);
    expect(result).toEqual({
      ok: false,
      errors: [{ path: '$', message: expect.stringMatching(/too large or too deeply nested/) as unknown }],
    });
  });

  it('still lets other exceptions through', () => {
    const broken = Object.defineProperty({ ...validEvent() }, 'text', {
      enumerable: true,
      get() {
        throw new TypeError('not a validation problem');
      },
    });
    expect(() => validateTweetEvent(broken)).toThrow(TypeError);
  });
});
