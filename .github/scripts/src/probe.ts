import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { deriveEventId, ingestUrl, STRICTEST_REQUEST_BODY_BYTES } from '@pipeline/schemas';
import type { ApiCredentials } from './producer';

/**
 * The fidelity probe: one fixed set of requests, sent to the local twin (in `npm test`) and to the
 * deployed API Management (after the smoke test), each answer compared with the same expectation.
 * Where Azure answers differently, the probe fails with a diff; the difference is a fix to the twin
 * (or to the expectation, with the source that settles it).
 *
 * What is recorded per request: the status, the headers that matter (`WWW-Authenticate`,
 * `Retry-After`), and the body's shape: its top-level JSON keys, and for APIM's error body
 * (`{statusCode, message}`) whether the message says what it must. Never a body's full text, which
 * may echo a credential.
 */

/** The body limit the twin enforces on every tier (schemas/src/apim-tiers.ts): 102,400 bytes. */
export const BODY_LIMIT = STRICTEST_REQUEST_BODY_BYTES;
/** policies/product-ingest.xml: `<rate-limit calls="1200" renewal-period="60">` (a test keeps them equal). */
export const RATE_LIMIT_CALLS = 1200;

export interface ProbeRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Sent with Transfer-Encoding: chunked and no Content-Length. */
  readonly chunked?: boolean;
}

export interface Expectation {
  /** One status, or the statuses either of which is right. */
  readonly status: number | readonly number[];
  /** Headers that must be present or absent (lower case). */
  readonly headers?: Readonly<Record<string, 'present' | 'absent'>>;
  /** The sorted top-level keys of the JSON body, or `empty`. */
  readonly body: readonly string[] | 'empty';
  /** What an error body's `message` must say. */
  readonly message?: RegExp;
}

export interface ProbeCase {
  readonly id: string;
  /** What the case proves, for the job summary. */
  readonly proves: string;
  readonly request: (credentials: Required<ApiCredentials>) => ProbeRequest;
  readonly expect: Expectation;
}

export interface Observation {
  readonly status: number | 'network';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: readonly string[] | 'empty' | 'not-json';
  readonly message?: string;
  readonly error?: string;
}

export interface CaseResult {
  readonly id: string;
  readonly proves: string;
  readonly expected: Expectation;
  readonly observed: Observation;
  readonly differences: readonly string[];
}

export interface BurstResult {
  readonly id: 'rate-limit-burst';
  readonly proves: string;
  readonly sent: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly differences: readonly string[];
}

