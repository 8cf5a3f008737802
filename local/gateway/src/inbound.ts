import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { ValidateFunction } from 'ajv';
import { parseJsonBody } from '@pipeline/schemas';
import { formatDuration, type FixedWindowQuota, type RateLimiter } from './counters';
import {
  applyQuery,
  bufferBody,
  Stop,
  type CorsStatement,
  type Exchange,
  type PendingResponse,
} from './exchange';
import { HeaderBag } from './headers';
import { normalizeOrigin, type Statement } from './policy';
import type { Pipeline } from './policy-set';
import { returnResponse } from './responses';
import type { TierLimits } from './tiers';
import { describeErrors } from './validator';

type Of<K extends Statement['kind']> = Extract<Statement, { kind: K }>;

export interface InboundContext {
  readonly limits: TierLimits;
  readonly limiter: RateLimiter;
  readonly quota: FixedWindowQuota;
  /** When the gateway started: a subscription without a start date counts its quota from here. */
  readonly startedAt: number;
  readonly validators: ReadonlyMap<string, ValidateFunction>;
  readonly logger: (line: object) => void;
}

/** The inbound policies, statement by statement: each returns, or throws a Stop that ends the flow. */
export class InboundPolicies {
  constructor(private readonly context: InboundContext) {}

  async run(exchange: Exchange, statement: Statement): Promise<void> {
    switch (statement.kind) {
      case 'cors':
        return applyCorsToActualRequest(exchange, statement);
      case 'ip-filter':
        return ipFilter(exchange, statement);
      case 'check-header':
        return checkHeader(exchange, statement);
      case 'rate-limit':
        return this.rateLimit(exchange, statement);
      case 'quota':
        return this.quota(exchange, statement);
      case 'validate-content':
        return this.validateContent(exchange, statement);
      case 'set-header':
        exchange.headers.apply(statement.name, statement.action, statement.values);
        return;
      case 'set-query-parameter':
        applyQuery(exchange.url.searchParams, statement);
        return;
      case 'set-backend-service':
        exchange.backendBase = statement.baseUrl;
        return;
      case 'return-response':
        throw returnResponse(statement);
      default:
        throw new Error(`${statement.kind} cannot run in inbound`);
    }
  }

  private rateLimit(exchange: Exchange, statement: Of<'rate-limit'>): void {
    // "This policy is only applied when an API is accessed using a subscription key."
    if (!exchange.subscription) return;
    const decision = this.context.limiter.take(
      `${statement.source.file}:${statement.source.line}\n${exchange.subscription.id}`,
      statement.calls,
      statement.periodSeconds,
    );
    if (statement.remainingHeader)
      exchange.extraResponseHeaders.set(statement.remainingHeader, [String(decision.remaining)]);
    if (statement.totalHeader)
      exchange.extraResponseHeaders.set(statement.totalHeader, [String(statement.calls)]);
    if (!decision.allowed) {
      throw new Stop(
        429,
        `Rate limit is exceeded. Try again in ${decision.retryAfterSeconds} seconds.`,
        { source: 'rate-limit', reason: 'RateLimitExceeded' },
        [[statement.retryAfterHeader, String(decision.retryAfterSeconds)]],
      );
    }
  }

  private quota(exchange: Exchange, statement: Of<'quota'>): void {
    if (!exchange.subscription) return;
    const since = Date.parse(exchange.subscription.startedAt ?? '') || this.context.startedAt;
    const decision = this.context.quota.take(
      `${statement.source.file}:${statement.source.line}\n${exchange.subscription.id}`,
      statement,
      since,
    );
    if (!decision.allowed) {
      const finite = Number.isFinite(decision.secondsToRenewal);
      const when = finite
        ? ` Quota will be replenished in ${formatDuration(decision.secondsToRenewal)}.`
        : '';
      throw new Stop(
        403,
        `Out of ${decision.exceeded === 'bandwidth' ? 'bandwidth' : 'call volume'} quota.${when}`,
        { source: 'quota', reason: 'QuotaExceeded' },
        finite ? [['Retry-After', String(decision.secondsToRenewal)]] : [],
      );
    }
    if (decision.counter) exchange.quotaCounters.push(decision.counter);
  }

