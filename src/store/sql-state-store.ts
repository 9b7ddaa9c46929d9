/**
 * The StateStore over SQL, shared by SQLite and PostgreSQL: the queries are written once in the
 * subset both dialects speak (upserts with ON CONFLICT, row values, partial indexes); the drivers
 * differ only in placeholders and transactions. Schemas are per dialect under migrations/.
 */

import type { BaseValue, EntitySnapshot, MemberSnapshot, MemberSummary } from '../core/entity.js';
import { matchKeysOf, nameKeysOf } from '../core/matching.js';
import {
  type PropertyValues,
  type RecordRef,
  type RecordType,
  refKey,
  type SourceRecord,
  type SystemName,
} from '../core/model.js';
import type { CanonicalValue } from '../core/transforms.js';
import type { EntityKind } from '../spec/flows.js';
import { flows } from '../spec/flows.js';
import { contentHash } from './content-hash.js';
import { followMergeIn, type MergeOutcome, type MergeReferrer } from './merge-follow.js';
import {
  placeholders,
  type SqlDriver,
  type SqlExecutor,
  type SqlParam,
  type SqlRow,
  statementChunks,
} from './sql-driver.js';
import type {
  CursorRecord,
  CycleRecord,
  CycleStatus,
  FlowBreakdown,
  FlowCounts,
  HistoryEntry,
  HistoryEvent,
  IngestResult,
  JsonValue,
  MatchCandidateRow,
  MatchChange,
  OutboxResult,
  OutboxRow,
  OutboxState,
  PlanCommit,
  StateStore,
  StoredError,
  StoredRecord,
} from './state-store.js';
import { outboxKeyOfUpdate } from './state-store.js';

/** The part of a record kept as JSON text. */
interface RecordBody {
  readonly values: PropertyValues;
  readonly alternates?: Readonly<Record<string, readonly string[]>>;
  readonly facts?: SourceRecord['facts'];
}

function parseJson<T>(text: unknown): T {
  return JSON.parse(String(text)) as T;
}

/** A JSON object; the empty one, which most holds and many known values are, without parsing. */
function parseJsonObject<T extends object>(text: unknown): T {
  return text === '{}' ? ({} as T) : parseJson<T>(text);
}

function text(value: unknown): string {
  return String(value);
}

function optionalText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function bodyOf(record: SourceRecord): string {
  const body: RecordBody = {
    values: record.values,
    ...(record.alternates === undefined ? {} : { alternates: record.alternates }),
    ...(record.facts === undefined ? {} : { facts: record.facts }),
  };
  return JSON.stringify(body);
}

type Mutable<T> = { -readonly [Key in keyof T]: T[Key] };

function recordOfRow(row: SqlRow): SourceRecord {
  const body = parseJson<RecordBody>(row.body);
  const record: Mutable<SourceRecord> = {
    ref: { system: text(row.system) as SystemName, type: text(row.type) as RecordType, id: text(row.id) },
    values: body.values,
    modifiedAt: optionalText(row.modified_at),
    deleted: Number(row.deleted) === 1,
  };
  // Set only when present (no spread of a temporary object: this runs for every member loaded).
  if (body.alternates !== undefined) record.alternates = body.alternates;
  if (body.facts !== undefined) record.facts = body.facts;
  return record;
}

function storedRecordOfRow(row: SqlRow): StoredRecord {
  return {
    record: recordOfRow(row),
    hash: text(row.hash),
    entityId: optionalText(row.entity_id),
    known: parseJson<Record<string, CanonicalValue>>(row.known),
    seenAt: text(row.seen_at),
    ambiguity: optionalText(row.ambiguity),
  };
}

function outboxOfRow(row: SqlRow): OutboxRow {
  return {
    key: text(row.key),
    entityId: text(row.entity_id),
    system: text(row.system) as SystemName,
    type: text(row.type) as RecordType,
    operation: text(row.operation) === 'create' ? 'create' : 'update',
    targetId: optionalText(row.target_id),
    externalId: optionalText(row.external_id),
    label: optionalText(row.label),
    values: parseJson<PropertyValues>(row.body),
    attributes: parseJson<Record<string, CanonicalValue>>(row.attributes),
    mayExist: Number(row.may_exist) === 1,
    attempts: Number(row.attempts),
    nextAttemptAt: text(row.next_attempt_at),
    lastError: row.last_error === null || row.last_error === undefined ? null : parseJson<StoredError>(row.last_error),
    state: text(row.state) as OutboxState,
    cycleId: text(row.cycle_id),
  };
}

function historyOfRow(row: SqlRow): HistoryEntry {
  return {
    entityId: text(row.entity_id),
    cycleId: text(row.cycle_id),
    at: text(row.at),
    event: text(row.event) as HistoryEntry['event'],
    attribute: optionalText(row.attribute),
    member: optionalText(row.member),
    rule: optionalText(row.rule),
    detail: parseJson<JsonValue>(row.detail),
  };
}

function isOlder(incoming: string | null, stored: string | null): boolean {
  if (incoming === null || stored === null) return false;
  const incomingTime = Date.parse(incoming);
  const storedTime = Date.parse(stored);
  return !Number.isNaN(incomingTime) && !Number.isNaN(storedTime) && incomingTime < storedTime;
}

/** The record after one of our updates: the written values replace the first-ranked ones. */
function patchedRecord(record: SourceRecord, values: PropertyValues): SourceRecord {
  const alternates = record.alternates === undefined ? undefined : { ...record.alternates };
  if (alternates !== undefined) {
    for (const [path, value] of Object.entries(values)) {
      const list = alternates[path];
      if (list === undefined) continue;
      alternates[path] = value === null ? list.slice(1) : [value, ...list.slice(1).filter((other) => other !== value)];
    }
  }
  return {
    ...record,
    values: { ...record.values, ...values },
    ...(alternates === undefined ? {} : { alternates }),
  };
}

