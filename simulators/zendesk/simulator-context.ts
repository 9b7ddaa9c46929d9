/**
 * What every route of the simulator shares, and the small answers they all give the same way
 * (write results, job answers, ignored-key warnings, the single-user rate limit).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SeededRandom } from '../seeded-random.js';
import {
  detailsText,
  type FieldErrors,
  firstErrorCode,
  recordInvalid,
  recordNotFound,
  singleUserRateLimitText,
  tooManyJobs,
  tooManyValues,
  updateConflict,
} from './error-bodies.js';
import type { JobOutcome, JobQueue, JobResultItem } from './job-queue.js';
import type { RateLimiter } from './rate-limiter.js';
import type { WriteResult, ZendeskState } from './zendesk-state.js';

/** Behaviour switches a test may flip while the simulator runs. */
export interface SimulatorSettings {
  /** Whether the account owner switched bulk user import on; off answers 403 (trap 2). */
  bulkUserImport: boolean;
  /** How many of the most recent seconds incremental exports withhold (§4.1: one minute). */
  incrementalWithholdSeconds: number;
  /** How long a changed user takes to become findable by `users/search?query=` (trap 7). */
  searchLagSeconds: number;
  /**
   * The order of user and organization bulk results. Zendesk documents none for `create_many`
   * (§3.1) nor for `create_or_update_many` (only a community post says it keeps the request's), so
   * by default they are shuffled (the harsher reading); 'reversed' is for tests. Default 'shuffled'.
   */
  bulkResultOrder: 'request' | 'shuffled' | 'reversed';
  /**
   * Whether `create_or_update_many` results carry `email` (only the community post shows it; the
   * OAS does not). Default false.
   */
  bulkResultEmails: boolean;
  /**
   * Whether `tickets?external_id=` filters (documented, §3). Off plays a service that ignores the
   * filter and lists other tickets too, for tests that a lookup checks what comes back. Default true.
   */
  ticketExternalIdFilter: boolean;
  /**
   * The status of an incremental export asked to start in the future. Undocumented (§10); 400 was
   * observed (Airbyte's Zendesk source), 422 is the recorded answer for a start inside the
   * withheld minute. Default 400.
   */
  futureStartTimeStatus: 400 | 422;
}

export interface SimulatorContext {
  readonly state: ZendeskState;
  readonly jobs: JobQueue;
  readonly limiter: RateLimiter | undefined;
  readonly random: SeededRandom;
  readonly settings: SimulatorSettings;
  /** The user acting for a request (the owner for OAuth, the token's user for API tokens). */
  callerOf(request: FastifyRequest): number;
}

export type Params = Readonly<Record<string, string>>;
export type QueryParams = Readonly<Record<string, string | undefined>>;

export const maxBulkItems = 100;

export function numericId(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** `ids=1,2,3` -> numbers; 'too-many' past 100 (§3 lookups take ≤100). */
export function idList(text: string | undefined): number[] | 'too-many' | undefined {
  if (text === undefined || text === '') return undefined;
  const ids = text.split(',').map((part) => numericId(part.trim()));
  if (ids.length > maxBulkItems) return 'too-many';
  return ids.filter((id): id is number => id !== undefined);
}

export function textList(text: string | undefined): string[] | 'too-many' | undefined {
  if (text === undefined || text === '') return undefined;
  const values = text.split(',').map((part) => part.trim());
  return values.length > maxBulkItems ? 'too-many' : values;
}

/** §1: Zendesk ignores unknown keys and says so in a header. */
export function warnIgnoredKeys(reply: FastifyReply, keys: readonly string[]): void {
  if (keys.length === 0) return;
  reply.header(
    'x-zendesk-api-warn',
    `{:allowed_parameters=>{:controller=>"api/v2", :unpermitted_keys=>${JSON.stringify(keys)}}}`,
  );
}

export function sendInvalid(reply: FastifyReply, errors: FieldErrors): FastifyReply {
  return reply.code(422).send(recordInvalid(errors));
}

export function sendNotFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).send(recordNotFound);
}

export function sendConflict(reply: FastifyReply): FastifyReply {
  return reply.code(409).send(updateConflict);
}

/** §5.2: the per-user update limit answers in plain text while the account budget remains. */
export function admitUserUpdate(context: SimulatorContext, reply: FastifyReply, userId: number): boolean {
  const verdict = context.limiter?.userUpdate(userId);
  if (verdict === undefined || verdict.allowed) return true;
  reply
    .code(429)
    .header('retry-after', String(verdict.resetSeconds))
    .header('content-type', 'text/plain; charset=utf-8')
    .send(singleUserRateLimitText);
  return false;
}

