/**
 * The Zendesk Support connector: reads changes through the incremental exports, scans through the
 * list endpoints, writes through the bulk endpoints with job polling, and keeps within Zendesk's
 * rate limits. Facts cite ../shared/docs/zendesk-api.md by section and trap number.
 *
 * Creates live in zendesk-creates.ts: every record we create carries `external_id` = the
 * operation's handle, results are linked by index or by reading the batch back by external id,
 * never by position, and a create whose answer was lost is settled by looking its handles up.
 */
import PQueue from 'p-queue';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { RecordType, SourceRecord, ZendeskRecordType } from '../../core/model.js';
import { isSyncError, SyncError } from '../../core/sync-error.js';
import type {
  ChangePage,
  Connector,
  CreateOperation,
  ReadOptions,
  RejectedRecord,
  UpdateOperation,
  WriteOperation,
  WriteOutcome,
} from '../connector.js';
import {
  HttpClient,
  type HttpMethod,
  type HttpResponse,
  headerValue,
  type RequestOptions,
  RequestPause,
  type ResponseInfo,
  type WaitInfo,
} from '../http-client.js';
import { JobPoller } from './job-poller.js';
import {
  asSyncError,
  chunk,
  concernsWholeCall,
  failRest,
  forEachConcurrently,
  maxBatch,
  type Outcomes,
} from './write-outcomes.js';
import { settleConditionalUpdates, type TicketUpdateCalls } from './zendesk-conditional-updates.js';
import { ZendeskCreates } from './zendesk-creates.js';
import { type ZendeskAuth, ZendeskCredentials, type ZendeskTokens } from './zendesk-credentials.js';
import { decodeCursor, encodeCursor, type FeedPosition } from './zendesk-cursor.js';
import { describeZendeskError, jobItemError, mayHaveTakenEffect } from './zendesk-errors.js';
import { accountPause, exportPause, PerUserLimiter } from './zendesk-rate-limits.js';
import { plural, recordSchemas } from './zendesk-record-schemas.js';
import {
  changesSomething,
  organizationUpdateItem,
  ticketUpdateItem,
  userUpdateItem,
  withGroupMembers,
} from './zendesk-records.js';
import {
  cursorExportPage,
  cursorListPage,
  identityAnswer,
  identityList,
  ignoredBody,
  type JobResultItem,
  jobResults,
  jobStatusAnswer,
  jobStatusList,
  recordList,
  timeExportPage,
  type WireJobStatus,
  wireGroupMembership,
  wireOrganization,
} from './zendesk-wire.js';

export type { ZendeskAuth, ZendeskTokens } from './zendesk-credentials.js';

export interface ZendeskConnectorOptions {
  /** Account base, e.g. https://acme.zendesk.com (no /api/v2). */
  url: string;
  auth: ZendeskAuth;
  /** Our own request budget per minute; default 160, below the smallest current plan (200, §5.1). */
  rateLimitPerMinute?: number;
  /** Incremental-export requests per minute; default 10 (§4.1), kept apart from the account budget. */
  incrementalPerMinute?: number;
  /** Writes to one user per minute; default 5 (§5.2). */
  perUserUpdatesPerMinute?: number;
  /** Items per incremental-export page; default 1000, Zendesk's maximum (§4.1). */
  exportPageSize?: number;
  /** First wait before polling a job, in ms; default 500. Polls back off to `jobPollMaxDelayMs` (default 8000). */
  jobPollDelayMs?: number;
  jobPollMaxDelayMs?: number;
  /** Bulk jobs in flight at once; default 20, under Zendesk's 30 queued or running jobs (§3.1). */
  jobsInFlight?: number;
  /** How long a create whose answer was lost waits for jobs that could be its own; default 60,000 ms. */
  lostJobWaitMs?: number;
  /** Retries of one request after transient failures; default 6. */
  retries?: number;
  /** Backoff between retries, in ms; default 250 growing to 30,000 (a Retry-After always wins). */
  retryDelayMs?: { min: number; max: number };
  /**
   * Real milliseconds per second of Zendesk's time, for the budgets, the per-user window and the
   * reset headers; default 1000. Benchmarks against a simulator on a fast clock set it lower.
   */
  secondMs?: number;
  /** Observes every answer, for call counting. */
  onResponse?: (info: ResponseInfo) => void;
  /** Told whenever requests wait (Retry-After, rate limit, back-off), so the operator sees why. */
  onWait?: (wait: WaitInfo) => void;
  log?: (event: { level: 'info' | 'warn'; message: string }) => void;
  /** Called with the new tokens after an OAuth refresh; store them, the old refresh token is dead (OEXP). */
  onTokens?: (tokens: ZendeskTokens) => void;
  dispatcher?: Dispatcher;
}