  private async validateContent(exchange: Exchange, statement: Of<'validate-content'>): Promise<void> {
    // Behaviour and messages: https://learn.microsoft.com/azure/api-management/validate-content-policy
    // ("Validation errors": 400 in inbound, the "Public response" texts).
    const contentType = (exchange.headers.first('Content-Type') ?? '').split(';')[0]!.trim().toLowerCase();
    const badRequest = (message: string, rule: string) =>
      new Stop(400, message, { source: 'validate-content', reason: rule });
    // The policy's max-size, but never more than the tier validates or buffers (the API Management
    // limits table; schemas/src/apim-tiers.ts names each source). Public message: "Validation errors".
    const { limits } = this.context;
    const maxSize = Math.min(statement.maxSize, limits.validateContentBodyBytes, limits.bufferedPayloadBytes);
    const declared = exchange.headers.first('Content-Length');
    if (declared !== undefined && Number(declared) > maxSize) {
      throw badRequest(
        `Request's body is ${declared} bytes long and it exceeds the limit of ${maxSize} bytes.`,
        'SizeLimit',
      );
    }
    const content = statement.contents.find((candidate) => candidate.type === contentType);
    if (!content) {
      const message = `Unspecified content type ${contentType} is not allowed.`;
      if (statement.unspecifiedAction === 'prevent') throw badRequest(message, 'Unspecified');
      if (statement.unspecifiedAction === 'detect') this.logDetection(exchange, message);
    }
    if (exchange.bodyState === 'unread') await readValidatedBody(exchange, maxSize);
    if (!content || content.action === 'ignore' || !exchange.body) return;
    const problem = validateJson(exchange.body, this.context.validators.get(content.schemaId)!);
    if (!problem) return;
    const message = `Body of the request does not conform to the definition ${content.schemaId}, which is associated with the content type ${contentType}. ${problem}`;
    if (content.action === 'prevent') throw badRequest(message, 'IncorrectMessage');
    this.logDetection(exchange, message);
  }

  private logDetection(exchange: Exchange, message: string): void {
    this.context.logger({
      time: new Date().toISOString(),
      level: 'warn',
      msg: 'validate-content detected',
      requestId: exchange.id,
      detail: message,
    });
  }
}

/** validate-content reads the body whole, up to its size limit, before it validates anything. */
async function readValidatedBody(exchange: Exchange, maxSize: number): Promise<void> {
  await bufferBody(
    exchange,
    maxSize,
    'validate-content',
    () =>
      new Stop(
        400,
        `Request's body is more than ${maxSize} bytes long and it exceeds the limit of ${maxSize} bytes.`,
        { source: 'validate-content', reason: 'SizeLimit' },
      ),
  );
}

function ipFilter(exchange: Exchange, statement: Of<'ip-filter'>): void {
  const type = isIP(exchange.clientIp) === 6 ? 'ipv6' : 'ipv4';
  const listed = isIP(exchange.clientIp) !== 0 && statement.list.check(exchange.clientIp, type);
  // https://learn.microsoft.com/azure/api-management/ip-filter-policy; 403 with the messages of
  // "Predefined errors for policies" (api-management-error-handling-policies).
  if (statement.action === 'allow' && !listed) {
    throw new Stop(403, `Caller IP address ${exchange.clientIp} is not allowed. Access denied.`, {
      source: 'ip-filter',
      reason: 'CallerIpNotAllowed',
    });
  }
  if (statement.action === 'forbid' && listed) {
    throw new Stop(403, 'Caller IP address is blocked. Access denied.', {
      source: 'ip-filter',
      reason: 'CallerIpBlocked',
    });
  }
}

function checkHeader(exchange: Exchange, statement: Of<'check-header'>): void {
  // https://learn.microsoft.com/azure/api-management/check-header-policy: the configured status and
  // message, in APIM's error body, when the header is missing or matches none of the values.
  const fail = (reason: string) =>
    new Stop(statement.status, statement.message, { source: 'check-header', reason });
  const present = exchange.headers.get(statement.name);
  if (!present) throw fail('HeaderNotFound');
  if (statement.values.length === 0) return;
  const actual = present.join(', ');
  const fold = (text: string) => (statement.ignoreCase ? text.toLowerCase() : text);
  const digest = (text: string) => createHash('sha256').update(fold(text)).digest();
  const actualDigest = digest(actual);
  // Constant-time comparison: the allowed value is usually a secret named value.
  let matched = false;
  for (const allowed of statement.values) matched = timingSafeEqual(actualDigest, digest(allowed)) || matched;
  if (!matched) throw fail('HeaderValueNotAllowed');
}

