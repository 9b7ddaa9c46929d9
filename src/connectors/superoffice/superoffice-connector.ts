/**
 * The SuperOffice CRM Web API (REST v1) connector. Facts: ../shared/docs/superoffice-api.md.
 *
 * Reads. Change detection pages archive lists that carry each row's key and exact change stamp
 * (superoffice-feeds.ts): tickets by `lastChanged`, persons and contacts by the `updated` field of
 * their tables through the Dynamic provider, all with `afterTime` from the last read's watermark
 * minus a short overlap; a row whose stamp is unchanged since it was read costs no GET, so a quiet
 * cycle makes a few list calls whatever the tenant's size. Soft deletes come from the
 * RecyclePerson / RecycleContact archives; users are a scan of InternalUsers (no updated column),
 * de-duplicated by content; a user that left the list or retired is reported deleted.
 * Every list is paged by primary key (`<key> gt <last>` + `$orderBy=<key>` + `$top`), one
 * ChangePage per list page. Contacts and persons are read from their list rows (a person with its
 * e-mail and private-phone rows); a ticket with `GET /Ticket/{id}`, because only the entity
 * documents the owner as an associate id and TimeToReply in minutes (docs/connectors.md). A record
 * that fails on its own is rejected; a failed GET is read again with back-off (cursor `retry`); the
 * rest of its page goes on. Merges come from the merge/move log, proven before they are reported. `readAll` is the feed
 * read from the beginning: the sweep that also finds what no stamp shows (an e-mail- or
 * phone-only edit may leave `updated` alone: §9 item 2).
 *
 * Writes. Updates only (the sync never creates in SuperOffice). Each update reads the entity,
 * sends a JSON Patch of just the owned properties with `If-Unmodified-Since` and `test` guards
 * (superoffice-patches.ts), and on 412/409 reads again and retries. A user's `personEmail` and
 * `contactId` live on the user's person and are written there.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { PropertyValues, RecordType, SourceRecord } from '../../core/model.js';
import { retryDelaySeconds } from '../../core/retry-schedule.js';
import { isSyncError, SyncError, type SyncErrorCode } from '../../core/sync-error.js';
import type {
  ChangePage,
  Connector,
  ReadOptions,
  RecordMerge,
  RejectedRecord,
  WriteOperation,
  WriteOutcome,
} from '../connector.js';
import { type ErrorDescription, HttpClient, headerValue, type ResponseInfo, type WaitInfo } from '../http-client.js';
import {
  decodeCursor,
  encodeCursor,
  type FeedCursor,
  type FeedProgress,
  type FeedType,
  retryAttempts,
  retryDueMs,
  retryEntry,
  seenEntry,
  seenHash,
  seenModifiedMs,
} from './change-feed-cursor.js';
import { type SuperOfficeAuth, SuperOfficeCredentials } from './superoffice-credentials.js';
import { hasOffset, httpDate, wireDateToMillis } from './superoffice-dates.js';
import {
  type ArchiveListQuery,
  type ContentFeedType,
  feedDefinitions,
  mergeLogPage,
  type PersonSelection,
  personElementsPage,
  personIdsPerQuery,
  recyclePage,
  userPage,
} from './superoffice-feeds.js';
import { contactPatch, type PatchOperation, personPatch, ticketPatch } from './superoffice-patches.js';
import {
  contactRecord,
  contactRowRecord,
  deletedRecord,
  personRecord,
  personRowRecord,
  ticketRecord,
  userRecord,
} from './superoffice-records.js';
import { TenantHost } from './superoffice-tenant-host.js';
import {
  archiveAnswerSchema,
  changeRowSchema,
  contactEntitySchema,
  contactRowSchema,
  emailRowSchema,
  errorBodySchema,
  keyRowSchema,
  mergeLogRowSchema,
  personEntitySchema,
  personRowSchema,
  phoneRowSchema,
  principalSchema,
  type RankedElement,
  recycleRowSchema,
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
  /** Times an update is re-read and re-sent after SuperOffice reports a concurrent change (412/409); default 3. */
  conflictRetries?: number;
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
  readonly #clock: () => number;

  constructor(options: SuperOfficeConnectorOptions) {
    this.#pageSize = options.pageSize ?? 500;
    this.#overlapMs = (options.overlapSeconds ?? 600) * 1000;
    // The same clock as the credentials': it also times the back-off of records set aside.
    this.#clock = options.now ?? Date.now;
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
    const definition = feedDefinitions[feedType];
    const since = start?.since ?? null;
    const seen: Record<string, string> = { ...start?.seen };
    const retry: Record<string, string> = { ...start?.retry };
    let progress: FeedProgress = start?.progress ?? {
      phase: since === null || definition.recycle === undefined ? 'live' : 'deleted',
      afterId: 0,
      high: since,
    };
    const lower = since === null ? null : since - this.#overlapMs;
    const cursor = (next: FeedProgress | undefined): string => {
      const retryPart = Object.keys(retry).length === 0 ? {} : { retry };
      return next === undefined
        ? encodeCursor({
            v: 1,
            type: feedType,
            since: progress.high,
            seen: this.#pruned(seen, progress.high),
            ...retryPart,
          })
        : encodeCursor({ v: 1, type: feedType, since, seen, progress: next, ...retryPart });
    };

    // Records whose read failed on their own earlier: read again once their back-off has passed.
    if (start !== null && start.progress === undefined) {
      const page = await this.#retryDue(feedType, seen, retry);
      if (page.records.length > 0 || page.rejected.length > 0) {
        yield changePage(page.records, cursor(progress), page.rejected);
      }
    }

    // Merges since the last read: the merged-away record vanishes without a trace but this log (§7).
    if (progress.phase === 'deleted' && definition.mergeTable !== undefined && lower !== null) {
      const page = await this.#mergesSince(feedType, definition.mergeTable, lower, signal);
      for (const merge of page.merges) {
        delete seen[merge.from];
        delete retry[merge.from];
      }
      for (const record of page.records) {
        const modifiedMs = record.modifiedAt === null ? null : Date.parse(record.modifiedAt);
        this.#remember(seen, record, modifiedMs);
      }
      if (page.merges.length > 0 || page.rejected.length > 0) {
        yield { ...changePage(page.records, cursor(progress), page.rejected), merges: page.merges };
      }
    }

    // Soft deletes since the last read: they vanish from the lists and show in the recycle bin (§7).
    if (progress.phase === 'deleted' && definition.recycle !== undefined && lower !== null) {
      const recycle = definition.recycle;
      const schema = recycleRowSchema(recycle.keyColumn, recycle.dateColumn);
      for (;;) {
        signal?.throwIfAborted();
        const rows = await this.#list(recyclePage(recycle, progress.afterId, lower, this.#pageSize));
        const records: SourceRecord[] = [];
        const rejected: RejectedRecord[] = [];
        let lastId = progress.afterId;
        let high = progress.high;
        for (const raw of rows) {
          const result = readRow(schema, raw, recycle.keyColumn, recycle.path);
          if (result.key !== null) lastId = Math.max(lastId, result.key);
          if (!result.ok) {
            rejected.push(rejection(feedType, result));
            continue;
          }
          const id = cellNumber(result.row[recycle.keyColumn]);
          const deletedMs = wireDateToMillis(String(result.row[recycle.dateColumn]));
          high = maxOf(high, deletedMs);
          delete retry[String(id)];
          const record = deletedRecord(feedType, id, deletedMs === null ? null : new Date(deletedMs).toISOString());
          if (this.#remember(seen, record, deletedMs)) records.push(record);
        }
        const done = rows.length < this.#pageSize;
        if (!done) mustAdvance(lastId, progress.afterId, recycle.path);
        progress = done ? { phase: 'live', afterId: 0, high } : { phase: 'deleted', afterId: lastId, high };
        if (records.length > 0 || rejected.length > 0) yield changePage(records, cursor(progress), rejected);
        if (done) break;
      }
    }

    const rowSchema = changeRowSchema(definition.keyColumn, definition.stampColumn);
    for (;;) {
      signal?.throwIfAborted();
      // Asked per page: the zone of zone-less ticket dates is learnt from the answers (superoffice-dates.ts).
      const stampZone = definition.stampInTenantZone ? this.#timeZone : 'UTC';
      const rows = await this.#list(definition.page(progress.afterId, lower, this.#pageSize, this.#timeZone));
      const changed: { id: number; stampMs: number | null; raw: unknown }[] = [];
      const rejected: RejectedRecord[] = [];
      let lastId = progress.afterId;
      for (const raw of rows) {
        const result = readRow(rowSchema, raw, definition.keyColumn, definition.label);
        if (result.key !== null) lastId = Math.max(lastId, result.key);
        if (!result.ok) {
          rejected.push(rejection(feedType, result));
          continue;
        }
        const id = cellNumber(result.row[definition.keyColumn]);
        const stampMs = wireDateToMillis(String(result.row[definition.stampColumn]), stampZone);
        // The stamp moves on every change of the row: an unchanged stamp needs no read.
        const known = seen[String(id)];
        if (known !== undefined && stampMs !== null && seenModifiedMs(known) === secondsOf(stampMs)) continue;
        changed.push({ id, stampMs, raw });
      }
      if (rows.length >= this.#pageSize) mustAdvance(lastId, progress.afterId, definition.label);
      // A contact's or person's row is its record (with the person's e-mail and phone rows); tickets are read one GET each.
      const fetched = definition.contentInRow
        ? await this.#recordsOfRows(
            feedType,
            changed,
            definition.label,
            lower === null ? { kind: 'range', after: progress.afterId, upTo: lastId } : undefined,
          )
        : await Promise.all(changed.map(({ id }) => this.#readRecordOrRejection(feedType, id)));
      const records: SourceRecord[] = [];
      let high = progress.high;
      fetched.forEach((record, index) => {
        const { id, stampMs } = changed[index] as { id: number; stampMs: number | null };
        high = maxOf(high, stampMs);
        // Gone between the list and the read, or soft-deleted: the recycle archive reports it.
        if (record === null) return;
        if ('error' in record) {
          // Set aside: reported now, read again with back-off (not remembered in `seen`).
          rejected.push(record);
          if (!definition.contentInRow) retry[String(id)] = this.#nextRetry(retry[String(id)]);
          return;
        }
        delete retry[String(id)];
        if (this.#remember(seen, record, stampMs)) records.push(record);
      });
      const done = rows.length < this.#pageSize;
      progress = { phase: 'live', afterId: lastId, high };
      yield changePage(records, cursor(done ? undefined : progress), rejected);
      if (done) return;
    }
  }

  /** The records list rows carry (contacts; persons with their e-mail and phone rows), or why a row could not be read. */
  async #recordsOfRows(
    type: ContentFeedType,
    rows: readonly { id: number; raw: unknown }[],
    label: string,
    wholePage: PersonSelection | undefined,
  ): Promise<(SourceRecord | RejectedRecord | null)[]> {
    const rejected = (id: number, error: SyncError): RejectedRecord => ({ type, id: String(id), error });
    if (type === 'contact') {
      return rows.map(({ id, raw }) => {
        const result = readRow(contactRowSchema, raw, 'contact.contact_id', label);
        return result.ok ? contactRowRecord(result.row) : rejected(id, result.error);
      });
    }
    if (type !== 'person') throw new SyncError('bug', `SuperOffice ${type} rows do not carry the record`);
    if (rows.length === 0) return [];
    // A whole page of persons (initial read, sweep) by its key range; the few a feed reports by id.
    const ids = rows.map(({ id }) => id);
    const selections: PersonSelection[] =
      wholePage !== undefined
        ? [wholePage]
        : Array.from({ length: Math.ceil(ids.length / personIdsPerQuery) }, (_, index) => ({
            kind: 'ids' as const,
            ids: ids.slice(index * personIdsPerQuery, (index + 1) * personIdsPerQuery),
          }));
    const [emails, phones] = await Promise.all([
      this.#elementsOf('email', selections),
      this.#elementsOf('phone', selections),
    ]);
    return rows.map(({ id, raw }) => {
      const result = readRow(personRowSchema, raw, 'person.person_id', label);
      return result.ok
        ? personRowRecord(result.row, emails.get(id) ?? [], phones.get(id) ?? [])
        : rejected(id, result.error);
    });
  }

  /** The e-mail or private-phone rows of some persons, by person id. */
  async #elementsOf(
    table: 'email' | 'phone',
    selections: readonly PersonSelection[],
  ): Promise<Map<number, RankedElement[]>> {
    const byPerson = new Map<number, RankedElement[]>();
    const top = 1000;
    for (const persons of selections) {
      let afterId = 0;
      for (;;) {
        const rows = await this.#list(personElementsPage(table, persons, afterId, top));
        for (const raw of rows) {
          const element = rankedElement(table, raw);
          afterId = Math.max(afterId, element.id);
          const list = byPerson.get(element.ownerId);
          if (list === undefined) byPerson.set(element.ownerId, [element]);
          else list.push(element);
        }
        if (rows.length < top) break;
      }
    }
    return byPerson;
  }

  /**
   * The merges of one table logged at or after `lowerMs`, each proven before it is reported: the
   * source is gone (GET 404) and the destination reads. A log row that fails either test (a move,
   * a merge undone, a destination merged again) is left out: the later log rows and reads tell.
   */
  async #mergesSince(
    type: ContentFeedType,
    tableNumber: number,
    lowerMs: number,
    signal: AbortSignal | undefined,
  ): Promise<{ merges: RecordMerge[]; records: SourceRecord[]; rejected: RejectedRecord[] }> {
    const merges: RecordMerge[] = [];
    const records: SourceRecord[] = [];
    const rejected: RejectedRecord[] = [];
    let afterId = 0;
    for (;;) {
      signal?.throwIfAborted();
      const rows = await this.#list(mergeLogPage(tableNumber, afterId, lowerMs, this.#pageSize));
      for (const raw of rows) {
        const parsed = mergeLogRowSchema.safeParse(raw);
        if (!parsed.success)
          throw new SyncError('malformed', 'SuperOffice answered a merge/move log row of an unexpected shape');
        const row = parsed.data;
        afterId = Math.max(afterId, row['mergemovelog.mergemovelog_id']);
        const from = row['mergemovelog.sourceRecord'];
        const into = row['mergemovelog.destinationRecord'];
        const [source, destination] = await Promise.all([
          this.#readRecordOrRejection(type, from),
          this.#readRecordOrRejection(type, into),
        ]);
        if (source !== null || destination === null) continue;
        if ('error' in destination) {
          rejected.push(destination);
          continue;
        }
        merges.push({ type, from: String(from), into: String(into) });
        records.push(destination);
      }
      if (rows.length < this.#pageSize) return { merges, records, rejected };
    }
  }

  /** GETs the records due for another try; a record read (or gone) leaves the retry list. */
  async #retryDue(
    type: ContentFeedType,
    seen: Record<string, string>,
    retry: Record<string, string>,
  ): Promise<{ records: SourceRecord[]; rejected: RejectedRecord[] }> {
    const now = this.#clock();
    const due = Object.entries(retry)
      .filter(([, entry]) => retryDueMs(entry) <= now)
      .map(([id]) => id);
    const results = await Promise.all(due.map((id) => this.#readRecordOrRejection(type, Number(id))));
    const records: SourceRecord[] = [];
    const rejected: RejectedRecord[] = [];
    results.forEach((result, index) => {
      const id = due[index] as string;
      if (result !== null && 'error' in result) {
        rejected.push(result);
        retry[id] = this.#nextRetry(retry[id]);
        return;
      }
      delete retry[id];
      if (result === null) return;
      const modifiedMs = result.modifiedAt === null ? null : Date.parse(result.modifiedAt);
      if (this.#remember(seen, result, modifiedMs)) records.push(result);
    });
    return { records, rejected };
  }

  /** The retry entry after one more failed read: exponential back-off from 30 s, capped at an hour. */
  #nextRetry(previous: string | undefined): string {
    const attempts = (previous === undefined ? 0 : retryAttempts(previous)) + 1;
    return retryEntry(attempts, this.#clock() + retryDelaySeconds(attempts) * 1000);
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
    const keepFrom = since - 2 * this.#overlapMs;
    return Object.fromEntries(Object.entries(seen).filter(([, entry]) => seenModifiedMs(entry) >= keepFrom));
  }

  async *#userScan(start: FeedCursor | null, signal: AbortSignal | undefined): AsyncGenerator<ChangePage> {
    const seen: Record<string, string> = { ...start?.seen };
    let afterId = start?.progress?.afterId ?? 0;
    for (;;) {
      signal?.throwIfAborted();
      const raws = await this.#list(userPage(`associateDbId gt ${afterId}`, this.#pageSize));
      const results = raws.map((raw) => readRow(userRowSchema, raw, 'associateDbId', '/Archive/InternalUsers'));
      const rows = results.flatMap((result) => (result.ok && result.row.isActive ? [result.row] : []));
      const rejected = results.flatMap((result) => (result.ok ? [] : [rejection('user', result)]));
      const lastKey = Math.max(afterId, ...results.flatMap((result) => (result.key === null ? [] : [result.key])));
      const done = raws.length < this.#pageSize;
      if (!done) mustAdvance(lastKey, afterId, '/Archive/InternalUsers');
      const upper = done ? Number.POSITIVE_INFINITY : lastKey;
      // A user whose row could not be read is still present: never report it deleted. A retired
      // (inactive) user is listed but gone.
      const present = new Set(
        results.flatMap((result) =>
          result.key === null || (result.ok && !result.row.isActive) ? [] : [String(result.key)],
        ),
      );
      const records: SourceRecord[] = [];
      // A user known from an earlier scan and missing (or retired) in this key range has left.
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

/**
 * An e-mail or phone row as a ranked element of its person. A row we cannot read fails the read
 * of the page: leaving it out would report a person without that address.
 */
function rankedElement(table: 'email' | 'phone', raw: unknown): RankedElement & { ownerId: number } {
  if (table === 'email') {
    const row = parseRow(emailRowSchema, raw);
    return {
      id: row['email.email_id'],
      ownerId: row['email.person_id'],
      rank: row['email.rank'] ?? 0,
      value: row['email.email_address'] ?? null,
    };
  }
  const row = parseRow(phoneRowSchema, raw);
  return {
    id: row['phone.phone_id'],
    ownerId: row['phone.owner_id'],
    rank: row['phone.rank'] ?? 0,
    value: row['phone.phone'] ?? null,
  };
}

/** A cell a schema read as an int. */
function cellNumber(value: unknown): number {
  if (typeof value !== 'number') throw new SyncError('bug', 'a list row passed without its key');
  return value;
}

/** An instant truncated to whole seconds, as `seen` entries hold it. */
function secondsOf(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
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
