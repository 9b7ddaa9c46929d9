/**
 * The Zendesk Support connector: reads changes through the incremental exports, scans through the
 * list endpoints, writes through the bulk endpoints with job polling, and keeps within Zendesk's
 * rate limits. Facts cite ../shared/docs/zendesk-api.md by section and trap number.
 *
 * Idempotent creates: every record we create carries `external_id` = the operation's handle.
 * Users are created with `create_or_update_many`, which matches on external_id (a repeat updates
 * instead of duplicating) and answers in request order; organizations and tickets with
 * `create_many`, and a create whose answer was lost is settled by looking its handles up
 * (`show_many?external_ids=`, or `tickets?external_id=`) once every queued job has run, never
 * through the lagging search index (trap 7).
 */
import PQueue from 'p-queue';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { RecordType, SourceRecord, ZendeskRecordType } from '../../core/model.js';
import { SyncError } from '../../core/sync-error.js';
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
  type ResponseInfo,
  type WaitInfo,
} from '../http-client.js';
import { JobPoller } from './job-poller.js';
import { type ZendeskAuth, ZendeskCredentials, type ZendeskTokens } from './zendesk-credentials.js';
import { decodeCursor, encodeCursor, type FeedPosition } from './zendesk-cursor.js';
import { describeZendeskError, jobItemError, mayHaveTakenEffect } from './zendesk-errors.js';
import { accountPause, exportPause, PerUserLimiter } from './zendesk-rate-limits.js';
import {
  changesSomething,
  createdRecord,
  organizationCreateItem,
  organizationRecord,
  organizationUpdateItem,
  ticketCreateItem,
  ticketRecord,
  ticketUpdateItem,
  userCreateItem,
  userRecord,
  userUpdateItem,
} from './zendesk-records.js';
import {
  cursorExportPage,
  cursorListPage,
  identityAnswer,
  identityList,
  ignoredBody,
  type JobResultItem,
  jobStatusAnswer,
  jobStatusList,
  recordList,
  timeExportPage,
  userAnswer,
  type WireJobStatus,
  wireOrganization,
  wireTicket,
  wireUser,
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
  /** Retries of one request after transient failures; default 6. */
  retries?: number;
  /** Backoff between retries, in ms; default 250 growing to 30,000 (a Retry-After always wins). */
  retryDelayMs?: { min: number; max: number };
  /** Observes every answer, for call counting. */
  onResponse?: (info: ResponseInfo) => void;
  /** Told whenever requests wait (Retry-After, rate limit, back-off), so the operator sees why. */
  onWait?: (wait: WaitInfo) => void;
  log?: (event: { level: 'info' | 'warn'; message: string }) => void;
  /** Called with the new tokens after an OAuth refresh; store them, the old refresh token is dead (OEXP). */
  onTokens?: (tokens: ZendeskTokens) => void;
  dispatcher?: Dispatcher;
}

const plural = { user: 'users', organization: 'organizations', ticket: 'tickets' } as const;
/** Wire records validated and turned into our records in one step, per record type. */
const recordSchemas = {
  user: wireUser.transform(userRecord),
  organization: wireOrganization.transform(organizationRecord),
  ticket: wireTicket.transform(ticketRecord),
} as const;
const maxBatch = 100;
/** Ticket external ids are not unique (§2.4); an ambiguous create retries at most this often. */
const maxCreateAttempts = 3;

type Outcomes = Map<string, WriteOutcome>;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}

async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}

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

/** Failures that concern the whole call (credentials, settings) reject it; others belong to their records. */
function concernsWholeCall(error: SyncError): boolean {
  return error.code === 'auth' || error.code === 'config';
}

function asSyncError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  if (error instanceof RangeError) return new SyncError('bug', error.message, { cause: error });
  throw error;
}

export class ZendeskConnector implements Connector {
  readonly system = 'zendesk' as const;
  readonly #api: HttpClient;
  readonly #exports: HttpClient;
  readonly #jobs: JobPoller;
  readonly #perUser: PerUserLimiter;
  readonly #jobSlots: PQueue;
  readonly #options: ZendeskConnectorOptions;
  #bulkUserImportOff = false;