/** Show Ticket and Update Ticket answer `{ticket}` (Update Ticket adds an `audit`, not read). */
const ticketAnswer = z.object({ ticket: recordSchemas.ticket });
/** Update jobs whose outcome stays unknown are sent again at most this often (update_many writes values). */
const maxUpdateAttempts = 3;

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);
/** §4.1: exports refuse a start less than a minute old; one second of margin. */
const minimumStartAgeSeconds = 61;

/** The second a record last changed, as the time-based export groups it. */
function secondOf(record: SourceRecord): number | undefined {
  return record.modifiedAt === null ? undefined : epochSeconds(new Date(record.modifiedAt));
}

// Pages are validated as envelopes; their records one by one (readRecords), so one bad record
// never fails its page.
const organizationExportPage = timeExportPage(z.unknown());

/** The id a wire record carries, if it carries a usable one (a record that failed validation may not). */
function wireIdOf(item: unknown): string | null {
  if (typeof item !== 'object' || item === null || !('id' in item)) return null;
  const id = item.id;
  return typeof id === 'number' || (typeof id === 'string' && id !== '') ? String(id) : null;
}

/** Validates each record of a page on its own: one that does not fit its schema is rejected, not fatal. */
function readRecords(
  type: ZendeskRecordType,
  items: readonly unknown[],
): { records: SourceRecord[]; rejected: RejectedRecord[] } {
  const records: SourceRecord[] = [];
  const rejected: RejectedRecord[] = [];
  for (const item of items) {
    const parsed = recordSchemas[type].safeParse(item);
    if (parsed.success) {
      records.push(parsed.data);
      continue;
    }
    const id = wireIdOf(item);
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
    const which = id === null ? 'without a readable id' : id;
    rejected.push({
      type,
      id,
      error: new SyncError('malformed', `Zendesk sent ${type} ${which} in a shape that does not fit${where}`),
    });
  }
  return { records, rejected };
}

/** A page, with `rejected` only when something was. */
function changePage(records: readonly SourceRecord[], cursor: string, rejected: readonly RejectedRecord[]): ChangePage {
  return rejected.length === 0 ? { records, cursor } : { records, cursor, rejected };
}

export class ZendeskConnector implements Connector {
  readonly system = 'zendesk' as const;
  readonly #api: HttpClient;
  readonly #exports: HttpClient;
  readonly #jobs: JobPoller;
  readonly #perUser: PerUserLimiter;
  readonly #jobSlots: PQueue;
  readonly #options: ZendeskConnectorOptions;
  readonly #creates: ZendeskCreates;
  #clockOffsetMs = 0;
  /** Jobs this connector submitted: a lost create never waits for them (issue 12.9). */
  readonly #ownJobs = new Set<string>();

