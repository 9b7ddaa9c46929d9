/**
 * The one error type every layer sees. Connectors classify HTTP statuses and transport
 * failures into these codes once (see src/connectors/http-error-table.ts); nothing else
 * inspects a status code or an error message.
 */

export const syncErrorCodes = [
  'transient', // network failure, 5xx: retry with backoff
  'rate_limited', // 429: wait for Retry-After, then retry
  'auth', // 401/403: credentials refused; a person must act
  'config', // wrong URL, missing setting, feature switched off
  'not_found', // the record does not exist (any more)
  'validation', // the system refused the values of one record
  'conflict', // the record changed under us (412, 409): taken in again and planned again, never written over
  'malformed', // the system answered something we cannot parse
  'bug', // our own mistake; never retried silently
] as const;
export type SyncErrorCode = (typeof syncErrorCodes)[number];

/** Codes after which the same request may succeed later without anyone acting. */
export const retryableCodes: ReadonlySet<SyncErrorCode> = new Set(['transient', 'rate_limited', 'conflict']);

export interface SyncErrorOptions {
  /** Field-level details, e.g. Zendesk's `details` map: field -> messages. */
  readonly fields?: Readonly<Record<string, readonly string[]>>;
  /** Seconds the service asked us to wait (Retry-After). */
  readonly retryAfterSeconds?: number;
  /** HTTP status, when there was one. */
  readonly status?: number;
  readonly cause?: unknown;
}

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  readonly fields: Readonly<Record<string, readonly string[]>> | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly status: number | undefined;

  constructor(code: SyncErrorCode, message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SyncError';
    this.code = code;
    this.fields = options.fields;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.status = options.status;
  }

  get retryable(): boolean {
    return retryableCodes.has(this.code);
  }

  /** A plain object for storage and JSON output. */
  toJSON(): { code: SyncErrorCode; message: string; fields?: Readonly<Record<string, readonly string[]>> } {
    return this.fields === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, fields: this.fields };
  }
}

export function isSyncError(value: unknown): value is SyncError {
  return value instanceof SyncError;
}
