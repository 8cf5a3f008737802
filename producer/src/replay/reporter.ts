import { SingleBar, Presets } from 'cli-progress';
import type { ReplayEngine, ReplayProgress } from './engine';
import type { ReplayReport } from './report';

export interface ReporterOptions {
  readonly stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Draw a bar (default: when the stream is a TTY); otherwise a line every `intervalMs`. */
  readonly tty?: boolean;
  readonly intervalMs?: number;
}

/**
 * Draws a replay's progress on stderr: a progress bar on a terminal, a plain line every few seconds
 * otherwise (CI logs), so stdout stays free for the `--json` report. Returns a detach function.
 */
export function attachReporter(engine: ReplayEngine, options: ReporterOptions = {}): () => void {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? (stream as NodeJS.WriteStream).isTTY === true;
  const intervalMs = options.intervalMs ?? 5000;
  let bar: SingleBar | undefined;
  let lastLine = 0;
  let lastAccepted = 0;
  let lastAt = 0;
  let rate = 0;

  const onProgress = (p: ReplayProgress) => {
    if (p.elapsedMs - lastAt >= 1000) {
      rate = ((p.accepted - lastAccepted) * 1000) / (p.elapsedMs - lastAt);
      lastAccepted = p.accepted;
      lastAt = p.elapsedMs;
    }
    const fields = {
      accepted: p.accepted,
      rejected: p.rejected,
      failed: p.failed,
      retries: p.retries,
      speed: Math.round(rate),
    };
    if (tty) {
      if (!bar) {
        bar = new SingleBar(
          {
            stream: stream,
            format: p.total
              ? 'replay [{bar}] {value}/{total} sent | {accepted} accepted, {rejected} rejected, {failed} failed | {speed} ev/s | {retries} retries'
              : 'replay {value} sent | {accepted} accepted, {rejected} rejected, {failed} failed | {speed} ev/s | {retries} retries',
            hideCursor: true,
          },
          Presets.shades_classic,
        );
        bar.start(p.total ?? 0, p.sent, fields);
      }
      bar.update(p.sent, fields);
    } else if (p.elapsedMs - lastLine >= intervalMs) {
      lastLine = p.elapsedMs;
      stream.write(
        `replay: ${(p.elapsedMs / 1000).toFixed(0)} s, ${p.sent}${p.total ? `/${p.total}` : ''} sent, ${p.accepted} accepted, ` +
          `${p.rejected} rejected, ${p.failed} failed, ${p.retries} retries, ${Math.round(rate)} events/s\n`,
      );
    }
  };
  const onDone = () => bar?.stop();
  engine.on('progress', onProgress);
  engine.on('done', onDone);
  return () => {
    engine.off('progress', onProgress);
    engine.off('done', onDone);
    bar?.stop();
  };
}

/** The human summary printed on stderr at the end of a replay. */
export function formatReplaySummary(report: ReplayReport): string {
  const e = report.events;
  const lines = [
    `replay ${report.dryRun ? '(dry run) ' : ''}to ${report.url}: ${e.accepted} accepted, ${e.rejected} rejected, ${e.failed} failed, ${e.notSent} not sent of ${e.read} read in ${(report.durationMs / 1000).toFixed(1)} s`,
    `  ${report.throughput.eventsPerSecond} events/s, ${report.requests.total} requests (${
      Object.entries(report.requests.byStatus)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ') || 'none'
    }), ${report.requests.retries} retries`,
    `  latency ms p50 ${report.latencyMs.p50}, p90 ${report.latencyMs.p90}, p99 ${report.latencyMs.p99}, max ${report.latencyMs.max}`,
  ];
  if (report.stoppedEarly && !report.interrupted) lines.push(`  stopped early: ${report.stoppedEarly}`);
  if (report.interrupted) lines.push('  interrupted: the counts above are what was sent before the stop');
  for (const r of report.rejected.slice(0, 10)) {
    lines.push(
      `  rejected ${r.id ?? `#${r.position}`}${r.line ? ` (line ${r.line})` : ''} [${r.source}]: ${r.errors.map((x) => `${x.path} ${x.message}`).join('; ')}`,
    );
  }
  if (report.rejected.length > 10)
    lines.push(`  ... and ${report.rejected.length - 10} more rejected (see --json)`);
  for (const f of report.failed.slice(0, 5)) lines.push(`  failed ${f.id ?? `#${f.position}`}: ${f.reason}`);
  if (report.failed.length > 5) lines.push(`  ... and ${report.failed.length - 5} more failed (see --json)`);
  return lines.join('\n') + '\n';
}
