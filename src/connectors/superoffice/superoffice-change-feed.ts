/**
 * The SuperOffice change feeds: one read of one record type from a cursor (change-feed-cursor.ts),
 * page by page. The queries are in superoffice-feeds.ts; the connector supplies the HTTP calls.
 *
 * - persons and contacts: merges since the watermark (merge/move log, each proven), soft deletes
 *   (recycle bins), then the rows whose exact `updated` stamp moved since the watermark minus an
 *   overlap; a row whose stamp is unchanged since it was read is skipped, and the rows carry the
 *   records (a person with its e-mail and private-phone rows);
 * - tickets: the rows whose `lastChanged` moved, each read with a GET;
 * - users: a scan of InternalUsers, de-duplicated by content; a user that left or retired is deleted.
 * A record that fails on its own is rejected; a failed GET is read again with back-off (cursor
 * `retry`), so one record never stops its type.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { SourceRecord } from '../../core/model.js';
import { retryDelaySeconds } from '../../core/retry-schedule.js';
import { SyncError } from '../../core/sync-error.js';
import type { ChangePage, RecordMerge, RejectedRecord } from '../connector.js';
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
import { wireDateToMillis } from './superoffice-dates.js';
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
import { contactRowRecord, deletedRecord, personRowRecord, userRecord } from './superoffice-records.js';
import {
  changeRowSchema,
  contactRowSchema,
  emailRowSchema,
  keyRowSchema,
  mergeLogRowSchema,
  personRowSchema,
  phoneRowSchema,
  type RankedElement,
  recycleRowSchema,
  userRowSchema,
} from './superoffice-wire.js';

/** What the feeds need from the connector. */
export interface FeedSource {
  /** One archive list page. */
  list(query: ArchiveListQuery): Promise<Record<string, unknown>[]>;
  /** One record by GET: the record, null when SuperOffice does not have it, or why it could not be read. */
  readRecord(type: ContentFeedType, id: number): Promise<SourceRecord | RejectedRecord | null>;
  /** Now, in ms (the back-off of records set aside). */
  now(): number;
  /** The zone of zone-less ticket dates, as learnt so far. */
  timeZone(): string;
  readonly pageSize: number;
  /** How far before the watermark a read starts. */
  readonly overlapMs: number;
}

/** SuperOffice keeps soft-deleted records 14 days by default (`SoftDeleteRetention`, superoffice-api.md §7). */
const recycleRetentionMs = 14 * 86_400_000;

function contentHash(record: SourceRecord): string {
  return createHash('sha1').update(JSON.stringify(record)).digest('base64url').slice(0, 12);
}

export class SuperOfficeChangeFeed {
  readonly #source: FeedSource;

  constructor(source: FeedSource) {
    this.#source = source;
  }