  constructor(options: ZendeskConnectorOptions) {
    this.#options = options;
    const baseUrl = options.url.replace(/\/+$/, '');
    const credentials = new ZendeskCredentials(baseUrl, options.auth, {
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      ...(options.onTokens === undefined ? {} : { onTokens: options.onTokens }),
    });
    const secondMs = options.secondMs ?? 1000;
    const shared = {
      baseUrl: `${baseUrl}/api/v2`,
      secondMs,
      serviceName: 'Zendesk',
      authorize: () => credentials.headers(),
      refreshCredentials: () => credentials.refresh(),
      describeError: describeZendeskError,
      retries: options.retries ?? 6,
      ...(options.retryDelayMs === undefined
        ? {}
        : { minRetryDelayMs: options.retryDelayMs.min, maxRetryDelayMs: options.retryDelayMs.max }),
      onResponse: (info: ResponseInfo) => {
        this.#observeClock(info);
        options.onResponse?.(info);
      },
      ...(options.onWait === undefined ? {} : { onWait: options.onWait }),
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    };
    // Issue 12.10: a 429 or a spent account budget holds both clients (the limit is the account's).
    const sharedPause = new RequestPause();
    this.#api = new HttpClient({
      ...shared,
      accountPause: sharedPause,
      budget: { requests: options.rateLimitPerMinute ?? 160, intervalMs: 60 * secondMs },
      // Keep a few requests of the minute for those already in flight.
      pauseAfter: (info) => accountPause(info, 2, secondMs),
    });
    this.#exports = new HttpClient({
      ...shared,
      accountPause: sharedPause,
      budget: { requests: options.incrementalPerMinute ?? 10, intervalMs: 60 * secondMs },
      pauseAfter: (info) => accountPause(info, 0, secondMs),
      pauseOwnAfter: (info) => exportPause(info, secondMs),
    });
    this.#jobs = new JobPoller({
      fetchStatuses: async (ids) =>
        (await this.#get('/job_statuses/show_many.json', jobStatusList, { ids: ids.join(',') })).job_statuses,
      initialDelayMs: options.jobPollDelayMs ?? 500,
      maxDelayMs: options.jobPollMaxDelayMs ?? 8_000,
      timeoutMs: 15 * 60_000,
    });
    this.#perUser = new PerUserLimiter(options.perUserUpdatesPerMinute ?? 5, { windowMs: 60 * secondMs });
    this.#jobSlots = new PQueue({ concurrency: options.jobsInFlight ?? 20 });
    this.#creates = new ZendeskCreates(
      {
        get: (path, schema, query) => this.#get(path, schema, query),
        post: async (path, schema, body) => (await this.#request('POST', path, { schema, body })).body,
        runJob: (path, body) => this.#runJob('POST', path, body, false),
        waitForJob: (id, timeoutMs) => this.#jobs.wait(id, timeoutMs),
        isOwnJob: (id) => this.#ownJobs.has(id),
        log: (level, message) => this.#log(level, message),
      },
      { jobsInFlight: options.jobsInFlight ?? 20, lostJobWaitMs: options.lostJobWaitMs ?? 60_000 },
    );
    if (options.auth.kind === 'api-token') {
      // Trap 1: API tokens stop working on 2027-04-30.
      this.#log(
        'warn',
        'Zendesk retires API tokens (none issued after 2026-10-27, all dead on 2027-04-30); switch to OAuth',
      );
    }
  }

  /**
   * Submits one bulk request and waits for its job, holding one of the job slots meanwhile: Zendesk
   * refuses new jobs past 30 queued or running (§3.1), whatever writes run at the same time.
   * Resolves undefined when the job's outcome is unknown (expired or never finished).
   */
  #runJob(
    method: 'POST' | 'PUT',
    path: string,
    body: unknown,
    repeatable: boolean,
  ): Promise<WireJobStatus | undefined> {
    return this.#jobSlots.add(async () => {
      const answer = await this.#request(method, path, { schema: jobStatusAnswer, body, repeatable });
      this.#ownJobs.add(answer.body.job_status.id);
      return this.#jobs.wait(answer.body.job_status.id);
    });
  }

  /** Zendesk's clock as its last `Date` header told it, as an offset from ours. */
  #observeClock(info: ResponseInfo): void {
    const date = Date.parse(headerValue(info.headers, 'date') ?? '');
    if (!Number.isNaN(date)) this.#clockOffsetMs = date - Date.now();
  }

  /** Now, in epoch seconds by Zendesk's clock (ours until Zendesk has answered once). */
  #zendeskSeconds(): number {
    return epochSeconds(new Date(Date.now() + this.#clockOffsetMs));
  }

  /**
   * §4.1: an export start must be at least a minute in the past by Zendesk's clock; 61 s keeps a
   * second's margin. An earlier start only reads some records again (they are de-duplicated).
   */
  #clampStart<P extends Extract<FeedPosition, { kind: 'start' | 'time' }>>(position: P): P {
    const latest = this.#zendeskSeconds() - minimumStartAgeSeconds;
    if (position.startTime <= latest) return position;
    return position.kind === 'time' ? { ...position, startTime: latest, seen: [] } : { ...position, startTime: latest };
  }

  /**
   * Whether a refused export start means "nothing to read yet": 422 is the recorded answer for a
   * start inside the withheld minute, 400 the observed one for a start in the future (api-review
   * #13); either only for a start that is recent or ahead by Zendesk's clock.
   */
  #tooRecentStart(error: unknown, startTime: number): boolean {
    if (!(error instanceof SyncError) || (error.status !== 400 && error.status !== 422)) return false;
    return startTime > this.#zendeskSeconds() - 5 * 60;
  }

  /** Job polls made so far (each costs one request of the account budget). */
  get jobPolls(): number {
    return this.#jobs.polls;
  }

  #log(level: 'info' | 'warn', message: string): void {
    this.#options.log?.({ level, message });
  }

  #request<T>(method: HttpMethod, path: string, options: RequestOptions<T>) {
    return this.#api.request(method, path, options);
  }

  async #get<T>(path: string, schema: z.ZodType<T>, query?: RequestOptions<T>['query']): Promise<T> {
    return (await this.#request('GET', path, { schema, ...(query === undefined ? {} : { query }) })).body;
  }

  #recordType(type: RecordType): ZendeskRecordType {
    if (type === 'user' || type === 'organization' || type === 'ticket') return type;
    throw new SyncError('bug', `Zendesk has no record type "${type}"`);
  }

  // ---- verify ----------------------------------------------------------------------------------

  async verify(): Promise<void> {
    // §1: users/me answers 200 "Anonymous user" to bad credentials, so ask a resource endpoint.
    try {
      await this.#get('/organizations.json', cursorListPage('organizations', wireOrganization), { 'page[size]': 1 });
    } catch (error) {
      const failure = asSyncError(error);
      if (failure.code === 'not_found') {
        throw new SyncError('config', `No Zendesk API at ${this.#options.url}: check the account URL`, {
          cause: failure,
        });
      }
      if (failure.code === 'auth') {
        throw new SyncError('auth', `Zendesk refused the credentials: ${failure.message}`, {
          cause: failure,
          ...(failure.status === undefined ? {} : { status: failure.status }),
        });
      }
      throw failure;
    }
    await this.#verifyExports();
  }

  /**
   * Issue 12.8: the change feeds are incremental exports, "Allowed For: Admins" (ZD-OAS). Agent
   * credentials pass the probe above and would then fail every read; one small export read proves
   * the role (it costs one of the exports' 10 requests a minute).
   */
  async #verifyExports(): Promise<void> {
    try {
      await this.#exports.request('GET', '/incremental/organizations.json', {
        schema: organizationExportPage,
        query: { start_time: this.#zendeskSeconds() - 3_600, per_page: 1 },
      });
    } catch (error) {
      const failure = asSyncError(error);
      if (failure.status === 403) {
        throw new SyncError(
          'auth',
          'Zendesk refused its incremental exports to these credentials: Tandem reads changes through them, and Zendesk allows them to admins only. Use an OAuth token or API token of a Zendesk admin',
          { cause: failure, status: 403 },
        );
      }
      throw failure;
    }
  }

  // ---- reads -----------------------------------------------------------------------------------

  async *readChanges(type: RecordType, cursor: string | null, options: ReadOptions = {}): AsyncIterable<ChangePage> {
    const recordType = this.#recordType(type);
    let position = decodeCursor(recordType, cursor);
    // A start time we worked out ourselves (after a full scan) may be too young for Zendesk; the
    // positions Zendesk hands out (after_cursor, end_time) are its own and left alone.
    const ownStart = cursor?.startsWith(`zendesk:${recordType}:start:`) === true;
    if (position.kind === 'time') {
      yield* this.#readTimeExport(recordType, ownStart ? this.#clampStart(position) : position, options);
      return;
    }
    if (position.kind === 'start' && ownStart) position = this.#clampStart(position);
    const key = recordType === 'user' ? 'users' : 'tickets';
    const schema = cursorExportPage(key, z.unknown());
    const groups = new Map<string, readonly string[] | null>();
    for (;;) {
      const query =
        position.kind === 'cursor'
          ? { cursor: position.cursor, per_page: this.#options.exportPageSize ?? 1000 }
          : {
              start_time: position.kind === 'start' ? position.startTime : 0,
              per_page: this.#options.exportPageSize ?? 1000,
            };
      let page: z.infer<typeof schema>;
      try {
        page = (
          await abortable(
            this.#exports.request('GET', `/incremental/${key}/cursor.json`, { schema, query }),
            options.signal,
          )
        ).body;
      } catch (error) {
        // §4.1: a start_time inside the withheld minute is refused; nothing is there to read yet.
        if (position.kind === 'start' && this.#tooRecentStart(error, position.startTime)) {
          // The refusal's Date header taught us Zendesk's clock: resume from a start it accepts.
          yield { records: [], cursor: encodeCursor(recordType, this.#clampStart(position)) };
          return;
        }
        throw error;
      }
      const read = readRecords(recordType, page[key]);
      const records = new Map<string, SourceRecord>();
      for (const record of await this.#withGroups(read.records, groups)) records.set(record.ref.id, record);
      // §4.1: the last page still carries after_cursor; it is where the next read starts.
      if (page.after_cursor !== null) position = { kind: 'cursor', cursor: page.after_cursor };
      yield changePage([...records.values()], encodeCursor(recordType, position), read.rejected);
      if (page.end_of_stream) return;
      options.signal?.throwIfAborted();
    }
  }

  /**
   * Organizations have only the time-based export (§4.1): pages group whole seconds and the next
   * page starts at the last second again (trap 6). The cursor carries the ids already delivered at
   * that second, so the overlap is not delivered twice.
   */
  async *#readTimeExport(
    type: ZendeskRecordType,
    start: Extract<FeedPosition, { kind: 'time' }>,
    options: ReadOptions,
  ): AsyncIterable<ChangePage> {
    let position = start;
    let stalled = false;
    for (;;) {
      let page: z.infer<typeof organizationExportPage>;
      try {
        page = (
          await abortable(
            this.#exports.request('GET', '/incremental/organizations.json', {
              schema: organizationExportPage,
              query: { start_time: position.startTime, per_page: this.#options.exportPageSize ?? 1000 },
            }),
            options.signal,
          )
        ).body;
      } catch (error) {
        if (this.#tooRecentStart(error, position.startTime)) {
          yield { records: [], cursor: encodeCursor(type, this.#clampStart(position)) };
          return;
        }
        throw error;
      }
      const read = readRecords(type, page.organizations);
      const seen = new Set(position.seen);
      const records = new Map<string, SourceRecord>();
      for (const organization of read.records) {
        if (secondOf(organization) === position.startTime && seen.has(Number(organization.ref.id))) continue;
        records.set(organization.ref.id, organization);
      }
      let endTime = Math.max(page.end_time ?? position.startTime, position.startTime);
      if (endTime === position.startTime && !page.end_of_stream && records.size === 0) {
        // Trap 6: more than a page shares one second and the feed does not move: step past it.
        endTime += 1;
        if (!stalled)
          this.#log(
            'warn',
            `the Zendesk organization export did not advance past ${position.startTime}; skipping one second`,
          );
        stalled = true;
      }
      const atEnd = read.records
        .filter((organization) => secondOf(organization) === endTime)
        .map((organization) => Number(organization.ref.id));
      const carried = endTime === position.startTime ? position.seen : [];
      position = { kind: 'time', startTime: endTime, seen: [...new Set([...carried, ...atEnd])] };
      yield changePage([...records.values()], encodeCursor(type, position), read.rejected);
      if (page.end_of_stream) return;
      options.signal?.throwIfAborted();
    }
  }

  async *readAll(type: RecordType, options: ReadOptions = {}): AsyncIterable<ChangePage> {
    const recordType = this.#recordType(type);
    const key = plural[recordType];
    const schema = cursorListPage(key, z.unknown());
    const groups = new Map<string, readonly string[] | null>();
    let after: string | null = null;
    let resumeFrom: string | undefined;
    for (;;) {
      const response: HttpResponse<z.infer<typeof schema>> = await abortable(
        this.#request('GET', `/${key}.json`, {
          schema,
          query: { 'page[size]': maxBatch, ...(after === null ? {} : { 'page[after]': after }) },
        }),
        options.signal,
      );
      if (resumeFrom === undefined) {
        // The change feed resumes from the scan's start as Zendesk's clock tells it (the Date header),
        // less a minute for what changed while the first page was served.
        const date = Date.parse(headerValue(response.headers, 'date') ?? '');
        const startTime = Math.max(0, epochSeconds(new Date(Number.isNaN(date) ? Date.now() : date)) - 60);
        resumeFrom = encodeCursor(recordType, { kind: 'start', startTime });
      }
      const read = readRecords(recordType, response.body[key]);
      yield changePage(await this.#withGroups(read.records, groups), resumeFrom, read.rejected);
      const meta: { has_more: boolean; after_cursor: string | null } = response.body.meta;
      if (!meta.has_more || meta.after_cursor === null) return;
      after = meta.after_cursor;
      options.signal?.throwIfAborted();
    }
  }

  async readByIds(type: RecordType, ids: readonly string[]): Promise<readonly SourceRecord[]> {
    const recordType = this.#recordType(type);
    const key = plural[recordType];
    const numeric = [...new Set(ids.filter((id) => /^\d+$/.test(id)))];
    const records: SourceRecord[] = [];
    for (const part of chunk(numeric, maxBatch)) {
      const body = await this.#get(`/${key}/show_many.json`, recordList(key, recordSchemas[recordType]), {
        ids: part.join(','),
      });
      records.push(...body[key]);
    }
    return this.#withGroups(records, new Map());
  }

  /**
   * Tickets with a group get the group's members (§6.2: an assignee must be a member of the ticket's
   * group, else 422), read once per group per read; other records pass unchanged.
   */
  async #withGroups(
    records: readonly SourceRecord[],
    cache: Map<string, readonly string[] | null>,
  ): Promise<SourceRecord[]> {
    for (const record of records) {
      const groupId = record.facts?.groupId;
      if (groupId !== undefined && groupId !== null && !cache.has(groupId))
        cache.set(groupId, await this.#groupMembersOrUnknown(groupId));
    }
    return cache.size === 0 ? [...records] : records.map((record) => withGroupMembers(record, cache));
  }

  /** A group's members; null (unknown: the planner then does not judge) when they could not be read. */
  async #groupMembersOrUnknown(groupId: string): Promise<readonly string[] | null> {
    try {
      return await this.#groupMembers(groupId);
    } catch (error) {
      const failure = asSyncError(error);
      if (concernsWholeCall(failure)) throw failure;
      this.#log('warn', `the members of Zendesk group ${groupId} could not be read (${failure.message})`);
      return null;
    }
  }

  async #groupMembers(groupId: string): Promise<readonly string[]> {
    const schema = cursorListPage('group_memberships', wireGroupMembership);
    const members: string[] = [];
    let after: string | null = null;
    try {
      for (;;) {
        const page: z.infer<typeof schema> = await this.#get(`/groups/${groupId}/memberships.json`, schema, {
          'page[size]': maxBatch,
          ...(after === null ? {} : { 'page[after]': after }),
        });
        for (const membership of page.group_memberships) members.push(String(membership.user_id));
        if (!page.meta.has_more || page.meta.after_cursor === null) return members.sort();
        after = page.meta.after_cursor;
      }
    } catch (error) {
      if (isSyncError(error) && error.code === 'not_found') return []; // the group is gone: nobody is a member
      throw error;
    }
  }

  // ---- writes ----------------------------------------------------------------------------------

  async write(type: RecordType, operations: readonly WriteOperation[]): Promise<readonly WriteOutcome[]> {
    const recordType = this.#recordType(type);
    const outcomes: Outcomes = new Map();
    const creates = operations.filter((operation): operation is CreateOperation => operation.kind === 'create');
    const updates = operations.filter((operation): operation is UpdateOperation => operation.kind === 'update');
    await Promise.all([
      this.#creates.createAll(recordType, creates, outcomes),
      this.#updateAll(recordType, updates, outcomes),
    ]);
    return operations.map(
      (operation) =>
        outcomes.get(operation.key) ?? {
          key: operation.key,
          status: 'failed',
          error: new SyncError('bug', `no outcome was recorded for ${operation.key}`),
        },
    );
  }

  async #updateAll(type: ZendeskRecordType, requested: readonly UpdateOperation[], outcomes: Outcomes): Promise<void> {
    const operations = await settleConditionalUpdates(type, requested, outcomes, {
      readByIds: (ids) => this.readByIds(type, ids),
      // One read of each group's members for the whole write call, not one per ticket written.
      ticket: this.#ticketCalls(new Map()),
      fail: (failed, error) => failRest(failed, outcomes, error),
    });
    if (operations.length === 0) return;
    // Rounds keep two updates of one record apart: results are matched on id.
    const rounds: UpdateOperation[][] = [];
    const seenCount = new Map<string, number>();
    for (const operation of operations) {
      const round = seenCount.get(operation.id) ?? 0;
      seenCount.set(operation.id, round + 1);
      const members = rounds[round] ?? [];
      members.push(operation);
      rounds[round] = members;
    }
    for (const round of rounds) {
      const failures = new Map<string, SyncError>();
      const changed = new Set<string>();
      await Promise.all([
        this.#bulkUpdate(type, round, failures, changed, outcomes),
        type === 'user' ? this.#changeEmails(round, failures, changed) : Promise.resolve(),
      ]);
      for (const operation of round) {
        if (outcomes.has(operation.key)) continue;
        const error = failures.get(operation.key);
        outcomes.set(
          operation.key,
          error !== undefined
            ? { key: operation.key, status: 'failed', error }
            : { key: operation.key, status: changed.has(operation.key) ? 'updated' : 'unchanged' },
        );
      }
    }
  }

  #ticketCalls(groups: Map<string, readonly string[] | null>): TicketUpdateCalls {
    return {
      put: async (id, ticket) => {
        if (!/^\d+$/.test(id)) throw new SyncError('bug', `"${id}" is not a Zendesk id`);
        const answer = await this.#request('PUT', `/tickets/${id}.json`, {
          schema: ticketAnswer,
          body: { ticket },
          // A repeat after a lost answer meets its own write: 409 (the stamp moved), settled by a read.
          repeatable: true,
        });
        return (await this.#withGroups([answer.body.ticket], groups))[0] ?? answer.body.ticket;
      },
      read: async (id) => {
        try {
          const { ticket } = await this.#get(`/tickets/${id}.json`, ticketAnswer);
          return (await this.#withGroups([ticket], groups))[0];
        } catch (error) {
          if (isSyncError(error) && error.code === 'not_found') return undefined;
          throw error;
        }
      },
    };
  }

  async #bulkUpdate(
    type: ZendeskRecordType,
    operations: readonly UpdateOperation[],
    failures: Map<string, SyncError>,
    changed: Set<string>,
    outcomes: Outcomes,
  ): Promise<void> {
    const key = plural[type];
    const items: { operation: UpdateOperation; item: Record<string, unknown> }[] = [];
    for (const operation of operations) {
      try {
        const item =
          type === 'user'
            ? userUpdateItem(operation)
            : type === 'ticket'
              ? ticketUpdateItem(operation)
              : organizationUpdateItem(operation);
        if (!/^\d+$/.test(operation.id)) throw new RangeError(`"${operation.id}" is not a Zendesk id`);
        if (changesSomething(item)) items.push({ operation, item });
      } catch (error) {
        failures.set(operation.key, asSyncError(error));
      }
    }
    await forEachConcurrently(chunk(items, maxBatch), this.#options.jobsInFlight ?? 20, async (batch) => {
      try {
        // update_many writes values, not deltas: sending it again is harmless.
        for (let attempt = 1; ; attempt++) {
          const body = { [key]: batch.map((entry) => entry.item) };
          const job = await this.#runJob('PUT', `/${key}/update_many.json`, body, true);
          if (job !== undefined) {
            this.#mapUpdateResults(type, batch, jobResults(job), failures, changed);
            return;
          }
          if (attempt >= maxUpdateAttempts)
            throw new SyncError('transient', `Zendesk did not finish the ${type} update job`);
        }
      } catch (error) {
        failRest(
          batch.map((entry) => entry.operation),
          outcomes,
          error,
        );
      }
    });
  }

  /** §3.1: update results are keyed by record id: `{id, action:"update", status:"Updated", success}`. */
  #mapUpdateResults(
    type: ZendeskRecordType,
    batch: readonly { operation: UpdateOperation }[],
    results: readonly JobResultItem[],
    failures: Map<string, SyncError>,
    changed: Set<string>,
  ): void {
    const byId = new Map(
      results.filter((result) => result.id !== undefined).map((result) => [String(result.id), result]),
    );
    for (const { operation } of batch) {
      const result = byId.get(operation.id);
      if (result === undefined) {
        failures.set(
          operation.key,
          new SyncError('malformed', `Zendesk's update job did not report ${type} ${operation.id}`),
        );
      } else if (result.success === false || result.error !== undefined || result.status === 'Failed') {
        failures.set(operation.key, jobItemError(result, `update ${type} ${operation.id}`));
      } else {
        changed.add(operation.key);
      }
    }
  }

  /**
   * Trap 3: setting `email` on a user only adds a secondary identity. The new address becomes an
   * identity (if it is not one already) and then the primary; the old one stays as a secondary,
   * as the update contract keeps the other values of a multi-valued property.
   */
  async #changeEmails(
    operations: readonly UpdateOperation[],
    failures: Map<string, SyncError>,
    changed: Set<string>,
  ): Promise<void> {
    const emailChanges = operations.filter((operation) => operation.values.email !== undefined);
    await forEachConcurrently(emailChanges, 4, async (operation) => {
      const email = operation.values.email;
      try {
        if (!/^\d+$/.test(operation.id)) throw new RangeError(`"${operation.id}" is not a Zendesk id`);
        if (email === null || email === undefined || email.trim() === '') {
          throw new SyncError(
            'validation',
            'Zendesk keeps a primary e-mail once a user has one; it cannot be cleared',
            {
              fields: { email: ['cannot remove the primary e-mail'] },
            },
          );
        }
        if (await this.#makePrimaryEmail(operation.id, email.trim())) changed.add(operation.key);
      } catch (error) {
        const failure = asSyncError(error);
        failures.set(operation.key, failure);
        if (concernsWholeCall(failure)) throw failure;
      }
    });
  }

  /** Returns whether anything changed. */
  async #makePrimaryEmail(userId: string, email: string): Promise<boolean> {
    const path = `/users/${userId}/identities`;
    // Issue 12.10: a user may have more identities than one page holds; read until next_page is null.
    const find = async () => {
      for (let page = 1; ; page++) {
        const body = await this.#get(`${path}.json`, identityList, { page, per_page: maxBatch });
        const found = body.identities.find(
          (identity) => identity.type === 'email' && identity.value.toLowerCase() === email.toLowerCase(),
        );
        if (found !== undefined || body.next_page === null || body.next_page === undefined) return found;
      }
    };
    let identity = await find();
    if (identity?.primary === true) return false;
    if (identity === undefined) {
      await this.#perUser.acquire(userId);
      try {
        identity = (
          await this.#request('POST', `${path}.json`, {
            schema: identityAnswer,
            body: { identity: { type: 'email', value: email, skip_verify_email: true } },
          })
        ).body.identity;
      } catch (error) {
        if (!(error instanceof SyncError && mayHaveTakenEffect(error))) throw error;
        identity = await find(); // the identity may exist although the answer was lost
        if (identity === undefined) throw error;
      }
    }
    await this.#perUser.acquire(userId);
    await this.#request('PUT', `${path}/${identity.id}/make_primary.json`, { schema: ignoredBody });
    return true;
  }

  async close(): Promise<void> {
    await Promise.all([this.#api.close(), this.#exports.close()]);
  }
}
