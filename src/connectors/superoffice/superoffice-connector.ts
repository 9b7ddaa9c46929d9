/**
 * The SuperOffice CRM Web API (REST v1) connector. Facts: ../shared/docs/superoffice-api.md.
 *
 * Reads. Change detection uses the archive lists, record content the entity endpoints:
 * - tickets: `GET /Ticket?$filter=lastChanged afterTime '<since - overlap>'` (datetime, exact;
 *   inclusive, so the boundary row comes back and is de-duplicated);
 * - persons and contacts: `personUpdatedDate` / `updatedDate` `after '<day>'`, which compare whole
 *   days only, so each read re-reads the overlap window and reports a record again only when its
 *   content changed; soft deletes come from the RecyclePerson / RecycleContact archives;
 * - users: a full scan of AllUsers (`GET /User`, no updated column), de-duplicated by content;
 *   a user that left the list is reported deleted.
 * Every list is paged by primary key (`$filter=<key> gt <last>` + `$orderBy=<key>` + `$top`), one
 * ChangePage per list page. Person, contact and ticket content is read with `GET /{Type}/{id}`
 * because only the entity documents all e-mails in rank order, exact dates and TimeToReply in
 * minutes. `readAll` is the same feed read from the beginning: the sweep that finds what no feed
 * reports (an e-mail- or phone-only edit may leave UpdatedDate alone: §9 item 2).
 *
 * Writes. Updates only (the sync never creates in SuperOffice). Each update reads the entity,
 * sends a JSON Patch of just the owned properties with `If-Unmodified-Since` and `test` guards
 * (superoffice-patches.ts), and on 412/409 reads again and retries. A user's `personEmail` and
 * `contactId` live on the user's person and are written there.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { PropertyValues, RecordType, SourceRecord } from '../../core/model.js';
import { isSyncError, SyncError } from '../../core/sync-error.js';
import type { ChangePage, Connector, ReadOptions, RejectedRecord, WriteOperation, WriteOutcome } from '../connector.js';
import { type ErrorDescription, HttpClient, headerValue, type ResponseInfo, type WaitInfo } from '../http-client.js';
import {
  decodeCursor,
  encodeCursor,
  type FeedCursor,
  type FeedProgress,
  type FeedType,
  seenEntry,
  seenHash,
  seenModifiedMs,
} from './change-feed-cursor.js';
import { type SuperOfficeAuth, SuperOfficeCredentials } from './superoffice-credentials.js';
import { hasOffset, httpDate, millisToWireDate, wireDateToMillis } from './superoffice-dates.js';
import { contactPatch, type PatchOperation, personPatch, ticketPatch } from './superoffice-patches.js';
import { contactRecord, deletedRecord, personRecord, ticketRecord, userRecord } from './superoffice-records.js';
import { TenantHost } from './superoffice-tenant-host.js';
import {
  archiveAnswerSchema,
  contactEntitySchema,
  errorBodySchema,
  keyRowSchema,
  personEntitySchema,
  principalSchema,
  recycleContactRowSchema,
  recyclePersonRowSchema,
  ticketChangeRowSchema,
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
  /** How far back day-granular feeds re-read, to absorb clock skew (default one day). */
  overlapDays?: number;
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
  /** Times an update is re-read and re-sent after SuperOffice reports a concurrent change (412/409); default 3. */
  conflictRetries?: number;
}

const dayMs = 86_400_000;

interface FeedDefinition {
  readonly listPath: string;
  readonly keyColumn: string;
  /** The archive filter for "changed since", given the lower bound (ms, UTC). */
  readonly changedSince: (lowerMs: number) => string;
  readonly recycle?: { readonly path: string; readonly dateColumn: string };
}

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
  const text = body.trim().slice(0, 200);
  return { message: text === '' ? `HTTP ${status}` : text };
}

