/**
 * Zendesk's request budgets (zendesk-api.md §5): the account's requests per minute, the separate
 * incremental-export bucket, the per-user update limit and the per-ticket update limit. Windows
 * are read from the simulator clock, so a test advances time instead of waiting.
 */
import type { SimulatorClock } from './simulator-clock.js';

export interface RateLimits {
  /** §5.1: the plan's requests per minute (Team 200, Growth/Professional 400, Enterprise 700). */
  readonly perMinute: number;
  /** §5.2: incremental exports, 10 per minute (30 with High Volume). */
  readonly incrementalPerMinute: number;
  /** §5.2: updates of one user, about 5 per minute. */
  readonly perUserUpdatesPerMinute: number;
}

export const defaultRateLimits: RateLimits = { perMinute: 400, incrementalPerMinute: 10, perUserUpdatesPerMinute: 5 };

export interface BucketState {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSeconds: number;
}

const minute = 60_000;

/** A fixed window aligned to the clock's minutes, as the `resets` header values suggest. */
class MinuteBucket {
  #windowStart = Number.NEGATIVE_INFINITY;
  #used = 0;

  constructor(readonly limit: number) {}

  take(now: number): BucketState {
    const windowStart = Math.floor(now / minute) * minute;
    if (windowStart !== this.#windowStart) {
      this.#windowStart = windowStart;
      this.#used = 0;
    }
    const resetSeconds = Math.max(1, Math.ceil((windowStart + minute - now) / 1000));
    if (this.#used >= this.limit) return { allowed: false, limit: this.limit, remaining: 0, resetSeconds };
    this.#used++;
    return { allowed: true, limit: this.limit, remaining: this.limit - this.#used, resetSeconds };
  }
}

/** A sliding window per key (one user, one ticket). */
class SlidingLimit {
  readonly #events = new Map<string, number[]>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  take(key: string, now: number): BucketState {
    const recent = (this.#events.get(key) ?? []).filter((at) => at > now - this.windowMs);
    const oldest = recent[0] ?? now;
    const resetSeconds = Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
    if (recent.length >= this.limit) {
      this.#events.set(key, recent);
      return { allowed: false, limit: this.limit, remaining: 0, resetSeconds };
    }
    recent.push(now);
    this.#events.set(key, recent);
    return { allowed: true, limit: this.limit, remaining: this.limit - recent.length, resetSeconds };
  }
}

export class RateLimiter {
  readonly #clock: SimulatorClock;
  readonly #account: MinuteBucket;
  readonly #incremental: MinuteBucket;
  readonly #perUser: SlidingLimit;
  /** §5.2: 30 updates per ticket per user per 10 minutes. */
  readonly #perTicket = new SlidingLimit(30, 10 * minute);

  constructor(
    clock: SimulatorClock,
    readonly limits: RateLimits,
  ) {
    this.#clock = clock;
    this.#account = new MinuteBucket(limits.perMinute);
    this.#incremental = new MinuteBucket(limits.incrementalPerMinute);
    this.#perUser = new SlidingLimit(limits.perUserUpdatesPerMinute, minute);
  }

  account(): BucketState {
    return this.#account.take(this.#clock.now());
  }

  incremental(): BucketState {
    return this.#incremental.take(this.#clock.now());
  }

  userUpdate(userId: number): BucketState {
    return this.#perUser.take(String(userId), this.#clock.now());
  }

  ticketUpdate(callerId: number, ticketId: number): BucketState {
    return this.#perTicket.take(`${callerId}:${ticketId}`, this.#clock.now());
  }
}
