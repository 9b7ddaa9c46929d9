/**
 * Reading Zendesk's rate-limit headers (zendesk-api.md §5.3) into pauses, and the per-user update
 * limit (§5.2, trap 4) that no header announces before it bites.
 */
import { headerValue, type ResponseInfo } from '../http-client.js';

const second = 1000;

function numberHeader(info: ResponseInfo, ...names: string[]): number | undefined {
  for (const name of names) {
    const raw = headerValue(info.headers, name);
    if (raw !== undefined && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
  }
  return undefined;
}

/** `zendesk-ratelimit-<bucket>: total=10; remaining=9; resets=2` (2023 spelling `zendesk-rate-limit-<bucket>`). */
export function bucketHeader(
  info: ResponseInfo,
  bucket: string,
): { total: number; remaining: number; resets: number } | undefined {
  const raw =
    headerValue(info.headers, `zendesk-ratelimit-${bucket}`) ??
    headerValue(info.headers, `zendesk-rate-limit-${bucket}`);
  if (raw === undefined) return undefined;
  const fields = Object.fromEntries(
    raw.split(';').map((part) => {
      const [key, value] = part.split('=');
      return [key?.trim() ?? '', Number(value)];
    }),
  );
  const { total, remaining, resets } = fields;
  if (![total, remaining, resets].every((value) => typeof value === 'number' && Number.isFinite(value)))
    return undefined;
  return { total: total as number, remaining: remaining as number, resets: resets as number };
}

/**
 * Milliseconds to hold the account budget after an answer: none while requests remain, until the
 * announced reset once the minute is (nearly) spent. Both header spellings are read (§5.3).
 * `reserve` keeps a few requests back for requests already in flight.
 */
export function accountPause(info: ResponseInfo, reserve: number, secondMs = second): number {
  const remaining = numberHeader(info, 'x-rate-limit-remaining', 'ratelimit-remaining', 'rate-limit-remaining');
  if (remaining === undefined || remaining > reserve) return 0;
  const reset = numberHeader(info, 'ratelimit-reset', 'rate-limit-reset');
  return (reset ?? 60) * secondMs;
}

/** The incremental-export bucket (10/min, §4.1) is held apart: its pause stops only export reads. */
export function exportPause(info: ResponseInfo, secondMs = second): number {
  const bucket = bucketHeader(info, 'incremental-exports');
  return bucket !== undefined && bucket.remaining <= 0 ? bucket.resets * secondMs : 0;
}

/**
 * Keeps writes to one user under Zendesk's per-user limit (about 5 per minute, §5.2): a write
 * waits until the oldest of the last `limit` writes to that user is a minute old.
 */
export class PerUserLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #recent = new Map<string, number[]>();
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(
    limit: number,
    options: { windowMs?: number; now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    this.#limit = limit;
    this.#windowMs = options.windowMs ?? 60 * second;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Waits until one more write to `userId` stays within the limit, and counts it. */
  async acquire(userId: string): Promise<void> {
    for (;;) {
      const now = this.#now();
      const recent = (this.#recent.get(userId) ?? []).filter((at) => at > now - this.#windowMs);
      if (recent.length < this.#limit) {
        recent.push(now);
        this.#recent.set(userId, recent);
        return;
      }
      this.#recent.set(userId, recent);
      await this.#sleep((recent[0] ?? now) + this.#windowMs - now + 1);
    }
  }
}
