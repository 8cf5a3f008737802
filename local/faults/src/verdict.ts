import type { RunningStack } from '@pipeline/stack';
import { auditUntilComplete, hubEventCount } from './audit';
import { stackPeakRss } from './fault-stack';
import type { FaultyReplay } from './replay-under-faults';
import type { ScenarioResult } from './scenario';

/** Shows the first few of a long list, and how many there are. */
export function excerpt(items: readonly string[], max = 10): string {
  return items.length <= max
    ? items.join(', ')
    : `${items.slice(0, max).join(', ')} … (${items.length} in all)`;
}

export interface VerdictInput {
  readonly id: string;
  readonly title: string;
  readonly seed: number;
  readonly offered: number;
  readonly began: number;
  readonly run: FaultyReplay;
  /** Statuses the API may answer during this fault (anything else is a failure). */
  readonly allowedStatuses: ReadonlySet<string>;
  /** Events offered and ids accepted outside the producer's replay (e.g. by a flood of raw requests). */
  readonly alsoOffered?: number;
  readonly alsoAccepted?: readonly string[];
  readonly extraStatuses?: Readonly<Record<string, number>>;
  readonly notes?: readonly string[];
  readonly failures?: readonly string[];
}

/**
 * Audits the stores after a faulty replay and turns the promises every scenario makes into failures:
 * every offered event accepted and stored once with its raw blob, nothing dead-lettered, no status
 * outside the scenario's allowed set.
 */
export async function verdict(stack: RunningStack, input: VerdictInput): Promise<ScenarioResult> {
  const { report } = input.run;
  const accepted = [...report.acceptedIds, ...(input.alsoAccepted ?? [])];
  const audit = await auditUntilComplete(stack, accepted, 60_000);
  const statuses: Record<string, number> = { ...report.requests.byStatus };
  for (const [status, n] of Object.entries(input.extraStatuses ?? {}))
    statuses[status] = (statuses[status] ?? 0) + n;
  const failures = [...(input.failures ?? [])];
  if (report.events.accepted !== input.offered)
    failures.push(
      `the producer delivered ${report.events.accepted} of ${input.offered} events (${report.events.failed} failed, ${report.events.rejected} rejected)`,
    );
  for (const failed of report.failed.slice(0, 3))
    failures.push(`failed: ${JSON.stringify(failed).slice(0, 300)}`);
  if (audit.lost.length > 0) failures.push(`lost: ${excerpt(audit.lost)}`);
  if (audit.duplicated.length > 0) failures.push(`duplicated: ${excerpt(audit.duplicated)}`);
  if (audit.deadLettered > 0) failures.push(`${audit.deadLettered} dead letters (every event was valid)`);
  const unexpected = Object.keys(statuses).filter((s) => !input.allowedStatuses.has(s));
  if (unexpected.length > 0)
    failures.push(`unexpected statuses: ${unexpected.map((s) => `${s} × ${statuses[s]}`).join(', ')}`);

  const recoveries = input.run.faults.map((f) => f.consumerResumedMs);
  for (const f of input.run.faults)
    if (f.consumerResumedMs === null) failures.push(`the consumer stored nothing after "${f.name}" ended`);
  return {
    id: input.id,
    title: input.title,
    seed: input.seed,
    offered: input.offered + (input.alsoOffered ?? 0),
    accepted: accepted.length,
    stored: audit.stored,
    lost: audit.lost,
    duplicated: audit.duplicated,
    deadLettered: audit.deadLettered,
    statuses,
    hubEvents: await hubEventCount(stack),
    recoveryMs: recoveries.some((r) => r === null) ? null : Math.max(0, ...(recoveries as number[])),
    durationMs: Date.now() - input.began,
    peakRssMb: stackPeakRss(stack),
    notes: [
      ...input.run.faults.map(
        (f) =>
          `${f.name} at ${f.atAccepted} accepted: ${((f.endedMs - f.startedMs) / 1000).toFixed(1)} s down; API accepting again after ${seconds(f.acceptedAgainMs)}, consumer storing again after ${seconds(f.consumerResumedMs)}; the first event accepted after it began was stored ${f.probeStoredAfterEndMs === null ? 'never' : f.probeStoredAfterEndMs >= 0 ? `${seconds(f.probeStoredAfterEndMs)} after the fault ended` : `${seconds(-f.probeStoredAfterEndMs)} before the fault ended`}`,
      ),
      `after the replay ended, the consumer caught up in ${(input.run.catchUpMs / 1000).toFixed(1)} s; ${report.requests.retries} request retries`,
      ...(input.notes ?? []),
    ],
    failures,
  };
}

function seconds(ms: number | null): string {
  return ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`;
}
