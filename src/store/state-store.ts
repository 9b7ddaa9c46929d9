/**
 * The port to Tandem's state: records seen per system, global entities with their members and
 * base values, cursors, the outbox of planned writes, the history of decisions and writes, and
 * the cycles. One interface, two implementations over the same SQL (src/store/sql-state-store.ts
 * on SQLite and PostgreSQL); test/store/state-store-contract.ts holds both to this contract.
 *
 * General rules, for every method:
 * - Atomicity: each method that changes state runs in ONE transaction; it either happens
 *   entirely or not at all. That is what makes a crash between any two calls safe: the engine
 *   orders its calls so that every prefix of a cycle leaves work the next cycle can finish.
 * - Ordering: lists come back in a stable order (documented per method) so paging with an
 *   `after` key never skips or repeats an item, and tests are deterministic.
 * - Not found: lookups leave unknown keys out of their result (a Map without the key, or
 *   `undefined`); they never reject for a missing row.
 * - Errors: methods reject only for failures of the database itself (disk full, connection
 *   lost, a bug); those are whole-cycle failures for the engine.
 * - Single runner: at most one process syncs a state at a time. The CLI takes the state's lock
 *   (src/store/state-lock.ts: a file lock on SQLite, an advisory lock on PostgreSQL) before it opens
 *   the store to sync; the store itself does not lock rows against a concurrent engine.
 * - Times are ISO-8601 UTC strings passed in by the caller; the store never reads a clock and
 *   never generates ids.
 */

import type { BaseValue, EntitySnapshot, MemberSummary } from '../core/entity.js';
import type { PropertyValues, RecordRef, RecordType, SourceRecord, SystemName } from '../core/model.js';
import type { SyncErrorCode } from '../core/sync-error.js';
import type { CanonicalValue } from '../core/transforms.js';
import type { EntityKind } from '../spec/flows.js';
import type { MergeOutcome, MergeReferrer } from './merge-follow.js';

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A record as stored, with what the sync keeps beside it. */
export interface StoredRecord {
  readonly record: SourceRecord;
  /** Content hash of the mapped payload (values, alternates, facts, deleted); not of `modifiedAt`. */
  readonly hash: string;
  /** The global entity the record is a member of; null while it is not linked. */
  readonly entityId: string | null;
  /** Per attribute, the canonical value last seen in or written to the record. */
  readonly known: Readonly<Record<string, CanonicalValue>>;
  /** When the current content was first stored. */
  readonly seenAt: string;
  /** Why the record could not be linked (an ambiguity with what to do), or null. */
  readonly ambiguity: string | null;
}

export interface IngestResult {
  readonly received: number;
  /** Records new or with a different hash: the ones the cycle has to look at. */
  readonly changed: number;
}

/** A match decision to store (see src/core/matching.ts). */
export type MatchChange =
  | { readonly kind: 'link'; readonly ref: RecordRef; readonly entityId: string; readonly newEntity?: EntityKind }
  | { readonly kind: 'ambiguous'; readonly ref: RecordRef; readonly message: string };

export interface MatchCandidateRow {
  readonly ref: RecordRef;
  readonly entityId: string | null;
  readonly key: string;
}

export interface StoredError {
  readonly code: SyncErrorCode;
  readonly message: string;
  readonly fields?: Readonly<Record<string, readonly string[]>>;
}

export type OutboxState =
  | 'pending' // to be sent when next_attempt_at has come
  | 'failed' // refused for good (validation, not found): shown to a person; replaced when the entity is planned again
  | 'held'; // a create that no longer is planned (it waits); kept so its idempotency state survives

export interface OutboxInsert {
  /** `create:zendesk:<type>:<entityId>` or `update:<system>:<type>:<id>`: one row per target. */
  readonly key: string;
  readonly entityId: string;
  readonly system: SystemName;
  readonly type: RecordType;
  readonly operation: 'create' | 'update';
  /** The record to update; null for creates. */
  readonly targetId: string | null;
  /** Creates: the idempotency handle. */
  readonly externalId: string | null;
  readonly label: string | null;
  /** Wire values keyed by the target system's property paths. */
  readonly values: PropertyValues;
  /** The canonical values written, per attribute. */
  readonly attributes: Readonly<Record<string, CanonicalValue>>;
}

