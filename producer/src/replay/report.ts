import { build, type Histogram } from 'hdr-histogram-js';
import type { ValidationIssue } from '@pipeline/schemas';
import { ExitCode } from '../errors';

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** An event the contract refused: found by the pre-flight check, or named by the server's 400. */
export interface RejectedEvent {
  readonly id: string | null;
  readonly position: number;
  readonly line?: number | undefined;
  readonly source: 'preflight' | 'server';
  readonly status?: number | undefined;
  readonly errors: readonly ValidationIssue[];
}

/** An event that could not be delivered: retries exhausted, a refused credential, quota, interruption. */
export interface FailedEvent {
  readonly id: string | null;
  readonly position: number;
  readonly line?: number | undefined;
  /** The last HTTP status, or `network` when no response came. */
  readonly status: number | 'network' | 'interrupted';
  readonly reason: string;
}

export interface ReplayReport {
  readonly ok: boolean;
  readonly exitCode: ExitCode;
  /** The endpoint, with query values masked. */
  readonly url: string;
  readonly dryRun: boolean;
  readonly interrupted: boolean;
  /** Why the run stopped before its input ended (a refused credential, for example). */
  readonly stoppedEarly?: string | undefined;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly settings: {
    readonly rate: number | null;
    readonly batchSize: number;
    readonly maxRequestBytes: number;
    readonly concurrency: number;
    readonly preflight: boolean;
    readonly count: number | null;
    readonly durationMs: number | null;
    readonly loop: boolean;
    readonly maxRetries: number;
  };
  readonly events: {
    /** Taken from the input. */
    readonly read: number;
    /** Posted at least once. */
    readonly sent: number;
    readonly accepted: number;
    readonly rejected: number;
    readonly failed: number;
    /** Read but never posted (the run was stopped). */
    readonly notSent: number;
  };
  readonly requests: {
    readonly total: number;
    /** Responses by HTTP status, plus `network` for requests that got none. */
    readonly byStatus: Record<string, number>;
    readonly retries: number;
    /** Requests that resent the valid rest of a batch after a 400 named its invalid events. */
    readonly resent: number;
    /** Batches split in two to find the culprit of a 400 without indexes, or of a 413. */
    readonly splits: number;
    readonly bytesSent: number;
  };
  readonly throughput: {
    readonly eventsPerSecond: number;
    readonly requestsPerSecond: number;
    readonly megabytesPerSecond: number;
  };
  /** From each batch's scheduled send time to its final answer: corrected for coordinated omission. */
  readonly latencyMs: LatencySummary;
  /** From each HTTP request's actual send to its response. */
  readonly serviceTimeMs: LatencySummary;
  readonly acceptedIds: readonly string[];
  readonly rejected: readonly RejectedEvent[];
  readonly failed: readonly FailedEvent[];
}

/** A latency histogram in microseconds (3 significant digits), summarized in milliseconds. */
export class LatencyHistogram {
  readonly #histogram: Histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  recordMs(ms: number): void {
    this.#histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  summary(): LatencySummary {
    const h = this.#histogram;
    const ms = (us: number) => Math.round(us) / 1000;
    if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
    return {
      count: h.totalCount,
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      max: ms(h.maxValue),
      mean: ms(h.mean),
    };
  }
}

/** The exit code of a replay: interrupted, then undelivered, then rejected, else success. */
export function replayExitCode(report: Pick<ReplayReport, 'interrupted' | 'events'>): ExitCode {
  if (report.interrupted) return ExitCode.Interrupted;
  if (report.events.failed > 0 || report.events.notSent > 0) return ExitCode.Undelivered;
  if (report.events.rejected > 0) return ExitCode.Rejected;
  // A dry run accepts nothing; it succeeds when every event would have been sent.
  return ExitCode.Ok;
}
