/**
 * The simulator's sense of time. Every timestamp the simulator writes, every rate-limit window and
 * every incremental-export window reads this clock, so a test can move time forward instead of
 * waiting a real minute.
 */

export interface SimulatorClock {
  /** Milliseconds since the Unix epoch, as the simulated Zendesk sees it. */
  now(): number;
  /** Moves simulated time forward (never backward). */
  advance(ms: number): void;
}

/** Real time, plus whatever a test advanced it by. */
export function createSystemClock(): SimulatorClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms) => {
      if (ms < 0) throw new RangeError('a clock only moves forward');
      offset += ms;
    },
  };
}

/**
 * A clock that runs `speed` times faster than real time (plus whatever a test advances it by): a
 * minute of rate-limit windows passes in 60/speed real seconds, for rate-limit runs that end quickly.
 */
export function createFastClock(speed: number, start = Date.now()): SimulatorClock {
  if (!(speed > 0)) throw new RangeError('a clock speed must be positive');
  const realStart = Date.now();
  let offset = 0;
  return {
    now: () => start + (Date.now() - realStart) * speed + offset,
    advance: (ms) => {
      if (ms < 0) throw new RangeError('a clock only moves forward');
      offset += ms;
    },
  };
}

/** A clock that stands still until advanced: for tests that need exact timestamps. */
export function createManualClock(start = Date.parse('2025-06-02T09:00:00Z')): SimulatorClock {
  let current = start;
  return {
    now: () => current,
    advance: (ms) => {
      if (ms < 0) throw new RangeError('a clock only moves forward');
      current += ms;
    },
  };
}

/** ISO-8601 UTC to the second with a `Z`, the way Zendesk writes timestamps. */
export function zendeskTimestamp(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
