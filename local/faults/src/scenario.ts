/** What one fault or fuzz scenario proved, in the figures docs/reliability.md reports. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  /** The seed of every random choice the scenario made (kill moments, generated requests). */
  readonly seed: number;
  /** Events offered to the public API (for the fuzz scenario: requests sent). */
  readonly offered: number;
  /** Events the API accepted (202). */
  readonly accepted: number;
  /** Accepted events readable in Cosmos DB at the end. */
  readonly stored: number;
  /** Accepted ids missing from Cosmos DB or from the raw-event archive. */
  readonly lost: readonly string[];
  /** Ids stored more than once, or stored without having been accepted. */
  readonly duplicated: readonly string[];
  readonly deadLettered: number;
  /** Responses by status ("202", "429", "503", "network" for a lost connection). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Events on the hub at the end (redeliveries and retried sends included). */
  readonly hubEvents: number | null;
  /** From the fault's end until the pipeline stored again (or the API answered again). */
  readonly recoveryMs: number | null;
  readonly durationMs: number;
  /** Peak RSS of each of the stack's processes, MB. */
  readonly peakRssMb: Readonly<Record<string, number>>;
  /** Scenario-specific facts worth a line in the report. */
  readonly notes: readonly string[];
  /** Broken promises, each naming what went wrong; empty when the scenario passed. */
  readonly failures: readonly string[];
  /** When and at which commit it ran (set by `npm run faults`, which may re-run only some scenarios). */
  readonly measuredAt?: string;
  readonly commit?: string;
}

export interface ScenarioContext {
  /** Progress lines (stderr in the CLI, nothing in tests unless debugging). */
  readonly say: (line: string) => void;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

/** Counts statuses of the producer's responses (or a fuzzer's) into the report's shape. */
export function countStatuses(statuses: Iterable<number | 'network'>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const status of statuses) counts[String(status)] = (counts[String(status)] ?? 0) + 1;
  return counts;
}
