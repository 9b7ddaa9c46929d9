/**
 * The SuperOffice CRM Web API (REST v1) connector. Facts: ../shared/docs/superoffice-api.md.
 *
 * Reads. The change feeds (superoffice-change-feed.ts) page archive lists that carry each row's
 * key and exact change stamp, with `afterTime` from the last read's watermark minus a short
 * overlap, so a quiet cycle makes a few list calls whatever the tenant's size; contacts and
 * persons come from their rows, tickets with `GET /Ticket/{id}` (only the entity documents the
 * owner as an associate id and TimeToReply in minutes: docs/connectors.md). A record that fails on
 * its own is rejected and read again with back-off; merges come from the merge/move log. `readAll`
 * is the feed read from the beginning: the sweep that also finds what no stamp shows (an e-mail-
 * or phone-only edit may leave `updated` alone: §9 item 2).
 *
 * Writes. Updates only (the sync never creates in SuperOffice). Each update reads the entity,
 * checks it still holds what the engine read, and sends a JSON Patch of just the owned properties
 * with `If-Unmodified-Since` and `test` guards (superoffice-patches.ts); a record that changed
 * (before the PATCH, or 412/409 during it) is reported as a `conflict`, never written over. A user's `personEmail` and
 * `contactId` live on the user's person and are written there.
 */
import type { z } from 'zod';
import type { PropertyValues, RecordType, SourceRecord } from '../../core/model.js';
import { isSyncError, SyncError, type SyncErrorCode } from '../../core/sync-error.js';
import type {
  ChangePage,
  Connector,
  ReadOptions,
  RejectedRecord,
  UpdateCondition,
  WriteOperation,
  WriteOutcome,
} from '../connector.js';
import { type ErrorDescription, HttpClient, headerValue, type ResponseInfo, type WaitInfo } from '../http-client.js';
import { stillHolds } from '../record-condition.js';
import type { FeedType } from './change-feed-cursor.js';
import { parseRow, SuperOfficeChangeFeed } from './superoffice-change-feed.js';
import { type SuperOfficeAuth, SuperOfficeCredentials } from './superoffice-credentials.js';
import { hasOffset, httpDate, wireDateToMillis } from './superoffice-dates.js';
import { type ArchiveListQuery, type ContentFeedType, userPage } from './superoffice-feeds.js';
import { contactPatch, type PatchOperation, personPatch, ticketPatch } from './superoffice-patches.js';
import { contactRecord, personRecord, ticketRecord, userRecord } from './superoffice-records.js';
import { TenantHost } from './superoffice-tenant-host.js';
import {
  archiveAnswerSchema,
  contactEntitySchema,
  errorBodySchema,
  personEntitySchema,
  principalSchema,
  ticketEntitySchema,
  userRowSchema,
  type WireContact,
  type WirePerson,
  type WireTicket,
  type WireUserRow,
} from './superoffice-wire.js';

export type { SuperOfficeAuth } from './superoffice-credentials.js';

export interface SuperOfficeConnectorOptions {
  /**
   * A fixed tenant Web API base, e.g. https://superoffice.example.com/SuperOffice/api/v1 (on-site,
   * TANDEM_SUPEROFFICE_URL). Without it the base is looked up for `customerId` (Online).
   */
  url?: string;
  /** The Online tenant, `CustNNNNN`: its host is looked up at `environmentUrl` and followed when it moves. */
  customerId?: string;
  /** `https://{env}.superoffice.com`: tenant status, tokens, tickets and keys (Online). */
  environmentUrl?: string;
  auth: SuperOfficeAuth;
  /** The clock credentials and the tenant host use (tests move it). */
  now?: () => number;
  /** How long a system-user ticket lives after its last use (default 6 h). */
  ticketLifetimeMs?: number;
  /** Observes every answer, for call counting. */
  onResponse?: (info: ResponseInfo) => void;
  /** Told whenever requests wait (Retry-After, back-off), so the operator sees why. */
  onWait?: (wait: WaitInfo) => void;
  /** OData $top per list page; default 500. */
  pageSize?: number;
  /** How far before the last read's watermark the next read starts, for clock skew and late commits (default 600 s). */
  overlapSeconds?: number;
  /**
   * The tenant's base time zone (IANA): how ticket dates without an offset are read while SuperOffice
   * does not honour `SO-TimeZone` (see superoffice-dates.ts); default 'UTC'.
   */
  tenantTimeZone?: string;
  /** Attempts after the first for a failing request (default 6). */
  retries?: number;
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  timeoutMs?: number;
}

