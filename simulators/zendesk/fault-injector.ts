/**
 * Faults on demand, for clients that must survive a real network: server errors, 429s, slow
 * answers and dropped connections. Faults are either scripted (the next requests, in order,
 * optionally only for one endpoint) or drawn at random with a seeded generator.
 *
 * A fault happens `before` the request is handled (nothing changed on the server) or `after` it
 * (the server did the work, the client never hears of it). Random 502/504 answers and random drops
 * pick either phase, as a gateway in front of Zendesk can fail either way; 500, 503 and 429 are
 * always `before`.
 */
import { SeededRandom } from '../seeded-random.js';

export type FaultKind = '5xx' | '429' | 'drop' | 'slow';
export type FaultPhase = 'before' | 'after';

export interface RandomFaultSettings {
  /** Chance in [0, 1] that a request gets a fault. */
  readonly probability: number;
  /** Which faults to draw from, with equal weight. Default: all four. */
  readonly kinds?: readonly FaultKind[];
  readonly seed?: number;
  /** How long a `slow` answer is held back, in real milliseconds. Default 250. */
  readonly slowMs?: number;
  /** Retry-After sent with injected 429 and 503 answers, in seconds. Default 1. */
  readonly retryAfterSeconds?: number;
  /** Only requests whose `METHOD route` key starts with one of these get faults. Default: every API request. */
  readonly only?: readonly string[];
}

export interface ScriptedFault {
  readonly kind: FaultKind;
  /** Only a request whose `METHOD route` key starts with this gets the fault; others pass. */
  readonly match?: string;
  readonly phase?: FaultPhase;
  /** For `5xx`: the status to answer. Default 500. */
  readonly status?: number;
  readonly retryAfterSeconds?: number;
  readonly slowMs?: number;
}

export type Fault =
  | { readonly kind: '5xx'; readonly status: number; readonly phase: FaultPhase; readonly retryAfterSeconds: number }
  | { readonly kind: '429'; readonly retryAfterSeconds: number }
  | { readonly kind: 'drop'; readonly phase: FaultPhase }
  | { readonly kind: 'slow'; readonly ms: number };

const allKinds: readonly FaultKind[] = ['5xx', '429', 'drop', 'slow'];

export class FaultInjector {
  #random: RandomFaultSettings | undefined;
  #randomSource = new SeededRandom(1);
  #script: ScriptedFault[] = [];
  readonly #injected: Record<FaultKind, number> = { '5xx': 0, '429': 0, drop: 0, slow: 0 };

  /** Random faults from now on (replaces earlier random settings; the script still goes first). */
  set(settings: RandomFaultSettings): void {
    this.#random = settings;
    this.#randomSource = new SeededRandom(settings.seed ?? 1);
  }

  /** Queues faults for the next matching requests, in order. */
  script(faults: readonly ScriptedFault[]): void {
    this.#script.push(...faults);
  }

  /** No more faults of any kind. */
  off(): void {
    this.#random = undefined;
    this.#script = [];
  }

  /** How many faults of each kind were injected so far. */
  get injected(): Readonly<Record<FaultKind, number>> {
    return { ...this.#injected };
  }

  /** The fault for one request, if any; called once per API request. */
  draw(routeKey: string): Fault | undefined {
    const scripted = this.#script.findIndex((fault) => fault.match === undefined || routeKey.startsWith(fault.match));
    if (scripted >= 0) {
      const [fault] = this.#script.splice(scripted, 1);
      if (fault !== undefined) return this.#count(this.#fromScript(fault));
    }
    const settings = this.#random;
    if (settings === undefined) return undefined;
    if (settings.only !== undefined && !settings.only.some((prefix) => routeKey.startsWith(prefix))) return undefined;
    const random = this.#randomSource;
    if (!random.chance(settings.probability)) return undefined;
    const kind = random.pick(settings.kinds ?? allKinds);
    const retryAfterSeconds = settings.retryAfterSeconds ?? 1;
    switch (kind) {
      case '5xx': {
        const status = random.pick([500, 502, 503, 504]);
        const phase: FaultPhase = status === 502 || status === 504 ? random.pick(['before', 'after']) : 'before';
        return this.#count({ kind, status, phase, retryAfterSeconds });
      }
      case '429':
        return this.#count({ kind, retryAfterSeconds });
      case 'drop':
        return this.#count({ kind, phase: random.pick(['before', 'after']) });
      case 'slow':
        return this.#count({ kind, ms: settings.slowMs ?? 250 });
    }
  }

  #fromScript(fault: ScriptedFault): Fault {
    switch (fault.kind) {
      case '5xx':
        return {
          kind: '5xx',
          status: fault.status ?? 500,
          phase: fault.phase ?? 'before',
          retryAfterSeconds: fault.retryAfterSeconds ?? 1,
        };
      case '429':
        return { kind: '429', retryAfterSeconds: fault.retryAfterSeconds ?? 1 };
      case 'drop':
        return { kind: 'drop', phase: fault.phase ?? 'before' };
      case 'slow':
        return { kind: 'slow', ms: fault.slowMs ?? 250 };
    }
  }

  #count(fault: Fault): Fault {
    this.#injected[fault.kind]++;
    return fault;
  }
}