function applyCorsToActualRequest(exchange: Exchange, cors: CorsStatement): void {
  const origin = exchange.headers.first('Origin');
  if (!origin) return;
  const allowed = allowedOrigin(cors, origin);
  if (!allowed) {
    const method = exchange.request.method ?? '';
    if (cors.terminateUnmatched && (method === 'GET' || method === 'HEAD'))
      throw new Stop(200, '', undefined, [], Buffer.alloc(0));
    return;
  }
  exchange.extraResponseHeaders.set('Access-Control-Allow-Origin', [allowed]);
  if (cors.allowCredentials) exchange.extraResponseHeaders.set('Access-Control-Allow-Credentials', ['true']);
  if (cors.exposeHeaders.length > 0)
    exchange.extraResponseHeaders.set('Access-Control-Expose-Headers', [cors.exposeHeaders.join(',')]);
  exchange.extraResponseHeaders.append('Vary', 'Origin');
}

/** https://learn.microsoft.com/azure/api-management/cors-policy: only cors runs on a preflight. */
export function handlePreflight(exchange: Exchange, pipeline: Pipeline): PendingResponse | undefined {
  const cors = pipeline.inbound.find((statement): statement is CorsStatement => statement.kind === 'cors');
  if (!cors) return undefined;
  const headers = new HeaderBag();
  const origin = exchange.headers.first('Origin')!;
  const method = (exchange.headers.first('Access-Control-Request-Method') ?? '').trim().toUpperCase();
  const requested = (exchange.headers.get('Access-Control-Request-Headers') ?? [])
    .join(',')
    .split(',')
    .map((header) => header.trim().toLowerCase())
    .filter(Boolean);
  const allowed = allowedOrigin(cors, origin);
  const methodOk = cors.methods.includes('*') || cors.methods.includes(method);
  const headersOk = cors.headers.includes('*') || requested.every((header) => cors.headers.includes(header));
  if (allowed && methodOk && headersOk) {
    headers.set('Access-Control-Allow-Origin', [allowed]);
    if (cors.allowCredentials) headers.set('Access-Control-Allow-Credentials', ['true']);
    headers.set('Access-Control-Allow-Methods', [
      cors.methods.includes('*') ? method : cors.methods.join(','),
    ]);
    if (requested.length > 0) headers.set('Access-Control-Allow-Headers', [requested.join(',')]);
    if (cors.maxAge > 0) headers.set('Access-Control-Max-Age', [String(cors.maxAge)]);
    headers.set('Vary', ['Origin']);
  }
  // A preflight that does not match gets an empty 200 without CORS headers: the browser blocks it.
  return { status: 200, headers, body: Buffer.alloc(0) };
}

function allowedOrigin(cors: CorsStatement, origin: string): string | undefined {
  if (cors.origins.includes('*')) return cors.allowCredentials ? origin : '*';
  const normalized = normalizeOrigin(origin);
  return cors.origins.includes(normalized) ? origin : undefined;
}

function validateJson(body: Buffer, validate: ValidateFunction): string | undefined {
  // A strict UTF-8 decode, then JSON.parse, by their verdicts without the two-byte copy of a body that
  // holds an emoji: that decode was ~20% of the gateway's CPU under load (HOST-9; utf8-json.ts).
  const parsed = parseJsonBody(body);
  if (!parsed.ok)
    return parsed.problem === 'utf8'
      ? 'The body is not valid UTF-8.'
      : `The body is not valid JSON: ${parsed.reason}.`;
  const value = parsed.value;
  if (validate(value)) return undefined;
  const issues = describeErrors(validate.errors);
  const shown = issues.slice(0, 20).map((issue) => `${issue.path}: ${issue.message}`);
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  return shown.join('; ') + '.';
}
