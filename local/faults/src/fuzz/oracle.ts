import { MAX_EVENTS_PER_REQUEST, STRICTEST_REQUEST_BODY_BYTES, validateTweetEvent } from '@pipeline/schemas';
import type { FuzzRequest } from './mutations';

/**
 * What the public API must answer to a request, decided from the request's bytes and the contract
 * alone (never from how it was generated): a mutation may well leave a request valid. `accept` and
 * `reject` are both set only where the contract leaves the outcome open (a header block within a
 * kilobyte of the 16 KiB limit, where the exact count is the HTTP parser's business).
 */
export interface Expectation {
  /** The ids a 202 must list, in request order; null when a 2xx would be wrong. */
  readonly accept: readonly string[] | null;
  readonly reject: Rejection | null;
  /** The client dropped the connection mid-body: no answer is due, and nothing may be accepted. */
  readonly dropped?: true;
}

export interface Rejection {
  readonly statuses: readonly number[];
  /** Why the request is invalid, for reports. */
  readonly reason: string;
  /** Words of which the error body must contain one (case-insensitive): it must name the problem. */
  readonly mentions: readonly string[];
}

/** Node's default, which the gateway states: a larger header block is answered 431 before any policy. */
export const HEADER_LIMIT_BYTES = 16 * 1024;
/** Either side of the limit, the count of request line and credential headers decides: both outcomes pass. */
const HEADER_MARGIN_BYTES = 1024;

const reject = (statuses: number[], reason: string, mentions: string[]): Expectation => ({
  accept: null,
  reject: { statuses, reason, mentions },
});

/** The bytes of the header lines the fuzzer adds (`name: value\r\n`). */
export function extraHeaderBytes(request: FuzzRequest): number {
  return request.headers.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
}

export function expectedOutcome(request: FuzzRequest): Expectation {
  if (request.abortAfter !== undefined) return { accept: null, reject: null, dropped: true };
  const headerBytes = extraHeaderBytes(request);
  const tooLarge = reject([431], `header block of ${headerBytes} bytes`, ['header']);
  if (headerBytes > HEADER_LIMIT_BYTES + HEADER_MARGIN_BYTES) return tooLarge;
  const body = expectedForBody(request);
  if (headerBytes >= HEADER_LIMIT_BYTES - HEADER_MARGIN_BYTES) {
    return { accept: body.accept, reject: body.reject ?? tooLarge.reject };
  }
  return body;
}

/** The media type, parameters aside, must be application/json (APIM validate-content, the function). */
export function isJsonMediaType(contentType: string | null): boolean {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

function expectedForBody(request: FuzzRequest): Expectation {
  // The gateway measures the body before anything else (validate-content's size check comes first),
  // and on every tier the limit is API Management's strictest documented one (decision GW-7).
  if (request.body.length > STRICTEST_REQUEST_BODY_BYTES) {
    return reject([400, 413], `body of ${request.body.length} bytes`, ['limit']);
  }
  if (!isJsonMediaType(request.contentType)) {
    return reject([400, 415], `content type ${JSON.stringify(request.contentType)}`, [
      'content type',
      'content-type',
    ]);
  }
  let text: string;
  try {
    // A leading byte order mark is dropped, as a fatal UTF-8 decoder does by default.
    text = new TextDecoder('utf-8', { fatal: true }).decode(request.body);
  } catch {
    return reject([400], 'not UTF-8', ['utf-8']);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return reject([400], 'not JSON', ['json']);
  }
  const items: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length < 1 || items.length > MAX_EVENTS_PER_REQUEST) {
    return reject([400], `${items.length} events`, ['items']);
  }
  const mentions = new Set<string>();
  const reasons: string[] = [];
  for (const item of items) {
    const result = validateTweetEvent(item);
    if (!result.ok && result.errors.some(isTooComplex)) {
      // This process's engine could not decide (a RangeError, seen once under CI); the API's own
      // validator may still decide either way, so both outcomes pass, and the audit still checks that
      // the hub holds exactly what was accepted.
      return {
        accept: items.map((i) => (i as { id?: unknown }).id as string),
        reject: {
          statuses: [400, 413],
          reason: 'too large or deep for the oracle to validate',
          mentions: ['must', 'not', 'invalid', 'large', 'limit', 'required', 'conform'],
        },
      };
    }
    if (!result.ok) {
      for (const issue of result.errors) {
        reasons.push(`${issue.path} ${issue.message}`);
        for (const word of namesOf(issue.path, issue.message)) mentions.add(word);
      }
    } else if (result.value.image && !isJpeg(result.value.image.data)) {
      reasons.push('$.image.data is not a JPEG');
      mentions.add('jpeg');
    }
  }
  if (reasons.length > 0) return reject([400], reasons.slice(0, 3).join('; '), [...mentions]);
  return { accept: items.map((item) => (item as { id: string }).id), reject: null };
}

function isTooComplex(issue: { path: string; message: string }): boolean {
  return issue.path === '$' && issue.message.includes('too large or too deeply nested');
}

/** The image media type is image/jpeg: the decoded bytes must start with the JPEG signature FF D8 FF. */
export function isJpeg(base64: string): boolean {
  const head = Buffer.from(base64.slice(0, 8), 'base64');
  return head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
}

/**
 * Words that name an issue: the field it is about (as written, and JSON-escaped as it appears inside
 * a JSON path), or for the body itself (`$`) the issue's message.
 */
export function namesOf(path: string, message: string): string[] {
  const quoted = /\[("(?:[^"\\]|\\.)*")\]$/.exec(path);
  if (quoted) {
    const name = JSON.parse(quoted[1]!) as string;
    const words = [name, quoted[1]!.slice(1, -1)].filter((word) => word.trim() !== '');
    return words.length > 0 ? words : [message];
  }
  const dotted = /\.([A-Za-z_$][A-Za-z0-9_$]*)$/.exec(path);
  if (dotted) return [dotted[1]!];
  return [message];
}
