/**
 * The StateStore over SQL, shared by SQLite and PostgreSQL: the queries are written once in the
 * subset both dialects speak (upserts with ON CONFLICT, row values, partial indexes); the drivers
 * differ only in placeholders and transactions. Schemas are per dialect under migrations/.
 */
import type { BaseValue, EntitySnapshot, MemberSnapshot, MemberSummary } from '../core/entity.js';
import { matchKeysOf, nameKeysOf } from '../core/matching.js';
import type { PropertyValues, RecordRef, RecordType, SourceRecord, SystemName } from '../core/model.js';
import type { CanonicalValue } from '../core/transforms.js';
import type { EntityKind } from '../spec/flows.js';
import { flows } from '../spec/flows.js';
import { contentHash } from './content-hash.js';
import { chunked, placeholders, type SqlDriver, type SqlExecutor, type SqlParam, type SqlRow } from './sql-driver.js';
import type {
  CursorRecord,
  CycleRecord,
  CycleStatus,
  FlowCounts,
  HistoryEntry,
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

/** The part of a record kept as JSON text. */
interface RecordBody {
  readonly values: PropertyValues;
  readonly alternates?: Readonly<Record<string, readonly string[]>>;
  readonly facts?: SourceRecord['facts'];
}

function parseJson<T>(text: unknown): T {
  return JSON.parse(String(text)) as T;
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

function recordOfRow(row: SqlRow): SourceRecord {
  const body = parseJson<RecordBody>(row.body);
  return {
    ref: { system: text(row.system) as SystemName, type: text(row.type) as RecordType, id: text(row.id) },
    values: body.values,
    ...(body.alternates === undefined ? {} : { alternates: body.alternates }),
    ...(body.facts === undefined ? {} : { facts: body.facts }),
    modifiedAt: optionalText(row.modified_at),
    deleted: Number(row.deleted) === 1,
  };
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

/** `(?, ?), (?, ?)` for multi-row inserts. */
function rowPlaceholders(rows: number, columns: number): string {
  const row = `(${placeholders(columns)})`;
  return new Array<string>(rows).fill(row).join(', ');
}

const recordColumns = 'system, type, id, hash, body, modified_at, deleted, seen_at, entity_id, known, ambiguity';

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
    cursor: string,
    at: string,
  ): Promise<IngestResult> {
    return this.sql.transaction(async (tx) => {
      const existing = new Map<string, SqlRow>();
      for (const ids of chunked(records.map((record) => record.ref.id))) {
        const rows = await tx.all(
          `SELECT id, hash, modified_at, entity_id, deleted, body FROM records WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)})`,
          [system, type, ...ids],
        );
        for (const row of rows) existing.set(text(row.id), row);
      }
      let changed = 0;
      for (const record of records) {
        const hash = contentHash(record);
        const stored = existing.get(record.ref.id);
        if (stored !== undefined) {
          if (text(stored.hash) === hash) continue;
          if (isOlder(record.modifiedAt, optionalText(stored.modified_at))) continue;
        }
        changed++;
        await this.writeRecord(tx, record, hash, at, stored === undefined);
        const entityId = stored === undefined ? null : optionalText(stored.entity_id);
        if (entityId !== null && stored !== undefined) {
          await tx.run('UPDATE entities SET dirty = 1 WHERE id = ?', [entityId]);
          const wasAgent = parseJson<RecordBody>(stored.body).facts?.isAgent;
          const wasDeleted = Number(stored.deleted) === 1;
          if (wasAgent !== record.facts?.isAgent || wasDeleted !== record.deleted)
            await this.dirtyReferrers(tx, entityId);
        }
      }
      await tx.run(
        'INSERT INTO cursors (system, type, cursor, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (system, type) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at',
        [system, type, cursor, at],
      );
      return { received: records.length, changed };
    });
  }

  /** Entities whose values point at this one are planned again: their translations may change. */
  private async dirtyReferrers(tx: SqlExecutor, entityId: string): Promise<void> {
    await tx.run(
      'UPDATE entities SET dirty = 1 WHERE dirty = 0 AND id IN (SELECT entity_id FROM entity_references WHERE referenced_id = ?)',
      [entityId],
    );
  }

  /** Upserts a record's content (links and known values stay) and refreshes its keys. */
  private async writeRecord(
    tx: SqlExecutor,
    record: SourceRecord,
    hash: string,
    at: string,
    isNew: boolean,
  ): Promise<void> {
    const { system, type, id } = record.ref;
    await tx.run(
      `INSERT INTO records (system, type, id, hash, body, modified_at, deleted, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (system, type, id) DO UPDATE SET hash = excluded.hash, body = excluded.body,
         modified_at = excluded.modified_at, deleted = excluded.deleted, seen_at = excluded.seen_at`,
      [system, type, id, hash, bodyOf(record), record.modifiedAt, record.deleted ? 1 : 0, at],
    );
    await this.writeKeys(tx, record, isNew);
  }

  private async writeKeys(tx: SqlExecutor, record: SourceRecord, isNew = false): Promise<void> {
    const { system, type, id } = record.ref;
    if (!isNew) await tx.run('DELETE FROM match_keys WHERE system = ? AND type = ? AND id = ?', [system, type, id]);
    if (record.deleted) return;
    const keys = [...matchKeysOf(record), ...nameKeysOf(record)];
    if (keys.length === 0) return;
    await tx.run(
      `INSERT INTO match_keys (key, system, type, id) VALUES ${rowPlaceholders(keys.length, 4)} ON CONFLICT DO NOTHING`,
      keys.flatMap((key) => [key, system, type, id]),
    );
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
    for (const chunk of chunked([...new Set(keys)])) {
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
      for (const ids of chunked([...new Set(group.ids)])) {
        const rows = await this.sql.all(
          `SELECT id, entity_id FROM records WHERE system = ? AND type = ? AND id IN (${placeholders(ids.length)}) AND entity_id IS NOT NULL`,
          [group.system, group.type, ...ids],
        );
        for (const row of rows) result.set(`${group.system}:${group.type}:${text(row.id)}`, text(row.entity_id));
      }
    }
    return result;
  }

  async ambiguitiesOf(refs: readonly RecordRef[]): Promise<ReadonlyMap<string, string>> {
    const result = new Map<string, string>();
    for (const group of groupByType(refs).values()) {
      for (const ids of chunked([...new Set(group.ids)])) {
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
      for (const change of changes) {
        const { system, type, id } = change.ref;
        if (change.kind === 'ambiguous') {
          await tx.run(
            'UPDATE records SET ambiguity = ? WHERE system = ? AND type = ? AND id = ? AND entity_id IS NULL',
            [change.message, system, type, id],
          );
          continue;
        }
        if (change.newEntity !== undefined) {
          await tx.run(
            'INSERT INTO entities (id, kind, created_at, dirty) VALUES (?, ?, ?, 1) ON CONFLICT (id) DO NOTHING',
            [change.entityId, change.newEntity, at],
          );
        }
        const linked = await tx.run(
          'UPDATE records SET entity_id = ?, ambiguity = NULL WHERE system = ? AND type = ? AND id = ? AND entity_id IS NULL',
          [change.entityId, system, type, id],
        );
        if (linked > 0 && change.newEntity === undefined) {
          await tx.run('UPDATE entities SET dirty = 1 WHERE id = ?', [change.entityId]);
          await this.dirtyReferrers(tx, change.entityId);
        }
      }
      await this.insertHistory(tx, history);
    });
  }

  async membersOf(entityIds: readonly string[]): Promise<ReadonlyMap<string, readonly MemberSummary[]>> {
    const result = new Map<string, MemberSummary[]>();
    for (const ids of chunked([...new Set(entityIds)])) {
      const rows = await this.sql.all(
        `SELECT entity_id, system, type, id, deleted, body FROM records WHERE entity_id IN (${placeholders(ids.length)})
         ORDER BY entity_id, system, type, id`,
        ids,
      );
      for (const row of rows) {
        const entityId = text(row.entity_id);
        const body = parseJson<RecordBody>(row.body);
        const list = result.get(entityId) ?? [];
        list.push({
          ref: { system: text(row.system) as SystemName, type: text(row.type) as RecordType, id: text(row.id) },
          deleted: Number(row.deleted) === 1,
          isAgent: body.facts?.isAgent,
        });
        result.set(entityId, list);
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
    const members = new Map<string, MemberSnapshot[]>();
    for (const chunk of chunked([...new Set(ids)])) {
      const marks = placeholders(chunk.length);
      for (const row of await this.sql.all(
        `SELECT id, kind, base, holds, waits, name_claim, wanted FROM entities WHERE id IN (${marks})`,
        chunk,
      )) {
        entityRows.set(text(row.id), row);
      }
      for (const row of await this.sql.all(
        `SELECT ${recordColumns} FROM records WHERE entity_id IN (${marks}) ORDER BY system, type, id`,
        chunk,
      )) {
        const stored = storedRecordOfRow(row);
        const list = members.get(text(row.entity_id)) ?? [];
        list.push({ record: stored.record, known: stored.known, seenAt: stored.seenAt });
        members.set(text(row.entity_id), list);
      }
    }
    const snapshots: EntitySnapshot[] = [];
    for (const id of ids) {
      const row = entityRows.get(id);
      if (row === undefined) continue;
      snapshots.push({
        id,
        kind: text(row.kind) as EntityKind,
        base: parseJson<Record<string, BaseValue>>(row.base),
        members: members.get(id) ?? [],
        wanted: Number(row.wanted) === 1,
        holds: parseJson<Record<string, string>>(row.holds),
        nameClaim: optionalText(row.name_claim),
        waits: parseJson<string[]>(row.waits),
      });
    }
    return snapshots;
  }

  async findNameHolders(keys: readonly string[]): Promise<ReadonlyMap<string, string>> {
    const result = new Map<string, string>();
    for (const chunk of chunked([...new Set(keys)])) {
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
      for (const ids of chunked([...new Set(entityIds)])) {
        changed += await tx.run(
          `UPDATE entities SET wanted = 1, dirty = 1 WHERE id IN (${placeholders(ids.length)}) AND wanted = 0`,
          ids,
        );
      }
      return changed;
    });
  }

  async markAllDirty(): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('UPDATE entities SET dirty = 1 WHERE dirty = 0');
    });
  }

  async commitPlans(plans: readonly PlanCommit[], cycleId: string, at: string): Promise<void> {
    if (plans.length === 0) return;
    await this.sql.transaction(async (tx) => {
      const existing = new Map<string, { key: string; operation: string }[]>();
      for (const ids of chunked(plans.map((plan) => plan.entityId))) {
        for (const row of await tx.all(
          `SELECT key, entity_id, operation FROM outbox WHERE entity_id IN (${placeholders(ids.length)})`,
          ids,
        )) {
          const list = existing.get(text(row.entity_id)) ?? [];
          list.push({ key: text(row.key), operation: text(row.operation) });
          existing.set(text(row.entity_id), list);
        }
      }
      const history: HistoryEntry[] = [];
      for (const plan of plans) {
        await tx.run('UPDATE entities SET base = ?, holds = ?, waits = ?, name_claim = ?, dirty = ? WHERE id = ?', [
          JSON.stringify(plan.base),
          JSON.stringify(plan.holds),
          JSON.stringify(plan.waits),
          plan.nameClaim,
          plan.keepDirty ? 1 : 0,
          plan.entityId,
        ]);
        for (const [member, known] of Object.entries(plan.known)) {
          const [system, type, ...idParts] = member.split(':');
          await tx.run('UPDATE records SET known = ? WHERE system = ? AND type = ? AND id = ? AND entity_id = ?', [
            JSON.stringify(known),
            system ?? '',
            type ?? '',
            idParts.join(':'),
            plan.entityId,
          ]);
        }
        await tx.run('DELETE FROM entity_references WHERE entity_id = ?', [plan.entityId]);
        for (const referenced of plan.references) {
          await tx.run(
            'INSERT INTO entity_references (entity_id, referenced_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
            [plan.entityId, referenced],
          );
        }
        const planned = new Set(plan.writes.map((write) => write.key));
        for (const row of existing.get(plan.entityId) ?? []) {
          if (planned.has(row.key)) continue;
          if (row.operation === 'create' && plan.createStillNeeded) {
            await tx.run("UPDATE outbox SET state = 'held' WHERE key = ?", [row.key]);
          } else {
            await tx.run('DELETE FROM outbox WHERE key = ?', [row.key]);
          }
        }
        for (const write of plan.writes) {
          // A row replaced with the same values keeps its back-off and its verdict; new values start over.
          await tx.run(
            `INSERT INTO outbox (key, entity_id, system, type, operation, target_id, external_id, label, body, attributes,
               may_exist, attempts, next_attempt_at, last_error, state, cycle_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, NULL, 'pending', ?)
             ON CONFLICT (key) DO UPDATE SET
               target_id = excluded.target_id,
               external_id = COALESCE(outbox.external_id, excluded.external_id),
               label = excluded.label,
               attributes = excluded.attributes,
               state = CASE WHEN outbox.body = excluded.body AND outbox.state <> 'held' THEN outbox.state ELSE 'pending' END,
               next_attempt_at = CASE WHEN outbox.body = excluded.body AND outbox.state <> 'held' THEN outbox.next_attempt_at ELSE excluded.next_attempt_at END,
               body = excluded.body,
               cycle_id = excluded.cycle_id`,
            [
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
            ],
          );
        }
        history.push(...plan.history);
      }
      await this.insertHistory(tx, history);
    });
  }

  // --- outbox ---

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
      for (const chunk of chunked(keys)) {
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
      for (const keys of chunked(results.map((result) => result.key))) {
        for (const row of await tx.all(`SELECT * FROM outbox WHERE key IN (${placeholders(keys.length)})`, keys)) {
          rows.set(text(row.key), outboxOfRow(row));
        }
      }
      for (const result of results) {
        const outbox = rows.get(result.key);
        if (outbox === undefined) continue;
        switch (result.status) {
          case 'superseded':
            await tx.run('DELETE FROM outbox WHERE key = ?', [outbox.key]);
            break;
          case 'failed':
            await tx.run(
              `UPDATE outbox SET last_error = ?, next_attempt_at = COALESCE(?, next_attempt_at),
                 state = CASE WHEN ? = 1 THEN 'failed' ELSE 'pending' END WHERE key = ?`,
              [JSON.stringify(result.error), result.nextAttemptAt, result.nextAttemptAt === null ? 1 : 0, outbox.key],
            );
            break;
          case 'created':
            await this.linkCreated(tx, outbox, result.record, at);
            await tx.run('DELETE FROM outbox WHERE key = ?', [outbox.key]);
            break;
          case 'updated':
          case 'unchanged':
            await this.applyUpdated(tx, outbox, result.record, at);
            await tx.run('DELETE FROM outbox WHERE key = ?', [outbox.key]);
            break;
        }
      }
      await this.insertHistory(tx, history);
    });
  }

  private async linkCreated(tx: SqlExecutor, outbox: OutboxRow, record: SourceRecord, at: string): Promise<void> {
    const { system, type, id } = record.ref;
    const hash = contentHash(record);
    // A record the feed delivered already keeps its link; a new one joins the outbox row's entity.
    await tx.run(
      `INSERT INTO records (system, type, id, hash, body, modified_at, deleted, seen_at, entity_id, known)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (system, type, id) DO UPDATE SET hash = excluded.hash, body = excluded.body,
         modified_at = excluded.modified_at, deleted = excluded.deleted, seen_at = excluded.seen_at,
         entity_id = COALESCE(records.entity_id, excluded.entity_id), known = excluded.known, ambiguity = NULL`,
      [
        system,
        type,
        id,
        hash,
        bodyOf(record),
        record.modifiedAt,
        record.deleted ? 1 : 0,
        at,
        outbox.entityId,
        JSON.stringify(outbox.attributes),
      ],
    );
    await this.writeKeys(tx, record);
    await this.dirtyReferrers(tx, outbox.entityId);
  }

  private async applyUpdated(
    tx: SqlExecutor,
    outbox: OutboxRow,
    returned: SourceRecord | undefined,
    at: string,
  ): Promise<void> {
    if (outbox.targetId === null) return;
    const ref: RecordRef = { system: outbox.system, type: outbox.type, id: outbox.targetId };
    const stored = await this.readRecord(tx, ref);
    if (stored === undefined) return;
    const known = { ...stored.known, ...outbox.attributes };
    const patched = patchedRecord(stored.record, outbox.values);
    const patchedHash = contentHash(patched);
    const record = returned ?? patched;
    const hash = returned === undefined ? patchedHash : contentHash(returned);
    await tx.run(
      'UPDATE records SET hash = ?, body = ?, modified_at = ?, deleted = ?, seen_at = ?, known = ? WHERE system = ? AND type = ? AND id = ?',
      [
        hash,
        bodyOf(record),
        record.modifiedAt,
        record.deleted ? 1 : 0,
        at,
        JSON.stringify(known),
        ref.system,
        ref.type,
        ref.id,
      ],
    );
    await this.writeKeys(tx, record);
    // The answer shows more than our write changed (someone edited meanwhile): look at it next cycle.
    if (hash !== patchedHash && stored.entityId !== null) {
      await tx.run('UPDATE entities SET dirty = 1 WHERE id = ?', [stored.entityId]);
    }
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
    // Multi-row inserts: history is the most frequent write of a cycle.
    for (const chunk of chunked(entries, 50)) {
      const params: SqlParam[] = [];
      for (const entry of chunk) {
        params.push(
          entry.entityId,
          entry.cycleId,
          entry.at,
          entry.event,
          entry.attribute,
          entry.member,
          entry.rule,
          JSON.stringify(entry.detail),
        );
      }
      await tx.run(
        `INSERT INTO history (entity_id, cycle_id, at, event, attribute, member, rule, detail) VALUES ${rowPlaceholders(chunk.length, 8)}`,
        params,
      );
    }
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

  dryRun<T>(work: () => Promise<T>): Promise<T> {
    return this.sql.rollbackAfter(work);
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