/** Queues a bulk job and answers 200 with its queued status (trap 2). */
export function answerWithJob(
  context: SimulatorContext,
  reply: FastifyReply,
  job: { type: string; noun: string; verb: string; total: number; run: () => JobOutcome },
): FastifyReply {
  const queued = context.jobs.submit(job.type, job.noun, job.verb, job.total, job.run);
  if (queued === undefined) return reply.code(429).header('retry-after', '1').send(tooManyJobs);
  return reply.code(200).send({ job_status: context.jobs.json(queued, context.state.baseUrl) });
}

/** Reads `{ <key>: [...] }` for a bulk endpoint: 400 TooManyValues past 100 items (§6.2). */
export function bulkItems(
  reply: FastifyReply,
  body: unknown,
  key: 'users' | 'organizations' | 'tickets',
): unknown[] | undefined {
  const parsed = z.object({ [key]: z.array(z.unknown()) }).safeParse(body);
  if (!parsed.success) {
    reply.code(400).send({ error: 'InvalidValue', description: `${key} parameter is missing or not an array` });
    return undefined;
  }
  const items = parsed.data[key] as unknown[];
  if (items.length > maxBulkItems) {
    reply.code(400).send(tooManyValues(key));
    return undefined;
  }
  return items;
}

/** A job result entry for an item whose input could not be read at all. */
export function unreadableItem(index: number, error: z.ZodError): JobResultItem {
  return { index, error: 'InvalidValue', details: error.issues.map((issue) => issue.message).join('; ') };
}

export function failedItem(index: number, errors: FieldErrors, fallbackCode: string): JobResultItem {
  return { index, error: firstErrorCode(errors, fallbackCode), details: detailsText(errors) };
}

export function outcomeOf(results: JobResultItem[], failures: number): JobOutcome {
  return { results, allFailed: results.length > 0 && failures === results.length };
}

/**
 * Runs the items of a users or organizations `create_many` job: each is validated and created on its
 * own. Results carry no index and come in no guaranteed order (§3.1), so they are shuffled (see
 * `settings.bulkResultOrder`); the
 * failure entry was not captured for these endpoints (§10) and follows the ticket shape.
 */
export function createManyOutcome<Input, Record extends { readonly id: number }>(
  context: SimulatorContext,
  items: readonly unknown[],
  schema: z.ZodType<Input>,
  create: (input: Input) => WriteResult<Record>,
  failureCode: string,
): JobOutcome {
  const results: JobResultItem[] = [];
  let failures = 0;
  items.forEach((item, index) => {
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      failures++;
      results.push(unreadableItem(index, parsed.error));
      return;
    }
    const result = create(parsed.data);
    if (result.kind === 'ok') {
      results.push({ id: result.record.id, status: 'Created' });
      return;
    }
    failures++;
    results.push(result.kind === 'invalid' ? failedItem(index, result.errors, failureCode) : { index });
  });
  return outcomeOf(inBulkOrder(context, results), failures);
}

/** User and organization bulk results in `settings.bulkResultOrder` (§3.1: no documented order). */
export function inBulkOrder(context: SimulatorContext, results: JobResultItem[]): JobResultItem[] {
  switch (context.settings.bulkResultOrder) {
    case 'request':
      return results;
    case 'reversed':
      return [...results].reverse();
    case 'shuffled':
      return context.random.shuffle(results);
  }
}

/**
 * Runs the items of an `update_many` job: each is validated and applied on its own, and answers
 * `{id, action:'update', status, success}`; a failed item adds `error` and `details` (§3.1; the failed
 * entry was not captured, §10, so it is assumed to mirror the success entry).
 */
export function updateManyOutcome<Input, Record extends { readonly id: number }>(
  targets: readonly { readonly id: number | undefined; readonly values: unknown }[],
  schema: z.ZodType<Input>,
  update: (id: number, input: Input) => WriteResult<Record>,
  failureCode: string,
): JobOutcome {
  let failures = 0;
  const results = targets.map((target, index): JobResultItem => {
    const parsed = schema.safeParse(target.values);
    const result: WriteResult<Record> =
      target.id === undefined
        ? { kind: 'not_found' }
        : parsed.success
          ? update(target.id, parsed.data)
          : { kind: 'invalid', errors: { base: [{ description: parsed.error.message }] } };
    if (result.kind === 'ok') return { id: result.record.id, action: 'update', status: 'Updated', success: true };
    failures++;
    const errors: FieldErrors =
      result.kind === 'invalid'
        ? result.errors
        : result.kind === 'conflict'
          ? { base: [{ description: 'Safe Update prevented the update', error: 'UpdateConflict' }] }
          : { base: [{ description: 'RecordNotFound' }] };
    return {
      id: target.id ?? index,
      action: 'update',
      success: false,
      status: 'Failed',
      error: firstErrorCode(errors, result.kind === 'not_found' ? 'RecordNotFound' : failureCode),
      details: detailsText(errors),
    };
  });
  return outcomeOf(results, failures);
}
