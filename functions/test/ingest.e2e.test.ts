import { HttpRequest } from '@azure/functions';
import { createHash } from 'node:crypto';
import {
  deriveEventId,
  parseArchive,
  type ArchivedEvent,
  MAX_EVENTS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  type HubEvent,
  HUB_EVENT_TARGET_BYTES,
} from '@pipeline/schemas';
import { createIngestHandler } from '../src/functions/ingest';
import { azureIngestSinks } from '../src/lib/azure-sinks';
import type { IngestSinks } from '../src/lib/ingest-service';
import { StoredImages } from '../src/lib/stored-images';
import {
  CONTAINERS,
  listBlobNames,
  postRequest,
  quietContext,
  startTestServices,
  type TestServices,
} from './support';
import { jpeg, tweetEvent } from './events';
import { functionsBaseUrl, ingestUrl } from '@pipeline/schemas';

/**
 * The ingest handler against real Blob Storage (Azurite). The hub side records what would be sent;
 * the Event Hubs path itself is exercised end to end against the emulator in the local stack's tests.
 */
let services: TestServices;
let published: HubEvent[];
let sinks: IngestSinks;
const ingest = createIngestHandler(() => sinks);

beforeAll(async () => {
  services = await startTestServices();
}, 60_000);
afterAll(() => services?.stop());

beforeEach(async () => {
  published = [];
  // A fresh cache of stored images per test: the tests delete blobs behind it (see the cache's tests).
  sinks = {
    ...azureIngestSinks(new StoredImages()),
    publish: (events) => Promise.resolve(void published.push(...events)),
  };
  for (const name of Object.values(CONTAINERS)) {
    const container = services.blobs.getContainerClient(name);
    for await (const blob of container.listBlobsFlat()) await container.deleteBlob(blob.name);
  }
});

/**
 * A POST as the Functions host hands it over: the body arrives only with the Content-Length the client
 * declared (azure-functions-host ToRpcHttp), so the length is added unless the test sets its own.
 */
async function post(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await ingest(postRequest(text, withLength(text, headers)), quietContext());
  return {
    status: response.status,
    body: response.jsonBody as Record<string, unknown>,
    headers: response.headers as Record<string, string>,
  };
}

function withLength(body: string | Uint8Array, headers: Record<string, string>): Record<string, string> {
  if ('content-length' in headers) return headers;
  return { ...headers, 'content-length': String(Buffer.byteLength(body)) };
}

async function expectNothingStored() {
  expect(published).toEqual([]);
  expect(await listBlobNames(services.blobs, CONTAINERS.raw)).toEqual([]);
  expect(await listBlobNames(services.blobs, CONTAINERS.images)).toEqual([]);
}

/** The one raw archive blob the tests' requests leave behind, parsed. */
async function onlyArchive(): Promise<{ name: string; lines: ArchivedEvent[]; body: Buffer }> {
  const names = await listBlobNames(services.blobs, CONTAINERS.raw);
  expect(names).toHaveLength(1);
  const body = await services.blobs
    .getContainerClient(CONTAINERS.raw)
    .getBlobClient(names[0]!)
    .downloadToBuffer();
  return { name: names[0]!, lines: parseArchive(body), body };
}

