/**
 * The image hashes this process has already stored, so an image shared by many events is PUT once per
 * process instead of once per request. Safe because an image blob is named by the SHA-256 of its bytes
 * and never rewritten: once stored, the name can only ever hold those bytes.
 *
 * The one way the cache could lie is a blob deleted behind it (nothing in the pipeline deletes images,
 * and no lifecycle rule covers the images container, but an operator could). Entries therefore expire
 * after `ttlMs`: after a deletion, at most that long passes before the next event with that image
 * stores it again. Bounded by `capacity` (oldest first out), so memory stays flat under any data set.
 */
export class StoredImages {
  readonly #storedAt = new Map<string, number>();

  constructor(
    private readonly capacity = 20_000,
    private readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  has(sha256: string): boolean {
    const at = this.#storedAt.get(sha256);
    if (at === undefined) return false;
    if (this.now() - at < this.ttlMs) return true;
    this.#storedAt.delete(sha256);
    return false;
  }

  /** Record only after the store confirmed the blob (written, or already there). */
  add(sha256: string): void {
    this.#storedAt.delete(sha256); // re-inserted last: the Map's order is the eviction order
    this.#storedAt.set(sha256, this.now());
    while (this.#storedAt.size > this.capacity) {
      const oldest = this.#storedAt.keys().next().value as string;
      this.#storedAt.delete(oldest);
    }
  }

  get size(): number {
    return this.#storedAt.size;
  }
}
