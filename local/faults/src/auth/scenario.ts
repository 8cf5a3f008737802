import { paths, waitForStored, type RunningStack } from '@pipeline/stack';
import { ingestUrl, type TweetEvent } from '@pipeline/schemas';
import { auditStores, hubEventCount } from '../audit';
import { stackPeakRss, withStack } from '../fault-stack';
import { countStatuses, type Scenario, type ScenarioContext, type ScenarioResult } from '../scenario';
import { freshEvent, loadSampleEvents } from '../fuzz/corpus';
import { acceptedCase, rejectedCases, type AuthCase, type Credentials } from './cases';
import { addSubscriptions } from './subscriptions';
import { poll } from '@pipeline/emulators';

const TITLE = 'Authentication: wrong, missing or foreign credentials are rejected with 401 and reach nothing';
/**
 * How long the gateway may take to notice and re-read its rewritten config file. It polls the file
 * every 250 ms; the margin is for a loaded machine, where one request through the fresh stack took
 * seconds (10 s was missed once in a full `npm test` at load ~4, 2026-12-07).
 */
const RELOAD_TIMEOUT_MS = 30_000;

interface Answer {
  readonly status: number | 'network';
  readonly text: string;
  readonly wwwAuthenticate: string | null;
}

/**
 * The authentication matrix against a stack of its own: every request carries a valid event of its
 * own, so any of them reaching the hub or a store would show; then the same request with the right
 * credentials must be accepted and reach the hub, so the check can fail.
 */
export const authScenario: Scenario = {
  id: 'auth',
  title: TITLE,
  run: (context) => runAuth(context),
};

async function runAuth(context: ScenarioContext): Promise<ScenarioResult> {
  const started = Date.now();
  const samples = loadSampleEvents(paths.sampleEvents);
  let next = 0;
  const nextEvent = () => freshEvent(samples, next++, 0);
  return withStack({ inMemory: true, say: context.say }, async (stack) => {
    const failures: string[] = [];
    const statuses: (number | 'network')[] = [];
    const accepted: string[] = [];
    const notes: string[] = [];
    const post = async (authCase: AuthCase, event: TweetEvent) => {
      const answer = await send(stack, authCase, event);
      statuses.push(answer.status);
      if (answer.status === 202) accepted.push(event.id);
      return answer;
    };

    const extra = addSubscriptions(stack);
    const credentials: Credentials = {
      subscriptionKey: stack.secrets.subscription.primaryKey,
      basicAuth: stack.secrets.basicAuth,
      otherProductKey: extra.otherProductKey,
      suspendedKey: extra.suspendedKey,
    };
    // The new ingest key working proves the gateway has re-read its config; until then the key of
    // another product would get 401 for the wrong reason (unknown key).
    const probe = acceptedCase(credentials);
    const probeHeaders = { ...probe.headers, 'ocp-apim-subscription-key': extra.probeKey };
    const probeEvent = nextEvent();
    // Only the accepted attempt counts in the statuses: until the reload this key is unknown, and
    // the earlier attempts' 401s (which reach nothing) say nothing about the matrix.
    const reload = await untilAccepted(() => send(stack, { ...probe, headers: probeHeaders }, probeEvent));
    if (reload.ok) {
      accepted.push(probeEvent.id);
      statuses.push(202);
    }
    if (!reload.ok) {
      failures.push(
        `the gateway did not accept a new subscription within ${RELOAD_TIMEOUT_MS} ms of its config file being rewritten (${reload.attempts} attempts; the last answered ${reload.last ? `${reload.last.status}: ${reload.last.text.slice(0, 200)}` : 'nothing'})`,
      );
    } else {
      notes.push(
        `a new ingest subscription was accepted ${reload.ms} ms after the gateway's config file was rewritten (attempt ${reload.attempts}): the gateway had noticed the change and re-read its subscriptions and products`,
      );
    }

    const hubBefore = await hubEventCount(stack);
    const rejectedIds: string[] = [];
    for (const authCase of rejectedCases(credentials)) {
      const event = nextEvent();
      rejectedIds.push(event.id);
      const answer = await post(authCase, event);
      const problem = judgeRejection(authCase, answer);
      if (problem) failures.push(`${authCase.name}: ${problem}`);
      notes.push(`${authCase.name}: ${answer.status}`);
    }
    const hubAfterRejected = await hubEventCount(stack);
    if (hubAfterRejected !== hubBefore) {
      failures.push(`${hubAfterRejected - hubBefore} events reached the hub from rejected requests`);
    }

    const right = acceptedCase(credentials);
    const answer = await post(right, nextEvent());
    if (answer.status !== 202)
      failures.push(`${right.name}: ${answer.status} instead of 202: ${answer.text}`);
    const hubEvents = await hubEventCount(stack);
    if (hubEvents !== hubAfterRejected + 1) {
      failures.push(`the accepted request added ${hubEvents - hubAfterRejected} events to the hub, not 1`);
    }
    notes.push(`${right.name}: ${answer.status}, +${hubEvents - hubAfterRejected} on the hub`);

    await waitForStored(stack.eventsContainer(), accepted, { timeoutMs: 60_000 });
    const audit = await auditStores(stack, accepted);
    for (const id of audit.lost) failures.push(`accepted but lost: ${id}`);
    // A rejected request's event in a store shows up here as "never accepted".
    for (const id of audit.duplicated) failures.push(`stored wrongly: ${id}`);
    const leaked = rejectedIds.filter((id) => audit.duplicated.some((entry) => entry.startsWith(id)));
    if (leaked.length > 0) failures.push(`rejected requests' events in the stores: ${leaked.join(', ')}`);

    return {
      id: 'auth',
      title: TITLE,
      seed: 0,
      offered: statuses.length,
      accepted: accepted.length,
      stored: audit.stored,
      lost: audit.lost,
      duplicated: audit.duplicated,
      deadLettered: audit.deadLettered,
      statuses: countStatuses(statuses),
      hubEvents,
      recoveryMs: null,
      durationMs: Date.now() - started,
      peakRssMb: stackPeakRss(stack),
      notes,
      failures,
    };
  });
}

