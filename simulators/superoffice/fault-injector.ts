/**
 * Faults on demand. SuperOffice documents no throttling contract (superoffice-api.md §9 item 1),
 * so the simulator never answers 429/503 on its own: only when a test switches faults on.
 *
 * Kinds: `5xx` (500 with the error body), `429` and `503` (refused before any work is done),
 * `drop` (the request is carried out, then the connection is closed without an answer: the
 * client cannot tell whether a write happened), `slow` (the answer is delayed by `slowMs`).
 * `failPath` makes every request to one path (e.g. `/Ticket/7`) fail the same way until healed:
 * one record that cannot be read, while the rest of the tenant answers.
 */
import { SeededRandom } from '../seeded-random.js';

export const faultKinds = ['5xx', '429', '503', 'drop', 'slow'] as const;
export type FaultKind = (typeof faultKinds)[number];
/** Faults one path can be given for good: a proxy's HTML 502 page, or a dropped connection. */
export type PathFaultKind = '502-html' | 'drop';

export interface FaultSettings {
  /** Chance per request, 0..1. */
  readonly probability: number;
  /** Kinds to draw from (uniformly); default all. */
  readonly kinds?: readonly FaultKind[];
  /** Seed of the dice, so a faulty run repeats. */
  readonly seed?: number;
  /** Delay of a `slow` answer; default 200 ms. */
  readonly slowMs?: number;
  /** Retry-After seconds sent with 429/503; none by default (undocumented either way). */
  readonly retryAfterSeconds?: number;
}

export class FaultInjector {
  #settings: FaultSettings | undefined;
  #random = new SeededRandom(1);
  #script: (FaultKind | 'none')[] = [];
  readonly #paths = new Map<string, PathFaultKind>();
  readonly #injected: Record<FaultKind | '502-html', number> = {
    '5xx': 0,
    '429': 0,
    '503': 0,
    drop: 0,
    slow: 0,
    '502-html': 0,
  };

  /** Switches random faults on (replacing earlier settings). */
  set(settings: FaultSettings): void {
    this.#settings = settings;
    this.#random = new SeededRandom(settings.seed ?? 1);
  }

  /** The next requests get exactly these faults, in order (`none`: answered normally), before any random ones. */
  script(kinds: readonly (FaultKind | 'none')[]): void {
    this.#script.push(...kinds);
  }

  /** Every request to `path` (below the API base, without query) fails with `kind` until healed. */
  failPath(path: string, kind: PathFaultKind): void {
    this.#paths.set(path.toLowerCase(), kind);
  }

  healPath(path: string): void {
    this.#paths.delete(path.toLowerCase());
  }

  /** No more faults, random, scripted or per path. */
  off(): void {
    this.#settings = undefined;
    this.#script = [];
    this.#paths.clear();
  }

  /** How many faults of each kind were injected since the start. */
  get injected(): Readonly<Record<FaultKind | '502-html', number>> {
    return { ...this.#injected };
  }

  get slowMs(): number {
    return this.#settings?.slowMs ?? 200;
  }

  get retryAfterSeconds(): number | undefined {
    return this.#settings?.retryAfterSeconds;
  }

  /** Draws the fault for one request (to `path`, when known), if any. */
  draw(path?: string): FaultKind | PathFaultKind | undefined {
    const forPath = path === undefined ? undefined : this.#paths.get(path.toLowerCase());
    if (forPath !== undefined) {
      this.#injected[forPath]++;
      return forPath;
    }
    const scripted = this.#script.shift();
    if (scripted === 'none') return undefined;
    let kind = scripted;
    if (kind === undefined && this.#settings !== undefined && this.#random.chance(this.#settings.probability)) {
      kind = this.#random.pick(this.#settings.kinds ?? faultKinds);
    }
    if (kind !== undefined) this.#injected[kind]++;
    return kind;
  }
}