export interface OutboxRow extends OutboxInsert {
  /** True once an attempt may have reached the system (set before every send). */
  readonly mayExist: boolean;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastError: StoredError | null;
  readonly state: OutboxState;
  readonly cycleId: string;
}

export type HistoryEvent =
  | 'linked' // a record joined the entity (detail.rule: merge-key, external-id, created, new-entity)
  | 'ambiguous' // a record could not be linked
  | 'decided' // an attribute got a new agreed value (rule, source)
  | 'conflict' // both sides changed it (detail: candidates, winner, policy rule)
  | 'planned' // a write went to the outbox
  | 'written' // a write succeeded (created, updated, unchanged)
  | 'write-failed'
  | 'write-conflict' // the target changed since it was read: nothing written, planned again from the record as it is now
  | 'waiting' // a write waits for a dependency
  | 'held' // a value deliberately left as it is (read-only, agent-only, no counterpart, duplicate name)
  | 'unlinked' // a person took a record out of the entity (`tandem relink`/`unlink`; detail: to)
  | 'retry'; // a person made the entity's failed writes due now (`tandem retry`)

export interface HistoryEntry {
  readonly entityId: string;
  readonly cycleId: string;
  readonly at: string;
  readonly event: HistoryEvent;
  readonly attribute: string | null;
  /** The member concerned, `system:type:id` (for a create not made yet: `zendesk:<type>:`). */
  readonly member: string | null;
  readonly rule: string | null;
  readonly detail: JsonValue;
}

/** Everything planning one entity changes, stored atomically (see commitPlans). */
export interface PlanCommit {
  readonly entityId: string;
  /**
   * False when base, holds, waits and name claim are exactly those loaded for the plan: the store
   * then only clears (or keeps) the dirty flag. Most entities of a sweep change nothing.
   */
  readonly entityChanged: boolean;
  readonly base: Readonly<Record<string, BaseValue>>;
  /** Per member (`system:type:id`), the values seen now; members whose values did not change may be left out. */
  readonly known: Readonly<Record<string, Readonly<Record<string, CanonicalValue>>>>;
  readonly holds: Readonly<Record<string, string>>;
  readonly waits: readonly string[];
  readonly nameClaim: string | null;
  /** Keep the entity in the next cycle's plan (it waits for something). */
  readonly keepDirty: boolean;
  /** The entity was dirty when loaded for this plan (only then is there a mark to clear). */
  readonly wasDirty: boolean;
  /**
   * The entities its values point at. When one of them gains or loses a member, or a member's
   * agent flag changes, this entity becomes dirty again (its translations may change).
   */
  readonly references: readonly string[];
  /** Outbox rows that replace the entity's current rows. */
  readonly writes: readonly OutboxInsert[];
  /** False when the entity has its Zendesk record: any create row of it is dropped instead of held. */
  readonly createStillNeeded: boolean;
  readonly history: readonly HistoryEntry[];
}

export type OutboxResult =
  /** Link the created record to the row's entity, with the row's attributes as its known values. */
  | { readonly key: string; readonly status: 'created'; readonly record: SourceRecord }
  /**
   * Link an existing record the create found instead of making one (it held the create's e-mail, or
   * its handle from another state): stored as read, with no known values, so the entity is planned
   * again as after a match. A record already linked keeps its link.
   */
  | { readonly key: string; readonly status: 'merged'; readonly record: SourceRecord }
  /** Merge the row's attributes into the target's known values; store the record (or patch the values). */
  | { readonly key: string; readonly status: 'updated' | 'unchanged'; readonly record?: SourceRecord }
  /** Keep the row with its error; `nextAttemptAt` null marks it failed for good. */
  | {
      readonly key: string;
      readonly status: 'failed';
      readonly error: StoredError;
      readonly nextAttemptAt: string | null;
    }
  /** Drop the row: the entity got its record another way (a feed delivered the adopted create). */
  | { readonly key: string; readonly status: 'superseded' }
  /**
   * Drop the row: its target changed since it was planned and nothing was written. `record` (the
   * target as it is now) replaces the stored content, modification time included, keeping its
   * link and known values; the row's entity becomes dirty, so it is planned again from it.
   */
  | { readonly key: string; readonly status: 'conflict'; readonly record: SourceRecord };

