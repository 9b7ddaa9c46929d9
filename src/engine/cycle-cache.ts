import { type RecordRef, recordTypeSlot, recordTypeSlotCount } from '../core/model.js';

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

/**
 * Values per record, kept per record type and keyed by id: a lookup builds no `system:type:id`
 * string (building and hashing one per reference cost more than the lookup itself). Each type
 * keeps its own two generations (see CycleCache).
 */
export class RecordCache<V> {
  private readonly types: CycleCache<V>[] = [];

  /** @param generationSize entries per generation of each record type. */
  constructor(generationSize = 50_000) {
    for (let slot = 0; slot < recordTypeSlotCount; slot++) this.types.push(new CycleCache<V>(generationSize));
  }

  private cacheOf(ref: RecordRef): CycleCache<V> | undefined {
    return this.types[recordTypeSlot(ref.system, ref.type)];
  }

  get(ref: RecordRef): V | undefined {
    return this.cacheOf(ref)?.get(ref.id);
  }

  /** Keeps the value; a record already held keeps its first value (links never change). */
  remember(ref: RecordRef, value: V): void {
    this.cacheOf(ref)?.remember(ref.id, value);
  }
}

/** Values per record for one batch, unbounded, keyed like RecordCache (no string key per lookup). */
export class RecordMap<V> {
  private readonly types: Map<string, V>[] = [];

  constructor() {
    for (let slot = 0; slot < recordTypeSlotCount; slot++) this.types.push(new Map<string, V>());
  }

  private mapOf(ref: RecordRef): Map<string, V> | undefined {
    return this.types[recordTypeSlot(ref.system, ref.type)];
  }

  get(ref: RecordRef): V | undefined {
    return this.mapOf(ref)?.get(ref.id);
  }

  has(ref: RecordRef): boolean {
    return this.mapOf(ref)?.has(ref.id) === true;
  }

  set(ref: RecordRef, value: V): void {
    this.mapOf(ref)?.set(ref.id, value);
  }

  /** Every value held, in no particular order. */
  *values(): IterableIterator<V> {
    for (const map of this.types) yield* map.values();
  }
}

/**
 * Entries kept in named parts, each part with its own two generations (see CycleCache), so filling
 * one part evicts nothing from another; a lookup tries every part. The engine keeps the summaries
 * of each kind it plans apart: planning people must not push out the organizations they point at.
 */
export class PartedCache<P, V> {
  private readonly parts = new Map<P, CycleCache<V>>();

  /** @param generationSize entries per generation of each part. */
  constructor(private readonly generationSize = 50_000) {}

  get(key: string): V | undefined {
    for (const part of this.parts.values()) {
      const value = part.get(key);
      if (value !== undefined) return value;
    }
    return undefined;
  }

  /** Keeps the value in `part`, in place of any earlier one there. */
  set(part: P, key: string, value: V): void {
    let cache = this.parts.get(part);
    if (cache === undefined) {
      cache = new CycleCache<V>(this.generationSize);
      this.parts.set(part, cache);
    }
    cache.set(key, value);
  }

  /** Drops what is known of a key, in every part. */
  forget(key: string): void {
    for (const part of this.parts.values()) part.forget(key);
  }
}