describe('ingest: accepted requests', () => {
  it('accepts one event: archives it raw with its image by reference, stores the image once, publishes a slim event', async () => {
    const event = tweetEvent(1);
    const response = await post(event);
    expect(response).toMatchObject({ status: 202, body: { accepted: 1, ids: [event.id] } });

    const sha = createHash('sha256').update(jpeg(1)).digest('hex');
    expect(await listBlobNames(services.blobs, CONTAINERS.images)).toEqual([`${sha}.jpeg`]);
    const archive = await onlyArchive();
    // Named by its content: the earliest event's UTC day, then the SHA-256 of the archived bytes.
    expect(archive.name).toBe(`2017/08/25/${createHash('sha256').update(archive.body).digest('hex')}.ndjson`);
    const reference = {
      label: 'no_damage',
      longitude: event.image!.longitude,
      latitude: event.image!.latitude,
      contentType: 'image/jpeg',
      blob: `${sha}.jpeg`,
      sha256: sha,
      bytes: jpeg(1).length,
    };
    expect(archive.lines).toEqual([{ ...event, image: reference }]);
    // The raw event as received, field for field and in its order; only the base64 is gone.
    expect(Object.keys(archive.lines[0]!)).toEqual(Object.keys(event));
    expect(archive.body.toString()).not.toContain(event.image!.data.slice(0, 40));
    const image = await services.blobs
      .getContainerClient(CONTAINERS.images)
      .getBlobClient(`${sha}.jpeg`)
      .downloadToBuffer();
    expect(image.equals(jpeg(1))).toBe(true);

    expect(published).toHaveLength(1);
    const hubEvent = published[0]!;
    expect(hubEvent).toMatchObject({
      schemaVersion: 2,
      id: event.id,
      tweetId: event.tweetId,
      rawBlob: archive.name,
      rawLine: 0,
    });
    expect(hubEvent.image).toEqual(reference);
    expect(JSON.stringify(hubEvent)).not.toContain(event.image!.data.slice(0, 40));
  });

  it('archives a batch as one blob, line i holding event i, and stores a shared image once', async () => {
    const events = [
      tweetEvent(1, { imageSeed: 9 }),
      tweetEvent(2, { imageSeed: 9 }),
      tweetEvent(3, { withImage: false }),
    ];
    const response = await post(events);
    expect(response).toMatchObject({ status: 202, body: { accepted: 3, ids: events.map((e) => e.id) } });
    expect(await listBlobNames(services.blobs, CONTAINERS.images)).toHaveLength(1);
    const archive = await onlyArchive();
    expect(archive.lines.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(archive.lines[2]).toEqual(events[2]);
    expect(archive.lines[0]!.image!.sha256).toBe(archive.lines[1]!.image!.sha256);
    expect(published.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(published.map((e) => [e.rawBlob, e.rawLine])).toEqual([
      [archive.name, 0],
      [archive.name, 1],
      [archive.name, 2],
    ]);
    expect(published[2]!.image).toBeUndefined();
  });

  it('is idempotent: the same request twice rewrites the same archive blob, byte for byte', async () => {
    const events = [tweetEvent(4), tweetEvent(5)];
    await post(events);
    const first = await onlyArchive();
    const images = await listBlobNames(services.blobs, CONTAINERS.images);
    expect(await post(events)).toMatchObject({ status: 202 });
    const second = await onlyArchive();
    expect(second.name).toBe(first.name);
    expect(second.body.equals(first.body)).toBe(true);
    expect(await listBlobNames(services.blobs, CONTAINERS.images)).toEqual(images);
    expect(new Set(published.map((e) => `${e.id} ${e.rawBlob} ${e.rawLine}`)).size).toBe(2);
  });

  it('archives a repeated id once: one line, at its first place, with the last copy', async () => {
    const a = tweetEvent(30);
    const b = tweetEvent(31);
    const response = await post([a, b, { ...a, likes: 99 }]);
    expect(response).toMatchObject({ status: 202, body: { accepted: 3, ids: [a.id, b.id, a.id] } });
    const archive = await onlyArchive();
    expect(archive.lines.map((e) => [e.id, e.likes])).toEqual([
      [a.id, 99],
      [b.id, b.likes],
    ]);
    expect(published.map((e) => [e.id, e.rawLine])).toEqual([
      [a.id, 0],
      [b.id, 1],
    ]);
  });

  it('accepts a charset parameter and a +json media type', async () => {
    expect((await post(tweetEvent(6), { 'content-type': 'application/json; charset=utf-8' })).status).toBe(
      202,
    );
    expect((await post(tweetEvent(7), { 'content-type': 'application/vnd.harvey+json' })).status).toBe(202);
  });

  it('keeps every slim event under 1 KB for ASCII text, even at the longest text and largest values', async () => {
    const longest = {
      ...tweetEvent(8),
      text: 'x'.repeat(280),
      retweets: 1e9,
      replies: 1e9,
      likes: 1e9,
      tweetId: '9'.repeat(20),
    };
    expect((await post(longest)).status).toBe(202);
    expect(Buffer.byteLength(JSON.stringify(published[0]))).toBeLessThan(HUB_EVENT_TARGET_BYTES);
    // The same at the last line of a full request (a two-digit rawLine).
    const full = Array.from({ length: MAX_EVENTS_PER_REQUEST }, (_, i) => ({
      ...longest,
      tweetId: String(BigInt(longest.tweetId) - BigInt(i)),
    }));
    const ids = full.map((e) => deriveEventId(e));
    expect((await post(full.map((e, i) => ({ ...e, id: ids[i]! })))).status).toBe(202);
    const last = published.at(-1)!;
    expect(last.rawLine).toBe(MAX_EVENTS_PER_REQUEST - 1);
    expect(Buffer.byteLength(JSON.stringify(last))).toBeLessThan(HUB_EVENT_TARGET_BYTES);
  });
});

describe('ingest: rejected requests store nothing', () => {
  const invalidCases: [
    string,
    (e: Record<string, unknown>) => unknown,
    { index: number; path: string; message: string },
  ][] = [
    [
      'a wrong type',
      (e) => ({ ...e, likes: '12' }),
      { index: 0, path: '$.likes', message: 'must be integer' },
    ],
    ['a missing field', ({ text: _t, ...e }) => e, { index: 0, path: '$.text', message: 'is required' }],
    ['an extra field', (e) => ({ ...e, user: 'x' }), { index: 0, path: '$.user', message: 'is not allowed' }],
    [
      'an oversized text',
      (e) => ({ ...e, text: 'a'.repeat(281) }),
      { index: 0, path: '$.text', message: 'must NOT have more than 280 characters' },
    ],
    [
      'bad base64',
      (e) => ({ ...e, image: { ...(e.image as object), data: "b'\\xff\\xd8\\xff'" } }),
      {
        index: 0,
        path: '$.image.data',
        message: 'must be standard base64 (A-Z, a-z, 0-9, +, / and = padding)',
      },
    ],
    [
      'base64 that is not a JPEG',
      (e) => ({
        ...e,
        image: { ...(e.image as object), data: Buffer.from('GIF89a....').toString('base64') },
      }),
      {
        index: 0,
        path: '$.image.data',
        message: 'is not a JPEG image (the bytes must start with the FF D8 FF signature)',
      },
    ],
    [
      'an out-of-range latitude',
      (e) => ({ ...e, image: { ...(e.image as object), latitude: 95 } }),
      { index: 0, path: '$.image.latitude', message: 'must be <= 90' },
    ],
    [
      'an out-of-range longitude',
      (e) => ({ ...e, image: { ...(e.image as object), longitude: 181 } }),
      { index: 0, path: '$.image.longitude', message: 'must be <= 180' },
    ],
  ];

  it.each(invalidCases)('rejects %s with 400, its path and reason', async (_name, mutate, expected) => {
    const response = await post(mutate(tweetEvent(10) as unknown as Record<string, unknown>));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: 'InvalidEvents',
      message: '1 of 1 events are invalid; none were accepted',
    });
    expect(response.body.errors).toContainEqual(expected);
    await expectNothingStored();
  });

  it('rejects a whole batch when one event is invalid, naming its index', async () => {
    const events = [tweetEvent(11), { ...tweetEvent(12), likes: -3 }, tweetEvent(13)];
    const response = await post(events);
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('1 of 3 events are invalid; none were accepted');
    expect(response.body.errors).toEqual([{ index: 1, path: '$.likes', message: 'must be >= 0' }]);
    await expectNothingStored();
  });

  it('rejects an empty array and an array over the maximum', async () => {
    expect((await post([])).body).toMatchObject({
      error: 'InvalidEvents',
      errors: [{ path: '$', message: 'must NOT have fewer than 1 items' }],
    });
    const tooMany = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, (_, i) =>
      tweetEvent(100 + i, { withImage: false }),
    );
    const response = await post(tooMany);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { path: '$', message: `must NOT have more than ${MAX_EVENTS_PER_REQUEST} items` },
    ]);
    await expectNothingStored();
  });

  it('rejects a body that is not JSON, or not UTF-8', async () => {
    const notJson = await post('{"id": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toBe('InvalidJson');
    const notUtf8 = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    const response = await ingest(
      postRequest(notUtf8, withLength(notUtf8, { 'content-type': 'application/json' })),
      quietContext(),
    );
    expect(response.status).toBe(400);
    expect((response.jsonBody as { errors: unknown[] }).errors).toEqual([
      { path: '$', message: 'is not valid UTF-8' },
    ]);
    await expectNothingStored();
  });

  it('rejects a wrong or missing content type with 415', async () => {
    expect(await post(tweetEvent(14), { 'content-type': 'text/plain' })).toMatchObject({
      status: 415,
      body: { error: 'UnsupportedMediaType' },
    });
    expect(await post(tweetEvent(14), {})).toMatchObject({ status: 415 });
    await expectNothingStored();
  });

  it('rejects a body over the limit with 413: by its declared length, or once it streams past the limit', async () => {
    const big = 'x'.repeat(MAX_REQUEST_BYTES + 1);
    expect(await post(big)).toMatchObject({ status: 413, body: { error: 'PayloadTooLarge' } });
    expect(
      await post('[]', {
        'content-type': 'application/json',
        'content-length': String(MAX_REQUEST_BYTES + 1),
      }),
    ).toMatchObject({ status: 413 });
    // A body longer than it declared is cut off at the limit too, never buffered whole.
    expect(await post(big, { 'content-type': 'application/json', 'content-length': '2' })).toMatchObject({
      status: 413,
    });
    await expectNothingStored();
  });

  it('answers 411 for a POST without Content-Length (chunked: the host dropped its body), storing nothing', async () => {
    // What the host hands over for a chunked request: Transfer-Encoding, no Content-Length, no body.
    const chunked = await ingest(
      new HttpRequest({
        method: 'POST',
        url: ingestUrl(functionsBaseUrl('http://127.0.0.1')),
        headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      }),
      quietContext(),
    );
    expect(chunked.status).toBe(411);
    expect(chunked.jsonBody).toEqual({
      error: 'LengthRequired',
      message:
        'Send the body with a Content-Length header (this request used Transfer-Encoding: chunked): Azure Functions drops a request body that has no Content-Length, so nothing was read or stored',
    });
    // Even a body that did arrive without a declared length is refused rather than half-trusted.
    const noLength = await ingest(
      postRequest(JSON.stringify(tweetEvent(15)), { 'content-type': 'application/json' }),
      quietContext(),
    );
    expect(noLength.status).toBe(411);
    expect((noLength.jsonBody as { message: string }).message).toMatch(
      /^Send the body with a Content-Length header: /,
    );
    await expectNothingStored();
  });

  it('answers 400 for Content-Length: 0 (a declared empty body), storing nothing', async () => {
    const empty = await post('', { 'content-type': 'application/json', 'content-length': '0' });
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ error: 'InvalidJson' });
    await expectNothingStored();
  });
});