export type CycleStatus = 'running' | 'completed' | 'interrupted' | 'failed';

export interface CycleRecord {
  readonly id: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: CycleStatus;
  readonly summary: JsonValue;
}

export interface CursorRecord {
  readonly system: SystemName;
  readonly type: RecordType;
  readonly cursor: string;
  readonly updatedAt: string;
}

/** Counts for one SuperOffice record type (one flow), for `tandem status`. */
export interface FlowCounts {
  readonly system: SystemName;
  readonly type: RecordType;
  readonly records: number;
  /** Records whose entity has the flow's record in the other system. */
  readonly linked: number;
  readonly waiting: number;
  readonly ambiguous: number;
  /** Entities with an outbox row that failed (retrying or failed for good). */
  readonly failed: number;
  /** Entities with at least one recorded conflict. */
  readonly conflicted: number;
}

/**
 * The live SuperOffice records of one type, each counted once, in the first state that applies:
 * linked (its entity has a live Zendesk record of the flow), ambiguous, failed (its create was
 * refused), waiting (for a dependency), held (its create waits for a person: a name taken or
 * missing), out of scope (the flow's create rule leaves it out: a person on no synced ticket),
 * writing (its create is in the outbox), or unplanned (not planned yet: the next cycle does it).
 */
export interface FlowBreakdown {
  readonly system: SystemName;
  readonly type: RecordType;
  readonly records: number;
  readonly linked: number;
  readonly ambiguous: number;
  readonly failed: number;
  readonly waiting: number;
  readonly held: number;
  readonly outOfScope: number;
  readonly writing: number;
  readonly unplanned: number;
}

export interface StateStore {
  readonly dialect: 'sqlite' | 'postgres';

  // --- cursors -------------------------------------------------------------------------------

  /** The stored cursor of a change feed, or null when the feed was never read. */
  getCursor(system: SystemName, type: RecordType): Promise<string | null>;
  listCursors(): Promise<readonly CursorRecord[]>;

  // --- records -------------------------------------------------------------------------------

  /**
   * Stores one page of a feed and its cursor in one transaction. Records whose hash is unchanged
   * are skipped (feeds overlap and repeat); a changed record of a linked entity marks the entity
   * dirty, and when its agent flag or deleted flag changed, the entities referencing it too. A record older than the stored one (both with modification times) is ignored.
   * Idempotent: ingesting the same page again changes nothing but the cursor's time.
   */
  ingestPage(
    system: SystemName,
    type: RecordType,
    records: readonly SourceRecord[],
    /** Null for records learnt outside the feed (a record found deleted): the feed's cursor stays. */
    cursor: string | null,
    at: string,
  ): Promise<IngestResult>;

  getRecord(ref: RecordRef): Promise<StoredRecord | undefined>;

  /** Live records that are not linked (new, or ambiguous), ordered by system, type, id; after `after`. */
  listUnlinked(after: RecordRef | null, limit: number): Promise<readonly StoredRecord[]>;

  /** Live records holding any of the merge keys, ordered by key then record. */
  findByMatchKeys(keys: readonly string[]): Promise<readonly MatchCandidateRow[]>;

  /** The entity of each linked record; unknown or unlinked records are left out. Keys are ref keys. */
  entityIdsOf(refs: readonly RecordRef[]): Promise<ReadonlyMap<string, string>>;

  /**
   * Moves a record out of an entity it is the only record of, and that no entity points at, into
   * `into` (a create found that this record is `into`'s: it holds its e-mail); the emptied entity
   * and its outbox rows are removed. Returns false and changes nothing otherwise. Atomic.
   */
  absorbLoneRecord(ref: RecordRef, into: string): Promise<boolean>;

  /** Ambiguity messages of the given records that are unlinked; keys are ref keys. */
  ambiguitiesOf(refs: readonly RecordRef[]): Promise<ReadonlyMap<string, string>>;

  // --- entities ------------------------------------------------------------------------------

