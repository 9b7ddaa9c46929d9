/**
 * Counts requests per endpoint, keyed like `GET /Person/{id}` or `GET /Person`, so tests and
 * benchmarks can say how many calls a read or a write cost. Faulted requests count too.
 */
export class CallCounter {
  readonly #counts = new Map<string, number>();
  #total = 0;
  #writes = 0;

  record(method: string, endpoint: string): void {
    const key = `${method} ${endpoint}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    this.#total++;
    if (method !== 'GET' && method !== 'HEAD') this.#writes++;
  }

  /** Calls to one endpoint, e.g. count('PATCH /Person/{id}'). */
  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** Every endpoint called so far with its count. */
  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort(([left], [right]) => left.localeCompare(right)));
  }

  get total(): number {
    return this.#total;
  }

  /** POST, PUT, PATCH and DELETE calls. */
  get writes(): number {
    return this.#writes;
  }

  reset(): void {
    this.#counts.clear();
    this.#total = 0;
    this.#writes = 0;
  }
}
