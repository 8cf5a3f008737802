import { cell, num, table } from './markdown';
import type { SmokeResult } from './smoke';

/**
 * The producer's `--json` report (producer/src/replay/report.ts), as far as the summaries read it.
 * Declared here structurally, every field optional, so a report from an older or newer producer
 * still renders what it has and the workflow scripts do not depend on the producer's build.
 */
export interface ProducerReport {
  readonly ok?: boolean;
  readonly exitCode?: number;
  readonly url?: string;
  readonly interrupted?: boolean;
  readonly stoppedEarly?: string;
  readonly durationMs?: number;
  readonly settings?: {
    readonly rate?: number | null;
    readonly batchSize?: number;
    readonly concurrency?: number;
  };
  readonly events?: Partial<Record<'read' | 'sent' | 'accepted' | 'rejected' | 'failed' | 'notSent', number>>;
  readonly requests?: {
    readonly total?: number;
    readonly byStatus?: Readonly<Record<string, number>>;
    readonly retries?: number;
  };
  readonly throughput?: {
    readonly eventsPerSecond?: number;
    readonly requestsPerSecond?: number;
    readonly megabytesPerSecond?: number;
  };
  readonly latencyMs?: LatencySummary;
  readonly serviceTimeMs?: LatencySummary;
  readonly rejected?: readonly {
    readonly id?: string | null;
    readonly source?: string;
    readonly status?: number;
    readonly errors?: readonly { readonly path?: string; readonly message?: string }[];
  }[];
  readonly failed?: readonly {
    readonly id?: string | null;
    readonly status?: number | string;
    readonly reason?: string;
  }[];
}

export interface LatencySummary {
  readonly count?: number;
  readonly p50?: number;
  readonly p90?: number;
  readonly p99?: number;
  readonly max?: number;
  readonly mean?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const LIST_LIMIT = 20;

/** Markdown for the producer's report: counts, rate, latency percentiles, rejections and failures. */
export function renderProducerReport(report: unknown, title = 'Producer report'): string {
  if (!isRecord(report)) return `### ${title}\n\nThe producer printed no JSON report.\n`;
  const r = report as ProducerReport;
  const lines = [`### ${title}`, ''];
  if (r.stoppedEarly) lines.push(`> [!WARNING]\n> Stopped early: ${cell(r.stoppedEarly)}`, '');
  if (r.interrupted) lines.push('> [!WARNING]\n> Interrupted before the input ended.', '');
  const events = r.events ?? {};
  const counts = (['read', 'sent', 'accepted', 'rejected', 'failed', 'notSent'] as const).filter(
    (k) => typeof events[k] === 'number',
  );
  if (counts.length)
    lines.push(
      table(
        counts.map((k) => (k === 'notSent' ? 'not sent' : k)),
        [counts.map((k) => num(events[k]))],
      ),
      '',
    );
  const facts: string[] = [];
  if (typeof r.durationMs === 'number') facts.push(`duration ${num(r.durationMs / 1000)} s`);
  if (typeof r.settings?.rate === 'number') facts.push(`target ${num(r.settings.rate)} events/s`);
  if (typeof r.throughput?.eventsPerSecond === 'number')
    facts.push(`achieved ${num(r.throughput.eventsPerSecond)} events/s`);
  if (typeof r.requests?.total === 'number') facts.push(`${num(r.requests.total)} requests`);
  if (typeof r.requests?.retries === 'number') facts.push(`${num(r.requests.retries)} retries`);
  if (facts.length) lines.push(facts.join(' · '), '');
  const byStatus = r.requests?.byStatus;
  if (isRecord(byStatus) && Object.keys(byStatus).length) {
    const entries = Object.entries(byStatus).sort(([a], [b]) => a.localeCompare(b));
    lines.push(
      '**Responses by status**',
      '',
      table(
        entries.map(([k]) => k),
        [entries.map(([, v]) => num(v))],
      ),
      '',
    );
  }
  const latencyRows = (
    [
      ['end to end (corrected)', r.latencyMs],
      ['service time', r.serviceTimeMs],
    ] as const
  ).filter(([, l]) => isRecord(l));
  if (latencyRows.length) {
    lines.push(
      '**Latency (ms)**',
      '',
      table(
        ['', 'p50', 'p90', 'p99', 'max', 'mean'],
        latencyRows.map(([name, l]) => [
          name,
          num(l?.p50, 1),
          num(l?.p90, 1),
          num(l?.p99, 1),
          num(l?.max, 1),
          num(l?.mean, 1),
        ]),
      ),
      '',
    );
  }
  const rejected: NonNullable<ProducerReport['rejected']> = Array.isArray(r.rejected) ? r.rejected : [];
  if (rejected.length) {
    lines.push(
      `**Rejected (${rejected.length})**`,
      '',
      table(
        ['id', 'by', 'errors'],
        rejected
          .slice(0, LIST_LIMIT)
          .map((x) => [
            x.id ?? '(no id)',
            x.source ?? '',
            (x.errors ?? []).map((e) => [e.path, e.message].filter(Boolean).join(' ')).join('; '),
          ]),
      ),
    );
    if (rejected.length > LIST_LIMIT)
      lines.push('', `…and ${rejected.length - LIST_LIMIT} more (see the report artifact).`);
    lines.push('');
  }
  const failed: NonNullable<ProducerReport['failed']> = Array.isArray(r.failed) ? r.failed : [];
  if (failed.length) {
    lines.push(
      `**Not delivered (${failed.length})**`,
      '',
      table(
        ['id', 'status', 'reason'],
        failed.slice(0, LIST_LIMIT).map((x) => [x.id ?? '(no id)', x.status ?? '', x.reason ?? '']),
      ),
    );
    if (failed.length > LIST_LIMIT)
      lines.push('', `…and ${failed.length - LIST_LIMIT} more (see the report artifact).`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Markdown for a smoke test: the verdict first, then what was missing, then the producer's report. */
export function renderSmoke(result: SmokeResult, target: string): string {
  const lines = [
    `## Smoke test ${result.ok ? 'passed ✅' : 'failed ❌'}`,
    '',
    `Target: \`${cell(target)}\``,
    '',
    cell(result.message),
    '',
    table(
      ['events', 'stored', 'missing', 'arrival'],
      [
        [
          result.ids.length,
          result.arrived.length,
          result.missing.length,
          result.arrivalMs === undefined ? '–' : `${num(result.arrivalMs / 1000)} s`,
        ],
      ],
    ),
  ];
  if (result.missing.length) {
    lines.push(
      '',
      `Missing ids: ${result.missing
        .slice(0, 20)
        .map((id) => `\`${cell(id)}\``)
        .join(', ')}${result.missing.length > 20 ? ', …' : ''}`,
    );
  }
  if (result.deadLetters)
    lines.push('', `Dead letters: ${result.deadLetters.before} before, ${result.deadLetters.after} after.`);
  if (result.producer) lines.push('', renderProducerReport(result.producer.report, 'Producer report'));
  return `${lines.join('\n').trimEnd()}\n`;
}
