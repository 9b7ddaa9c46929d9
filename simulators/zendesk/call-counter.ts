/**
 * Counts the requests the simulator received, per endpoint, so tests and benchmarks can check how
 * many API calls a client spent. Keys are `METHOD route`, with the route as registered
 * (`GET /api/v2/users/:id`); requests to no route are counted under their path.
 * Every request counts, including those answered with an injected fault or a 429.
 */
export class CallCounter {
  readonly #counts = new Map<string, number>();

  record(method: string, route: string): void {
    const key = `${method} ${route}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Calls to one endpoint, e.g. `count('POST /api/v2/users/create_many')`. */
  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** Every endpoint called so far with its count. */
  byEndpoint(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  get total(): number {
    let sum = 0;
    for (const value of this.#counts.values()) sum += value;
    return sum;
  }

  /** Calls with a method other than GET. */
  get writes(): number {
    let sum = 0;
    for (const [key, value] of this.#counts) if (!key.startsWith('GET ')) sum += value;
    return sum;
  }

  reset(): void {
    this.#counts.clear();
  }
}