/** Read failures that concern one record: it is set aside, the rest of its type is read. */
const recordErrorCodes: ReadonlySet<SyncErrorCode> = new Set(['transient', 'malformed', 'validation']);

/** SuperOffice's error body (§6), or the start of whatever came instead; a 421 says what to configure. */
export function describeSuperOfficeError(status: number, body: string): ErrorDescription {
  const described = describeErrorBody(status, body);
  if (status !== 421) return described;
  return {
    message: `${described.message} (the tenant is served from another host now: with TANDEM_SUPEROFFICE_CUSTOMER_ID instead of a fixed URL Tandem looks it up and follows it)`,
  };
}

function describeErrorBody(status: number, body: string): ErrorDescription {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  if (parsed.success && (parsed.data.ErrorMessage ?? '') !== '') {
    const type = parsed.data.ErrorType ?? '';
    return { message: type === '' ? (parsed.data.ErrorMessage ?? '') : `${type}: ${parsed.data.ErrorMessage}` };
  }
  const text = body.trim();
  // A proxy or gateway in front of SuperOffice answers with a page, not the error body.
  if (/^<(!doctype|html)/i.test(text)) {
    const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
    return { message: `an HTML page${title === undefined || title === '' ? '' : ` ("${title.slice(0, 100)}")`}` };
  }
  return { message: text === '' ? `HTTP ${status}` : text.slice(0, 200) };
}

function isConflict(error: unknown): error is SyncError {
  return isSyncError(error) && error.code === 'conflict';
}

export class SuperOfficeConnector implements Connector {
  readonly system = 'superoffice' as const;
  readonly #http: HttpClient;
  readonly #pageSize: number;
  readonly #overlapMs: number;
  readonly #tenantTimeZone: string;
  /** Set once a ticket answer carried offsets: SuperOffice honours SO-TimeZone, so zone-less dates are UTC too. */
  #timeZoneHonoured = false;
  readonly #feeds: SuperOfficeChangeFeed;