function contentHash(record: SourceRecord): string {
  return createHash('sha1').update(JSON.stringify(record)).digest('base64url').slice(0, 12);
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
  readonly #conflictRetries: number;
  readonly #feeds: Record<Exclude<FeedType, 'user'>, FeedDefinition>;

  constructor(options: SuperOfficeConnectorOptions) {
    this.#pageSize = options.pageSize ?? 500;
    this.#overlapMs = (options.overlapDays ?? 1) * dayMs;
    this.#tenantTimeZone = options.tenantTimeZone ?? 'UTC';
    this.#conflictRetries = options.conflictRetries ?? 3;
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
    // Day-granular filters: `after` may be strict (§9 item 3), so ask from the day before.
    const dayBefore = (lowerMs: number) => millisToWireDate(lowerMs - dayMs).slice(0, 10);
    this.#feeds = {
      person: {
        listPath: '/Person',
        keyColumn: 'personId',
        changedSince: (lowerMs) => `personUpdatedDate after '${dayBefore(lowerMs)}'`,
        recycle: { path: '/Archive/RecyclePerson', dateColumn: 'personDeletedDate' },
      },
      contact: {
        listPath: '/Contact',
        keyColumn: 'contactId',
        changedSince: (lowerMs) => `updatedDate after '${dayBefore(lowerMs)}'`,
        recycle: { path: '/Archive/RecycleContact', dateColumn: 'deletedDate' },
      },
      ticket: {
        listPath: '/Ticket',
        keyColumn: 'ticketId',
        changedSince: (lowerMs) => `lastChanged afterTime '${millisToWireDate(lowerMs, this.#timeZone)}'`,
      },
    };
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
    return this.#feed(type, cursor, options.signal);
  }

  readAll(type: RecordType, options: ReadOptions = {}): AsyncIterable<ChangePage> {
    return this.#feed(type, null, options.signal);
  }

  async readByIds(type: RecordType, ids: readonly string[]): Promise<readonly SourceRecord[]> {
    const feedType = this.#feedType(type);
    const numeric = [...new Set(ids)].filter((id) => /^\d+$/.test(id)).map(Number);
    if (feedType === 'user') {
      const records: SourceRecord[] = [];
      for (let start = 0; start < numeric.length; start += 100) {
        const chunk = numeric.slice(start, start + 100);
        const rows = await this.#listUsers(`associateDbId in (${chunk.join(',')})`, chunk.length);
        records.push(...rows.map(userRecord));
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

  async *#feed(
    type: RecordType,
    cursorText: string | null,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<ChangePage> {
    const feedType = this.#feedType(type);
    const start = decodeCursor(feedType, cursorText);
    if (feedType === 'user') {
      yield* this.#userScan(start, signal);
      return;
    }
    const definition = this.#feeds[feedType];
    const since = start?.since ?? null;
    const seen: Record<string, string> = { ...start?.seen };
    let progress: FeedProgress = start?.progress ?? {
      phase: since === null || definition.recycle === undefined ? 'live' : 'deleted',
      afterId: 0,
      high: since,
    };
    const lower = since === null ? null : since - this.#overlapMs;
    const cursor = (next: FeedProgress | undefined): string =>
      next === undefined
        ? encodeCursor({ v: 1, type: feedType, since: progress.high, seen: this.#pruned(seen, progress.high) })
        : encodeCursor({ v: 1, type: feedType, since, seen, progress: next });

    // Soft deletes since the last read: they vanish from the lists and show in the recycle bin (§7).
    if (progress.phase === 'deleted' && definition.recycle !== undefined && lower !== null) {
      const recycle = definition.recycle;
      for (;;) {
        signal?.throwIfAborted();
        const filter = `${recycle.dateColumn} afterTime '${millisToWireDate(lower)}' and ${definition.keyColumn} gt ${progress.afterId}`;
        const rows = await this.#list(recycle.path, {
          select: `${definition.keyColumn},${recycle.dateColumn}`,
          filter,
          orderBy: definition.keyColumn,
          top: this.#pageSize,
        });
        const records: SourceRecord[] = [];
        const rejected: RejectedRecord[] = [];
        let lastId = progress.afterId;
        let high = progress.high;
        for (const raw of rows) {
          const result =
            feedType === 'person'
              ? readRow(recyclePersonRowSchema, raw, definition.keyColumn, recycle.path)
              : readRow(recycleContactRowSchema, raw, definition.keyColumn, recycle.path);
          if (result.key !== null) lastId = Math.max(lastId, result.key);
          if (!result.ok) {
            rejected.push(rejection(feedType, result));
            continue;
          }
          const row = result.row;
          const id = 'personId' in row ? row.personId : row.contactId;
          const deletedText = 'personDeletedDate' in row ? row.personDeletedDate : row.deletedDate;
          const deletedMs = wireDateToMillis(deletedText);
          lastId = id;
          high = maxOf(high, deletedMs);
          const record = deletedRecord(
            feedType === 'person' ? 'person' : 'contact',
            id,
            deletedMs === null ? null : new Date(deletedMs).toISOString(),
          );
          if (this.#remember(seen, record, deletedMs)) records.push(record);
        }
        const done = rows.length < this.#pageSize;
        if (!done) mustAdvance(lastId, progress.afterId, recycle.path);
        progress = done ? { phase: 'live', afterId: 0, high } : { phase: 'deleted', afterId: lastId, high };
        if (records.length > 0 || rejected.length > 0) yield changePage(records, cursor(progress), rejected);
        if (done) break;
      }
    }

    for (;;) {
      signal?.throwIfAborted();
      const keyFilter = `${definition.keyColumn} gt ${progress.afterId}`;
      const rows = await this.#list(definition.listPath, {
        select: feedType === 'ticket' ? 'ticketId,lastChanged' : definition.keyColumn,
        filter: lower === null ? keyFilter : `${definition.changedSince(lower)} and ${keyFilter}`,
        orderBy: definition.keyColumn,
        top: this.#pageSize,
      });
      const ids: number[] = [];
      const rejected: RejectedRecord[] = [];
      let lastId = progress.afterId;
      for (const raw of rows) {
        if (feedType === 'ticket') {
          const result = readRow(ticketChangeRowSchema, raw, definition.keyColumn, definition.listPath);
          if (result.key !== null) lastId = Math.max(lastId, result.key);
          if (!result.ok) {
            rejected.push(rejection(feedType, result));
            continue;
          }
          const row = result.row;
          // LastChanged moves on every ticket change: an unchanged stamp needs no read.
          const known = seen[String(row.ticketId)];
          const changedMs = wireDateToMillis(row.lastChanged, this.#timeZone);
          if (known !== undefined && changedMs !== null && seenModifiedMs(known) === changedMs) continue;
          ids.push(row.ticketId);
        } else {
          const result = readRow(keyRowSchema(definition.keyColumn), raw, definition.keyColumn, definition.listPath);
          if (!result.ok) {
            rejected.push(rejection(feedType, result));
            continue;
          }
          const id = result.row[definition.keyColumn];
          if (typeof id !== 'number') throw new SyncError('bug', `a ${definition.listPath} row passed without its key`);
          lastId = Math.max(lastId, id);
          ids.push(id);
        }
      }
      if (rows.length >= this.#pageSize) mustAdvance(lastId, progress.afterId, definition.listPath);
      const fetched = await Promise.all(ids.map((id) => this.#readRecordOrRejection(feedType, id)));
      const records: SourceRecord[] = [];
      let high = progress.high;
      for (const record of fetched) {
        // Gone between the list and the read: the recycle archive reports it next time.
        if (record === null) continue;
        // Not a shape we can read: reported; not remembered in `seen`, so the next read that lists it reads it again.
        if ('error' in record) {
          rejected.push(record);
          continue;
        }
        const modifiedMs = record.modifiedAt === null ? null : Date.parse(record.modifiedAt);
        high = maxOf(high, modifiedMs);
        if (this.#remember(seen, record, modifiedMs)) records.push(record);
      }
      const done = rows.length < this.#pageSize;
      progress = { phase: 'live', afterId: lastId, high };
      yield changePage(records, cursor(done ? undefined : progress), rejected);
      if (done) return;
    }
  }

  /** Records a yielded record; false when the same content was already yielded. */
  #remember(seen: Record<string, string>, record: SourceRecord, modifiedMs: number | null): boolean {
    const hash = contentHash(record);
    const previous = seen[record.ref.id];
    seen[record.ref.id] = seenEntry(hash, modifiedMs);
    return seenHash(previous) !== hash;
  }

  /** Keeps the `seen` entries the next read's overlap window can return again. */
  #pruned(seen: Record<string, string>, since: number | null): Record<string, string> {
    if (since === null) return {};
    const keepFrom = since - this.#overlapMs - 2 * dayMs;
    return Object.fromEntries(Object.entries(seen).filter(([, entry]) => seenModifiedMs(entry) >= keepFrom));
  }

  async *#userScan(start: FeedCursor | null, signal: AbortSignal | undefined): AsyncGenerator<ChangePage> {
    const seen: Record<string, string> = { ...start?.seen };
    let afterId = start?.progress?.afterId ?? 0;
    for (;;) {
      signal?.throwIfAborted();
      const raws = await this.#list('/User', userListQuery(`associateDbId gt ${afterId}`, this.#pageSize));
      const results = raws.map((raw) => readRow(userRowSchema, raw, 'associateDbId', '/User'));
      const rows = results.flatMap((result) => (result.ok ? [result.row] : []));
      const rejected = results.flatMap((result) => (result.ok ? [] : [rejection('user', result)]));
      const lastKey = Math.max(afterId, ...results.flatMap((result) => (result.key === null ? [] : [result.key])));
      const done = raws.length < this.#pageSize;
      if (!done) mustAdvance(lastKey, afterId, '/User');
      const upper = done ? Number.POSITIVE_INFINITY : lastKey;
      // A user whose row could not be read is still present: never report it deleted.
      const present = new Set(results.flatMap((result) => (result.key === null ? [] : [String(result.key)])));
      const records: SourceRecord[] = [];
      // A user known from an earlier scan and missing in this key range has left AllUsers.
      for (const id of Object.keys(seen)) {
        const numeric = Number(id);
        if (numeric > afterId && numeric <= upper && !present.has(id)) {
          records.push(deletedRecord('user', numeric, null));
          delete seen[id];
        }
      }
      for (const row of rows) {
        const record = userRecord(row);
        if (this.#remember(seen, record, null)) records.push(record);
      }
      afterId = lastKey;
      const cursor: FeedCursor = done
        ? { v: 1, type: 'user', since: null, seen }
        : { v: 1, type: 'user', since: null, seen, progress: { phase: 'live', afterId, high: null } };
      yield changePage(records, encodeCursor(cursor), rejected);
      if (done) return;
    }
  }

  async #listUsers(filter: string, top: number): Promise<WireUserRow[]> {
    const rows = await this.#list('/User', userListQuery(filter, top));
    return rows.map((row) => parseRow(userRowSchema, row));
  }

  async #list(
    path: string,
    query: { select: string; filter: string; orderBy: string; top: number },
  ): Promise<Record<string, unknown>[]> {
    const answer = await this.#http.request('GET', path, {
      query: { $select: query.select, $filter: query.filter, $orderBy: query.orderBy, $top: query.top },
      schema: archiveAnswerSchema,
    });
    return answer.body.value;
  }

  async #readRecord(type: Exclude<FeedType, 'user'>, id: number): Promise<SourceRecord | null> {
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
        return ticketRecord(read.entity, this.#timeZone);
      }
    }
  }

  /** Like #readRecord, but an entity of a shape we cannot read is rejected instead of failing the read. */
  async #readRecordOrRejection(
    type: Exclude<FeedType, 'user'>,
    id: number,
  ): Promise<SourceRecord | RejectedRecord | null> {
    try {
      return await this.#readRecord(type, id);
    } catch (error) {
      if (isSyncError(error) && error.code === 'malformed') return { type, id: String(id), error };
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
          return { key: operation.key, ...(await this.#updatePerson(Number(operation.id), operation.values)) };
        case 'contact':
          return { key: operation.key, ...(await this.#updateContact(Number(operation.id), operation.values)) };
        case 'ticket':
          return { key: operation.key, ...(await this.#updateTicket(Number(operation.id), operation.values)) };
        case 'user':
          return { key: operation.key, ...(await this.#updateUser(Number(operation.id), operation.values)) };
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
   * Read, patch what differs with If-Unmodified-Since, and on 412/409 read again. After a retried
   * request (a dropped answer) the fresh read may already hold our values: that is still `updated`.
   */
  async #readModifyWrite<T>(
    path: string,
    schema: z.ZodType<T>,
    modifiedMs: (entity: T) => number | null,
    patch: (entity: T) => PatchOperation[],
    toRecord: (entity: T) => SourceRecord,
  ): Promise<Omit<WriteOutcome, 'key'>> {
    let sent = false;
    for (let attempt = 0; ; attempt++) {
      const read = await this.#getEntity(path, schema);
      if (read === null) throw new SyncError('not_found', `SuperOffice has no ${path.slice(1)}`, { status: 404 });
      const operations = patch(read.entity);
      if (operations.length === 0) {
        return { status: sent ? 'updated' : 'unchanged', record: toRecord(read.entity) };
      }
      const stamp = read.lastModified ?? millisOrUndefined(modifiedMs(read.entity));
      try {
        sent = true;
        const answer = await this.#http.request('PATCH', path, {
          body: operations,
          headers: stamp === undefined ? {} : { 'if-unmodified-since': stamp },
          schema,
        });
        return { status: 'updated', record: toRecord(answer.body) };
      } catch (error) {
        if (!isConflict(error) || attempt >= this.#conflictRetries) throw error;
      }
    }
  }

  #updatePerson(id: number, values: PropertyValues): Promise<Omit<WriteOutcome, 'key'>> {
    return this.#readModifyWrite(
      `/Person/${id}`,
      personEntitySchema,
      (person: WirePerson) => wireDateToMillis(person.UpdatedDate),
      (person) => personPatch(person, values),
      personRecord,
    );
  }

  #updateContact(id: number, values: PropertyValues): Promise<Omit<WriteOutcome, 'key'>> {
    return this.#readModifyWrite(
      `/Contact/${id}`,
      contactEntitySchema,
      (contact: WireContact) => wireDateToMillis(contact.UpdatedDate),
      (contact) => contactPatch(contact, values),
      contactRecord,
    );
  }

  #updateTicket(id: number, values: PropertyValues): Promise<Omit<WriteOutcome, 'key'>> {
    return this.#readModifyWrite(
      `/Ticket/${id}`,
      ticketEntitySchema,
      (ticket: WireTicket) => {
        this.#noteTicketDate(ticket.LastChanged);
        return wireDateToMillis(ticket.LastChanged, this.#timeZone);
      },
      (ticket) => ticketPatch(ticket, values),
      (ticket) => ticketRecord(ticket, this.#timeZone),
    );
  }

  /** A user's e-mail and company are its person's (§3.3): write them there, answer with the user row. */
  async #updateUser(id: number, values: PropertyValues): Promise<Omit<WriteOutcome, 'key'>> {
    const [row] = await this.#listUsers(`associateDbId eq ${id}`, 1);
    if (row === undefined) throw new SyncError('not_found', `SuperOffice has no user ${id}`);
    const personValues: Record<string, string | null> = {};
    for (const [name, value] of Object.entries(values)) {
      if (name === 'personEmail') personValues['Emails.Value'] = value;
      else if (name === 'contactId') personValues['Contact.ContactId'] = value;
      else throw new SyncError('bug', `SuperOffice user has no property ${name} the sync may write`);
    }
    const outcome = await this.#updatePerson(row.personId, personValues);
    if (outcome.status === 'unchanged') return { status: 'unchanged', record: userRecord(row) };
    const [after] = await this.#listUsers(`associateDbId eq ${id}`, 1);
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

function userListQuery(filter: string, top: number) {
  return { select: 'associateDbId,personId,contactId,personEmail,fullName', filter, orderBy: 'associateDbId', top };
}

/** One list row validated on its own: the row, or why not; with its key column when that is readable. */
type RowResult<T> =
  | { readonly ok: true; readonly row: T; readonly key: number | null }
  | { readonly ok: false; readonly key: number | null; readonly error: SyncError };

function readRow<T>(schema: z.ZodType<T>, raw: unknown, keyColumn: string, path: string): RowResult<T> {
  const keyed = keyRowSchema(keyColumn).safeParse(raw);
  const keyValue = keyed.success ? keyed.data[keyColumn] : undefined;
  const key = typeof keyValue === 'number' ? keyValue : null;
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, row: parsed.data, key };
  const issue = parsed.error.issues[0];
  const which = key === null ? `without a readable ${keyColumn}` : `for ${keyColumn} ${key}`;
  return {
    ok: false,
    key,
    error: new SyncError(
      'malformed',
      `SuperOffice answered a ${path} row ${which} of an unexpected shape${issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`}`,
    ),
  };
}

function rejection(type: FeedType, result: { readonly key: number | null; readonly error: SyncError }): RejectedRecord {
  return { type, id: result.key === null ? null : String(result.key), error: result.error };
}

/** A full list page whose keys could not be read gives nothing to page past: the feed cannot go on. */
function mustAdvance(lastId: number, afterId: number, path: string): void {
  if (lastId <= afterId)
    throw new SyncError('malformed', `SuperOffice answered a full ${path} page without a readable key to page past`);
}

/** A page, with `rejected` only when something was. */
function changePage(records: readonly SourceRecord[], cursor: string, rejected: readonly RejectedRecord[]): ChangePage {
  return rejected.length === 0 ? { records, cursor } : { records, cursor, rejected };
}

function parseRow<T>(schema: z.ZodType<T>, row: unknown): T {
  const parsed = schema.safeParse(row);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new SyncError(
    'malformed',
    `SuperOffice answered a list row of an unexpected shape${issue === undefined ? '' : ` at ${issue.path.join('.')}: ${issue.message}`}`,
  );
}

function maxOf(current: number | null, candidate: number | null): number | null {
  if (candidate === null) return current;
  return current === null ? candidate : Math.max(current, candidate);
}

function millisOrUndefined(ms: number | null): string | undefined {
  return ms === null ? undefined : httpDate(ms);
}