  constructor(options: ZendeskConnectorOptions) {
    this.#options = options;
    const baseUrl = options.url.replace(/\/+$/, '');
    const credentials = new ZendeskCredentials(baseUrl, options.auth, {
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      ...(options.onTokens === undefined ? {} : { onTokens: options.onTokens }),
    });
    const shared = {
      baseUrl: `${baseUrl}/api/v2`,
      serviceName: 'Zendesk',
      authorize: () => credentials.headers(),
      refreshCredentials: () => credentials.refresh(),
      describeError: describeZendeskError,
      retries: options.retries ?? 6,
      ...(options.retryDelayMs === undefined
        ? {}
        : { minRetryDelayMs: options.retryDelayMs.min, maxRetryDelayMs: options.retryDelayMs.max }),
      ...(options.onResponse === undefined ? {} : { onResponse: options.onResponse }),
      ...(options.onWait === undefined ? {} : { onWait: options.onWait }),
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
    };
    this.#api = new HttpClient({
      ...shared,
      budget: { requests: options.rateLimitPerMinute ?? 160, intervalMs: 60_000 },
      // Keep a few requests of the minute for those already in flight.
      pauseAfter: (info) => accountPause(info, 2),
    });
    this.#exports = new HttpClient({
      ...shared,
      budget: { requests: options.incrementalPerMinute ?? 10, intervalMs: 60_000 },
      pauseAfter: exportPause,
    });
    this.#jobs = new JobPoller({
      fetchStatuses: async (ids) =>
        (await this.#get('/job_statuses/show_many.json', jobStatusList, { ids: ids.join(',') })).job_statuses,
      initialDelayMs: options.jobPollDelayMs ?? 500,
      maxDelayMs: options.jobPollMaxDelayMs ?? 8_000,
      timeoutMs: 15 * 60_000,
    });
    this.#perUser = new PerUserLimiter(options.perUserUpdatesPerMinute ?? 5);
    this.#jobSlots = new PQueue({ concurrency: options.jobsInFlight ?? 20 });
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
      return this.#jobs.wait(answer.body.job_status.id);
    });
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
  }

  // ---- reads -----------------------------------------------------------------------------------

  async *readChanges(type: RecordType, cursor: string | null, options: ReadOptions = {}): AsyncIterable<ChangePage> {
    const recordType = this.#recordType(type);
    let position = decodeCursor(recordType, cursor);
    if (position.kind === 'time') {
      yield* this.#readTimeExport(recordType, position, options);
      return;
    }
    const key = recordType === 'user' ? 'users' : 'tickets';
    const schema = cursorExportPage(key, z.unknown());
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
        if (error instanceof SyncError && error.status === 422 && position.kind === 'start') {
          yield { records: [], cursor: encodeCursor(recordType, position) };
          return;
        }
        throw error;
      }
      const read = readRecords(recordType, page[key]);
      const records = new Map<string, SourceRecord>();
      for (const record of read.records) records.set(record.ref.id, record);
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
        if (error instanceof SyncError && error.status === 422) {
          yield { records: [], cursor: encodeCursor(type, position) };
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
      yield changePage(read.records, resumeFrom, read.rejected);
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
    return records;
  }

  // ---- writes ----------------------------------------------------------------------------------

  async write(type: RecordType, operations: readonly WriteOperation[]): Promise<readonly WriteOutcome[]> {
    const recordType = this.#recordType(type);
    const outcomes: Outcomes = new Map();
    const creates = operations.filter((operation): operation is CreateOperation => operation.kind === 'create');
    const updates = operations.filter((operation): operation is UpdateOperation => operation.kind === 'update');
    await Promise.all([this.#createAll(recordType, creates, outcomes), this.#updateAll(recordType, updates, outcomes)]);
    return operations.map(
      (operation) =>
        outcomes.get(operation.key) ?? {
          key: operation.key,
          status: 'failed',
          error: new SyncError('bug', `no outcome was recorded for ${operation.key}`),
        },
    );
  }

  /** Records a failure for every operation without an outcome yet; rethrows whole-call failures. */
  #failRest(operations: readonly WriteOperation[], outcomes: Outcomes, error: unknown): void {
    const failure = asSyncError(error);
    if (concernsWholeCall(failure)) throw failure;
    for (const operation of operations) {
      if (!outcomes.has(operation.key))
        outcomes.set(operation.key, { key: operation.key, status: 'failed', error: failure });
    }
  }

  async #createAll(type: ZendeskRecordType, operations: readonly CreateOperation[], outcomes: Outcomes): Promise<void> {
    if (operations.length === 0) return;
    const mayExist = operations.filter((operation) => operation.mayExist);
    if (mayExist.length > 0) {
      try {
        await this.#adoptExisting(type, mayExist, outcomes);
      } catch (error) {
        this.#failRest(mayExist, outcomes, error);
      }
    }
    const remaining = operations.filter((operation) => !outcomes.has(operation.key));
    await forEachConcurrently(chunk(remaining, maxBatch), this.#options.jobsInFlight ?? 20, async (batch) => {
      try {
        await this.#createBatch(type, batch, outcomes, 1);
      } catch (error) {
        this.#failRest(batch, outcomes, error);
      }
    });
  }

  /** Finds records already carrying these handles and reports them as created (no second record). */
  async #adoptExisting(type: ZendeskRecordType, operations: readonly CreateOperation[], outcomes: Outcomes) {
    const found = await this.#findByExternalIds(
      type,
      operations.map((operation) => operation.externalId),
    );
    for (const operation of operations) {
      const record = found.get(operation.externalId.toLowerCase());
      if (record !== undefined) outcomes.set(operation.key, { key: operation.key, status: 'created', record });
    }
  }

  /**
   * Records by external id (lower-cased, as Zendesk compares them, §2.1/§2.3). Users and
   * organizations through show_many?external_ids= (≤100 a call); tickets one list call each, since
   * their external ids are not unique and have no show_many (§2.4, §3).
   */
  async #findByExternalIds(
    type: ZendeskRecordType,
    externalIds: readonly string[],
  ): Promise<Map<string, SourceRecord>> {
    const found = new Map<string, SourceRecord>();
    const key = plural[type];
    if (type === 'ticket') {
      await forEachConcurrently(externalIds, 8, async (externalId) => {
        const body = await this.#get('/tickets.json', recordList('tickets', recordSchemas.ticket), {
          external_id: externalId,
        });
        const oldest = [...body.tickets].sort((a, b) => Number(a.ref.id) - Number(b.ref.id))[0];
        if (body.tickets.length > 1)
          this.#log('warn', `${body.tickets.length} Zendesk tickets carry external id ${externalId}`);
        if (oldest !== undefined) found.set(externalId.toLowerCase(), oldest);
      });
      return found;
    }
    // A comma would split one external id into two in the show_many list.
    const listable = externalIds.filter((externalId) => !externalId.includes(','));
    for (const part of chunk(listable, maxBatch)) {
      const body = await this.#get(`/${key}/show_many.json`, recordList(key, recordSchemas[type]), {
        external_ids: part.join(','),
      });
      for (const record of body[key]) {
        const externalId = record.facts?.externalId;
        if (externalId !== undefined && externalId !== null) found.set(externalId.toLowerCase(), record);
      }
    }
    for (const externalId of externalIds.filter((id) => id.includes(','))) {
      const path = type === 'user' ? '/users/search.json' : '/organizations/search.json';
      const body = await this.#get(path, recordList(key, recordSchemas[type]), { external_id: externalId });
      const record = body[key][0];
      if (record !== undefined) found.set(externalId.toLowerCase(), record);
    }
    return found;
  }

  async #createBatch(type: ZendeskRecordType, batch: readonly CreateOperation[], outcomes: Outcomes, attempt: number) {
    if (type === 'user') return this.#createUsers(batch, outcomes, attempt);
    const key = plural[type];
    const items = batch.map((operation) =>
      type === 'ticket' ? ticketCreateItem(operation) : organizationCreateItem(operation),
    );
    let job: WireJobStatus | undefined;
    try {
      job = await this.#runJob('POST', `/${key}/create_many.json`, { [key]: items }, false);
    } catch (error) {
      // The request may have reached Zendesk and queued a job whose answer we lost.
      if (error instanceof SyncError && mayHaveTakenEffect(error))
        return this.#settleUnknownCreates(type, batch, outcomes, attempt);
      throw error;
    }
    if (job === undefined) return this.#settleUnknownCreates(type, batch, outcomes, attempt);
    const results = job.results ?? [];
    if (type === 'ticket') this.#mapTicketResults(batch, results, outcomes);
    else await this.#mapOrganizationResults(batch, results, outcomes);
    const unsettled = batch.filter((operation) => !outcomes.has(operation.key));
    if (unsettled.length > 0) await this.#settleUnknownCreates(type, unsettled, outcomes, attempt);
  }

  /** §3.1: ticket results carry their index into the request. */
  #mapTicketResults(batch: readonly CreateOperation[], results: readonly JobResultItem[], outcomes: Outcomes) {
    for (const result of results) {
      const operation = result.index === undefined ? undefined : batch[result.index];
      if (operation === undefined) continue;
      if (result.error === undefined && result.id !== undefined) {
        outcomes.set(operation.key, {
          key: operation.key,
          status: 'created',
          record: createdRecord('ticket', String(result.id), operation),
        });
      } else {
        outcomes.set(operation.key, {
          key: operation.key,
          status: 'failed',
          error: jobItemError(result, 'create the ticket'),
        });
      }
    }
  }

  /**
   * §3.1: organization results are `{id, status:"Created"}` with no index and in no order, so the
   * new records are read back once (one show_many per batch) and matched on external_id. A failed
   * item is looked up too: an earlier attempt may already have created it (duplicate external_id).
   */
  async #mapOrganizationResults(
    batch: readonly CreateOperation[],
    results: readonly JobResultItem[],
    outcomes: Outcomes,
  ) {
    const createdIds = results
      .filter((result) => result.error === undefined && result.id !== undefined)
      .map((result) => result.id);
    const byExternalId = new Map(batch.map((operation) => [operation.externalId.toLowerCase(), operation]));
    if (createdIds.length > 0) {
      const body = await this.#get(
        '/organizations/show_many.json',
        recordList('organizations', recordSchemas.organization),
        {
          ids: createdIds.join(','),
        },
      );
      for (const record of body.organizations) {
        const operation = byExternalId.get(record.facts?.externalId?.toLowerCase() ?? '');
        if (operation !== undefined) outcomes.set(operation.key, { key: operation.key, status: 'created', record });
      }
    }
    const failures = results.filter((result) => result.error !== undefined);
    if (failures.length === 0) return;
    const missing = batch.filter((operation) => !outcomes.has(operation.key));
    await this.#adoptExisting('organization', missing, outcomes);
    for (const failure of failures) {
      // The failure shape for organizations was not captured (§10); use its index when it has one.
      const operation = failure.index === undefined ? undefined : batch[failure.index];
      if (operation !== undefined && !outcomes.has(operation.key)) {
        outcomes.set(operation.key, {
          key: operation.key,
          status: 'failed',
          error: jobItemError(failure, 'create the organization'),
        });
      }
    }
    const unexplained = batch.filter((operation) => !outcomes.has(operation.key));
    if (unexplained.length === failures.length) {
      // Without indexes the failures cannot be told apart: each unmatched item gets every reason.
      const reasons = failures.map((failure) => jobItemError(failure, 'create the organization'));
      for (const operation of unexplained) {
        outcomes.set(operation.key, {
          key: operation.key,
          status: 'failed',
          error: reasons[0] ?? new SyncError('validation', 'Zendesk refused to create the organization'),
        });
      }
    }
  }

  /**
   * A create batch whose outcome is unknown (answer lost, job expired): wait until Zendesk has run
   * every queued job, look the handles up, adopt what exists and create the rest again.
   */
  async #settleUnknownCreates(
    type: ZendeskRecordType,
    batch: readonly CreateOperation[],
    outcomes: Outcomes,
    attempt: number,
  ) {
    await this.#waitForQueuedJobs();
    await this.#adoptExisting(type, batch, outcomes);
    const rest = batch.filter((operation) => !outcomes.has(operation.key));
    if (rest.length === 0) return;
    if (attempt >= maxCreateAttempts) {
      this.#failRest(
        rest,
        outcomes,
        new SyncError('transient', `Zendesk did not confirm the ${type} creates after ${attempt} attempts`),
      );
      return;
    }
    await this.#createBatch(type, rest, outcomes, attempt + 1);
  }

  /** Polls the recent job list until none is queued or running (bounded), so a lost job has run. */
  async #waitForQueuedJobs(): Promise<void> {
    let delay = this.#options.jobPollDelayMs ?? 500;
    const deadline = Date.now() + 5 * 60_000;
    while (Date.now() < deadline) {
      const body = await this.#get('/job_statuses.json', jobStatusList, { 'page[size]': 100 });
      if (!body.job_statuses.some((job) => job.status === 'queued' || job.status === 'working')) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, this.#options.jobPollMaxDelayMs ?? 8_000);
    }
  }

  /**
   * Users go through create_or_update_many: it matches on external_id, so sending a batch again
   * cannot duplicate anyone, and its results keep the request order (Zendesk community post
   * 4408861015066). Trap 2: with bulk user import switched off (403) we write one by one.
   */
  async #createUsers(batch: readonly CreateOperation[], outcomes: Outcomes, attempt: number): Promise<void> {
    if (this.#bulkUserImportOff) return this.#createUsersOneByOne(batch, outcomes);
    let job: WireJobStatus | undefined;
    try {
      job = await this.#runJob('POST', '/users/create_or_update_many.json', { users: batch.map(userCreateItem) }, true);
    } catch (error) {
      if (error instanceof SyncError && error.status === 403) {
        if (!this.#bulkUserImportOff) {
          this.#bulkUserImportOff = true;
          this.#log('info', 'Zendesk bulk user import is switched off for this account; creating users one by one');
        }
        return this.#createUsersOneByOne(batch, outcomes);
      }
      throw error;
    }
    if (job === undefined) {
      if (attempt >= maxCreateAttempts) {
        return this.#failRest(
          batch,
          outcomes,
          new SyncError('transient', 'Zendesk did not finish the user import job'),
        );
      }
      return this.#createUsers(batch, outcomes, attempt + 1);
    }
    const results = job.results ?? [];
    const inOrder =
      results.length === batch.length &&
      results.every((result, index) => {
        const sent = batch[index]?.values.email;
        return (
          result.status === 'Failed' ||
          result.email == null ||
          sent == null ||
          result.email.toLowerCase() === sent.trim().toLowerCase()
        );
      });
    if (!inOrder) {
      // Not the documented shape: find out from Zendesk itself which users exist.
      await this.#adoptExisting('user', batch, outcomes);
      this.#failRest(
        batch,
        outcomes,
        new SyncError('malformed', 'Zendesk answered the user import with results that do not match the request'),
      );
      return;
    }
    const matched: CreateOperation[] = [];
    results.forEach((result, index) => {
      const operation = batch[index];
      if (operation === undefined) return;
      if (result.status === 'Failed' || result.error !== undefined || result.id === undefined) {
        outcomes.set(operation.key, {
          key: operation.key,
          status: 'failed',
          error: jobItemError(result, 'create the user'),
        });
      } else if (result.status === 'Created') {
        outcomes.set(operation.key, {
          key: operation.key,
          status: 'created',
          record: createdRecord('user', String(result.id), operation),
        });
      } else {
        matched.push(operation);
      }
    });
    // "Updated": the handle (or the e-mail) was already there; report the user as Zendesk holds it.
    if (matched.length > 0) await this.#adoptExisting('user', matched, outcomes);
    this.#failRest(
      matched,
      outcomes,
      new SyncError('malformed', 'Zendesk matched the user but it could not be read back'),
    );
  }

  async #createUsersOneByOne(batch: readonly CreateOperation[], outcomes: Outcomes): Promise<void> {
    await forEachConcurrently(batch, 4, async (operation) => {
      try {
        const answer = await this.#request('POST', '/users/create_or_update.json', {
          schema: userAnswer,
          body: { user: userCreateItem(operation) },
          repeatable: true,
        });
        outcomes.set(operation.key, { key: operation.key, status: 'created', record: userRecord(answer.body.user) });
      } catch (error) {
        this.#failRest([operation], outcomes, error);
      }
    });
  }

  async #updateAll(type: ZendeskRecordType, operations: readonly UpdateOperation[], outcomes: Outcomes): Promise<void> {
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
            this.#mapUpdateResults(type, batch, job.results ?? [], failures, changed);
            return;
          }
          if (attempt >= maxCreateAttempts)
            throw new SyncError('transient', `Zendesk did not finish the ${type} update job`);
        }
      } catch (error) {
        this.#failRest(
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
    const find = async () =>
      (await this.#get(`${path}.json`, identityList)).identities.find(
        (identity) => identity.type === 'email' && identity.value.toLowerCase() === email.toLowerCase(),
      );
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