  /**
   * The feed of one type from `cursorText` (null: from the beginning). A sweep (`sweep`) reads
   * from the beginning too, and also the deletions and merges of the recycle bin's retention.
   */
  async *read(
    feedType: FeedType,
    cursorText: string | null,
    signal: AbortSignal | undefined,
    sweep = false,
  ): AsyncGenerator<ChangePage> {
    const start = decodeCursor(feedType, cursorText);
    if (feedType === 'user') {
      yield* this.#userScan(start, signal);
      return;
    }
    const definition = feedDefinitions[feedType];
    const since = start?.since ?? null;
    const seen: Record<string, string> = { ...start?.seen };
    const retry: Record<string, string> = { ...start?.retry };
    const lower = since === null ? null : since - this.#source.overlapMs;
    // A sweep moves the watermark past anything that happened since the last feed read: it reads the
    // deletions and merges of the recycle bin's retention. A first read has nothing to follow yet.
    const eventsLower = lower ?? (sweep ? this.#source.now() - recycleRetentionMs : null);
    let progress: FeedProgress = start?.progress ?? {
      phase: eventsLower === null || definition.recycle === undefined ? 'live' : 'deleted',
      afterId: 0,
      high: since,
    };
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
    if (progress.phase === 'deleted' && definition.mergeTable !== undefined && eventsLower !== null) {
      const page = await this.#mergesSince(feedType, definition.mergeTable, eventsLower, signal);
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
    if (progress.phase === 'deleted' && definition.recycle !== undefined && eventsLower !== null) {
      const recycle = definition.recycle;
      const schema = recycleRowSchema(recycle.keyColumn, recycle.dateColumn);
      for (;;) {
        signal?.throwIfAborted();
        const rows = await this.#source.list(
          recyclePage(recycle, progress.afterId, eventsLower, this.#source.pageSize),
        );
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
        const done = rows.length < this.#source.pageSize;
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
      const stampZone = definition.stampInTenantZone ? this.#source.timeZone() : 'UTC';
      const rows = await this.#source.list(
        definition.page(progress.afterId, lower, this.#source.pageSize, this.#source.timeZone()),
      );
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
      if (rows.length >= this.#source.pageSize) mustAdvance(lastId, progress.afterId, definition.label);
      // A contact's or person's row is its record (with the person's e-mail and phone rows); tickets are read one GET each.
      const fetched = definition.contentInRow
        ? await this.#recordsOfRows(
            feedType,
            changed,
            definition.label,
            lower === null ? { kind: 'range', after: progress.afterId, upTo: lastId } : undefined,
          )
        : await Promise.all(changed.map(({ id }) => this.#source.readRecord(feedType, id)));
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
      const done = rows.length < this.#source.pageSize;
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
        const rows = await this.#source.list(personElementsPage(table, persons, afterId, top));
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
      const rows = await this.#source.list(mergeLogPage(tableNumber, afterId, lowerMs, this.#source.pageSize));
      for (const raw of rows) {
        const parsed = mergeLogRowSchema.safeParse(raw);
        if (!parsed.success)
          throw new SyncError('malformed', 'SuperOffice answered a merge/move log row of an unexpected shape');
        const row = parsed.data;
        afterId = Math.max(afterId, row['mergemovelog.mergemovelog_id']);
        const from = row['mergemovelog.sourceRecord'];
        const into = row['mergemovelog.destinationRecord'];
        const [source, destination] = await Promise.all([
          this.#source.readRecord(type, from),
          this.#source.readRecord(type, into),
        ]);
        if (source !== null || destination === null) continue;
        if ('error' in destination) {
          rejected.push(destination);
          continue;
        }
        merges.push({ type, from: String(from), into: String(into) });
        records.push(destination);
      }
      if (rows.length < this.#source.pageSize) return { merges, records, rejected };
    }
  }

  /** GETs the records due for another try; a record read (or gone) leaves the retry list. */
  async #retryDue(
    type: ContentFeedType,
    seen: Record<string, string>,
    retry: Record<string, string>,
  ): Promise<{ records: SourceRecord[]; rejected: RejectedRecord[] }> {
    const now = this.#source.now();
    const due = Object.entries(retry)
      .filter(([, entry]) => retryDueMs(entry) <= now)
      .map(([id]) => id);
    const results = await Promise.all(due.map((id) => this.#source.readRecord(type, Number(id))));
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
    return retryEntry(attempts, this.#source.now() + retryDelaySeconds(attempts) * 1000);
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
    const keepFrom = since - 2 * this.#source.overlapMs;
    return Object.fromEntries(Object.entries(seen).filter(([, entry]) => seenModifiedMs(entry) >= keepFrom));
  }

  async *#userScan(start: FeedCursor | null, signal: AbortSignal | undefined): AsyncGenerator<ChangePage> {
    const seen: Record<string, string> = { ...start?.seen };
    let afterId = start?.progress?.afterId ?? 0;
    for (;;) {
      signal?.throwIfAborted();
      const raws = await this.#source.list(userPage(`associateDbId gt ${afterId}`, this.#source.pageSize));
      const results = raws.map((raw) => readRow(userRowSchema, raw, 'associateDbId', '/Archive/InternalUsers'));
      const rows = results.flatMap((result) => (result.ok && result.row.isActive ? [result.row] : []));
      const rejected = results.flatMap((result) => (result.ok ? [] : [rejection('user', result)]));
      const lastKey = Math.max(afterId, ...results.flatMap((result) => (result.key === null ? [] : [result.key])));
      const done = raws.length < this.#source.pageSize;
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

export function parseRow<T>(schema: z.ZodType<T>, row: unknown): T {
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
