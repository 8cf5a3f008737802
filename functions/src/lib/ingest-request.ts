import {
  MAX_EVENTS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  parseJsonBody,
  validateTweetEvent,
  type TweetEvent,
} from '@pipeline/schemas';
import type { ErrorBody } from './responses';

export type ParsedIngestRequest =
  | { readonly ok: true; readonly events: readonly TweetEvent[] }
  | { readonly ok: false; readonly status: 400 | 411 | 413 | 415; readonly body: ErrorBody };

/** Is this a JSON media type? `application/json` and `application/*+json`, any parameters. */
export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

export function unsupportedMediaType(contentType: string | null): ParsedIngestRequest {
  return {
    ok: false,
    status: 415,
    body: {
      error: 'UnsupportedMediaType',
      message: `Content-Type must be application/json; got ${contentType ? JSON.stringify(contentType) : 'none'}`,
    },
  };
}

/**
 * A POST without Content-Length: the Functions host forwards a body only when Content-Length > 0
 * (azure-functions-host GrpcMessageConversionExtensions.ToRpcHttp; issues #7930, #4926), so a chunked
 * request reaches the function with no body at all. Answering 411 names the cause; treating it as an
 * empty body (400 "not valid JSON") would send the client looking for a bug in its JSON.
 */
export function lengthRequired(transferEncoding: string | null): ParsedIngestRequest {
  return {
    ok: false,
    status: 411,
    body: {
      error: 'LengthRequired',
      message: `Send the body with a Content-Length header${transferEncoding ? ` (this request used Transfer-Encoding: ${transferEncoding})` : ''}: Azure Functions drops a request body that has no Content-Length, so nothing was read or stored`,
    },
  };
}

export function payloadTooLarge(bytes: number | 'unknown'): ParsedIngestRequest {
  return {
    ok: false,
    status: 413,
    body: {
      error: 'PayloadTooLarge',
      message: `The request body is limited to ${MAX_REQUEST_BYTES} bytes${bytes === 'unknown' ? '' : `; got ${bytes}`}`,
    },
  };
}

/**
 * Parses and validates an ingest request body: one event or a JSON array of 1..MAX_EVENTS_PER_REQUEST.
 * Any invalid event rejects the whole request with every error, each with the event's index in the
 * request (0 for a single object), so the client can fix or drop exactly those events and resend.
 */
export function parseIngestBody(bytes: Buffer): ParsedIngestRequest {
  // isUtf8 and a Latin-1 parse instead of a fatal TextDecoder and JSON.parse: the same verdicts, a
  // leading BOM dropped likewise, at a fraction of the CPU (@pipeline/schemas utf8-json.ts, HOST-5/6).
  const body = parseJsonBody(bytes);
  if (!body.ok && body.problem === 'utf8')
    return invalid('InvalidJson', 'The request body is not valid UTF-8', [
      { path: '$', message: 'is not valid UTF-8' },
    ]);
  if (!body.ok)
    return invalid('InvalidJson', `The request body is not valid JSON: ${body.reason}`, [
      { path: '$', message: `is not valid JSON: ${body.reason}` },
    ]);
  const parsed = body.value;
  const items = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) {
    return invalid('InvalidEvents', 'The request holds an empty array; send 1 to 100 events', [
      { path: '$', message: 'must NOT have fewer than 1 items' },
    ]);
  }
  if (items.length > MAX_EVENTS_PER_REQUEST) {
    return invalid(
      'InvalidEvents',
      `The request holds ${items.length} events; send at most ${MAX_EVENTS_PER_REQUEST} per request`,
      [{ path: '$', message: `must NOT have more than ${MAX_EVENTS_PER_REQUEST} items` }],
    );
  }
  const events: TweetEvent[] = [];
  const errors: { index: number; path: string; message: string }[] = [];
  items.forEach((item, index) => {
    const result = validateTweetEvent(item);
    if (!result.ok) {
      for (const issue of result.errors) errors.push({ index, ...issue });
      return;
    }
    const imageError = result.value.image && checkJpeg(result.value.image.data);
    if (imageError) errors.push({ index, path: '$.image.data', message: imageError });
    else events.push(result.value);
  });
  if (errors.length > 0) {
    const invalidCount = new Set(errors.map((e) => e.index)).size;
    return invalid(
      'InvalidEvents',
      `${invalidCount} of ${items.length} events are invalid; none were accepted`,
      errors,
    );
  }
  return { ok: true, events };
}

/** The contract says image/jpeg; base64 that decodes to something else is rejected, not archived. */
function checkJpeg(base64: string): string | undefined {
  const head = Buffer.from(base64.slice(0, 8), 'base64');
  if (head.length < 3 || head[0] !== 0xff || head[1] !== 0xd8 || head[2] !== 0xff) {
    return 'is not a JPEG image (the bytes must start with the FF D8 FF signature)';
  }
  return undefined;
}

function invalid(error: string, message: string, errors: ErrorBody['errors']): ParsedIngestRequest {
  return { ok: false, status: 400, body: { error, message, errors } };
}
