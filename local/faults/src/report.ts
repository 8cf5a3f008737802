import { replaceMarkedSection, type Machine } from '@pipeline/stack';
import type { ScenarioResult } from './scenario';

/** One run of the suite (or of some of its scenarios) on one machine, as docs/benchmarks/reliability.json holds it. */
export interface ReliabilityRun {
  readonly machine: Machine;
  readonly commit: string;
  readonly command: string;
  readonly date: string;
  readonly scenarios: readonly ScenarioResult[];
}

export const BEGIN = '<!-- reliability:begin -->';
export const END = '<!-- reliability:end -->';

/** Scenarios of `fresh` replace those with the same id in `previous`; the order follows `order`. */
export function mergeResults(
  previous: readonly ScenarioResult[],
  fresh: readonly ScenarioResult[],
  order: readonly string[],
): ScenarioResult[] {
  const byId = new Map(previous.map((r) => [r.id, r]));
  for (const result of fresh) byId.set(result.id, result);
  const rank = (id: string) => (order.includes(id) ? order.indexOf(id) : order.length);
  return [...byId.values()].sort((a, b) => rank(a.id) - rank(b.id));
}

function statuses(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
}

const secondsOf = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

/** The measured section of docs/reliability.md. */
export function renderSection(run: ReliabilityRun): string {
  const rows = run.scenarios.map(
    (r) =>
      `| ${r.title} | ${r.offered} | ${r.accepted} | ${r.stored} | ${r.lost.length} | ${r.duplicated.length} | ${r.deadLettered} | ${statuses(r.statuses)} | ${r.hubEvents ?? '—'} | ${secondsOf(r.recoveryMs)} | ${secondsOf(r.durationMs)} | ${r.failures.length === 0 ? 'passed' : `**failed** (${r.failures.length})`} |`,
  );
  const details = run.scenarios.flatMap((r) => [
    `### ${r.title}`,
    '',
    `Scenario \`${r.id}\`, seed ${r.seed}${r.measuredAt ? `, run ${r.measuredAt.slice(0, 16).replace('T', ' ')} UTC at commit \`${r.commit ?? '?'}\`` : ''}. Peak RSS (MB): ${Object.entries(
      r.peakRssMb,
    )
      .map(([name, mb]) => `${name} ${mb}`)
      .join(', ')}.`,
    '',
    ...r.notes.map((note) => `- ${note}`),
    ...r.failures.map((failure) => `- **failure:** ${failure}`),
    '',
  ]);
  return [
    BEGIN,
    `Last run: ${run.date.slice(0, 16).replace('T', ' ')} UTC, commit \`${run.commit}\`, ${run.machine.cores} cores (${run.machine.cpuModel}), ${run.machine.memoryGiB} GiB, Node ${run.machine.node} (load average ${run.machine.load.split(' ').slice(0, 3).join(' ')}). Command: \`${run.command}\`.`,
    '',
    '| scenario | offered | accepted | stored | lost | duplicated | dead-lettered | responses | hub events | recovery | duration | result |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    'Offered and accepted count events (for the fuzz scenario, requests). Recovery: from the end of the fault until the consumer checkpointed a stored batch again (the longest over a scenario\'s faults; the details also give when the API accepted again and when the first event accepted after the fault began was readable, which includes the consumer\'s backlog). Hub events exceed accepted events when a send was retried after a timeout or a batch was redelivered after a kill: the idempotent writes absorb them, which the "duplicated" column proves.',
    '',
    ...details,
    END,
  ].join('\n');
}

/** Puts `section` between the markers of `document`, or appends it. */
export function replaceSection(document: string, section: string): string {
  return replaceMarkedSection(document, section, BEGIN, END);
}