export interface ProbeReport {
  readonly ok: boolean;
  readonly target: string;
  readonly cases: readonly CaseResult[];
  readonly burst?: BurstResult;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const ACCEPTED = ['accepted', 'ids'];
const APIM_ERROR = ['message', 'statusCode'];
const WATCHED_HEADERS = ['www-authenticate', 'retry-after'];

/** A contract-valid event with a deterministic id (a replay of the probe re-stores the same events). */
export function probeEvent(n: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = {
    tweetId: String(990000000000000000n + BigInt(n)),
    createdAt: '2017-08-26T12:00:00Z',
    text: `Fidelity probe event ${n} #harvey`,
    ...overrides,
  };
  return {
    schemaVersion: 1,
    id: deriveEventId(base),
    retweets: 0,
    replies: 0,
    likes: 0,
    ...base,
    ...overrides,
  };
}

/** A JPEG signature (FF D8 FF E0) in base64, with and without its padding. */
const JPEG_PADDED = '/9j/4A==';
const JPEG_UNPADDED = '/9j/4A';

function image(data: string): Record<string, unknown> {
  return { label: 'damage', longitude: -95.36, latitude: 29.76, contentType: 'image/jpeg', data };
}

function authorized(c: Required<ApiCredentials>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...JSON_TYPE,
    'ocp-apim-subscription-key': c.subscriptionKey,
    authorization: basic(c.basicUser, c.basicPassword),
    ...extra,
  };
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** A valid one-event array padded with JSON whitespace to exactly `bytes` bytes (still valid JSON). */
export function paddedBody(bytes: number, event: Record<string, unknown> = probeEvent(1)): Buffer {
  const json = Buffer.from(JSON.stringify([event]));
  if (json.length > bytes) throw new Error(`an event of ${json.length} bytes cannot be padded to ${bytes}`);
  return Buffer.concat([json, Buffer.alloc(bytes - json.length, 0x20)]);
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

const sizeMessage = (bytes: number) =>
  new RegExp(`^Request's body is ${bytes} bytes long and it exceeds the limit of ${BODY_LIMIT} bytes\\.$`);

export const PROBE_CASES: readonly ProbeCase[] = [
  {
    id: 'valid-event',
    proves: 'the whole path accepts a valid event (202 with the accepted ids)',
    request: (c) => ({ headers: authorized(c), body: json(probeEvent(1)) }),
    expect: { status: 202, body: ACCEPTED },
  },
  {
    id: 'no-subscription-key',
    proves: 'a request without a key is refused before any policy, with APIM’s message',
    request: (c) => ({
      headers: { ...JSON_TYPE, authorization: basic(c.basicUser, c.basicPassword) },
      body: json(probeEvent(1)),
    }),
    expect: { status: 401, body: APIM_ERROR, message: /missing subscription key/ },
  },
  {
    id: 'wrong-subscription-key',
    proves: 'an unknown key is refused',
    request: (c) => ({
      headers: authorized(c, { 'ocp-apim-subscription-key': '0'.repeat(32) }),
      body: json(probeEvent(1)),
    }),
    expect: { status: 401, body: APIM_ERROR, message: /invalid subscription key/ },
  },
  {
    id: 'no-basic-credential',
    proves: 'the basic credential is required (check-header), with WWW-Authenticate',
    request: (c) => ({
      headers: { ...JSON_TYPE, 'ocp-apim-subscription-key': c.subscriptionKey },
      body: json(probeEvent(1)),
    }),
    expect: {
      status: 401,
      headers: { 'www-authenticate': 'present' },
      body: APIM_ERROR,
      message: /basic authentication credentials/,
    },
  },
  {
    id: 'wrong-basic-credential',
    proves: 'a wrong password is refused like a missing one',
    request: (c) => ({
      headers: authorized(c, { authorization: basic(c.basicUser, `${c.basicPassword}-wrong`) }),
      body: json(probeEvent(1)),
    }),
    expect: {
      status: 401,
      headers: { 'www-authenticate': 'present' },
      body: APIM_ERROR,
      message: /basic authentication credentials/,
    },
  },
  {
    id: 'body-at-limit',
    proves: `a body of exactly ${BODY_LIMIT} bytes is validated and accepted`,
    request: (c) => ({ headers: authorized(c), body: paddedBody(BODY_LIMIT) }),
    expect: { status: 202, body: ACCEPTED },
  },
  {
    id: 'body-over-limit',
    proves: `one byte over ${BODY_LIMIT} is refused by validate-content (the limits table, not the policy page’s 4 MB)`,
    request: (c) => ({ headers: authorized(c), body: paddedBody(BODY_LIMIT + 1) }),
    expect: { status: 400, body: APIM_ERROR, message: sizeMessage(BODY_LIMIT + 1) },
  },
  {
    id: 'body-over-4mb',
    proves: 'a body over the policy page’s 4 MB ceiling is refused from its Content-Length',
    request: (c) => ({ headers: authorized(c), body: paddedBody(4 * 1024 * 1024 + 1) }),
    expect: { status: 400, body: APIM_ERROR, message: sizeMessage(4 * 1024 * 1024 + 1) },
  },
  {
    id: 'chunked-valid-event',
    proves:
      'a POST without Content-Length reaches the function with its body (the host drops bodies without one)',
    request: (c) => ({ headers: authorized(c), body: json(probeEvent(2)), chunked: true }),
    expect: { status: 202, body: ACCEPTED },
  },
  {
    id: 'chunked-over-limit',
    proves: 'a chunked body over the limit is refused once it passes the limit',
    request: (c) => ({ headers: authorized(c), body: paddedBody(BODY_LIMIT + 1), chunked: true }),
    expect: {
      status: 400,
      body: APIM_ERROR,
      message: new RegExp(`exceeds the limit of ${BODY_LIMIT} bytes`),
    },
  },
  {
    id: 'date-time-offset',
    proves: 'a date-time with an offset is valid',
    request: (c) => ({
      headers: authorized(c),
      body: json(probeEvent(3, { createdAt: '2017-08-26T07:00:00-05:00' })),
    }),
    expect: { status: 202, body: ACCEPTED },
  },
  {
    id: 'date-time-fraction',
    proves: 'a date-time with fractional seconds is valid',
    request: (c) => ({
      headers: authorized(c),
      body: json(probeEvent(4, { createdAt: '2017-08-26T12:00:00.123Z' })),
    }),
    expect: { status: 202, body: ACCEPTED },
  },
  {
    id: 'date-time-no-zone',
    proves: 'a date-time without a zone is refused by the schema',
    request: (c) => ({
      headers: authorized(c),
      body: json(probeEvent(5, { createdAt: '2017-08-26T12:00:00' })),
    }),
    expect: { status: 400, body: APIM_ERROR, message: /does not conform to the definition tweet-event/ },
  },
  {
    id: 'date-only',
    proves: 'a date without a time is refused by the schema',
    request: (c) => ({ headers: authorized(c), body: json(probeEvent(6, { createdAt: '2017-08-26' })) }),
    expect: { status: 400, body: APIM_ERROR, message: /does not conform to the definition tweet-event/ },
  },
  {
    id: '100-items',
    proves: 'a batch of 100 events (maxItems) is accepted',
    request: (c) => ({
      headers: authorized(c),
      body: json(Array.from({ length: 100 }, (_, i) => probeEvent(100 + i))),
    }),
    expect: { status: 202, body: ACCEPTED },
  },
  {
    id: '101-items',
    proves: 'a batch of 101 events is refused by the schema',
    request: (c) => ({
      headers: authorized(c),
      body: json(Array.from({ length: 101 }, (_, i) => probeEvent(100 + i))),
    }),
    expect: { status: 400, body: APIM_ERROR, message: /does not conform to the definition tweet-event/ },
  },
  {
    id: 'non-ascii-text',
    proves: 'non-ASCII text (accents, CJK, emoji) passes unchanged',
    request: (c) => ({
      headers: authorized(c),
      body: json(probeEvent(7, { text: 'Évacuation à Houston — 避難 🌀' })),
    }),
    expect: { status: 202, body: ACCEPTED },
  },
  {
    id: 'base64-padded',
    proves: 'base64 image data with its padding is accepted',
    request: (c) => ({ headers: authorized(c), body: json(probeEvent(8, { image: image(JPEG_PADDED) })) }),
    expect: { status: 202, body: ACCEPTED },
  },
  {
    id: 'base64-unpadded',
    proves: 'base64 without its padding is refused by the schema pattern',
    request: (c) => ({
      headers: authorized(c),
      body: json(probeEvent(9, { image: image(JPEG_UNPADDED) })),
    }),
    expect: { status: 400, body: APIM_ERROR, message: /does not conform to the definition tweet-event/ },
  },
  {
    id: 'wrong-content-type',
    proves: 'a body that is not declared JSON is refused',
    request: (c) => ({
      headers: authorized(c, { 'content-type': 'text/plain' }),
      body: json(probeEvent(1)),
    }),
    expect: {
      status: 400,
      body: APIM_ERROR,
      message: /^Unspecified content type text\/plain is not allowed\.$/,
    },
  },
];

export interface ProbeOptions {
  /** The ingest API base (`<gateway>/ingest`); requests go to `<apiUrl>/events`. */
  readonly apiUrl: string;
  readonly credentials: Required<ApiCredentials>;
  /** Requests of the rate-limit burst; 0 skips it. Default RATE_LIMIT_CALLS + 10%. */
  readonly burst?: number;
  readonly burstConcurrency?: number;
  readonly timeoutMs?: number;
  readonly cases?: readonly ProbeCase[];
}

export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const url = new URL(ingestUrl(options.apiUrl));
  const agent =
    url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const timeoutMs = options.timeoutMs ?? 30_000;
  try {
    const cases: CaseResult[] = [];
    for (const probe of options.cases ?? PROBE_CASES) {
      const observed = await send(url, probe.request(options.credentials), agent, timeoutMs);
      cases.push({
        id: probe.id,
        proves: probe.proves,
        expected: probe.expect,
        observed,
        differences: compare(probe.expect, observed),
      });
    }
    const size = options.burst ?? Math.ceil(RATE_LIMIT_CALLS * 1.1);
    // Last: the burst leaves the subscription throttled for up to a minute.
    const burst = size > 0 ? await rateLimitBurst(url, options, size, agent, timeoutMs) : undefined;
    const ok = cases.every((c) => c.differences.length === 0) && (burst?.differences.length ?? 0) === 0;
    return { ok, target: url.origin, cases, ...(burst ? { burst } : {}) };
  } finally {
    agent.destroy();
  }
}

/**
 * More calls than the product's rate limit, each with a valid key and a wrong basic credential: the
 * product scope's rate-limit counts them before the API scope's check-header refuses them, so nothing
 * is stored. Expected: 401s until the limit, then 429 with Retry-After and APIM's message.
 */
async function rateLimitBurst(
  url: URL,
  options: ProbeOptions,
  size: number,
  agent: HttpAgent | HttpsAgent,
  timeoutMs: number,
): Promise<BurstResult> {
  const c = options.credentials;
  const request: ProbeRequest = {
    headers: authorized(c, { authorization: basic(c.basicUser, `${c.basicPassword}-burst`) }),
    body: json(probeEvent(1)),
  };
  const statuses: Record<string, number> = {};
  const throttled: Observation[] = [];
  let next = 0;
  const worker = async () => {
    while (next < size) {
      next += 1;
      const observed = await send(url, request, agent, timeoutMs);
      statuses[String(observed.status)] = (statuses[String(observed.status)] ?? 0) + 1;
      if (observed.status === 429) throttled.push(observed);
    }
  };
  await Promise.all(Array.from({ length: options.burstConcurrency ?? 16 }, worker));
  const differences: string[] = [];
  const unexpected = Object.keys(statuses).filter((status) => status !== '401' && status !== '429');
  if (unexpected.length > 0) differences.push(`statuses other than 401 and 429: ${unexpected.join(', ')}`);
  if (throttled.length === 0) differences.push(`no 429 in ${size} calls over a limit of ${RATE_LIMIT_CALLS}`);
  for (const observed of throttled.slice(0, 3)) {
    differences.push(
      ...compare(
        {
          status: 429,
          headers: { 'retry-after': 'present' },
          body: APIM_ERROR,
          message: /^Rate limit is exceeded\. Try again in \d+ seconds\.$/,
        },
        observed,
      ),
    );
  }
  return {
    id: 'rate-limit-burst',
    proves: `a burst over the product's ${RATE_LIMIT_CALLS} calls per minute gets 429 with Retry-After`,
    sent: size,
    statuses,
    differences,
  };
}

/** Sends one request and records what the probe compares (never the body text itself). */
function send(
  url: URL,
  probe: ProbeRequest,
  agent: HttpAgent | HttpsAgent,
  timeoutMs: number,
): Promise<Observation> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (observation: Observation) => {
      if (settled) return;
      settled = true;
      resolve(observation);
    };
    const headers: Record<string, string> = { ...probe.headers };
    if (!probe.chunked) headers['content-length'] = String(probe.body.length);
    const issue = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = issue(url, { method: 'POST', headers, agent, timeout: timeoutMs }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => finish(observe(response, Buffer.concat(parts))));
      response.on('error', (error) => finish(networkFailure(error)));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => finish(networkFailure(error)));
    if (probe.chunked) {
      // Two writes without a Content-Length: Node sends Transfer-Encoding: chunked.
      const half = Math.floor(probe.body.length / 2);
      request.write(probe.body.subarray(0, half));
      request.end(probe.body.subarray(half));
    } else request.end(probe.body);
  });
}

