import type { Container } from '@azure/cosmos';

/** An event followed from acceptance to storage. Times are ms from the scenario's start. */
export interface Probe {
  readonly id: string;
  readonly acceptedMs: number;
  storedMs: number | null;
}

/** Whether a document is readable by id (partition key /id); a failed read (store down) counts as no. */
export function isStored(container: Container, id: string): Promise<boolean> {
  return container
    .item(id, id)
    .read()
    .then((r) => r.statusCode === 200)
    .catch(() => false);
}

/**
 * Follows probe events until each is readable in Cosmos DB, with point reads four times a second.
 * Point reads, not queries: the emulator answers a read by id at once, but scans every document for
 * any query (a COUNT over 15,000 documents took 6 s and, repeated, starved the consumer's writes).
 * A failed read (the store is down on purpose) counts as not stored yet.
 */
export class ProbeWatch {
  readonly #pending = new Set<Probe>();
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;

  constructor(
    private readonly container: Container,
    private readonly elapsed: () => number,
  ) {}

  follow(id: string): Probe {
    const probe: Probe = { id, acceptedMs: this.elapsed(), storedMs: null };
    this.#pending.add(probe);
    this.#timer ??= setInterval(() => {
      if (!this.#current) void this.check();
    }, 250);
    return probe;
  }

  /** Reads every pending probe once (after a pass already under way, so a final check misses nothing). */
  async check(): Promise<void> {
    while (this.#current) await this.#current;
    this.#current = this.#readPending().finally(() => (this.#current = undefined));
    await this.#current;
  }

  async #readPending(): Promise<void> {
    for (const probe of [...this.#pending]) {
      if (await isStored(this.container, probe.id)) {
        probe.storedMs = this.elapsed();
        this.#pending.delete(probe);
      }
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
