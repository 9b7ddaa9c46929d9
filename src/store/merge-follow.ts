/**
 * Following a merge made in a source system (SuperOffice merges a person or contact into another
 * and deletes the source without a trace): the link the merged-away record held moves to the
 * surviving one, so a Zendesk record is never left linked to nothing. One transaction, plain SQL
 * shared by SQLite and PostgreSQL (called from SqlStateStore.followMerge).
 *
 * Never guessed: when the surviving record already belongs to another entity that holds anything
 * else (another member, a write in the outbox), both entities stay as they are and the caller
 * reports it for a person to settle.
 *
 * The merge also moved what pointed at the source (its tickets, a contact's persons) to the
 * survivor, maybe without dating those rows (so no feed reports them): the stored records of the
 * entities referring to the source's entity that name the source are made to name the survivor,
 * as the source system now does. A later read of them then finds nothing new.
 */
import type { RecordRef, RecordType, SourceRecord } from '../core/model.js';
import { contentHash } from './content-hash.js';
import type { SqlExecutor, SqlRow } from './sql-driver.js';

/** A property of another record type that points at records of the merged type (a ticket's Person). */
export interface MergeReferrer {
  readonly type: RecordType;
  readonly path: string;
}

export type MergeOutcome =
  /** `into` joined the entity `from` was linked to. */
  | { readonly kind: 'moved'; readonly entityId: string }
  /** `into` was already in that entity: `from` was only dropped. */
  | { readonly kind: 'same'; readonly entityId: string }
  /** `from` was stored but linked to nothing: it was dropped. */
  | { readonly kind: 'dropped' }
  /** Neither record is stored as the merge needs (`from` unknown, or `into` not read yet): nothing changed. */
  | { readonly kind: 'unknown' }
  /** `into` belongs to another entity that holds more: nothing changed. */
  | { readonly kind: 'held'; readonly entityId: string; readonly otherEntityId: string };

const key = (ref: RecordRef) => [ref.system, ref.type, ref.id];

async function entityOf(tx: SqlExecutor, ref: RecordRef): Promise<{ stored: boolean; entityId: string | null }> {
  const rows = await tx.all('SELECT entity_id FROM records WHERE system = ? AND type = ? AND id = ?', key(ref));
  const row: SqlRow | undefined = rows[0];
  if (row === undefined) return { stored: false, entityId: null };
  return {
    stored: true,
    entityId: row.entity_id === null || row.entity_id === undefined ? null : String(row.entity_id),
  };
}

/** Whether an entity holds anything besides `ref`: another member, or a write not yet done. */
async function holdsMoreThan(tx: SqlExecutor, entityId: string, ref: RecordRef): Promise<boolean> {
  const members = await tx.all(
    'SELECT 1 FROM records WHERE entity_id = ? AND NOT (system = ? AND type = ? AND id = ?)',
    [entityId, ...key(ref)],
  );
  if (members.length > 0) return true;
  const writes = await tx.all('SELECT 1 FROM outbox WHERE entity_id = ?', [entityId]);
  return writes.length > 0;
}

/** The entity's agreed value per attribute (its base), as a member's `known` values. */
async function agreedValues(tx: SqlExecutor, entityId: string): Promise<Record<string, unknown>> {
  const [row] = await tx.all('SELECT base FROM entities WHERE id = ?', [entityId]);
  const base: unknown = typeof row?.base === 'string' ? JSON.parse(row.base) : (row?.base ?? {});
  const known: Record<string, unknown> = {};
  if (typeof base === 'object' && base !== null) {
    for (const [attribute, value] of Object.entries(base)) {
      if (typeof value === 'object' && value !== null && 'value' in value) known[attribute] = value.value;
    }
  }
  return known;
}

async function dropRecord(tx: SqlExecutor, ref: RecordRef): Promise<void> {
  await tx.run('DELETE FROM match_keys WHERE system = ? AND type = ? AND id = ?', key(ref));
  // Updates planned for the merged-away record can only fail now (it is gone).
  await tx.run("DELETE FROM outbox WHERE system = ? AND type = ? AND target_id = ? AND operation = 'update'", key(ref));
  await tx.run('DELETE FROM records WHERE system = ? AND type = ? AND id = ?', key(ref));
}