function networkFailure(error: Error): Observation {
  return { status: 'network', headers: {}, body: 'empty', error: error.message };
}

function observe(response: IncomingMessage, body: Buffer): Observation {
  const headers: Record<string, string> = {};
  for (const name of WATCHED_HEADERS) {
    const value = response.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const status = response.statusCode ?? 0;
  if (body.length === 0) return { status, headers, body: 'empty' };
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return { status, headers, body: 'not-json' };
    const record = parsed as Record<string, unknown>;
    return {
      status,
      headers,
      body: Object.keys(record).sort(),
      ...(typeof record.message === 'string' ? { message: record.message } : {}),
    };
  } catch {
    return { status, headers, body: 'not-json' };
  }
}

/** Every way the observation differs from the expectation, one readable line each. */
export function compare(expected: Expectation, observed: Observation): string[] {
  const differences: string[] = [];
  const statuses = typeof expected.status === 'number' ? [expected.status] : expected.status;
  if (!statuses.includes(observed.status as number)) {
    differences.push(
      `status: expected ${statuses.join(' or ')}, got ${observed.status}${observed.error ? ` (${observed.error})` : ''}`,
    );
  }
  for (const [name, want] of Object.entries(expected.headers ?? {})) {
    const has = observed.headers[name] !== undefined;
    if (want === 'present' && !has) differences.push(`header ${name}: expected, missing`);
    if (want === 'absent' && has)
      differences.push(`header ${name}: expected none, got "${observed.headers[name]}"`);
  }
  const shape = (body: Observation['body']) => (typeof body === 'string' ? body : `{${body.join(', ')}}`);
  if (shape(expected.body) !== shape(observed.body))
    differences.push(`body: expected ${shape(expected.body)}, got ${shape(observed.body)}`);
  if (expected.message && !(observed.message !== undefined && expected.message.test(observed.message))) {
    differences.push(
      `message: expected ${String(expected.message)}, got ${observed.message === undefined ? 'none' : JSON.stringify(observed.message)}`,
    );
  }
  return differences;
}