  constructor(options: SuperOfficeConnectorOptions) {
    this.#pageSize = options.pageSize ?? 500;
    this.#overlapMs = (options.overlapSeconds ?? 600) * 1000;
    const pageSize = this.#pageSize;
    const overlapMs = this.#overlapMs;
    this.#feeds = new SuperOfficeChangeFeed({
      list: (query) => this.#list(query),
      readRecord: (type, id) => this.#readRecordOrRejection(type, id),
      // The same clock as the credentials': it also times the back-off of records set aside.
      now: options.now ?? Date.now,
      timeZone: () => this.#timeZone,
      pageSize,
      overlapMs,
    });
    this.#tenantTimeZone = options.tenantTimeZone ?? 'UTC';
    const credentials = new SuperOfficeCredentials(options.auth, {
      ...(options.environmentUrl === undefined ? {} : { environmentUrl: options.environmentUrl }),
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.ticketLifetimeMs === undefined ? {} : { ticketLifetimeMs: options.ticketLifetimeMs }),
    });
    const host = tenantHostOf(options);
    this.#http = new HttpClient({
      baseUrl: host instanceof TenantHost ? () => host.baseUrl() : host,
      serviceName: 'SuperOffice',
      authorize: () => credentials.headers(),
      refreshCredentials: (refused) => credentials.refresh(refused),
      ...(host instanceof TenantHost ? { relocate: () => host.relocate() } : {}),
      // Ticket dates in UTC, tagged with their offset (D-TZ); superoffice-dates.ts copes when it is ignored.
      headers: { 'so-timezone': timeZoneRequest },
      describeError: describeSuperOfficeError,
      onResponse: options.onResponse,
      onWait: options.onWait,
      retries: options.retries,
      minRetryDelayMs: options.minRetryDelayMs,
      maxRetryDelayMs: options.maxRetryDelayMs,
      timeoutMs: options.timeoutMs,
    });
  }

  /** The zone of ticket dates that carry no offset (superoffice-dates.ts). */
  get #timeZone(): string {
    return this.#timeZoneHonoured ? 'UTC' : this.#tenantTimeZone;
  }

  /** Learns from a ticket date whether SuperOffice honoured SO-TimeZone (it then tags dates with offsets). */
  #noteTicketDate(text: string | null | undefined): void {
    if (typeof text === 'string' && hasOffset(text)) this.#timeZoneHonoured = true;
  }

  async verify(): Promise<void> {
    await this.#http.request('GET', '/User/currentPrincipal', { schema: principalSchema });
  }

  readChanges(type: RecordType, cursor: string | null, options: ReadOptions = {}): AsyncIterable<ChangePage> {
    return this.#feeds.read(this.#feedType(type), cursor, options.signal);
  }

  readAll(type: RecordType, options: ReadOptions = {}): AsyncIterable<ChangePage> {
    return this.#feeds.read(this.#feedType(type), null, options.signal, true);
  }

  async readByIds(type: RecordType, ids: readonly string[]): Promise<readonly SourceRecord[]> {
    const feedType = this.#feedType(type);
    const numeric = [...new Set(ids)].filter((id) => /^\d+$/.test(id)).map(Number);
    if (feedType === 'user') {
      const records: SourceRecord[] = [];
      for (let start = 0; start < numeric.length; start += 100) {
        const chunk = numeric.slice(start, start + 100);
        // `associateDbId` is an associate column: `associateIsOneOf` is its documented list operator (D-RESTR).
        const rows = await this.#listUsers(`associateDbId associateIsOneOf (${chunk.join(',')})`, chunk.length);
        records.push(...rows.filter((row) => row.isActive).map(userRecord));
      }
      return records;
    }
    const records = await Promise.all(numeric.map((id) => this.#readRecord(feedType, id)));
    return records.filter((record): record is SourceRecord => record !== null);
  }

  async write(type: RecordType, operations: readonly WriteOperation[]): Promise<readonly WriteOutcome[]> {
    return Promise.all(operations.map((operation) => this.#writeOne(type, operation)));
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  // --- reads ---

  #feedType(type: RecordType): FeedType {
    if (type === 'person' || type === 'contact' || type === 'ticket' || type === 'user') return type;
    throw new SyncError('bug', `SuperOffice has no record type ${type}`);
  }

  async #listUsers(filter: string, top: number): Promise<WireUserRow[]> {
    const rows = await this.#list(userPage(filter, top));
    return rows.map((row) => parseRow(userRowSchema, row));
  }

  async #list(query: ArchiveListQuery): Promise<Record<string, unknown>[]> {
    const answer = await this.#http.request('GET', query.path, {
      query: {
        $select: query.select,
        $filter: query.filter,
        $orderBy: query.orderBy,
        $top: query.top,
        ...(query.entities === undefined ? {} : { $entities: query.entities }),
      },
      schema: archiveAnswerSchema,
    });
    return answer.body.value;
  }

  async #readRecord(type: ContentFeedType, id: number): Promise<SourceRecord | null> {
    switch (type) {
      case 'person': {
        const read = await this.#getEntity(`/Person/${id}`, personEntitySchema);
        return read === null ? null : personRecord(read.entity);
      }
      case 'contact': {
        const read = await this.#getEntity(`/Contact/${id}`, contactEntitySchema);
        return read === null ? null : contactRecord(read.entity);
      }
      case 'ticket': {
        const read = await this.#getEntity(`/Ticket/${id}`, ticketEntitySchema);
        if (read === null) return null;
        this.#noteTicketDate(read.entity.LastChanged);
        // The title becomes the Zendesk subject, which Zendesk requires: a ticket without one is not spread.
        if (read.entity.Title === undefined || read.entity.Title === null) {
          throw new SyncError('malformed', `SuperOffice ticket ${id} has no Title; a ticket needs one to be synced`);
        }
        return ticketRecord(read.entity, this.#timeZone);
      }
    }
  }

  /**
   * Like #readRecord, but a failure of this one record (an entity of a shape we cannot read, a GET
   * that keeps answering 5xx or dropping the connection after the client's retries) is returned as
   * a rejection instead of failing the read. Refused credentials, wrong settings and rate limits
   * concern every record and still fail the read.
   */
  async #readRecordOrRejection(type: ContentFeedType, id: number): Promise<SourceRecord | RejectedRecord | null> {
    try {
      return await this.#readRecord(type, id);
    } catch (error) {
      if (isSyncError(error) && recordErrorCodes.has(error.code)) return { type, id: String(id), error };
      throw error;
    }
  }

  /** GET one entity; null when SuperOffice does not have it (404: unknown or soft-deleted, §9 item 6). */
  async #getEntity<T>(
    path: string,
    schema: z.ZodType<T>,
  ): Promise<{ entity: T; lastModified: string | undefined } | null> {
    try {
      const answer = await this.#http.request('GET', path, { schema });
      return { entity: answer.body, lastModified: headerValue(answer.headers, 'last-modified') };
    } catch (error) {
      if (isSyncError(error) && error.code === 'not_found') return null;
      throw error;
    }
  }

  // --- writes ---

  async #writeOne(type: RecordType, operation: WriteOperation): Promise<WriteOutcome> {
    try {
      if (operation.kind === 'create') {
        throw new SyncError('bug', `The sync never creates SuperOffice records (create ${operation.key} for ${type})`);
      }
      switch (this.#feedType(type)) {
        case 'person':
          return {
            key: operation.key,
            ...(await this.#updatePerson(Number(operation.id), operation.values, operation.expected)),
          };
        case 'contact':
          return {
            key: operation.key,
            ...(await this.#updateContact(Number(operation.id), operation.values, operation.expected)),
          };
        case 'ticket':
          return {
            key: operation.key,
            ...(await this.#updateTicket(Number(operation.id), operation.values, operation.expected)),
          };
        case 'user':
          return {
            key: operation.key,
            ...(await this.#updateUser(Number(operation.id), operation.values, operation.expected)),
          };
      }
    } catch (error) {
      const failure = isSyncError(error)
        ? error
        : new SyncError('bug', error instanceof Error ? error.message : String(error), { cause: error });
      // Refused credentials or wrong settings concern the whole call, not this record (connector.ts):
      // the write rejects, and the engine keeps the row for the next cycle instead of failing it for good.
      if (failure.code === 'auth' || failure.code === 'config') throw failure;
      return { key: operation.key, status: 'failed', error: failure };
    }
  }

  /**
   * Read, check that the record still holds what the engine read (UpdateOperation.expected), and
   * patch what differs with If-Unmodified-Since and `test` guards. A record that changed since the
   * engine read it, before the PATCH (the comparison) or during it (412, or 409 from a failed
   * `test`), is someone's edit: nothing of the plan is written, not even after a re-read; the
   * outcome is `conflict` with the record as it is now, and the engine plans again from it.
   */
  async #readModifyWrite<T>(
    path: string,
    schema: z.ZodType<T>,
    modifiedMs: (entity: T) => number | null,
    patch: (entity: T) => PatchOperation[],
    toRecord: (entity: T) => SourceRecord,
    expected: UpdateCondition | undefined,
  ): Promise<Omit<WriteOutcome, 'key'>> {
    const read = await this.#getEntity(path, schema);
    if (read === null) throw new SyncError('not_found', `SuperOffice has no ${path.slice(1)}`, { status: 404 });
    const before = toRecord(read.entity);
    if (expected !== undefined && !stillHolds(before, expected.values)) return { status: 'conflict', record: before };
    const operations = patch(read.entity);
    if (operations.length === 0) return { status: 'unchanged', record: before };
    const stamp = read.lastModified ?? millisOrUndefined(modifiedMs(read.entity));
    try {
      const answer = await this.#http.request('PATCH', path, {
        body: operations,
        headers: stamp === undefined ? {} : { 'if-unmodified-since': stamp },
        schema,
      });
      return { status: 'updated', record: toRecord(answer.body) };
    } catch (error) {
      if (!isConflict(error)) throw error;
      const now = await this.#getEntity(path, schema);
      if (now === null) throw new SyncError('not_found', `SuperOffice has no ${path.slice(1)}`, { status: 404 });
      const record = toRecord(now.entity);
      // A PATCH sent again after its answer was lost meets its own write: the record holds our values.
      return patch(now.entity).length === 0 ? { status: 'updated', record } : { status: 'conflict', record };
    }
  }

  #updatePerson(id: number, values: PropertyValues, expected?: UpdateCondition): Promise<Omit<WriteOutcome, 'key'>> {
    return this.#readModifyWrite(
      `/Person/${id}`,
      personEntitySchema,
      (person: WirePerson) => wireDateToMillis(person.UpdatedDate),
      (person) => personPatch(person, values),
      personRecord,
      expected,
    );
  }

  #updateContact(id: number, values: PropertyValues, expected?: UpdateCondition): Promise<Omit<WriteOutcome, 'key'>> {
    return this.#readModifyWrite(
      `/Contact/${id}`,
      contactEntitySchema,
      (contact: WireContact) => wireDateToMillis(contact.UpdatedDate),
      (contact) => contactPatch(contact, values),
      contactRecord,
      expected,
    );
  }

  #updateTicket(id: number, values: PropertyValues, expected?: UpdateCondition): Promise<Omit<WriteOutcome, 'key'>> {
    return this.#readModifyWrite(
      `/Ticket/${id}`,
      ticketEntitySchema,
      (ticket: WireTicket) => {
        this.#noteTicketDate(ticket.LastChanged);
        return wireDateToMillis(ticket.LastChanged, this.#timeZone);
      },
      (ticket) => ticketPatch(ticket, values),
      (ticket) => ticketRecord(ticket, this.#timeZone),
      expected,
    );
  }

  /** A user's e-mail and company are its person's (§3.3): write them there, answer with the user row. */
  async #updateUser(
    id: number,
    values: PropertyValues,
    expected: UpdateCondition | undefined,
  ): Promise<Omit<WriteOutcome, 'key'>> {
    const [row] = await this.#listUsers(`associateDbId eq ${id}`, 1);
    if (row === undefined) throw new SyncError('not_found', `SuperOffice has no user ${id}`);
    if (expected !== undefined && !stillHolds(userRecord(row), expected.values)) {
      return { status: 'conflict', record: userRecord(row) };
    }
    const personValues: Record<string, string | null> = {};
    for (const [name, value] of Object.entries(values)) {
      if (name === 'personEmail') personValues['Emails.Value'] = value;
      else if (name === 'contactId') personValues['Contact.ContactId'] = value;
      else throw new SyncError('bug', `SuperOffice user has no property ${name} the sync may write`);
    }
    // The user row was just compared; the person's own guards cover the PATCH.
    const outcome = await this.#updatePerson(row.personId, personValues);
    if (outcome.status === 'unchanged') return { status: 'unchanged', record: userRecord(row) };
    const [after] = await this.#listUsers(`associateDbId eq ${id}`, 1);
    if (outcome.status === 'conflict') {
      if (after === undefined) throw new SyncError('not_found', `SuperOffice has no user ${id}`);
      return { status: 'conflict', record: userRecord(after) };
    }
    return after === undefined ? { status: outcome.status } : { status: outcome.status, record: userRecord(after) };
  }
}

/** Asks for dates in UTC with their offset (D-TZ; `UTC` is the zone code of id 1 in SuperOffice's zone list). */
const timeZoneRequest = 'UTC, includeTZOffset';

/** The fixed base URL, or the tenant host to look up (Online). */
function tenantHostOf(options: SuperOfficeConnectorOptions): string | TenantHost {
  if (options.url !== undefined) return options.url.replace(/\/+$/, '');
  if (options.customerId === undefined || options.environmentUrl === undefined) {
    throw new SyncError('config', 'SuperOffice needs either a Web API URL or a customer id and environment');
  }
  return new TenantHost({
    environmentUrl: options.environmentUrl,
    customerId: options.customerId,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
}

function millisOrUndefined(ms: number | null): string | undefined {
  return ms === null ? undefined : httpDate(ms);
}
