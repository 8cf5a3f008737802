import type { TweetEvent } from '@pipeline/schemas';
import { materialize, type FuzzRequest, type Plan } from './mutations';
import { expectedOutcome } from './oracle';
import { send, type Target } from './send';
import { judge, statusKey } from './verdict';

/** What sending every planned request produced, before the stores are audited. */
export interface FuzzTally {
  sent: number;
  readonly statuses: Record<string, number>;
  /** Per mutation kind: requests sent, requests the API accepted, requests the oracle called valid. */
  readonly kinds: Record<string, { sent: number; accepted: number; valid: number }>;
  /** Ids of every 202, as the responses listed them. */
  readonly acceptedIds: string[];
  /** Events the accepted requests put on the hub (a repeated id in one request is one event). */
  hubEventsExpected: number;
  bytesSent: number;
  readonly failures: string[];
}

/**
 * Sends the planned requests `concurrency` at a time, materializing each only when its turn comes (a
 * few are 4-6 MB), judges every response against the oracle, and stops early once `maxFailures`
 * promises are broken (a dead gateway would otherwise cost a timeout per remaining request).
 */
export async function sendAll(
  plans: readonly Plan[],
  samples: readonly TweetEvent[],
  target: Target,
  options: { concurrency: number; maxFailures: number; onProgress?: (done: number) => void },
): Promise<FuzzTally> {
  const tally: FuzzTally = {
    sent: 0,
    statuses: {},
    kinds: {},
    acceptedIds: [],
    hubEventsExpected: 0,
    bytesSent: 0,
    failures: [],
  };
  let next = 0;
  const worker = async () => {
    while (next < plans.length && tally.failures.length < options.maxFailures) {
      const index = next++;
      const request = materialize(plans[index]!, samples, index);
      await sendOne(request, target, tally);
      if (tally.sent % 1000 === 0) options.onProgress?.(tally.sent);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return tally;
}

async function sendOne(request: FuzzRequest, target: Target, tally: FuzzTally): Promise<void> {
  const expectation = expectedOutcome(request);
  const outcome = await send(target, request);
  tally.sent++;
  tally.bytesSent += request.abortAfter ?? request.body.length;
  const key = statusKey(outcome);
  tally.statuses[key] = (tally.statuses[key] ?? 0) + 1;
  const kind = (tally.kinds[request.kind] ??= { sent: 0, accepted: 0, valid: 0 });
  kind.sent++;
  if (expectation.accept) kind.valid++;
  if ('status' in outcome && outcome.status === 202) {
    kind.accepted++;
    const ids = acceptedIds(outcome.body);
    tally.acceptedIds.push(...ids);
    tally.hubEventsExpected += new Set(ids).size;
  }
  const problem = judge(expectation, outcome);
  if (problem) tally.failures.push(`#${request.index} ${request.kind} ${describePlan(request)}: ${problem}`);
}

function acceptedIds(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { ids?: unknown };
    return Array.isArray(parsed.ids) ? parsed.ids.map(String) : [];
  } catch {
    return [];
  }
}

/** The plan in one short line (long values cut), so a failure can be reproduced from the seed and index. */
export function describePlan(request: FuzzRequest): string {
  const text = JSON.stringify(request.plan, (_key, value: unknown) =>
    typeof value === 'string' && value.length > 40 ? `${value.slice(0, 40)}…(${value.length})` : value,
  );
  return text.length > 240 ? `${text.slice(0, 240)}…` : text;
}
