/**
 * The error answers the simulator gives, shaped as zendesk-api.md §6 records them. Each builder
 * names the recorded shape it reproduces; where the notes say a shape was not captured (§10), the
 * builder says so and what it assumes.
 */

/** One entry of a `details` map: some entries carry an `error` code, some do not (§6.1). */
export interface FieldError {
  readonly description: string;
  readonly error?: string;
}

export type FieldErrors = Record<string, readonly FieldError[]>;

/** §6.2, 401: bad or absent credentials, a bare string. */
export const couldNotAuthenticate = { error: "Couldn't authenticate you" } as const;

/** §6.2, 404 unknown record. */
export const recordNotFound = { error: 'RecordNotFound', description: 'Not found' } as const;

/** §6.2, 404 endpoint not served. */
export const invalidEndpoint = { error: 'InvalidEndpoint', description: 'Not found' } as const;

/** §6.1 validation envelope: `details` keyed by field name. */
export function recordInvalid(details: FieldErrors) {
  return { error: 'RecordInvalid', description: 'Record validation errors', details };
}

/** §6.2: the user endpoints word the 100-item ceiling differently from the others. */
export function tooManyValues(resource: 'users' | 'organizations' | 'tickets' | 'ids') {
  return resource === 'users'
    ? { error: 'TooManyValues', description: 'Maximum 100 users may be created per call' }
    : { error: 'TooManyValues', description: 'Parameter  cannot specify more than 100 values', max_count: 100 };
}

/** §4.2: offset pagination beyond 10,000 records, JSON:API style envelope (CSA). */
export const invalidPaginationDepth = {
  errors: [
    {
      code: 'InvalidPaginationDepth',
      title: 'Invalid pagination depth',
      detail: 'Offset pagination is limited to the first 10000 records. Use cursor pagination instead.',
    },
  ],
} as const;

/** §4.1: start_time inside the withheld window (wording from older clients, floor now one minute). */
export function tooRecentStartTime(windowSeconds: number) {
  return {
    error: 'InvalidValue',
    description: `Too recent start_time. Use a start_time older than ${windowSeconds} seconds`,
  };
}

export function invalidValue(description: string) {
  return { error: 'InvalidValue', description };
}

/** §6.2 403: feature switched off; the bulk-import body was not captured, this is the generic 403 shape. */
/** §6.2 403, nested-object envelope: the caller's role may not use the endpoint (exports are for admins). */
export const adminsOnly = {
  error: {
    title: 'Forbidden',
    message: 'You do not have access to this page. Only admins may use incremental exports.',
  },
} as const;

export const bulkImportForbidden = {
  error: { title: 'Forbidden', message: 'Bulk user import is not enabled for this account' },
} as const;

/** §10: the 409 body was not captured; client mocks use this one. */
export const updateConflict = {
  error: 'UpdateConflict',
  description:
    'Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again.',
} as const;

/** §10: the account-wide 429 body was not captured; older clients match this text. */
export const accountRateLimitText = 'Number of allowed API requests per minute exceeded';

/** §5.3: the single-user 429 is plain text while account budget remains (GREC, COMM429). */
export const singleUserRateLimitText =
  'You have exceeded the rate limit for updating a single unique user. user email:  id:  external_id: ';

/** §10: the job-limit answer was not found; we assume a 429 with this body. */
export const tooManyJobs = {
  error: 'TooManyJobs',
  description: 'Number of queued or running jobs for this account exceeds the limit',
} as const;

/** Joins a details map into the one-line string bulk job results carry (§3.1 failed item). */
export function detailsText(errors: FieldErrors): string {
  return Object.values(errors)
    .flat()
    .map((entry) => entry.description)
    .join(' ');
}

/** The first `error` code in a details map, for a job result's `error` member. */
export function firstErrorCode(errors: FieldErrors, fallback: string): string {
  for (const entries of Object.values(errors)) {
    for (const entry of entries) if (entry.error !== undefined) return entry.error;
  }
  return fallback;
}