/** The entity and the entities whose values point at it are planned again. */
async function markDirtyWithReferrers(tx: SqlExecutor, entityIds: readonly string[]): Promise<void> {
  for (const entityId of entityIds) {
    await tx.run('UPDATE entities SET dirty = 1 WHERE id = ?', [entityId]);
    await tx.run(
      'UPDATE entities SET dirty = 1 WHERE id IN (SELECT entity_id FROM entity_references WHERE referenced_id = ?)',
      [entityId],
    );
  }
}

/** Stored records referring to `entityId` whose `path` names `from`: they name `into` now. */
async function repointReferrers(
  tx: SqlExecutor,
  entityId: string,
  from: RecordRef,
  into: RecordRef,
  referrers: readonly MergeReferrer[],
): Promise<void> {
  for (const referrer of referrers) {
    const rows = await tx.all(
      `SELECT r.id, r.body, r.modified_at, r.deleted FROM records r
       JOIN entity_references er ON er.entity_id = r.entity_id
       WHERE er.referenced_id = ? AND r.system = ? AND r.type = ?`,
      [entityId, from.system, referrer.type],
    );
    for (const row of rows) {
      const body = (typeof row.body === 'string' ? JSON.parse(row.body) : row.body) as {
        values: Record<string, string | null>;
        alternates?: SourceRecord['alternates'];
        facts?: SourceRecord['facts'];
      };
      if (body.values[referrer.path] !== from.id) continue;
      const moved = { ...body, values: { ...body.values, [referrer.path]: into.id } };
      const record: SourceRecord = {
        ref: { system: from.system, type: referrer.type, id: String(row.id) },
        values: moved.values,
        ...(moved.alternates === undefined ? {} : { alternates: moved.alternates }),
        modifiedAt: row.modified_at === null || row.modified_at === undefined ? null : String(row.modified_at),
        deleted: Number(row.deleted) === 1,
        ...(moved.facts === undefined ? {} : { facts: moved.facts }),
      };
      await tx.run('UPDATE records SET body = ?, hash = ? WHERE system = ? AND type = ? AND id = ?', [
        JSON.stringify(moved),
        contentHash(record),
        from.system,
        referrer.type,
        String(row.id),
      ]);
    }
  }
}

export async function followMergeIn(
  tx: SqlExecutor,
  from: RecordRef,
  into: RecordRef,
  referrers: readonly MergeReferrer[],
): Promise<MergeOutcome> {
  const source = await entityOf(tx, from);
  if (!source.stored) return { kind: 'unknown' };
  const target = await entityOf(tx, into);
  if (source.entityId === null) {
    await dropRecord(tx, from);
    return { kind: 'dropped' };
  }
  const entityId = source.entityId;
  if (!target.stored) return { kind: 'unknown' };
  if (target.entityId === entityId) {
    await dropRecord(tx, from);
    await repointReferrers(tx, entityId, from, into, referrers);
    await markDirtyWithReferrers(tx, [entityId]);
    return { kind: 'same', entityId };
  }
  const other = target.entityId;
  if (other !== null && (await holdsMoreThan(tx, other, into))) return { kind: 'held', entityId, otherEntityId: other };
  await dropRecord(tx, from);
  await repointReferrers(tx, entityId, from, into, referrers);
  // The survivor is what SuperOffice holds now: it is taken as the merged-away member having
  // changed from the agreed values to its own, so where it differs it wins as an edit would.
  await tx.run(
    'UPDATE records SET entity_id = ?, ambiguity = NULL, known = ? WHERE system = ? AND type = ? AND id = ?',
    [entityId, JSON.stringify(await agreedValues(tx, entityId)), ...key(into)],
  );
  if (other !== null) {
    // The survivor's old entity is empty now: it keeps whether it was wanted, and plans nothing more.
    await tx.run(
      'UPDATE entities SET wanted = 1 WHERE id = ? AND EXISTS (SELECT 1 FROM entities WHERE id = ? AND wanted = 1)',
      [entityId, other],
    );
    await tx.run('UPDATE entities SET dirty = 0, name_claim = NULL WHERE id = ?', [other]);
    await markDirtyWithReferrers(tx, [entityId]);
    // Records pointing at the survivor now resolve to this entity: the old one's referrers are planned again.
    await tx.run(
      'UPDATE entities SET dirty = 1 WHERE id IN (SELECT entity_id FROM entity_references WHERE referenced_id = ?)',
      [other],
    );
  } else {
    await markDirtyWithReferrers(tx, [entityId]);
  }
  return { kind: 'moved', entityId };
}