function groupByType(refs: readonly RecordRef[]): Map<string, { system: SystemName; type: RecordType; ids: string[] }> {
  const groups = new Map<string, { system: SystemName; type: RecordType; ids: string[] }>();
  for (const ref of refs) {
    const key = `${ref.system}:${ref.type}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { system: ref.system, type: ref.type, ids: [] };
      groups.set(key, group);
    }
    group.ids.push(ref.id);
  }
  return groups;
}

const recordColumns = 'system, type, id, hash, body, modified_at, deleted, seen_at, entity_id, known, ambiguity';

/** The agent flag column: 1, 0, or null when the record has no such fact. */
function agentFlagParam(record: SourceRecord): SqlParam {
  const isAgent = record.facts?.isAgent;
  return isAgent === undefined ? null : isAgent ? 1 : 0;
}

function agentFlagOfRow(value: unknown): boolean | undefined {
  return value === null || value === undefined ? undefined : Number(value) === 1;
}

/** The content columns of a record row, in the order the record statements below list them. */
function recordContentParams(ref: RecordRef, record: SourceRecord, hash: string, at: string): SqlParam[] {
  return [
    ref.system,
    ref.type,
    ref.id,
    hash,
    bodyOf(record),
    record.modifiedAt,
    record.deleted ? 1 : 0,
    at,
    agentFlagParam(record),
  ];
}

/** The entity columns a snapshot is made of. */
const entityColumns = 'id, kind, base, holds, waits, name_claim, wanted, dirty';

/** Ids per `IN (…)` list. */
const inListRows = 256;

/**
 * One statement over many rows: `build` gets the VALUES list for a chunk of rows. Rows go in
 * chunks of a few fixed sizes (see statementChunks), so the drivers' statement caches stay small;
 * texts are kept per row count. Both dialects read `WITH v(…) AS (VALUES …) UPDATE … FROM v`.
 */
class RowsStatement {
  private readonly texts = new Map<number, string>();
  private readonly columns: number;
  private readonly maxRows: number;

  constructor(
    private readonly rowTemplate: string,
    private readonly build: (values: string) => string,
  ) {
    this.columns = rowTemplate.split('?').length - 1;
    // At most ~4,000 parameters a statement: well inside both dialects' limits.
    this.maxRows = 2 ** Math.floor(Math.log2(Math.max(1, Math.floor(4096 / this.columns))));
  }

  async run(tx: SqlExecutor, rows: readonly (readonly SqlParam[])[]): Promise<number> {
    let changed = 0;
    for (const chunk of statementChunks(rows, this.maxRows)) {
      const params: SqlParam[] = [];
      for (const row of chunk) for (const value of row) params.push(value);
      changed += await tx.run(this.textFor(chunk.length), params);
    }
    return changed;
  }

  private textFor(rows: number): string {
    let sql = this.texts.get(rows);
    if (sql === undefined) {
      sql = this.build(new Array<string>(rows).fill(this.rowTemplate).join(', '));
      this.texts.set(rows, sql);
    }
    return sql;
  }
}

const recordContentUpsert = new RowsStatement(
  '(?, ?, ?, ?, ?, ?, ?, ?, ?)',
  (
    values,
  ) => `INSERT INTO records (system, type, id, hash, body, modified_at, deleted, seen_at, is_agent) VALUES ${values}
    ON CONFLICT (system, type, id) DO UPDATE SET hash = excluded.hash, body = excluded.body,
      modified_at = excluded.modified_at, deleted = excluded.deleted, seen_at = excluded.seen_at, is_agent = excluded.is_agent`,
);

const createdRecordUpsert = new RowsStatement(
  '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  (
    values,
  ) => `INSERT INTO records (system, type, id, hash, body, modified_at, deleted, seen_at, is_agent, entity_id, known)
    VALUES ${values}
    ON CONFLICT (system, type, id) DO UPDATE SET hash = excluded.hash, body = excluded.body,
      modified_at = excluded.modified_at, deleted = excluded.deleted, seen_at = excluded.seen_at, is_agent = excluded.is_agent,
      entity_id = COALESCE(records.entity_id, excluded.entity_id), known = excluded.known, ambiguity = NULL`,
);

const recordAfterUpdate = new RowsStatement(
  '(?, ?, ?, ?, ?, ?, CAST(? AS INTEGER), ?, CAST(? AS INTEGER), ?)',
  (
    values,
  ) => `WITH v (system, type, id, hash, body, modified_at, deleted, seen_at, is_agent, known) AS (VALUES ${values})
    UPDATE records SET hash = v.hash, body = v.body, modified_at = v.modified_at, deleted = v.deleted,
      seen_at = v.seen_at, is_agent = v.is_agent, known = v.known
    FROM v WHERE records.system = v.system AND records.type = v.type AND records.id = v.id`,
);

const recordLink = new RowsStatement(
  '(?, ?, ?, ?)',
  (values) => `WITH v (entity_id, system, type, id) AS (VALUES ${values})
    UPDATE records SET entity_id = v.entity_id, ambiguity = NULL
    FROM v WHERE records.system = v.system AND records.type = v.type AND records.id = v.id AND records.entity_id IS NULL`,
);

const matchKeyInsert = new RowsStatement(
  '(?, ?, ?, ?)',
  (values) => `INSERT INTO match_keys (key, system, type, id) VALUES ${values} ON CONFLICT DO NOTHING`,
);

const entityInsert = new RowsStatement(
  '(?, ?, ?, 1)',
  (values) => `INSERT INTO entities (id, kind, created_at, dirty) VALUES ${values} ON CONFLICT (id) DO NOTHING`,
);

const entityPlanUpdate = new RowsStatement(
  '(?, ?, ?, ?, ?, CAST(? AS INTEGER))',
  (values) => `WITH v (id, base, holds, waits, name_claim, dirty) AS (VALUES ${values})
    UPDATE entities SET base = v.base, holds = v.holds, waits = v.waits, name_claim = v.name_claim, dirty = v.dirty
    FROM v WHERE entities.id = v.id`,
);

const knownUpdate = new RowsStatement(
  '(?, ?, ?, ?, ?)',
  (values) => `WITH v (system, type, id, entity_id, known) AS (VALUES ${values})
    UPDATE records SET known = v.known
    FROM v WHERE records.system = v.system AND records.type = v.type AND records.id = v.id AND records.entity_id = v.entity_id`,
);

const referenceDelete = new RowsStatement(
  '(?, ?)',
  (values) => `DELETE FROM entity_references WHERE (entity_id, referenced_id) IN (VALUES ${values})`,
);

const referenceInsert = new RowsStatement(
  '(?, ?)',
  (values) => `INSERT INTO entity_references (entity_id, referenced_id) VALUES ${values} ON CONFLICT DO NOTHING`,
);

// A row replaced with the same values keeps its back-off and its verdict; new values start over.
const outboxUpsert = new RowsStatement(
  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, NULL, 'pending', ?)",
  (
    values,
  ) => `INSERT INTO outbox (key, entity_id, system, type, operation, target_id, external_id, label, body, attributes,
      may_exist, attempts, next_attempt_at, last_error, state, cycle_id)
    VALUES ${values}
    ON CONFLICT (key) DO UPDATE SET
      target_id = excluded.target_id,
      external_id = COALESCE(outbox.external_id, excluded.external_id),
      label = excluded.label,
      attributes = excluded.attributes,
      state = CASE WHEN outbox.body = excluded.body AND outbox.state <> 'held' THEN outbox.state ELSE 'pending' END,
      next_attempt_at = CASE WHEN outbox.body = excluded.body AND outbox.state <> 'held' THEN outbox.next_attempt_at ELSE excluded.next_attempt_at END,
      body = excluded.body,
      cycle_id = excluded.cycle_id`,
);

const historyInsert = new RowsStatement(
  '(?, ?, ?, ?, ?, ?, ?, ?)',
  (values) => `INSERT INTO history (entity_id, cycle_id, at, event, attribute, member, rule, detail) VALUES ${values}`,
);

export class SqlStateStore implements StateStore {
  readonly dialect: 'sqlite' | 'postgres';

  constructor(private readonly sql: SqlDriver) {
    this.dialect = sql.dialect;
  }

  // --- cursors ---

  async getCursor(system: SystemName, type: RecordType): Promise<string | null> {
    const rows = await this.sql.all('SELECT cursor FROM cursors WHERE system = ? AND type = ?', [system, type]);
    return rows.length === 0 ? null : text(rows[0]?.cursor);
  }

  async listCursors(): Promise<readonly CursorRecord[]> {
    const rows = await this.sql.all('SELECT system, type, cursor, updated_at FROM cursors ORDER BY system, type');
    return rows.map((row) => ({
      system: text(row.system) as SystemName,
      type: text(row.type) as RecordType,
      cursor: text(row.cursor),
      updatedAt: text(row.updated_at),
    }));
  }

  // --- records ---

  async ingestPage(
    system: SystemName,
    type: RecordType,
    records: readonly SourceRecord[],
    cursor: string | null,
    at: string,
  ): Promise<IngestResult> {
    // A page holds a record at most once (connector contract); should one repeat, the last copy counts.
    const latest = new Map<string, SourceRecord>();
    for (const record of records) latest.set(record.ref.id, record);
    return this.sql.transaction(async (tx) => {
      // Hashes first: most records of a sweep are unchanged, and for them nothing else is read.
      const storedHashes = new Map<string, string>();
      for (const ids of statementChunks([...latest.keys()], inListRows)) {
        const rows = await tx.all(
          `SELECT id, hash FROM records WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)})`,
          [system, type, ...ids],
        );
        for (const row of rows) storedHashes.set(text(row.id), text(row.hash));
      }
      const changedRecords: { record: SourceRecord; hash: string }[] = [];
      const replacing: string[] = [];
      for (const record of latest.values()) {
        const hash = contentHash(record);
        const storedHash = storedHashes.get(record.ref.id);
        if (storedHash === hash) continue;
        changedRecords.push({ record, hash });
        if (storedHash !== undefined) replacing.push(record.ref.id);
      }
      const existing = new Map<string, SqlRow>();
      for (const ids of statementChunks(replacing, inListRows)) {
        const rows = await tx.all(
          `SELECT id, modified_at, entity_id, deleted, is_agent FROM records WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)})`,
          [system, type, ...ids],
        );
        for (const row of rows) existing.set(text(row.id), row);
      }
      const written: { record: SourceRecord; hash: string }[] = [];
      const replacedIds: string[] = [];
      const dirty = new Set<string>();
      const referenced = new Set<string>();
      for (const { record, hash } of changedRecords) {
        const stored = existing.get(record.ref.id);
        if (stored !== undefined) {
          if (isOlder(record.modifiedAt, optionalText(stored.modified_at))) continue;
          replacedIds.push(record.ref.id);
          const entityId = optionalText(stored.entity_id);
          if (entityId !== null) {
            dirty.add(entityId);
            const agentChanged = agentFlagOfRow(stored.is_agent) !== record.facts?.isAgent;
            if (agentChanged || (Number(stored.deleted) === 1) !== record.deleted) referenced.add(entityId);
          }
        }
        written.push({ record, hash });
      }
      await this.upsertRecordContents(tx, written, at);
      // Keys of replaced records go first: their content, and so their keys, changed.
      for (const ids of statementChunks(replacedIds, inListRows)) {
        await tx.run(`DELETE FROM match_keys WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)})`, [
          system,
          type,
          ...ids,
        ]);
      }
      await this.insertKeys(
        tx,
        written.map(({ record }) => record),
      );
      await this.markDirty(tx, [...dirty]);
      await this.dirtyReferrers(tx, [...referenced]);
      if (cursor !== null) {
        await tx.run(
          'INSERT INTO cursors (system, type, cursor, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (system, type) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at',
          [system, type, cursor, at],
        );
      }
      return { received: records.length, changed: written.length };
    });
  }

  /** Upserts records' contents; their links, known values and ambiguities stay. */
  private async upsertRecordContents(
    tx: SqlExecutor,
    records: readonly { readonly record: SourceRecord; readonly hash: string }[],
    at: string,
  ): Promise<void> {
    await recordContentUpsert.run(
      tx,
      records.map(({ record, hash }) => recordContentParams(record.ref, record, hash, at)),
    );
  }

  /** Marks entities dirty (those not dirty yet). */
  private async markDirty(tx: SqlExecutor, entityIds: readonly string[]): Promise<void> {
    for (const ids of statementChunks(entityIds, inListRows)) {
      await tx.run(`UPDATE entities SET dirty = 1 WHERE dirty = 0 AND id IN (${placeholders(ids.length)})`, ids);
    }
  }

  /** Entities whose values point at these ones are planned again: their translations may change. */
  private async dirtyEntities(tx: SqlExecutor, entityIds: readonly string[]): Promise<void> {
    for (const ids of statementChunks(entityIds, inListRows)) {
      await tx.run(`UPDATE entities SET dirty = 1 WHERE dirty = 0 AND id IN (${placeholders(ids.length)})`, ids);
    }
  }

  private async dirtyReferrers(tx: SqlExecutor, entityIds: readonly string[]): Promise<void> {
    for (const ids of statementChunks(entityIds, inListRows)) {
      await tx.run(
        `UPDATE entities SET dirty = 1 WHERE dirty = 0 AND id IN (SELECT entity_id FROM entity_references WHERE referenced_id IN (${placeholders(ids.length)}))`,
        ids,
      );
    }
  }

  /** Inserts the merge and name keys of live records (whose old keys are gone). */
  private async insertKeys(tx: SqlExecutor, records: readonly SourceRecord[]): Promise<void> {
    const rows: SqlParam[][] = [];
    for (const record of records) {
      if (record.deleted) continue;
      const { system, type, id } = record.ref;
      for (const key of matchKeysOf(record)) rows.push([key, system, type, id]);
      for (const key of nameKeysOf(record)) rows.push([key, system, type, id]);
    }
    await matchKeyInsert.run(tx, rows);
  }

  /** Deletes the keys of records of any types. */
  private async deleteKeys(tx: SqlExecutor, refs: readonly RecordRef[]): Promise<void> {
    for (const group of groupByType(refs).values()) {
      for (const ids of statementChunks(group.ids, inListRows)) {
        await tx.run(`DELETE FROM match_keys WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)})`, [
          group.system,
          group.type,
          ...ids,
        ]);
      }
    }
  }

  getRecord(ref: RecordRef): Promise<StoredRecord | undefined> {
    return this.readRecord(this.sql, ref);
  }

  private async readRecord(db: SqlExecutor, ref: RecordRef): Promise<StoredRecord | undefined> {
    const rows = await db.all(`SELECT ${recordColumns} FROM records WHERE system = ? AND type = ? AND id = ?`, [
      ref.system,
      ref.type,
      ref.id,
    ]);
    const row = rows[0];
    return row === undefined ? undefined : storedRecordOfRow(row);
  }

  /** Stored records by ref key; unknown ones are left out. */
  private async readRecords(db: SqlExecutor, refs: readonly RecordRef[]): Promise<Map<string, StoredRecord>> {
    const result = new Map<string, StoredRecord>();
    for (const group of groupByType(refs).values()) {
      for (const ids of statementChunks([...new Set(group.ids)], inListRows)) {
        const rows = await db.all(
          `SELECT ${recordColumns} FROM records WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)})`,
          [group.system, group.type, ...ids],
        );
        for (const row of rows) result.set(`${group.system}:${group.type}:${text(row.id)}`, storedRecordOfRow(row));
      }
    }
    return result;
  }

  async listUnlinked(after: RecordRef | null, limit: number): Promise<readonly StoredRecord[]> {
    const rows =
      after === null
        ? await this.sql.all(
            `SELECT ${recordColumns} FROM records WHERE entity_id IS NULL AND deleted = 0 ORDER BY system, type, id LIMIT ?`,
            [limit],
          )
        : await this.sql.all(
            `SELECT ${recordColumns} FROM records WHERE entity_id IS NULL AND deleted = 0 AND (system, type, id) > (?, ?, ?)
             ORDER BY system, type, id LIMIT ?`,
            [after.system, after.type, after.id, limit],
          );
    return rows.map(storedRecordOfRow);
  }

  async findByMatchKeys(keys: readonly string[]): Promise<readonly MatchCandidateRow[]> {
    const found: MatchCandidateRow[] = [];
    for (const chunk of statementChunks([...new Set(keys)], inListRows)) {
      const rows = await this.sql.all(
        `SELECT m.key, r.system, r.type, r.id, r.entity_id FROM match_keys m
         JOIN records r ON r.system = m.system AND r.type = m.type AND r.id = m.id
         WHERE m.key IN (${placeholders(chunk.length)}) AND r.deleted = 0
         ORDER BY m.key, r.system, r.type, r.id`,
        chunk,
      );
      for (const row of rows) {
        found.push({
          key: text(row.key),
          ref: { system: text(row.system) as SystemName, type: text(row.type) as RecordType, id: text(row.id) },
          entityId: optionalText(row.entity_id),
        });
      }
    }
    return found;
  }

  async entityIdsOf(refs: readonly RecordRef[]): Promise<ReadonlyMap<string, string>> {
    const result = new Map<string, string>();
    for (const group of groupByType(refs).values()) {
      for (const ids of statementChunks([...new Set(group.ids)], inListRows)) {
        const rows = await this.sql.all(
          `SELECT id, entity_id FROM records WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)}) AND entity_id IS NOT NULL`,
          [group.system, group.type, ...ids],
        );
        for (const row of rows) result.set(`${group.system}:${group.type}:${text(row.id)}`, text(row.entity_id));
      }
    }
    return result;
  }

  async absorbLoneRecord(ref: RecordRef, into: string): Promise<boolean> {
    return this.sql.transaction(async (tx) => {
      const [record] = await tx.all('SELECT entity_id FROM records WHERE system = ? AND type = ? AND id = ?', [
        ref.system,
        ref.type,
        ref.id,
      ]);
      const from = record === undefined || record.entity_id === null ? undefined : text(record.entity_id);
      if (from === undefined || from === into) return false;
      const [members] = await tx.all('SELECT COUNT(*) AS n FROM records WHERE entity_id = ?', [from]);
      const [referrers] = await tx.all('SELECT COUNT(*) AS n FROM entity_references WHERE referenced_id = ?', [from]);
      if (Number(members?.n) !== 1 || Number(referrers?.n) !== 0) return false;
      await tx.run('UPDATE records SET entity_id = ? WHERE system = ? AND type = ? AND id = ?', [
        into,
        ref.system,
        ref.type,
        ref.id,
      ]);
      await tx.run('DELETE FROM outbox WHERE entity_id = ?', [from]);
      await tx.run('DELETE FROM entity_references WHERE entity_id = ?', [from]);
      await tx.run('DELETE FROM entities WHERE id = ?', [from]);
      return true;
    });
  }

  async ambiguitiesOf(refs: readonly RecordRef[]): Promise<ReadonlyMap<string, string>> {
    const result = new Map<string, string>();
    for (const group of groupByType(refs).values()) {
      for (const ids of statementChunks([...new Set(group.ids)], inListRows)) {
        const rows = await this.sql.all(
          `SELECT id, ambiguity FROM records WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)})
           AND entity_id IS NULL AND ambiguity IS NOT NULL`,
          [group.system, group.type, ...ids],
        );
        for (const row of rows) result.set(`${group.system}:${group.type}:${text(row.id)}`, text(row.ambiguity));
      }
    }
    return result;
  }

  // --- entities ---

  async applyMatches(changes: readonly MatchChange[], history: readonly HistoryEntry[], at: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      // A record changed twice in one call: the changes apply in order, one by one.
      const refs = new Set(changes.map((change) => refKey(change.ref)));
      if (refs.size < changes.length) {
        for (const change of changes) await this.applyMatchesInBatch(tx, [change], at);
      } else {
        await this.applyMatchesInBatch(tx, changes, at);
      }
      await this.insertHistory(tx, history);
    });
  }

  /** Match changes of distinct records, a few statements for all of them. */
  private async applyMatchesInBatch(tx: SqlExecutor, changes: readonly MatchChange[], at: string): Promise<void> {
    const newEntities: SqlParam[][] = [];
    const links: Extract<MatchChange, { kind: 'link' }>[] = [];
    for (const change of changes) {
      const { system, type, id } = change.ref;
      if (change.kind === 'ambiguous') {
        await tx.run(
          'UPDATE records SET ambiguity = ? WHERE system = ? AND type = ? AND id = ? AND entity_id IS NULL',
          [change.message, system, type, id],
        );
        continue;
      }
      if (change.newEntity !== undefined) newEntities.push([change.entityId, change.newEntity, at]);
      links.push(change);
    }
    await entityInsert.run(tx, newEntities);
    // Links are kept: only records that exist and are not linked yet join.
    const unlinked = await this.unlinkedOf(
      tx,
      links.map((link) => link.ref),
    );
    const linking = links.filter((link) => unlinked.has(refKey(link.ref)));
    await recordLink.run(
      tx,
      linking.map((link) => [link.entityId, link.ref.system, link.ref.type, link.ref.id]),
    );
    const joined = [...new Set(linking.filter((link) => link.newEntity === undefined).map((link) => link.entityId))];
    await this.markDirty(tx, joined);
    await this.dirtyReferrers(tx, joined);
  }

  /** Ref keys of the given records that exist and are not linked. */
  private async unlinkedOf(tx: SqlExecutor, refs: readonly RecordRef[]): Promise<Set<string>> {
    const result = new Set<string>();
    for (const group of groupByType(refs).values()) {
      for (const ids of statementChunks(group.ids, inListRows)) {
        const rows = await tx.all(
          `SELECT id FROM records WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)}) AND entity_id IS NULL`,
          [group.system, group.type, ...ids],
        );
        for (const row of rows) result.add(`${group.system}:${group.type}:${text(row.id)}`);
      }
    }
    return result;
  }

  async followMerge(from: RecordRef, into: RecordRef, referrers: readonly MergeReferrer[]): Promise<MergeOutcome> {
    return this.sql.transaction((tx) => followMergeIn(tx, from, into, referrers));
  }

  async membersOf(entityIds: readonly string[]): Promise<ReadonlyMap<string, readonly MemberSummary[]>> {
    const result = new Map<string, MemberSummary[]>();
    for (const ids of statementChunks([...new Set(entityIds)], inListRows)) {
      const rows = await this.sql.all(
        `SELECT entity_id, system, type, id, deleted, is_agent FROM records WHERE entity_id IN (${placeholders(ids.length)})
         ORDER BY entity_id, system, type, id`,
        ids,
      );
      for (const row of rows) {
        const entityId = text(row.entity_id);
        let list = result.get(entityId);
        if (list === undefined) {
          list = [];
          result.set(entityId, list);
        }
        list.push({
          ref: { system: text(row.system) as SystemName, type: text(row.type) as RecordType, id: text(row.id) },
          deleted: Number(row.deleted) === 1,
          isAgent: agentFlagOfRow(row.is_agent),
        });
      }
    }
    return result;
  }

  async listDirtyEntities(kind: EntityKind, after: string | null, limit: number): Promise<readonly string[]> {
    const rows = await this.sql.all(
      'SELECT id FROM entities WHERE dirty = 1 AND kind = ? AND id > ? ORDER BY id LIMIT ?',
      [kind, after ?? '', limit],
    );
    return rows.map((row) => text(row.id));
  }

  async loadEntities(ids: readonly string[]): Promise<readonly EntitySnapshot[]> {
    const entityRows = new Map<string, SqlRow>();
    for (const chunk of statementChunks([...new Set(ids)], inListRows)) {
      for (const row of await this.sql.all(
        `SELECT ${entityColumns} FROM entities WHERE id IN (${placeholders(chunk.length)})`,
        chunk,
      )) {
        entityRows.set(text(row.id), row);
      }
    }
    const rows: SqlRow[] = [];
    for (const id of ids) {
      const row = entityRows.get(id);
      if (row !== undefined) rows.push(row);
    }
    return this.snapshotsOf(rows);
  }

  async loadNextEntities(
    kind: EntityKind,
    after: string | null,
    limit: number,
    scope: 'dirty' | 'all',
  ): Promise<readonly EntitySnapshot[]> {
    const rows = await this.sql.all(
      `SELECT ${entityColumns} FROM entities WHERE ${scope === 'dirty' ? 'dirty = 1 AND ' : ''}kind = ? AND id > ? ORDER BY id LIMIT ?`,
      [kind, after ?? '', limit],
    );
    return this.snapshotsOf(rows);
  }

  /** Snapshots of entity rows (in their order), with their members. */
  private async snapshotsOf(entityRows: readonly SqlRow[]): Promise<EntitySnapshot[]> {
    const members = new Map<string, MemberSnapshot[]>();
    const ids = [...new Set(entityRows.map((row) => text(row.id)))];
    for (const chunk of statementChunks(ids, inListRows)) {
      for (const row of await this.sql.all(
        `SELECT entity_id, system, type, id, body, modified_at, deleted, seen_at, known FROM records
         WHERE entity_id IN (${placeholders(chunk.length)}) ORDER BY entity_id, system, type, id`,
        chunk,
      )) {
        const entityId = text(row.entity_id);
        const member: MemberSnapshot = {
          record: recordOfRow(row),
          known: parseJsonObject<Record<string, CanonicalValue>>(row.known),
          seenAt: text(row.seen_at),
        };
        const list = members.get(entityId);
        if (list === undefined) members.set(entityId, [member]);
        else list.push(member);
      }
    }
    return entityRows.map((row) => {
      const id = text(row.id);
      return {
        id,
        kind: text(row.kind) as EntityKind,
        base: parseJson<Record<string, BaseValue>>(row.base),
        members: members.get(id) ?? [],
        wanted: Number(row.wanted) === 1,
        dirty: Number(row.dirty) === 1,
        holds: parseJsonObject<Record<string, string>>(row.holds),
        nameClaim: optionalText(row.name_claim),
        waits: row.waits === '[]' ? [] : parseJson<string[]>(row.waits),
      };
    });
  }

  async membersOfType(
    entityIds: readonly string[],
    system: SystemName,
    type: RecordType,
  ): Promise<readonly SourceRecord[]> {
    const records: SourceRecord[] = [];
    for (const ids of statementChunks([...new Set(entityIds)], inListRows)) {
      for (const row of await this.sql.all(
        `SELECT system, type, id, body, modified_at, deleted FROM records
         WHERE entity_id IN (${placeholders(ids.length)}) AND system = ? AND type = ? ORDER BY entity_id, system, type, id`,
        [...ids, system, type],
      )) {
        records.push(recordOfRow(row));
      }
    }
    return records;
  }

  async findNameHolders(keys: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const result = new Map<string, string>();
    for (const chunk of statementChunks([...new Set(keys)], inListRows)) {
      const marks = placeholders(chunk.length);
      // Claims first, then Zendesk records: the record's holder wins when both name one key.
      for (const row of await this.sql.all(
        `SELECT name_claim, id FROM entities WHERE name_claim IN (${marks}) ORDER BY id DESC`,
        chunk,
      )) {
        result.set(text(row.name_claim), text(row.id));
      }
      for (const row of await this.sql.all(
        `SELECT m.key, r.entity_id FROM match_keys m JOIN records r ON r.system = m.system AND r.type = m.type AND r.id = m.id
         WHERE m.key IN (${marks}) AND r.deleted = 0 AND r.entity_id IS NOT NULL ORDER BY r.entity_id DESC`,
        chunk.map((key) => `organization-name|${key}`),
      )) {
        result.set(text(row.key).slice('organization-name|'.length), text(row.entity_id));
      }
    }
    return result;
  }

  async markWanted(entityIds: readonly string[]): Promise<number> {
    return this.sql.transaction(async (tx) => {
      let changed = 0;
      for (const ids of statementChunks([...new Set(entityIds)], inListRows)) {
        changed += await tx.run(
          `UPDATE entities SET wanted = 1, dirty = 1 WHERE id IN (${placeholders(ids.length)}) AND wanted = 0`,
          ids,
        );
      }
      return changed;
    });
  }

  async commitPlans(plans: readonly PlanCommit[], cycleId: string, at: string): Promise<void> {
    if (plans.length === 0) return;
    await this.sql.transaction(async (tx) => {
      // An entity planned twice in one call: the plans apply in order, one by one.
      if (new Set(plans.map((plan) => plan.entityId)).size < plans.length) {
        for (const plan of plans) await this.commitPlansInBatch(tx, [plan], cycleId, at);
      } else {
        await this.commitPlansInBatch(tx, plans, cycleId, at);
      }
    });
  }

  /** Plans of distinct entities, a few statements for all of them. */
  private async commitPlansInBatch(
    tx: SqlExecutor,
    plans: readonly PlanCommit[],
    cycleId: string,
    at: string,
  ): Promise<void> {
    const existing = new Map<string, { key: string; operation: string }[]>();
    // The outbox is mostly empty when entities are planned (rows go once sent): then no entity has rows.
    const outboxEmpty = (await tx.all('SELECT 1 AS one FROM outbox LIMIT 1')).length === 0;
    for (const ids of statementChunks(outboxEmpty ? [] : plans.map((plan) => plan.entityId), inListRows)) {
      for (const row of await tx.all(
        `SELECT key, entity_id, operation FROM outbox WHERE entity_id IN (${placeholders(ids.length)})`,
        ids,
      )) {
        const list = existing.get(text(row.entity_id)) ?? [];
        list.push({ key: text(row.key), operation: text(row.operation) });
        existing.set(text(row.entity_id), list);
      }
    }
    const existingReferences = new Map<string, Set<string>>();
    for (const ids of statementChunks(
      plans.map((plan) => plan.entityId),
      inListRows,
    )) {
      for (const row of await tx.all(
        `SELECT entity_id, referenced_id FROM entity_references WHERE entity_id IN (${placeholders(ids.length)})`,
        ids,
      )) {
        const entityId = text(row.entity_id);
        const set = existingReferences.get(entityId) ?? new Set<string>();
        set.add(text(row.referenced_id));
        existingReferences.set(entityId, set);
      }
    }
    const entityRows: SqlParam[][] = [];
    const cleaned: string[] = [];
    const keptDirty: string[] = [];
    const knownRows: SqlParam[][] = [];
    const referenceRows: SqlParam[][] = [];
    const held: string[] = [];
    const dropped: string[] = [];
    // Keys are unique per target; should two plans name one, the later row wins.
    const outboxRows = new Map<string, SqlParam[]>();
    const history: HistoryEntry[] = [];
    const droppedReferences: SqlParam[][] = [];
    for (const plan of plans) {
      if (plan.entityChanged) {
        entityRows.push([
          plan.entityId,
          JSON.stringify(plan.base),
          JSON.stringify(plan.holds),
          JSON.stringify(plan.waits),
          plan.nameClaim,
          plan.keepDirty ? 1 : 0,
        ]);
      } else if (plan.keepDirty !== plan.wasDirty) {
        // Only a mark that changes is written: most entities of a sweep were clean and stay so.
        (plan.keepDirty ? keptDirty : cleaned).push(plan.entityId);
      }
      for (const member in plan.known) {
        const [system, type, ...idParts] = member.split(':');
        knownRows.push([
          system ?? '',
          type ?? '',
          idParts.join(':'),
          plan.entityId,
          JSON.stringify(plan.known[member]),
        ]);
      }
      const stored = existingReferences.get(plan.entityId);
      for (const referenced of plan.references) {
        if (stored?.delete(referenced) !== true) referenceRows.push([plan.entityId, referenced]);
      }
      for (const row of existing.get(plan.entityId) ?? []) {
        if (plan.writes.some((write) => write.key === row.key)) continue;
        if (row.operation === 'create' && plan.createStillNeeded) held.push(row.key);
        else dropped.push(row.key);
      }
      for (const write of plan.writes) {
        outboxRows.set(write.key, [
          write.key,
          write.entityId,
          write.system,
          write.type,
          write.operation,
          write.targetId,
          write.externalId,
          write.label,
          JSON.stringify(write.values),
          JSON.stringify(write.attributes),
          at,
          cycleId,
        ]);
      }
      for (const entry of plan.history) history.push(entry);
    }
    await entityPlanUpdate.run(tx, entityRows);
    for (const ids of statementChunks(cleaned, inListRows)) {
      await tx.run(`UPDATE entities SET dirty = 0 WHERE dirty = 1 AND id IN (${placeholders(ids.length)})`, ids);
    }
    for (const ids of statementChunks(keptDirty, inListRows)) {
      await tx.run(`UPDATE entities SET dirty = 1 WHERE dirty = 0 AND id IN (${placeholders(ids.length)})`, ids);
    }
    await knownUpdate.run(tx, knownRows);
    // References that are no longer planned go; the rest stay as they are.
    for (const [entityId, stale] of existingReferences) {
      for (const referenced of stale) droppedReferences.push([entityId, referenced]);
    }
    await referenceDelete.run(tx, droppedReferences);
    await referenceInsert.run(tx, referenceRows);
    for (const keys of statementChunks(held, inListRows)) {
      await tx.run(`UPDATE outbox SET state = 'held' WHERE key IN (${placeholders(keys.length)})`, keys);
    }
    await this.deleteOutbox(tx, dropped);
    await outboxUpsert.run(tx, [...outboxRows.values()]);
    await this.insertHistory(tx, history);
  }

  private async deleteOutbox(tx: SqlExecutor, keys: readonly string[]): Promise<void> {
    for (const chunk of statementChunks(keys, inListRows)) {
      await tx.run(`DELETE FROM outbox WHERE key IN (${placeholders(chunk.length)})`, chunk);
    }
  }

  // --- outbox ---

  async countDueOutbox(system: SystemName, type: RecordType, now: string): Promise<number> {
    const rows = await this.sql.all(
      `SELECT CAST(COUNT(*) AS INTEGER) AS due FROM outbox
       WHERE system = ? AND type = ? AND state = 'pending' AND next_attempt_at <= ?`,
      [system, type, now],
    );
    return Number(rows[0]?.due ?? 0);
  }

  async listDueOutbox(
    system: SystemName,
    type: RecordType,
    now: string,
    after: string | null,
    limit: number,
  ): Promise<readonly OutboxRow[]> {
    const rows = await this.sql.all(
      `SELECT * FROM outbox WHERE system = ? AND type = ? AND state = 'pending' AND key > ? AND next_attempt_at <= ?
       ORDER BY key LIMIT ?`,
      [system, type, after ?? '', now, limit],
    );
    return rows.map(outboxOfRow);
  }

  async markOutboxAttempt(keys: readonly string[], _at: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      for (const chunk of statementChunks(keys, inListRows)) {
        await tx.run(
          `UPDATE outbox SET attempts = attempts + 1, may_exist = 1 WHERE key IN (${placeholders(chunk.length)})`,
          chunk,
        );
      }
    });
  }

  async completeOutbox(results: readonly OutboxResult[], history: readonly HistoryEntry[], at: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const rows = new Map<string, OutboxRow>();
      for (const keys of statementChunks(
        results.map((result) => result.key),
        inListRows,
      )) {
        for (const row of await tx.all(`SELECT * FROM outbox WHERE key IN (${placeholders(keys.length)})`, keys)) {
          rows.set(text(row.key), outboxOfRow(row));
        }
      }
      const done: string[] = [];
      const created: { outbox: OutboxRow; record: SourceRecord }[] = [];
      const merged: { outbox: OutboxRow; record: SourceRecord }[] = [];
      const updated: { outbox: OutboxRow; record: SourceRecord | undefined }[] = [];
      const observed: { outbox: OutboxRow; record: SourceRecord }[] = [];
      for (const result of results) {
        const outbox = rows.get(result.key);
        if (outbox === undefined) continue;
        rows.delete(result.key); // a key reported twice counts once
        switch (result.status) {
          case 'superseded':
            done.push(outbox.key);
            break;
          case 'conflict':
            observed.push({ outbox, record: result.record });
            done.push(outbox.key);
            break;
          case 'failed':
            await tx.run(
              `UPDATE outbox SET last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at),
                 state = CASE WHEN ? = 1 THEN 'failed' ELSE 'pending' END WHERE key = ?`,
              [JSON.stringify(result.error), result.nextAttemptAt, result.nextAttemptAt === null ? 1 : 0, outbox.key],
            );
            break;
          case 'created':
            created.push({ outbox, record: result.record });
            done.push(outbox.key);
            break;
          case 'merged':
            merged.push({ outbox, record: result.record });
            done.push(outbox.key);
            break;
          case 'updated':
          case 'unchanged':
            updated.push({ outbox, record: result.record });
            done.push(outbox.key);
            break;
        }
      }
      await this.linkCreated(tx, created, at, (outbox) => outbox.attributes);
      await this.linkCreated(tx, merged, at, () => ({}));
      await this.dirtyEntities(
        tx,
        merged.map(({ outbox }) => outbox.entityId),
      );
      await this.applyUpdated(tx, updated, at);
      await this.applyObserved(tx, observed, at);
      await this.deleteOutbox(tx, done);
      await this.insertHistory(tx, history);
    });
  }

  /** Links created (or merged) records to their rows' entities, with the known values `knownOf` gives. */
  private async linkCreated(
    tx: SqlExecutor,
    created: readonly { readonly outbox: OutboxRow; readonly record: SourceRecord }[],
    at: string,
    knownOf: (outbox: OutboxRow) => OutboxRow['attributes'],
  ): Promise<void> {
    if (created.length === 0) return;
    // One record created for two rows cannot happen; should it, the last row's values count.
    const byRecord = new Map<string, { readonly outbox: OutboxRow; readonly record: SourceRecord }>();
    for (const item of created) byRecord.set(refKey(item.record.ref), item);
    const items = [...byRecord.values()];
    // A record the feed delivered already keeps its link; a new one joins the outbox row's entity.
    await createdRecordUpsert.run(
      tx,
      items.map(({ outbox, record }) => [
        ...recordContentParams(record.ref, record, contentHash(record), at),
        outbox.entityId,
        JSON.stringify(knownOf(outbox)),
      ]),
    );
    await this.deleteKeys(
      tx,
      items.map(({ record }) => record.ref),
    );
    await this.insertKeys(
      tx,
      items.map(({ record }) => record),
    );
    await this.dirtyReferrers(tx, [...new Set(items.map(({ outbox }) => outbox.entityId))]);
    // A record adopted from an earlier attempt may have been edited since (it holds other values than
    // the row wrote): its entity is planned again, as an update whose answer shows more is.
    const edited = items.filter(({ outbox, record }) =>
      Object.entries(outbox.values).some(
        ([path, value]) => record.values[path] !== undefined && record.values[path] !== value,
      ),
    );
    await this.markDirty(tx, [...new Set(edited.map(({ outbox }) => outbox.entityId))]);
  }

  /** Merges written attributes into the targets' known values and stores the records as they are now. */
  private async applyUpdated(
    tx: SqlExecutor,
    updated: readonly { readonly outbox: OutboxRow; readonly record: SourceRecord | undefined }[],
    at: string,
  ): Promise<void> {
    const targets: RecordRef[] = [];
    for (const { outbox } of updated) {
      if (outbox.targetId !== null) targets.push({ system: outbox.system, type: outbox.type, id: outbox.targetId });
    }
    if (targets.length === 0) return;
    const stored = await this.readRecords(tx, targets);
    const rows = new Map<string, SqlParam[]>();
    const records = new Map<string, SourceRecord>();
    const dirty = new Set<string>();
    for (const { outbox, record: returned } of updated) {
      if (outbox.targetId === null) continue;
      const ref: RecordRef = { system: outbox.system, type: outbox.type, id: outbox.targetId };
      const key = refKey(ref);
      const current = stored.get(key);
      if (current === undefined) continue;
      const known = { ...current.known, ...outbox.attributes };
      const patched = patchedRecord(current.record, outbox.values);
      const patchedHash = contentHash(patched);
      const record = returned ?? patched;
      const hash = returned === undefined ? patchedHash : contentHash(returned);
      // Two rows for one target cannot happen (one update row per target); should it, they apply in order.
      stored.set(key, { ...current, record, hash, known });
      rows.set(key, [...recordContentParams(ref, record, hash, at), JSON.stringify(known)]);
      records.set(key, record);
      // The answer shows more than our write changed (someone edited meanwhile): look at it next cycle.
      if (hash !== patchedHash && current.entityId !== null) dirty.add(current.entityId);
    }
    await recordAfterUpdate.run(tx, [...rows.values()]);
    await this.deleteKeys(
      tx,
      [...records.values()].map((record) => record.ref),
    );
    await this.insertKeys(tx, [...records.values()]);
    await this.markDirty(tx, [...dirty]);
  }

  /**
   * Stores targets a conditional write found changed, as they are now (modification time included,
   * even when the mapped content is the same: the next guard must name the current time), and
   * dirties their rows' entities so they are planned again.
   */
  private async applyObserved(
    tx: SqlExecutor,
    observed: readonly { readonly outbox: OutboxRow; readonly record: SourceRecord }[],
    at: string,
  ): Promise<void> {
    if (observed.length === 0) return;
    await this.upsertRecordContents(
      tx,
      observed.map(({ record }) => ({ record, hash: contentHash(record) })),
      at,
    );
    const records = observed.map(({ record }) => record);
    await this.deleteKeys(
      tx,
      records.map((record) => record.ref),
    );
    await this.insertKeys(tx, records);
    await this.markDirty(tx, [...new Set(observed.map(({ outbox }) => outbox.entityId))]);
  }

  async listFailedOutbox(limit: number): Promise<readonly OutboxRow[]> {
    const rows = await this.sql.all(
      `SELECT * FROM outbox WHERE last_error IS NOT NULL ORDER BY CASE WHEN state = 'failed' THEN 0 ELSE 1 END, key LIMIT ?`,
      [limit],
    );
    return rows.map(outboxOfRow);
  }

  async outboxOf(entityId: string): Promise<readonly OutboxRow[]> {
    const rows = await this.sql.all('SELECT * FROM outbox WHERE entity_id = ? ORDER BY key', [entityId]);
    return rows.map(outboxOfRow);
  }

  // --- history, cycles, status ---

  private async insertHistory(tx: SqlExecutor, entries: readonly HistoryEntry[]): Promise<void> {
    await historyInsert.run(
      tx,
      entries.map((entry) => [
        entry.entityId,
        entry.cycleId,
        entry.at,
        entry.event,
        entry.attribute,
        entry.member,
        entry.rule,
        JSON.stringify(entry.detail),
      ]),
    );
  }

  async appendHistory(entries: readonly HistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.sql.transaction((tx) => this.insertHistory(tx, entries));
  }

  async historyOf(entityId: string): Promise<readonly HistoryEntry[]> {
    const rows = await this.sql.all('SELECT * FROM history WHERE entity_id = ? ORDER BY seq', [entityId]);
    return rows.map(historyOfRow);
  }

  async listConflicts(limit: number): Promise<readonly HistoryEntry[]> {
    const rows = await this.sql.all("SELECT * FROM history WHERE event = 'conflict' ORDER BY seq DESC LIMIT ?", [
      limit,
    ]);
    return rows.map(historyOfRow);
  }

  async beginCycle(id: string, at: string): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run("INSERT INTO cycles (id, started_at, status, summary) VALUES (?, ?, 'running', 'null')", [id, at]);
    });
  }

  async finishCycle(id: string, at: string, status: CycleStatus, summary: JsonValue): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('UPDATE cycles SET finished_at = ?, status = ?, summary = ? WHERE id = ?', [
        at,
        status,
        JSON.stringify(summary),
        id,
      ]);
    });
  }

  async listCycles(limit: number): Promise<readonly CycleRecord[]> {
    const rows = await this.sql.all('SELECT * FROM cycles ORDER BY started_at DESC, id DESC LIMIT ?', [limit]);
    return rows.map((row) => ({
      id: text(row.id),
      startedAt: text(row.started_at),
      finishedAt: optionalText(row.finished_at),
      status: text(row.status) as CycleStatus,
      summary: parseJson<JsonValue>(row.summary),
    }));
  }

  async flowCounts(): Promise<readonly FlowCounts[]> {
    const counts: FlowCounts[] = [];
    for (const flow of flows) {
      const params: SqlParam[] = [flow.zendeskType, flow.superofficeType];
      const rows = await this.sql.all(
        `SELECT
           CAST(COUNT(*) AS INTEGER) AS records,
           CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM records z WHERE z.entity_id = r.entity_id AND z.system = 'zendesk' AND z.type = ? AND z.deleted = 0) THEN 1 ELSE 0 END), 0) AS INTEGER) AS linked,
           CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM entities e WHERE e.id = r.entity_id AND e.waits <> '[]') THEN 1 ELSE 0 END), 0) AS INTEGER) AS waiting,
           CAST(COALESCE(SUM(CASE WHEN r.entity_id IS NULL AND r.ambiguity IS NOT NULL THEN 1 ELSE 0 END), 0) AS INTEGER) AS ambiguous,
           CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.entity_id = r.entity_id AND o.last_error IS NOT NULL) THEN 1 ELSE 0 END), 0) AS INTEGER) AS failed,
           CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM history h WHERE h.entity_id = r.entity_id AND h.event = 'conflict') THEN 1 ELSE 0 END), 0) AS INTEGER) AS conflicted
         FROM records r WHERE r.system = 'superoffice' AND r.type = ? AND r.deleted = 0`,
        params,
      );
      const row = rows[0] ?? {};
      counts.push({
        system: 'superoffice',
        type: flow.superofficeType,
        records: Number(row.records ?? 0),
        linked: Number(row.linked ?? 0),
        waiting: Number(row.waiting ?? 0),
        ambiguous: Number(row.ambiguous ?? 0),
        failed: Number(row.failed ?? 0),
        conflicted: Number(row.conflicted ?? 0),
      });
    }
    return counts;
  }

  async listAmbiguities(limit: number): Promise<readonly StoredRecord[]> {
    const rows = await this.sql.all(
      `SELECT ${recordColumns} FROM records WHERE entity_id IS NULL AND ambiguity IS NOT NULL AND deleted = 0
       ORDER BY system, type, id LIMIT ?`,
      [limit],
    );
    return rows.map(storedRecordOfRow);
  }

  async listAttention(
    limit: number,
  ): Promise<
    readonly { entityId: string; kind: EntityKind; waits: readonly string[]; holds: Readonly<Record<string, string>> }[]
  > {
    const rows = await this.sql.all(
      "SELECT id, kind, waits, holds FROM entities WHERE waits <> '[]' OR holds <> '{}' ORDER BY id LIMIT ?",
      [limit],
    );
    return rows.map((row) => ({
      entityId: text(row.id),
      kind: text(row.kind) as EntityKind,
      waits: parseJson<string[]>(row.waits),
      holds: parseJson<Record<string, string>>(row.holds),
    }));
  }

  // --- what `tandem status` pages through ---

  async pageNotedEntities(after: string | null, limit: number): Promise<readonly EntitySnapshot[]> {
    // A base value a conflict decided is stored as `"rule":"conflict-…"` (JSON.stringify adds no spaces).
    const rows = await this.sql.all(
      `SELECT ${entityColumns} FROM entities
       WHERE id > ? AND (waits <> '[]' OR holds <> '{}' OR base LIKE '%"rule":"conflict-%')
       ORDER BY id LIMIT ?`,
      [after ?? '', limit],
    );
    return this.snapshotsOf(rows);
  }

  async historyOfEntities(
    entityIds: readonly string[],
    events: readonly HistoryEvent[],
  ): Promise<readonly HistoryEntry[]> {
    if (events.length === 0) return [];
    const entries: HistoryEntry[] = [];
    for (const ids of statementChunks([...new Set(entityIds)], inListRows)) {
      const rows = await this.sql.all(
        `SELECT * FROM history WHERE entity_id IN (${placeholders(ids.length)}) AND event IN (${placeholders(events.length)})
         ORDER BY entity_id, seq`,
        [...ids, ...events],
      );
      for (const row of rows) entries.push(historyOfRow(row));
    }
    return entries;
  }

  private async pageRecords(where: string, after: RecordRef | null, limit: number): Promise<readonly StoredRecord[]> {
    const rows =
      after === null
        ? await this.sql.all(`SELECT ${recordColumns} FROM records WHERE ${where} ORDER BY system, type, id LIMIT ?`, [
            limit,
          ])
        : await this.sql.all(
            `SELECT ${recordColumns} FROM records WHERE ${where} AND (system, type, id) > (?, ?, ?)
             ORDER BY system, type, id LIMIT ?`,
            [after.system, after.type, after.id, limit],
          );
    return rows.map(storedRecordOfRow);
  }

  pageAmbiguities(after: RecordRef | null, limit: number): Promise<readonly StoredRecord[]> {
    return this.pageRecords('entity_id IS NULL AND ambiguity IS NOT NULL AND deleted = 0', after, limit);
  }

  pageDeletedMembers(after: RecordRef | null, limit: number): Promise<readonly StoredRecord[]> {
    return this.pageRecords('deleted = 1 AND entity_id IS NOT NULL', after, limit);
  }

  async pageFailedOutbox(after: string | null, limit: number): Promise<readonly OutboxRow[]> {
    const rows = await this.sql.all(
      'SELECT * FROM outbox WHERE last_error IS NOT NULL AND key > ? ORDER BY key LIMIT ?',
      [after ?? '', limit],
    );
    return rows.map(outboxOfRow);
  }

  async flowBreakdown(): Promise<readonly FlowBreakdown[]> {
    const result: FlowBreakdown[] = [];
    for (const flow of flows) {
      // The first state that applies wins, so each record is counted once (see FlowBreakdown).
      const rows = await this.sql.all(
        `SELECT state, CAST(COUNT(*) AS INTEGER) AS records FROM (
           SELECT CASE
             WHEN r.entity_id IS NULL THEN CASE WHEN r.ambiguity IS NULL THEN 'unplanned' ELSE 'ambiguous' END
             WHEN EXISTS (SELECT 1 FROM records z WHERE z.entity_id = r.entity_id AND z.system = 'zendesk' AND z.type = ? AND z.deleted = 0) THEN 'linked'
             WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.entity_id = r.entity_id AND o.operation = 'create' AND o.last_error IS NOT NULL) THEN 'failed'
             WHEN e.waits <> '[]' THEN 'waiting'
             WHEN e.holds LIKE ? THEN 'held'
             WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.entity_id = r.entity_id AND o.operation = 'create' AND o.state = 'pending') THEN 'writing'
             WHEN ? = 1 AND e.wanted = 0 THEN 'outOfScope'
             ELSE 'unplanned' END AS state
           FROM records r LEFT JOIN entities e ON e.id = r.entity_id
           WHERE r.system = 'superoffice' AND r.type = ? AND r.deleted = 0
         ) states GROUP BY state`,
        [
          flow.zendeskType,
          `%"zendesk:${flow.zendeskType}|%`,
          flow.create === 'when-on-synced-ticket' ? 1 : 0,
          flow.superofficeType,
        ],
      );
      const count = (state: string) => Number(rows.find((row) => text(row.state) === state)?.records ?? 0);
      const states = ['linked', 'ambiguous', 'failed', 'waiting', 'held', 'outOfScope', 'writing', 'unplanned'];
      result.push({
        system: 'superoffice',
        type: flow.superofficeType,
        records: states.reduce((sum, state) => sum + count(state), 0),
        linked: count('linked'),
        ambiguous: count('ambiguous'),
        failed: count('failed'),
        waiting: count('waiting'),
        held: count('held'),
        outOfScope: count('outOfScope'),
        writing: count('writing'),
        unplanned: count('unplanned'),
      });
    }
    return result;
  }

  // --- what a person does ---

  async retryOutbox(
    scope: { readonly entityId: string } | 'every-failed',
    at: string,
    history: (row: OutboxRow) => HistoryEntry,
  ): Promise<readonly string[]> {
    return this.sql.transaction(async (tx) => {
      const rows = (
        scope === 'every-failed'
          ? await tx.all('SELECT * FROM outbox WHERE last_error IS NOT NULL ORDER BY key')
          : await tx.all('SELECT * FROM outbox WHERE last_error IS NOT NULL AND entity_id = ? ORDER BY key', [
              scope.entityId,
            ])
      ).map(outboxOfRow);
      const keys = rows.map((row) => row.key);
      for (const chunk of statementChunks(keys, inListRows)) {
        await tx.run(
          `UPDATE outbox SET state = 'pending', next_attempt_at = ? WHERE key IN (${placeholders(chunk.length)})`,
          [at, ...chunk],
        );
      }
      const entities = new Set(rows.map((row) => row.entityId));
      if (scope !== 'every-failed') entities.add(scope.entityId);
      await this.markDirty(tx, [...entities]);
      await this.insertHistory(tx, rows.map(history));
      return keys;
    });
  }

  async moveRecord(
    ref: RecordRef,
    to: { readonly entityId: string; readonly newEntity?: EntityKind } | null,
    history: readonly HistoryEntry[],
    at: string,
  ): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const stored = await this.readRecord(tx, ref);
      if (stored === undefined) return;
      if (to?.newEntity !== undefined) await entityInsert.run(tx, [[to.entityId, to.newEntity, at]]);
      await tx.run(
        `UPDATE records SET entity_id = ?, known = '{}', ambiguity = NULL WHERE system = ? AND type = ? AND id = ?`,
        [to?.entityId ?? null, ref.system, ref.type, ref.id],
      );
      // An update aimed at the record carried the old entity's values.
      await this.deleteOutbox(tx, [outboxKeyOfUpdate(ref)]);
      // An entity left without records keeps nothing to plan or show: no values, holds, claim or writes.
      if (stored.entityId !== null) {
        const left = await tx.all('SELECT 1 AS one FROM records WHERE entity_id = ? LIMIT 1', [stored.entityId]);
        if (left.length === 0) {
          await tx.run(`UPDATE entities SET base = '{}', holds = '{}', waits = '[]', name_claim = NULL WHERE id = ?`, [
            stored.entityId,
          ]);
          await tx.run('DELETE FROM outbox WHERE entity_id = ?', [stored.entityId]);
        }
      }
      const touched = [stored.entityId, to?.entityId].filter((id): id is string => id !== null && id !== undefined);
      await this.markDirty(tx, touched);
      await this.dirtyReferrers(tx, touched);
      await this.insertHistory(tx, history);
    });
  }

  dryRun<T>(work: () => Promise<T>): Promise<T> {
    return this.sql.rollbackAfter(work);
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
