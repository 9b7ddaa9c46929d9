/**
 * When a failed write is tried again: exponential back-off from 30 s, doubling per attempt, capped
 * at one hour; a service's Retry-After wins when it asks for longer. Deterministic on purpose (one
 * tenant's writes go out from one runner, so there is no thundering herd to spread).
 */
const firstDelaySeconds = 30;
const maxDelaySeconds = 3600;

export function retryDelaySeconds(attempts: number, retryAfterSeconds?: number): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 20));
  const backoff = Math.min(maxDelaySeconds, firstDelaySeconds * 2 ** exponent);
  return retryAfterSeconds !== undefined && retryAfterSeconds > backoff ? retryAfterSeconds : backoff;
}

export function nextAttemptAt(now: Date, attempts: number, retryAfterSeconds?: number): string {
  return new Date(now.getTime() + retryDelaySeconds(attempts, retryAfterSeconds) * 1000).toISOString();
}
