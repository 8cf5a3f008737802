import type { Expectation } from './oracle';

/** What came back for one request: a response, or why none did. */
export type Outcome =
  { readonly status: number; readonly body: Buffer } | { readonly error: string; readonly timedOut: boolean };

/** The status key of the report: the status, "network" for a lost connection, "timeout" for a hang. */
export function statusKey(outcome: Outcome): string {
  return 'status' in outcome ? String(outcome.status) : outcome.timedOut ? 'timeout' : 'network';
}

/**
 * Compares one response with the oracle's expectation; returns what is wrong, or undefined. Every
 * rejection must be a 4xx the oracle allows, with a JSON body whose message names the problem; a 2xx
 * must be a 202 listing exactly the request's ids.
 */
export function judge(expectation: Expectation, outcome: Outcome): string | undefined {
  if (expectation.dropped) {
    if ('status' in outcome && outcome.status < 300)
      return `${outcome.status} for a body the client never finished sending`;
    if ('status' in outcome && outcome.status >= 500) return `${outcome.status} for an aborted upload`;
    return undefined;
  }
  if (!('status' in outcome))
    return outcome.timedOut ? `no response: ${outcome.error}` : `connection lost: ${outcome.error}`;
  const { status } = outcome;
  const text = outcome.body.toString('utf8');
  const excerpt = text.length > 160 ? `${text.slice(0, 160)}…` : text;
  if (status >= 500) return `${status} ${excerpt}`;
  if (status >= 200 && status < 300) {
    if (!expectation.accept)
      return `${status} for an invalid request (${expectation.reject?.reason}): ${excerpt}`;
    if (status !== 202) return `${status} instead of 202: ${excerpt}`;
    const ids = acceptedIds(outcome.body);
    if (!ids || ids.join() !== expectation.accept.join())
      return `202 listing ids other than the request's: ${excerpt}`;
    return undefined;
  }
  if (status >= 400 && status < 500) {
    const rejection = expectation.reject;
    if (!rejection) return `${status} for a valid request: ${excerpt}`;
    if (!rejection.statuses.includes(status))
      return `${status}, expected ${rejection.statuses.join(' or ')} for ${rejection.reason}: ${excerpt}`;
    const named = errorText(outcome.body);
    if (named === undefined) return `${status} without a JSON error body: ${JSON.stringify(excerpt)}`;
    const lower = named.toLowerCase();
    if (!rejection.mentions.some((word) => lower.includes(word.toLowerCase())))
      return `${status} whose error does not name the problem (${rejection.reason}; expected one of ${JSON.stringify(rejection.mentions.slice(0, 5))}): ${excerpt}`;
    return undefined;
  }
  return `unexpected status ${status}: ${excerpt}`;
}

function acceptedIds(body: Buffer): string[] | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { ids?: unknown };
    return Array.isArray(parsed.ids) ? parsed.ids.map(String) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The text of an error body: the gateway's `{statusCode, message}` or the function's
 * `{error, message, errors}`; undefined when the body is not such JSON.
 */
export function errorText(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { message?: unknown; errors?: unknown };
    if (typeof parsed.message !== 'string' || parsed.message.trim() === '') return undefined;
    return parsed.errors === undefined
      ? parsed.message
      : `${parsed.message} ${JSON.stringify(parsed.errors)}`;
  } catch {
    return undefined;
  }
}