  /**
   * Stores match decisions in one transaction: creates new entities (dirty), links records
   * (dirtying their entity and the entities that reference it), records ambiguities, appends
   * history. Linking an already linked record is ignored (links are kept).
   */
  applyMatches(changes: readonly MatchChange[], history: readonly HistoryEntry[], at: string): Promise<void>;

  /**
   * Follows a merge in a source system: `from` was merged into `into` (same system and type) and
   * is gone. Moves `from`'s link to `into` when `into` is not linked or is alone in its entity;
   * drops `from`; plans the entity again. When `into` belongs to an entity that holds more, changes
   * nothing and says so (`held`). Stored records of the `referrers` types that named `from` (in
   * entities referring to its entity) name `into` afterwards, as the source system moved them.
   * Atomic; following the same merge again changes nothing.
   */
  followMerge(from: RecordRef, into: RecordRef, referrers: readonly MergeReferrer[]): Promise<MergeOutcome>;

  /** Members of each entity (live and deleted); entities without members are left out. */
  membersOf(entityIds: readonly string[]): Promise<ReadonlyMap<string, readonly MemberSummary[]>>;

  /** Ids of dirty entities of a kind, ordered by id, after `after`. */
  listDirtyEntities(kind: EntityKind, after: string | null, limit: number): Promise<readonly string[]>;

  /** Entities with their members; unknown ids are left out. Order follows `ids`. */
  loadEntities(ids: readonly string[]): Promise<readonly EntitySnapshot[]>;

  /**
   * The next entities of a kind to plan, loaded with their members, ordered by id, after `after`:
   * the dirty ones, or in a sweep every one. (Listing and loading in one go spares a sweep a lookup per entity.)
   */
  loadNextEntities(
    kind: EntityKind,
    after: string | null,
    limit: number,
    scope: 'dirty' | 'all',
  ): Promise<readonly EntitySnapshot[]>;

  /** The members of one record type of these entities (live and deleted), as stored. */
  membersOfType(entityIds: readonly string[], system: SystemName, type: RecordType): Promise<readonly SourceRecord[]>;

  /** For each organization name key, the entity holding it in Zendesk (by its Zendesk record or its claim). */
  findNameHolders(keys: readonly string[]): Promise<ReadonlyMap<string, string>>;

  /**
   * Marks persons as wanted in Zendesk (the Person of a synced ticket); the ones not wanted
   * before also become dirty. Returns how many changed. Idempotent.
   */
  markWanted(entityIds: readonly string[]): Promise<number>;

  /**
   * Stores plans in one transaction: new base, known values, holds, waits, claims, the dirty flag,
   * and the outbox. The entity's pending update rows are replaced by `writes` (a row no longer
   * planned is deleted: it would write a stale value); its create row is upserted, keeping the
   * external id and `mayExist` of earlier attempts, or held when not planned now.
   */
  commitPlans(plans: readonly PlanCommit[], cycleId: string, at: string): Promise<void>;

  // --- outbox --------------------------------------------------------------------------------

  /** How many rows `listDueOutbox` would list from the start at `now` (a cycle's write total, for progress). */
  countDueOutbox(system: SystemName, type: RecordType, now: string): Promise<number>;

  /** Pending rows of one target type due at `now`, ordered by key, after `after`. */
  listDueOutbox(
    system: SystemName,
    type: RecordType,
    now: string,
    after: string | null,
    limit: number,
  ): Promise<readonly OutboxRow[]>;

  /**
   * Write-ahead before sending: counts an attempt and sets `mayExist` on each row, so a crash
   * during the call makes the next attempt of a create look its handle up instead of creating twice.
   */
  markOutboxAttempt(keys: readonly string[], at: string): Promise<void>;

  /** Records send results and their history in one transaction; unknown keys are ignored. */
  completeOutbox(results: readonly OutboxResult[], history: readonly HistoryEntry[], at: string): Promise<void>;

  /** Rows that failed at least once, failed-for-good first, then by key. */
  listFailedOutbox(limit: number): Promise<readonly OutboxRow[]>;

  /** Every row of an entity, by key. */
  outboxOf(entityId: string): Promise<readonly OutboxRow[]>;

