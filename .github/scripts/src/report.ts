import { cell, num, table } from './markdown';
import type { SmokeResult } from './smoke';

/**
 * The producer's `--json` report, as far as the summaries read it. Every field is optional so a
 * report from an older or newer producer still renders what it has.
 */
export interface ProducerReport {
  readonly sent?: number;
  readonly accepted?: number;
  readonly rejected?: number;
  readonly failed?: number;
  readonly retries?: number;
  readonly durationMs?: number;
  readonly rate?: { readonly target?: number; readonly achieved?: number } | number;
  readonly statuses?: Readonly<Record<string, number>>;
  readonly latencyMs?: Readonly<Record<string, number | null>>;
  readonly rejectedIds?: readonly RejectedId[];
}

export interface RejectedId {
  readonly id?: string;
  readonly reason?: string;
  readonly path?: string;
  readonly message?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Markdown for the producer's report: counts, rate, latency percentiles and rejections. */
export function renderProducerReport(report: unknown, title = 'Producer report'): string {
  if (!isRecord(report)) return `### ${title}\n\nThe producer printed no JSON report.\n`;
  const r = report as ProducerReport;
  const lines = [`### ${title}`, ''];
  const counts: [string, unknown][] = [
    ['sent', r.sent],
    ['accepted', r.accepted],
    ['rejected', r.rejected],
    ['failed', r.failed],
    ['retries', r.retries],
  ];
  const present = counts.filter(([, v]) => typeof v === 'number');
  if (present.length)
    lines.push(
      table(
        present.map(([k]) => k),
        [present.map(([, v]) => num(v as number))],
      ),
      '',
    );
  const rate = typeof r.rate === 'number' ? { achieved: r.rate } : r.rate;
  const facts: string[] = [];
  if (typeof r.durationMs === 'number') facts.push(`duration ${num(r.durationMs / 1000)} s`);
  if (rate?.target !== undefined) facts.push(`target ${num(rate.target)} events/s`);
  if (rate?.achieved !== undefined) facts.push(`achieved ${num(rate.achieved)} events/s`);
  if (facts.length) lines.push(facts.join(' · '), '');
  if (isRecord(r.statuses) && Object.keys(r.statuses).length) {
    const entries = Object.entries(r.statuses).sort(([a], [b]) => a.localeCompare(b));
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
  if (isRecord(r.latencyMs)) {
    const order = ['min', 'p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'];
    const entries = Object.entries(r.latencyMs)
      .filter(([, v]) => typeof v === 'number' || v === null)
      .sort(([a], [b]) => ((order.indexOf(a) + 100) % 100) - ((order.indexOf(b) + 100) % 100));
    if (entries.length)
      lines.push(
        '**Latency (ms)**',
        '',
        table(
          entries.map(([k]) => k),
          [entries.map(([, v]) => num(v))],
        ),
        '',
      );
  }
  const rejectedIds: readonly RejectedId[] = Array.isArray(r.rejectedIds) ? r.rejectedIds : [];
  if (rejectedIds.length) {
    const shown = rejectedIds.slice(0, 20);
    lines.push(
      `**Rejected (${rejectedIds.length})**`,
      '',
      table(
        ['id', 'reason'],
        shown.map((x) => [x.id ?? '', x.reason ?? [x.path, x.message].filter(Boolean).join(': ')]),
      ),
    );
    if (rejectedIds.length > shown.length) lines.push('', `…and ${rejectedIds.length - shown.length} more.`);
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
