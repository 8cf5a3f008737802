import type { Container } from '@azure/cosmos';

/**
 * Samples the number of documents in Cosmos DB once a second while a scenario runs, so the report
 * can say when the pipeline stored again after a fault ended. A failed sample (the store itself is
 * down) is skipped, not fatal.
 */
export class StoredWatch {
  readonly samples: { atMs: number; count: number }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(
    private readonly container: Container,
    private readonly began = Date.now(),
    private readonly intervalMs = 1_000,
  ) {}

  start(): this {
    this.#timer = setInterval(() => void this.#sample(), this.intervalMs);
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Documents stored between two moments (null without a sample before each). */
  storedBetween(fromMs: number, toMs: number): number | null {
    const at = (ms: number) => this.samples.filter((s) => s.atMs <= ms).at(-1)?.count;
    const from = at(fromMs);
    const to = at(toMs);
    return from === undefined || to === undefined ? null : to - from;
  }

  /** Ms from `sinceMs` until the count first exceeded what it was at `sinceMs`; null if it never did. */
  storedAgainAfter(sinceMs: number): number | null {
    return storedAgainAfter(this.samples, sinceMs);
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const { resources } = await this.container.items
        .query<number>('SELECT VALUE COUNT(1) FROM c')
        .fetchAll();
      this.samples.push({ atMs: Date.now() - this.began, count: resources[0] ?? 0 });
    } catch {
      // The store is unreachable right now: that is what some scenarios do on purpose.
    } finally {
      this.#busy = false;
    }
  }
}

/** Pure part of StoredWatch: the first sample after `sinceMs` whose count grew past the last one at or before it. */
export function storedAgainAfter(
  samples: readonly { atMs: number; count: number }[],
  sinceMs: number,
): number | null {
  const before = samples.filter((s) => s.atMs <= sinceMs).at(-1)?.count ?? 0;
  const next = samples.find((s) => s.atMs > sinceMs && s.count > before);
  return next ? next.atMs - sinceMs : null;
}