  // --- history, cycles, status ---------------------------------------------------------------

  appendHistory(entries: readonly HistoryEntry[]): Promise<void>;
  /** An entity's history, oldest first. */
  historyOf(entityId: string): Promise<readonly HistoryEntry[]>;
  /** Conflicts of the most recent cycles first. */
  listConflicts(limit: number): Promise<readonly HistoryEntry[]>;

  beginCycle(id: string, at: string): Promise<void>;
  finishCycle(id: string, at: string, status: CycleStatus, summary: JsonValue): Promise<void>;
  /** Newest first. */
  listCycles(limit: number): Promise<readonly CycleRecord[]>;

  flowCounts(): Promise<readonly FlowCounts[]>;
  /** Unlinked records with an ambiguity, by ref key. */
  listAmbiguities(limit: number): Promise<readonly StoredRecord[]>;
  /** Entities that wait or hold values, with their reasons, by id. */
  listAttention(
    limit: number,
  ): Promise<
    readonly { entityId: string; kind: EntityKind; waits: readonly string[]; holds: Readonly<Record<string, string>> }[]
  >;

  // --- what `tandem status` pages through (each list in a stable order, after `after`) -------

  /**
   * Entities with something to show: they wait, hold values, or keep a value a conflict decided
   * (a base value whose rule is `conflict-*`); with their members, ordered by id.
   */
  pageNotedEntities(after: string | null, limit: number): Promise<readonly EntitySnapshot[]>;
  /** The history entries of these events of the given entities, by entity then oldest first. */
  historyOfEntities(entityIds: readonly string[], events: readonly HistoryEvent[]): Promise<readonly HistoryEntry[]>;
  /** Unlinked live records with an ambiguity, ordered by system, type, id. */
  pageAmbiguities(after: RecordRef | null, limit: number): Promise<readonly StoredRecord[]>;
  /** Outbox rows that failed at least once, ordered by key. */
  pageFailedOutbox(after: string | null, limit: number): Promise<readonly OutboxRow[]>;
  /** Deleted records that are still members of an entity, ordered by system, type, id. */
  pageDeletedMembers(after: RecordRef | null, limit: number): Promise<readonly StoredRecord[]>;
  /** Per SuperOffice record type (flow), its live records in disjoint states; see FlowBreakdown. */
  flowBreakdown(): Promise<readonly FlowBreakdown[]>;

  // --- what a person does (`tandem retry`, `relink`, `unlink`); each is one transaction ----------

  /**
   * Makes failed outbox rows due at `at` (state pending) and marks their entities dirty, so the
   * next cycle plans them again and sends what is still needed: the rows of one entity, or every
   * row that failed. Returns the keys made due. History entries are appended.
   */
  retryOutbox(
    scope: { readonly entityId: string } | 'every-failed',
    at: string,
    history: (row: OutboxRow) => HistoryEntry,
  ): Promise<readonly string[]>;
  /**
   * Moves a record into another entity (created with `newEntity` when given), or out of every
   * entity (`to` null). The record starts afresh there: no known values, no ambiguity; update rows
   * aimed at it are dropped (they carried the old entity's values). An entity left without records
   * is emptied (base, holds, waits, claim, outbox rows). Both entities, and those that point at
   * them, are planned again. History entries are appended. An unknown record changes nothing.
   */
  moveRecord(
    ref: RecordRef,
    to: { readonly entityId: string; readonly newEntity?: EntityKind } | null,
    history: readonly HistoryEntry[],
    at: string,
  ): Promise<void>;

  /**
   * Runs `work` and rolls back everything it changed, also when it succeeds: `tandem plan` runs a
   * cycle this way. Methods called inside see the uncommitted changes; transactions inside become
   * savepoints.
   */
  dryRun<T>(work: () => Promise<T>): Promise<T>;

  close(): Promise<void>;
}

export function outboxKeyOfCreate(type: RecordType, entityId: string): string {
  return `create:zendesk:${type}:${entityId}`;
}

export function outboxKeyOfUpdate(ref: RecordRef): string {
  return `update:${ref.system}:${ref.type}:${ref.id}`;
}
