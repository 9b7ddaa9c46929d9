/**
 * What the engine learnt about records and entities earlier in the cycle under way, so that
 * planning a batch rarely asks the store again: tickets point at users and persons planned just
 * before them, users at organizations. A new cache per cycle (a dry run's state is rolled back).
 *
 * Memory is bounded by two generations: when the current one is full it becomes the previous one
 * and the one before is dropped whole. (Evicting the oldest key of one Map one by one made every
 * eviction scan the deleted entries ahead of it, which grew quadratic on large syncs.)
 */
export class CycleCache<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();

  /** @param generationSize entries per generation; at most twice as many are kept. */
  constructor(private readonly generationSize = 50_000) {}

  get(key: string): V | undefined {
    return this.current.get(key) ?? this.previous.get(key);
  }

  /** Keeps the value; a key already held keeps its first value (for facts that never change, such as links). */
  remember(key: string, value: V): void {
    if (this.current.has(key)) return;
    this.startGenerationWhenFull();
    this.current.set(key, value);
  }

  /** Keeps the value in place of any earlier one. */
  set(key: string, value: V): void {
    // Only a full generation needs to know whether the key is new (one hash lookup fewer per call).
    if (this.current.size >= this.generationSize && !this.current.has(key)) this.startGenerationWhenFull();
    this.current.set(key, value);
  }

  private startGenerationWhenFull(): void {
    if (this.current.size < this.generationSize) return;
    this.previous = this.current;
    this.current = new Map();
  }

  /** Drops what is known of a key (it changed in a way the cache cannot follow). */
  forget(key: string): void {
    this.current.delete(key);
    this.previous.delete(key);
  }
}