/** The job summary: one row per case, and the differences in full under the table. */
export function probeSummary(report: ProbeReport): string {
  const lines = [
    `## Fidelity probe: ${report.ok ? 'the target answers as the twin does' : 'the target differs from the twin'}`,
    '',
    `Target: ${report.target}`,
    '',
    '| case | proves | expected | observed | |',
    '| --- | --- | --- | --- | --- |',
  ];
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  for (const c of report.cases) {
    const expected =
      typeof c.expected.status === 'number' ? String(c.expected.status) : c.expected.status.join('/');
    lines.push(
      `| ${c.id} | ${cell(c.proves)} | ${expected} | ${c.observed.status} | ${c.differences.length === 0 ? '✅' : '❌'} |`,
    );
  }
  if (report.burst) {
    const observed = Object.entries(report.burst.statuses)
      .map(([status, count]) => `${count}× ${status}`)
      .join(', ');
    lines.push(
      `| ${report.burst.id} | ${cell(report.burst.proves)} | 401…429 | ${observed} | ${report.burst.differences.length === 0 ? '✅' : '❌'} |`,
    );
  }
  const failed = [...report.cases, ...(report.burst ? [report.burst] : [])].filter(
    (c) => c.differences.length > 0,
  );
  if (failed.length > 0) {
    lines.push('', '### Differences', '');
    for (const c of failed) {
      lines.push(`- **${c.id}**`);
      for (const difference of c.differences) lines.push(`  - ${difference}`);
    }
    lines.push(
      '',
      'Each difference is a place where the local twin is kinder or stricter than Azure: fix the twin',
      '(local/gateway, local/functions-host) or, with the source that settles it, the expectation in',
      '.github/scripts/src/probe.ts.',
    );
  }
  return lines.join('\n') + '\n';
}
