/**
 * The port every system connector implements. The engine talks to SuperOffice and Zendesk
 * only through this interface; a connector is the only code that knows its system's wire
 * format, authentication, paging and rate limits.
 *
 * Errors: every method rejects only with a SyncError (src/core/sync-error.ts). A failure that
 * concerns the whole call (credentials refused, service unreachable after retries, malformed
 * page envelope) rejects the call; a failure that concerns one record is reported with that
 * record (a read's ChangePage.rejected, a write's WriteOutcome) and never rejects the call.
 */
import type { PropertyValues, RecordType, SourceRecord, SystemName } from '../core/model.js';
import type { SyncError } from '../core/sync-error.js';

/** A record of a read page that did not fit its documented shape, reported instead of failing the read. */
export interface RejectedRecord {
  readonly type: RecordType;
  /** The record's id when the answer carried a readable one; null when even the id was unreadable. */
  readonly id: string | null;
  /**
   * Code `malformed` (with a message naming the field that did not fit, or the required value
   * missing), or `transient`/`validation` when reading this one record kept failing.
   */
  readonly error: SyncError;
}

/**
 * A record the system merged into another (SuperOffice: a person or contact merged away, which
 * disappears without a trace in the lists). The caller moves what was linked to `from` over to
 * `into`; the page carries `into`'s record.
 */
export interface RecordMerge {
  readonly type: RecordType;
  readonly from: string;
  readonly into: string;
}

export interface ChangePage {
  /** Records changed since the cursor the read started from; a record appears at most once per page. */
  readonly records: readonly SourceRecord[];
  /**
   * A cursor that covers this page and every page before it, and nothing after.
   * The caller stores it in the same transaction as the page's records; a read started from it
   * later yields nothing that this page or an earlier one already held unchanged (it may yield
   * records again when they changed, or when the system's feed overlaps: callers de-duplicate).
   */
  readonly cursor: string;
  /**
   * Records of this page that could not be read (one bad record never fails its page). The cursor
   * still covers them: the feed reports such a record again when it changes, and the next full
   * read (`readAll`) reads it again. Absent or empty when every record was read.
   */
  readonly rejected?: readonly RejectedRecord[];
  /** Merges the system reported since the cursor, each proven (`from` is gone, `into` exists). */
  readonly merges?: readonly RecordMerge[];
}

export interface ReadOptions {
  /** Stops the read between pages; the promise of the page in flight rejects with an AbortError. */
  readonly signal?: AbortSignal;
}

export interface CreateOperation {
  readonly kind: 'create';
  /** Unique per planned write; echoed in the outcome. */
  readonly key: string;
  /**
   * The idempotency handle stored on the new record (Zendesk `external_id`). A create with the
   * same handle never makes a second record: when `mayExist` is set the connector first looks the
   * handle up and reports an existing record as `created`.
   */
  readonly externalId: string;
  /**
   * True when a record with this handle may exist already: an earlier attempt may have reached
   * the system, or the caller's state cannot prove that no earlier state made it (a new state).
   */
  readonly mayExist: boolean;
  readonly values: PropertyValues;
  /** A human-readable name, for systems that require one the spec does not map (Zendesk user name). */
  readonly label?: string;
}

/**
 * What the engine last read in the record an update targets: the update was planned against it.
 * An edit made in the system since then must not be overwritten (see UpdateOperation.expected).
 */
export interface UpdateCondition {
  /** Per property of the update's `values`, the value last read (absent when it was not read). */
  readonly values: PropertyValues;
  /** The record's modification time as last read (ISO-8601 UTC), or null when unknown. */
  readonly modifiedAt: string | null;
}

export interface UpdateOperation {
  readonly kind: 'update';
  readonly key: string;
  readonly id: string;
  /**
   * Only the properties to change, keyed by the spec's property path. A connector changes these
   * and nothing else: for a multi-valued property it replaces the first-ranked value and keeps the rest.
   */
  readonly values: PropertyValues;
  /**
   * When set, the update is conditional: it is applied only while the record still holds what the
   * engine read (by the system's own guard where it has one: Zendesk `safe_update`, SuperOffice
   * `If-Unmodified-Since` and JSON Patch `test`; else by reading the record just before writing).
   * When the record changed, nothing of the plan is written, not even after a re-read: the outcome
   * is `conflict`, carrying the record as it is now, and the engine plans again from it.
   */
  readonly expected?: UpdateCondition;
}

export type WriteOperation = CreateOperation | UpdateOperation;

/**
 * `conflict`: a conditional update found the record changed since the engine read it and wrote
 * nothing; `record` is the record as the system holds it now (a connector that cannot read it
 * reports `failed` with code `conflict` instead).
 * `merged`: the create was not made because a record that is not this create's (it does not carry
 * its handle) already holds what the system keeps unique, e.g. a Zendesk user with the e-mail.
 * Nothing was written to that record; the caller links it like a match and plans its values anew.
 */
export type WriteStatus = 'created' | 'merged' | 'updated' | 'unchanged' | 'conflict' | 'failed';

export interface WriteOutcome {
  readonly key: string;
  readonly status: WriteStatus;
  /**
   * The record as the system holds it after the write (or, for `conflict`, now), when known.
   * Always set for `merged`.
   */
  readonly record?: SourceRecord;
  /**
   * For `created`: the record carrying the handle existed before this call (found by looking the
   * handle up), so its values are the system's, not the operation's.
   */
  readonly adopted?: boolean;
  /** Set when status is `failed`. */
  readonly error?: SyncError;
}

export interface Connector {
  readonly system: SystemName;

  /**
   * Checks that the service answers and accepts the credentials with one cheap call.
   * Rejects with code `auth`, `config` or `transient` and a message that says what to fix.
   */
  verify(): Promise<void>;

  /**
   * Streams the records of one type changed since `cursor` (null: from the beginning), page by
   * page, in the system's order. Ends when the feed has nothing newer. Idempotent: reading again
   * from the same cursor yields the same or newer records.
   */
  readChanges(type: RecordType, cursor: string | null, options?: ReadOptions): AsyncIterable<ChangePage>;

  /**
   * Streams every live record of one type, for reconciliation sweeps that catch edits the change
   * feed does not report. Page cursors are the cursor to resume the change feed from afterwards.
   */
  readAll(type: RecordType, options?: ReadOptions): AsyncIterable<ChangePage>;

  /** Reads records by id. Ids that do not exist are left out of the result (no error). */
  readByIds(type: RecordType, ids: readonly string[]): Promise<readonly SourceRecord[]>;

  /**
   * Applies a batch of writes to one type, using bulk endpoints where the system has them.
   * Returns one outcome per operation, in the operations' order. Every operation is safe to
   * repeat: an update writes values (not deltas) and a create carries its idempotency handle.
   */
  write(type: RecordType, operations: readonly WriteOperation[]): Promise<readonly WriteOutcome[]>;
}
