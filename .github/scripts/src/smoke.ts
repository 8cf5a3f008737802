import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { poll } from '@pipeline/emulators';
import { type ApiCredentials, type ProducerRunner, runProducer } from './producer';
import { fetchStats, MAX_LATEST, StatsError, type StatsEndpoint, type StatsSnapshot } from './stats-client';

export interface SmokeOptions {
  /** The ingest API base; the producer posts to `<apiUrl>/events`. */
  readonly apiUrl: string;
  readonly stats: StatsEndpoint;
  /** NDJSON of contract-valid events; the first `count` are sent. */
  readonly input: string;
  readonly count: number;
  readonly rate: number;
  readonly credentials: ApiCredentials;
  /** The producer CLI. */
  readonly producerCli: string;
  /** How long to wait for every event to appear in the stats, after the producer finished. */
  readonly arrivalTimeoutMs: number;
  readonly pollIntervalMs: number;
  /** How long the stats endpoint may stay unreachable before the test starts (a cold app). */
  readonly warmupTimeoutMs: number;
  /** Progress lines (stderr in the CLI). */
  readonly log?: (line: string) => void;
}

export type SmokeFailure = 'stats-unreachable' | 'producer-failed' | 'not-arrived';

export interface SmokeResult {
  readonly ok: boolean;
  readonly failure?: SmokeFailure;
  readonly message: string;
  readonly ids: readonly string[];
  readonly arrived: readonly string[];
  readonly missing: readonly string[];
  /** The server's clock when the test started; an event counts only if stored at or after it. */
  readonly since?: string;
  readonly producer?: {
    readonly exitCode: number | null;
    readonly timedOut: boolean;
    readonly report: unknown;
    readonly stderrTail: string;
  };
  /** Milliseconds from the producer's exit to the last event appearing. */
  readonly arrivalMs?: number;
  readonly deadLetters?: { readonly before: number; readonly after: number };
}

/**
 * The end-to-end proof used after a deploy and against the local stack: send a few events through
 * the public API with the producer, then watch the stats endpoint until every one of them is stored
 * (by id, stored after the test began: a replay of the same events re-stores them with a new
 * `storedAt`, so the test is repeatable against the same deterministic sample).
 */
