/**
 * The entity each recently seen record belongs to, kept for one cycle so that planning a batch
 * rarely asks the store: tickets point at users and persons planned just before them. A link, once
 * made, never changes (links are kept), so an entry cannot go stale within a cycle.
 *
 * Memory is bounded by two generations: when the current one is full it becomes the previous one
 * and the one before is dropped whole. (Evicting the oldest key of one Map one by one made every
 * eviction scan the deleted entries ahead of it, which grew quadratic on large syncs.)
 */
export class RecordLinks {
  private current = new Map<string, string>();
  private previous = new Map<string, string>();

  /** @param generationSize links per generation; at most twice as many are kept. */
  constructor(private readonly generationSize = 50_000) {}

  /** The entity of a record (by its ref key), when known. */
  entityOf(refKey: string): string | undefined {
    return this.current.get(refKey) ?? this.previous.get(refKey);
  }

  remember(refKey: string, entityId: string): void {
    if (this.current.has(refKey)) return;
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(refKey, entityId);
  }
}
