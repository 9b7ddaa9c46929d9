/**
 * The simulator's notion of "now". SuperOffice stamps UpdatedDate, LastChanged and friends with
 * its own clock; tests need to move that clock on demand (to leave a day-granular filter window,
 * or to make two edits land in the same second), so every timestamp goes through this class.
 */
export interface SimulatorClockOptions {
  /** Start frozen at this instant; the clock then moves only through advance() and set(). */
  readonly frozenAt?: Date | string;
}

export class SimulatorClock {
  #frozenAt: number | undefined;
  #offsetMs = 0;

  constructor(options: SimulatorClockOptions = {}) {
    this.#frozenAt = options.frozenAt === undefined ? undefined : new Date(options.frozenAt).getTime();
  }

  /** Milliseconds since the epoch, truncated to whole seconds: SuperOffice dates carry no fractions. */
  now(): number {
    const raw = this.#frozenAt ?? Date.now() + this.#offsetMs;
    return Math.floor(raw / 1000) * 1000;
  }

  advance(ms: number): void {
    if (this.#frozenAt === undefined) this.#offsetMs += ms;
    else this.#frozenAt += ms;
  }

  /** Jumps to an instant; a clock that followed real time stays frozen there afterwards. */
  set(instant: Date | string | number): void {
    this.#frozenAt = new Date(instant).getTime();
  }
}
