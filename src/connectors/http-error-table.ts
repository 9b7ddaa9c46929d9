/**
 * The one table that turns an HTTP status or a transport failure into an action and a kind.
 * Both connectors use it; a connector may refine a row (Zendesk's 403 for switched-off bulk
 * import is `config`) but never invents its own table.
 */
import type { SyncErrorCode } from '../core/sync-error.js';

export type RetryAction = 'retry' | 'wait-retry-after' | 'fail';

export interface Classification {
  readonly code: SyncErrorCode;
  readonly action: RetryAction;
}

const byStatus: ReadonlyMap<number, Classification> = new Map([
  [400, { code: 'validation', action: 'fail' }],
  [401, { code: 'auth', action: 'fail' }],
  [403, { code: 'auth', action: 'fail' }],
  [404, { code: 'not_found', action: 'fail' }],
  [408, { code: 'transient', action: 'retry' }],
  [409, { code: 'conflict', action: 'fail' }],
  [412, { code: 'conflict', action: 'fail' }],
  [421, { code: 'config', action: 'fail' }], // SuperOffice: wrong tenant host
  [422, { code: 'validation', action: 'fail' }],
  [429, { code: 'rate_limited', action: 'wait-retry-after' }],
  [503, { code: 'transient', action: 'wait-retry-after' }], // maintenance; may carry Retry-After
]);

export function classifyStatus(status: number): Classification {
  const row = byStatus.get(status);
  if (row !== undefined) return row;
  if (status >= 500) return { code: 'transient', action: 'retry' };
  if (status >= 400) return { code: 'validation', action: 'fail' };
  return { code: 'malformed', action: 'fail' }; // a 1xx/3xx we did not ask for
}

/** Transport failures: the request may or may not have reached the service. */
export function classifyTransportError(error: unknown): Classification {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code === 'ERR_INVALID_URL' || code === 'ERR_INVALID_ARG_TYPE')) {
    return { code: 'config', action: 'fail' };
  }
  return { code: 'transient', action: 'retry' };
}

/**
 * Whether a failed request may be sent again as it was. A request that reached the service and
 * was not refused outright (a dropped connection, a 500) may have taken effect, so only requests
 * that are safe to repeat are retried then; a 429 or 503 was refused before any work was done.
 */
export function maySendAgain(status: number | undefined, requestIsRepeatable: boolean): boolean {
  if (requestIsRepeatable) return true;
  return status === 429 || status === 503;
}