describe('ingest: dependencies down', () => {
  it('answers 503 with Retry-After when storage fails, and publishes nothing', async () => {
    sinks = {
      ...sinks,
      putArchive: () =>
        Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    };
    const response = await post(tweetEvent(20));
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.body.message).toMatch(/^Blob Storage is unavailable: ECONNREFUSED/);
    expect(published).toEqual([]);
  });

  it('answers 503 when the hub fails after the blobs were written (a retry rewrites the same blobs)', async () => {
    sinks = { ...sinks, publish: () => Promise.reject(new Error('hub unreachable')) };
    const response = await post(tweetEvent(21));
    expect(response).toMatchObject({ status: 503, body: { error: 'ServiceUnavailable' } });
    expect(response.body.message).toMatch(/^Event Hubs is unavailable: hub unreachable/);
  });
});

describe('ingest: images already stored by this process', () => {
  it('skips the PUT of an image the process stored, until the entry expires', async () => {
    let now = 0;
    const stored = new StoredImages(100, 60_000, () => now);
    sinks = {
      ...azureIngestSinks(stored),
      publish: (events) => Promise.resolve(void published.push(...events)),
    };
    const images = services.blobs.getContainerClient(CONTAINERS.images);
    expect((await post(tweetEvent(40, { imageSeed: 7 }))).status).toBe(202);
    const [name] = await listBlobNames(services.blobs, CONTAINERS.images);
    expect(stored.size).toBe(1);

    // Deleted behind the cache (nothing in the pipeline does this; an operator could): within the
    // entry's lifetime the process trusts its cache and does not PUT again...
    await images.deleteBlob(name!);
    expect((await post(tweetEvent(41, { imageSeed: 7 }))).status).toBe(202);
    expect(await listBlobNames(services.blobs, CONTAINERS.images)).toEqual([]);
    // ...and once it expired, the next event with that image stores it again.
    now += 60_000;
    expect((await post(tweetEvent(42, { imageSeed: 7 }))).status).toBe(202);
    expect(await listBlobNames(services.blobs, CONTAINERS.images)).toEqual([name]);
  });

  it('records an image only once the store confirmed it', async () => {
    const stored = new StoredImages();
    sinks = {
      ...azureIngestSinks(stored),
      publish: (events) => Promise.resolve(void published.push(...events)),
    };
    // The image PUT fails (no container): nothing may be remembered as stored.
    await services.blobs.getContainerClient(CONTAINERS.images).delete();
    try {
      expect((await post(tweetEvent(43))).status).toBe(503);
      expect(stored.size).toBe(0);
    } finally {
      await services.blobs.getContainerClient(CONTAINERS.images).createIfNotExists();
    }
  });
});