export async function runSmoke(
  options: SmokeOptions,
  producer: ProducerRunner = runProducer,
): Promise<SmokeResult> {
  const log = options.log ?? (() => undefined);
  if (!Number.isInteger(options.count) || options.count < 1 || options.count > MAX_LATEST) {
    throw new Error(
      `count must be an integer from 1 to ${MAX_LATEST} (the stats endpoint lists at most ${MAX_LATEST} recent documents)`,
    );
  }
  const events = await readFirstEvents(options.input, options.count);
  const ids = events.map((e) => e.id);

  log(`smoke: waiting for ${options.stats.url} to answer`);
  const before = await poll(() => fetchStats(options.stats), {
    timeoutMs: options.warmupTimeoutMs,
    intervalMs: options.pollIntervalMs,
    // Wrong credentials or a bad URL do not heal by waiting; a cold or still-deploying app does.
    isPermanent: (error) =>
      error instanceof StatsError && error.status !== undefined && [400, 401, 403].includes(error.status),
  });
  if (!before.ok) {
    return {
      ok: false,
      failure: 'stats-unreachable',
      message: `the stats endpoint did not answer within ${options.warmupTimeoutMs / 1000} s: ${messageOf(before.lastError)}`,
      ids,
      arrived: [],
      missing: ids,
    };
  }
  const since = before.value.generatedAt;

  const dir = await mkdtemp(join(tmpdir(), 'smoke-'));
  try {
    const slice = join(dir, 'smoke.ndjson');
    await writeFile(slice, events.map((e) => e.line).join('\n') + '\n');
    log(`smoke: sending ${ids.length} event(s) to ${options.apiUrl} at ${options.rate}/s`);
    const outcome = await producer({
      cli: options.producerCli,
      input: slice,
      url: options.apiUrl,
      rate: options.rate,
      count: ids.length,
      credentials: options.credentials,
      timeoutMs: Math.max(60_000, (ids.length / options.rate) * 1000 * 10),
    });
    const producerSummary = {
      exitCode: outcome.exitCode,
      timedOut: outcome.timedOut,
      report: outcome.report,
      stderrTail: outcome.stderrTail,
    };
    if (outcome.exitCode !== 0) {
      return {
        ok: false,
        failure: 'producer-failed',
        message: outcome.timedOut
          ? 'the producer did not finish in time'
          : `the producer exited with ${outcome.exitCode ?? outcome.signal}: not every event was accepted` +
            (outcome.stderrTail ? `\n${outcome.stderrTail}` : ''),
        ids,
        arrived: [],
        missing: ids,
        since,
        producer: producerSummary,
      };
    }

    log(
      `smoke: producer done; waiting up to ${options.arrivalTimeoutMs / 1000} s for the events to be stored`,
    );
    const sent = Date.now();
    const wanted = new Set(ids);
    const arrived = new Set<string>();
    let last: StatsSnapshot = before.value;
    let lastError: string | undefined;
    const allStored = async () => {
      try {
        last = await fetchStats(options.stats);
        lastError = undefined;
        for (const doc of last.latest) {
          if (wanted.has(doc.id) && Date.parse(doc.storedAt) >= Date.parse(since)) arrived.add(doc.id);
        }
        log(`smoke: ${arrived.size}/${wanted.size} stored`);
      } catch (error) {
        lastError = messageOf(error);
        log(`smoke: stats failed (${lastError}); retrying`);
      }
      return arrived.size === wanted.size;
    };
    await poll(allStored, {
      timeoutMs: Math.max(0, sent + options.arrivalTimeoutMs - Date.now()),
      intervalMs: options.pollIntervalMs,
    });
    const missing = ids.filter((id) => !arrived.has(id));
    const deadLetters =
      before.value.deadLetters && last.deadLetters
        ? { before: before.value.deadLetters.count, after: last.deadLetters.count }
        : undefined;
    const ok = missing.length === 0;
    const deadLetterNote =
      deadLetters && deadLetters.after > deadLetters.before
        ? ` Dead letters rose from ${deadLetters.before} to ${deadLetters.after}: check the dead-letter container.`
        : '';
    return {
      ok,
      ...(ok ? {} : { failure: 'not-arrived' as const }),
      message: ok
        ? `all ${ids.length} event(s) were accepted and stored`
        : `${missing.length} of ${ids.length} event(s) were accepted but not stored within ${options.arrivalTimeoutMs / 1000} s.` +
          deadLetterNote +
          (lastError ? ` Last stats error: ${lastError}` : ''),
      ids,
      arrived: ids.filter((id) => arrived.has(id)),
      missing,
      since,
      producer: producerSummary,
      ...(ok ? { arrivalMs: Date.now() - sent } : {}),
      ...(deadLetters ? { deadLetters } : {}),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The first `count` events of an NDJSON file (blank lines skipped), each with its original line. */
export async function readFirstEvents(path: string, count: number): Promise<{ id: string; line: string }[]> {
  const events: { id: string; line: string }[] = [];
  const seen = new Set<string>();
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber++;
      const line = raw.trim();
      if (!line) continue;
      let id: unknown;
      try {
        id = (JSON.parse(line) as { id?: unknown }).id;
      } catch {
        throw new Error(`${path}:${lineNumber}: not JSON`);
      }
      if (typeof id !== 'string' || !id) throw new Error(`${path}:${lineNumber}: the event has no string id`);
      if (seen.has(id)) continue; // a duplicate row is one event: the pipeline stores it once
      seen.add(id);
      events.push({ id, line });
      if (events.length === count) break;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  if (events.length === 0) throw new Error(`${path} holds no events`);
  return events;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
