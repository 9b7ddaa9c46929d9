/**
 * The entity each recently seen record belongs to, kept for one cycle so that planning a batch
 * rarely asks the store: tickets point at users and persons planned just before them. A link, once
 * made, never changes (links are kept), so an entry cannot go stale within a cycle; the map is
 * bounded (oldest entries go first) so memory does not grow with the number of records.
 */
export class RecordLinks {
  private readonly entities = new Map<string, string>();

  constructor(private readonly capacity = 50_000) {}

  /** The entity of a record (by its ref key), when known. */
  entityOf(refKey: string): string | undefined {
    return this.entities.get(refKey);
  }

  remember(refKey: string, entityId: string): void {
    if (this.entities.has(refKey)) return;
    if (this.entities.size >= this.capacity) {
      const oldest = this.entities.keys().next().value;
      if (oldest !== undefined) this.entities.delete(oldest);
    }
    this.entities.set(refKey, entityId);
  }
}
