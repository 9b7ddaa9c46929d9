/**
 * Creating records in Zendesk without ever guessing a link (issue 12.1, 12.2) or making one twice.
 *
 * - Every create carries `external_id` = the operation's handle; users, organizations and tickets
 *   all go through `create_many` (≤100 a call). Ticket results carry their index (§3.1); user and
 *   organization results are `{id, status}` with no index and no documented order, so the batch is
 *   read back by external id (`show_many?external_ids=`, one read per 100) and matched on it. No
 *   result is ever mapped to an operation by its position.
 * - `create_many` never touches an existing user: a user whose e-mail is taken fails (unlike
 *   `create_or_update_many`, which would rename the holder and overwrite its external id,
 *   organization and phone, ZD-OAS CreateOrUpdateManyUsers). The holder of the e-mail is looked up
 *   and reported `merged`, so the engine links it and writes its values through the update path.
 * - A create whose answer was lost waits only for jobs that could be ours (unknown to us, unfinished,
 *   of the batch's size), never for every job on the account, then looks the handles up; a lookup
 *   adopts only records whose external id is the handle asked for.
 */
import type { z } from 'zod';
import type { SourceRecord, ZendeskRecordType } from '../../core/model.js';
import { SyncError } from '../../core/sync-error.js';
import type { CreateOperation } from '../connector.js';
import { chunk, failRest, forEachConcurrently, maxBatch, type Outcomes } from './write-outcomes.js';
import { jobItemError, mayHaveTakenEffect } from './zendesk-errors.js';
import { plural, recordSchemas } from './zendesk-record-schemas.js';
import {
  createdRecord,
  organizationCreateItem,
  ticketCreateItem,
  userCreateItem,
  userRecord,
} from './zendesk-records.js';
import {
  identityList,
  type JobResultItem,
  jobResults,
  recentJobList,
  recordList,
  userAnswer,
  type WireJobStatus,
} from './zendesk-wire.js';

type Query = Readonly<Record<string, string | number | undefined>>;

/** What the create path needs from the connector: its budgeted requests and its job poller. */
export interface CreateTransport {
  get<T>(path: string, schema: z.ZodType<T>, query?: Query): Promise<T>;
  /** A single POST that is not repeated blindly. */
  post<T>(path: string, schema: z.ZodType<T>, body: unknown): Promise<T>;
  /** Submits a bulk create (not repeatable) and waits for its job; undefined when its outcome is unknown. */
  runJob(path: string, body: unknown): Promise<WireJobStatus | undefined>;
  /** Waits for a job submitted by someone, at most `timeoutMs`; undefined when it did not finish. */
  waitForJob(id: string, timeoutMs: number): Promise<WireJobStatus | undefined>;
  /** Whether this connector submitted the job (so it is not a lost one). */
  isOwnJob(id: string): boolean;
  log(level: 'info' | 'warn', message: string): void;
}

export interface CreateOptions {
  readonly jobsInFlight: number;
  /** How long a lost create waits for jobs that could be its own before looking up; default 60 s. */
  readonly lostJobWaitMs: number;
}

const createItems: Readonly<Record<ZendeskRecordType, (operation: CreateOperation) => unknown>> = {
  user: userCreateItem,
  organization: organizationCreateItem,
  ticket: ticketCreateItem,
};
/** Ticket external ids are not unique (§2.4); an ambiguous create retries at most this often. */
const maxCreateAttempts = 3;

const lower = (text: string) => text.toLowerCase();

/** Whether a job item failed (§3.1 shapes: `error`, `status:"Failed"`, `success:false`). */
function failedItem(result: JobResultItem): boolean {
  return result.error !== undefined || result.status === 'Failed' || result.success === false;
}

export class ZendeskCreates {
  readonly #transport: CreateTransport;
  readonly #options: CreateOptions;
  #bulkUserImportOff = false;

  constructor(transport: CreateTransport, options: CreateOptions) {
    this.#transport = transport;
    this.#options = options;
  }