/** The status the case calls for; from the gateway also APIM's JSON error body and a Basic challenge. */
export function judgeRejection(authCase: AuthCase, answer: Answer): string | undefined {
  if (answer.status !== authCase.status)
    return `${answer.status} instead of ${authCase.status}: ${answer.text}`;
  if (authCase.via !== 'gateway') return undefined;
  try {
    const body = JSON.parse(answer.text) as { statusCode?: unknown; message?: unknown };
    if (body.statusCode !== authCase.status || typeof body.message !== 'string')
      return `error body is not APIM's {statusCode, message}: ${answer.text}`;
  } catch {
    return `error body is not JSON: ${answer.text}`;
  }
  // RFC 9110: a 401 carries a challenge; api-ingest.xml sets it on every error of the API.
  if (!answer.wwwAuthenticate?.startsWith('Basic ')) return `no Basic WWW-Authenticate challenge`;
  return undefined;
}

async function send(stack: RunningStack, authCase: AuthCase, event: TweetEvent): Promise<Answer> {
  const base = authCase.via === 'gateway' ? stack.urls.ingest : stack.urls.functions;
  try {
    const response = await fetch(ingestUrl(base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authCase.headers },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(30_000),
    });
    return {
      status: response.status,
      text: (await response.text()).slice(0, 300),
      wwwAuthenticate: response.headers.get('www-authenticate'),
    };
  } catch (error) {
    return { status: 'network', text: String(error), wwwAuthenticate: null };
  }
}

/** Retries `attempt` until it is accepted: how long and how many attempts that took, or undefined. */
async function untilAccepted(
  attempt: () => Promise<Answer>,
): Promise<{ ok: boolean; ms: number; attempts: number; last: Answer | undefined }> {
  const started = Date.now();
  let attempts = 0;
  let last: Answer | undefined;
  const accepted = async () => {
    attempts++;
    last = await attempt();
    return last.status === 202;
  };
  const result = await poll(accepted, { timeoutMs: RELOAD_TIMEOUT_MS, intervalMs: 100, rethrow: true });
  return { ok: result.ok, ms: Date.now() - started, attempts, last };
}