  async createAll(type: ZendeskRecordType, operations: readonly CreateOperation[], outcomes: Outcomes): Promise<void> {
    if (operations.length === 0) return;
    const mayExist = operations.filter((operation) => operation.mayExist);
    if (mayExist.length > 0) {
      try {
        await this.#adoptExisting(type, mayExist, outcomes, () => false);
      } catch (error) {
        failRest(mayExist, outcomes, error);
      }
    }
    const remaining = operations.filter((operation) => !outcomes.has(operation.key));
    await forEachConcurrently(chunk(remaining, maxBatch), this.#options.jobsInFlight, async (batch) => {
      try {
        await this.#createBatch(type, batch, outcomes, 1);
      } catch (error) {
        failRest(batch, outcomes, error);
      }
    });
  }

  /**
   * Reports the records carrying these handles as created. `ours` says which of them this connector
   * made just now; the others were there before (`adopted`: their values are Zendesk's).
   */
  async #adoptExisting(
    type: ZendeskRecordType,
    operations: readonly CreateOperation[],
    outcomes: Outcomes,
    ours: (record: SourceRecord) => boolean,
  ): Promise<void> {
    const found = await this.findByExternalIds(
      type,
      operations.map((operation) => operation.externalId),
    );
    for (const operation of operations) {
      const record = found.get(lower(operation.externalId));
      if (record === undefined) continue;
      outcomes.set(operation.key, {
        key: operation.key,
        status: 'created',
        record,
        ...(ours(record) ? {} : { adopted: true }),
      });
    }
  }

  /**
   * Records by external id (lower-cased, as Zendesk compares them, §2.1/§2.3), keeping only records
   * whose external id is one asked for, whatever else an answer holds. Users and organizations
   * through show_many?external_ids= (≤100 a call); tickets one list call each, since their external
   * ids are not unique and have no show_many (§2.4, §3): the oldest matching ticket is taken.
   */
  async findByExternalIds(type: ZendeskRecordType, externalIds: readonly string[]): Promise<Map<string, SourceRecord>> {
    const wanted = new Set(externalIds.map(lower));
    const found = new Map<string, SourceRecord>();
    const keep = (records: readonly SourceRecord[]): SourceRecord[] => {
      const matching = records.filter((record) => wanted.has(lower(record.facts?.externalId ?? '')));
      if (matching.length < records.length) {
        this.#transport.log(
          'warn',
          `a Zendesk ${type} lookup by external id answered ${records.length - matching.length} record(s) carrying another external id; they were ignored`,
        );
      }
      return matching;
    };
    const key = plural[type];
    if (type === 'ticket') {
      await forEachConcurrently(externalIds, 8, async (externalId) => {
        const body = await this.#transport.get('/tickets.json', recordList('tickets', recordSchemas.ticket), {
          external_id: externalId,
        });
        const tickets = keep(body.tickets).filter(
          (ticket) => lower(ticket.facts?.externalId ?? '') === lower(externalId),
        );
        const oldest = tickets.sort((a, b) => Number(a.ref.id) - Number(b.ref.id))[0];
        if (tickets.length > 1)
          this.#transport.log('warn', `${tickets.length} Zendesk tickets carry external id ${externalId}`);
        if (oldest !== undefined) found.set(lower(externalId), oldest);
      });
      return found;
    }
    // A comma would split one external id into two in the show_many list.
    const listable = externalIds.filter((externalId) => !externalId.includes(','));
    for (const part of chunk(listable, maxBatch)) {
      const body = await this.#transport.get(`/${key}/show_many.json`, recordList(key, recordSchemas[type]), {
        external_ids: part.join(','),
      });
      for (const record of keep(body[key])) found.set(lower(record.facts?.externalId ?? ''), record);
    }
    for (const externalId of externalIds.filter((id) => id.includes(','))) {
      const path = type === 'user' ? '/users/search.json' : '/organizations/search.json';
      const body = await this.#transport.get(path, recordList(key, recordSchemas[type]), { external_id: externalId });
      const record = keep(body[key])[0];
      if (record !== undefined) found.set(lower(externalId), record);
    }
    return found;
  }

  async #createBatch(
    type: ZendeskRecordType,
    batch: readonly CreateOperation[],
    outcomes: Outcomes,
    attempt: number,
  ): Promise<void> {
    if (type === 'user' && this.#bulkUserImportOff) return this.#createUsersOneByOne(batch, outcomes);
    const key = plural[type];
    let job: WireJobStatus | undefined;
    try {
      job = await this.#transport.runJob(`/${key}/create_many.json`, {
        [key]: batch.map((operation) => createItems[type](operation)),
      });
    } catch (error) {
      // Trap 2: bulk user import must be switched on by the account owner; without it, one by one.
      if (type === 'user' && error instanceof SyncError && error.status === 403) {
        this.#bulkUserImportOff = true;
        this.#transport.log(
          'info',
          'Zendesk bulk user import is switched off for this account; creating users one by one',
        );
        return this.#createUsersOneByOne(batch, outcomes);
      }
      // The request may have reached Zendesk and queued a job whose answer we lost.
      if (error instanceof SyncError && mayHaveTakenEffect(error))
        return this.#settleUnknownCreates(type, batch, outcomes, attempt, true);
      throw error;
    }
    if (job === undefined) return this.#settleUnknownCreates(type, batch, outcomes, attempt, false);
    const results = jobResults(job);
    if (type === 'ticket') this.#mapTicketResults(batch, results, outcomes);
    else await this.#mapByExternalId(type, batch, results, outcomes);
    const unsettled = batch.filter((operation) => !outcomes.has(operation.key));
    if (unsettled.length > 0) await this.#settleUnknownCreates(type, unsettled, outcomes, attempt, false);
  }

  /** §3.1: ticket results carry their index into the request. */
  #mapTicketResults(batch: readonly CreateOperation[], results: readonly JobResultItem[], outcomes: Outcomes): void {
    for (const result of results) {
      const operation = result.index === undefined ? undefined : batch[result.index];
      if (operation === undefined) continue;
      outcomes.set(
        operation.key,
        !failedItem(result) && result.id !== undefined
          ? { key: operation.key, status: 'created', record: createdRecord('ticket', String(result.id), operation) }
          : { key: operation.key, status: 'failed', error: jobItemError(result, 'create the ticket') },
      );
    }
  }

  /**
   * §3.1: user and organization results are `{id, status:"Created"}` with no index and in no
   * order, so the batch is read back by external id and matched on it. A record found with an id
   * the job did not report was there before (an earlier attempt, or another state). A user whose
   * e-mail another user holds is merged with that user; what is still unexplained gets the failures.
   */
  async #mapByExternalId(
    type: 'user' | 'organization',
    batch: readonly CreateOperation[],
    results: readonly JobResultItem[],
    outcomes: Outcomes,
  ): Promise<void> {
    const createdIds = new Set(
      results.filter((result) => !failedItem(result) && result.id !== undefined).map((result) => String(result.id)),
    );
    await this.#adoptExisting(type, batch, outcomes, (record) => createdIds.has(record.ref.id));
    const failures = results.filter(failedItem);
    if (failures.length === 0) return;
    if (type === 'user')
      await this.#mergeEmailHolders(
        batch.filter((operation) => !outcomes.has(operation.key)),
        outcomes,
      );
    const what = `create the ${type}`;
    for (const failure of failures) {
      // The failure shape of these endpoints was not captured (§10); use its index when it has one.
      const operation = failure.index === undefined ? undefined : batch[failure.index];
      if (operation !== undefined && !outcomes.has(operation.key)) {
        outcomes.set(operation.key, { key: operation.key, status: 'failed', error: createError(type, failure, what) });
      }
    }
    const unexplained = batch.filter((operation) => !outcomes.has(operation.key));
    const [first] = failures;
    if (first !== undefined && unexplained.length === failures.length) {
      // Without indexes the failures cannot be told apart: each unexplained item gets the first reason.
      for (const operation of unexplained) {
        outcomes.set(operation.key, { key: operation.key, status: 'failed', error: createError(type, first, what) });
      }
    }
  }

  /**
   * Issue 12.2: a user create whose e-mail another Zendesk user holds is that user (the flows merge
   * on e-mail). It is reported `merged`, unchanged, so the engine links it and plans its values.
   */
  async #mergeEmailHolders(operations: readonly CreateOperation[], outcomes: Outcomes): Promise<void> {
    await forEachConcurrently(operations, 4, async (operation) => {
      const email = operation.values.email?.trim();
      if (email === undefined || email === '') return;
      const holder = await this.#userWithEmail(email);
      if (holder !== undefined) outcomes.set(operation.key, { key: operation.key, status: 'merged', record: holder });
    });
  }

  /**
   * The user holding an e-mail, primary or not. Search is the only lookup by e-mail (§3); it lags
   * for users changed in the last minutes (trap 7), so a miss settles nothing. A hit is checked
   * against the user's identities, since search also matches parts of values.
   */
  async #userWithEmail(email: string): Promise<SourceRecord | undefined> {
    const body = await this.#transport.get('/users/search.json', recordList('users', recordSchemas.user), {
      query: `email:${email}`,
    });
    const holders: SourceRecord[] = [];
    for (const user of body.users.slice(0, 5)) {
      if (user.deleted) continue;
      if (lower(user.values.email ?? '') === lower(email)) {
        holders.push(user);
        continue;
      }
      if (await this.#hasEmailIdentity(user.ref.id, email)) holders.push(user);
    }
    return holders.length === 1 ? holders[0] : undefined;
  }

  /** Whether one of the user's identities, on any page of the list, is the e-mail. */
  async #hasEmailIdentity(userId: string, email: string): Promise<boolean> {
    for (let page = 1; ; page++) {
      const body = await this.#transport.get(`/users/${userId}/identities.json`, identityList, {
        page,
        per_page: maxBatch,
      });
      if (body.identities.some((identity) => identity.type === 'email' && lower(identity.value) === lower(email)))
        return true;
      if (body.next_page === null || body.next_page === undefined) return false;
    }
  }

  /** Bulk import switched off (trap 2): `POST /users` one at a time, which never touches an existing user either. */
  async #createUsersOneByOne(batch: readonly CreateOperation[], outcomes: Outcomes): Promise<void> {
    await forEachConcurrently(batch, 4, async (operation) => {
      try {
        const answer = await this.#transport.post('/users.json', userAnswer, { user: userCreateItem(operation) });
        outcomes.set(operation.key, { key: operation.key, status: 'created', record: userRecord(answer.user) });
      } catch (error) {
        if (!(error instanceof SyncError) || !(error.code === 'validation' || mayHaveTakenEffect(error))) throw error;
        // Refused (a taken external id or e-mail) or answer lost: find out what is there.
        await this.#adoptExisting('user', [operation], outcomes, () => mayHaveTakenEffect(error));
        if (!outcomes.has(operation.key)) await this.#mergeEmailHolders([operation], outcomes);
        failRest([operation], outcomes, error);
      }
    }).catch((error: unknown) => failRest(batch, outcomes, error));
  }

  /**
   * A create batch whose outcome is unknown (answer lost, job expired): when the answer was lost,
   * first wait for the jobs that could be ours; then look the handles up, adopt what exists and
   * create the rest again. While a job that could be ours still runs, nothing is created again (it
   * could make a second ticket): those creates fail as transient and are looked up next time.
   */
  async #settleUnknownCreates(
    type: ZendeskRecordType,
    batch: readonly CreateOperation[],
    outcomes: Outcomes,
    attempt: number,
    answerLost: boolean,
  ): Promise<void> {
    const stillRunning = answerLost ? await this.#waitForLostJobs(batch.length) : false;
    await this.#adoptExisting(type, batch, outcomes, () => true);
    const rest = batch.filter((operation) => !outcomes.has(operation.key));
    if (rest.length === 0) return;
    if (stillRunning) {
      failRest(
        rest,
        outcomes,
        new SyncError(
          'transient',
          `a Zendesk job that may hold these ${type} creates is still running; looked up again next time`,
        ),
      );
      return;
    }
    if (attempt >= maxCreateAttempts) {
      failRest(
        rest,
        outcomes,
        new SyncError('transient', `Zendesk did not confirm the ${type} creates after ${attempt} attempts`),
      );
      return;
    }
    await this.#createBatch(type, rest, outcomes, attempt + 1);
  }

  /**
   * Issue 12.9: the job list holds every integration's recent jobs (§3.1), so only those that could
   * be our lost one are waited for: not submitted by us, unfinished, and of our batch's size when
   * the list says. Returns whether one of them is still unfinished after the wait.
   */
  async #waitForLostJobs(total: number): Promise<boolean> {
    const { job_statuses: jobs } = await this.#transport.get('/job_statuses.json', recentJobList, {
      'page[size]': 100,
    });
    const candidates = jobs.filter(
      (job) =>
        !this.#transport.isOwnJob(job.id) &&
        (job.status === 'queued' || job.status === 'working') &&
        (job.total === undefined || job.total === null || job.total === total),
    );
    const finished = await Promise.all(
      candidates.map((job) => this.#transport.waitForJob(job.id, this.#options.lostJobWaitMs)),
    );
    return finished.some((status) => status === undefined);
  }
}

/** A failed user or organization create; a taken value whose holder was not found may be found later. */
function createError(type: 'user' | 'organization', failure: JobResultItem, what: string): SyncError {
  const error = jobItemError(failure, what);
  if (type !== 'user' || failure.error !== 'DuplicateValue') return error;
  return new SyncError(
    'conflict',
    `${error.message} (no Zendesk user with that value could be found yet, search lags behind writes; tried again later)`,
    error.fields === undefined ? {} : { fields: error.fields },
  );
}
