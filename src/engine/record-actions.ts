/**
 * What a person does about a record when Tandem cannot decide alone: try its failed writes again
 * (`tandem retry`), link it to the record it is (`tandem relink`), or take it out of its entity
 * (`tandem unlink`). Each is checked first (a refusal is a value with the reason and the way out),
 * described (so the command can ask before it acts), then applied in one store transaction with a
 * history entry. Nothing here talks to SuperOffice or Zendesk: the next cycle does the rest.
 */
import type { EntitySnapshot } from '../core/entity.js';
import { kindOfRecordType } from '../core/member-fields.js';
import { type RecordRef, refKey } from '../core/model.js';
import type { EntityKind } from '../spec/flows.js';
import type { HistoryEntry, JsonValue, OutboxRow, StateStore, StoredRecord } from '../store/state-store.js';
import { describeEntity, describeRecord } from './record-names.js';

/** The cycle id of history entries a person caused (they belong to no cycle). */
export const byHandCycleId = 'by-hand';

/** A record named on the command line: `system:type:id`, or the id of a global entity. */
export type RecordTarget = { readonly ref: RecordRef } | { readonly entityId: string };

export type Refusal = { readonly refused: string };

/** A checked change, described before it is made. */
export interface PreparedChange {
  /** What will change and what the next cycle will do, one line each. */
  readonly description: readonly string[];
  apply(): Promise<void>;
}

function entry(
  entityId: string,
  at: string,
  event: HistoryEntry['event'],
  member: string,
  rule: string,
  detail: JsonValue,
): HistoryEntry {
  return { entityId, cycleId: byHandCycleId, at, event, attribute: null, member, rule, detail };
}

/** Entity ids of what was named: a record's entity (none when it is not linked), or the entity. */
async function entityOf(store: StateStore, target: RecordTarget): Promise<Refusal | { entityId: string | null }> {
  if ('entityId' in target) {
    const [entity] = await store.loadEntities([target.entityId]);
    return entity === undefined
      ? { refused: `no record or entity ${target.entityId} in the state; \`tandem status\` lists the ids it knows` }
      : { entityId: entity.id };
  }
  const stored = await store.getRecord(target.ref);
  if (stored === undefined) return { refused: unknownRecord(target.ref) };
  return { entityId: stored.entityId };
}

function unknownRecord(ref: RecordRef): string {
  return `Tandem has not seen ${refKey(ref)}; check the id, or run \`tandem sync\` first if the record is new`;
}

// --- retry -----------------------------------------------------------------------------------

export interface RetryResult {
  /** The outbox rows made due now. */
  readonly keys: readonly string[];
}

/**
 * Makes the failed writes of a record's entity (or every failed write) due now and plans the
 * entities again on the next cycle.
 */
export async function retryWrites(
  store: StateStore,
  target: RecordTarget | 'every-failed',
  at: string,
): Promise<Refusal | RetryResult> {
  const history = (row: OutboxRow) =>
    entry(
      row.entityId,
      at,
      'retry',
      row.targetId === null ? `${row.system}:${row.type}:` : `${row.system}:${row.type}:${row.targetId}`,
      'retry',
      {
        key: row.key,
        attempts: row.attempts,
        lastError: row.lastError === null ? null : { code: row.lastError.code, message: row.lastError.message },
      },
    );
  if (target === 'every-failed') return { keys: await store.retryOutbox('every-failed', at, history) };
  const found = await entityOf(store, target);
  if ('refused' in found) return found;
  if (found.entityId === null) {
    return {
      refused: `${'ref' in target ? refKey(target.ref) : target.entityId} is not linked, so it has no writes to retry; \`tandem explain\` says why`,
    };
  }
  return { keys: await store.retryOutbox({ entityId: found.entityId }, at, history) };
}

// --- relink and unlink -------------------------------------------------------------------------

async function storedRecord(store: StateStore, ref: RecordRef): Promise<Refusal | StoredRecord> {
  const stored = await store.getRecord(ref);
  return stored === undefined ? { refused: unknownRecord(ref) } : stored;
}

async function entityById(store: StateStore, id: string | null): Promise<EntitySnapshot | undefined> {
  if (id === null) return undefined;
  const [entity] = await store.loadEntities([id]);
  return entity;
}

/** The other record of the same system and type in an entity (live or deleted), if any. */
function sameTypeMember(entity: EntitySnapshot, ref: RecordRef): StoredRecord['record'] | undefined {
  return entity.members.find(
    ({ record }) => record.ref.system === ref.system && record.ref.type === ref.type && record.ref.id !== ref.id,
  )?.record;
}

function leftBehind(entity: EntitySnapshot | undefined, moving: RecordRef): string {
  if (entity === undefined) return '';
  const rest = entity.members.filter(({ record }) => refKey(record.ref) !== refKey(moving));
  if (rest.length === 0) return ' (nothing is left there)';
  return ` (which keeps ${rest.map(({ record }) => describeRecord(record)).join(', ')})`;
}

/**
 * Links `ref` to the record `other` is: `ref` moves into `other`'s entity (or, when `other` is not
 * linked, `other` joins `ref`'s; when neither is, both start a new one). Refused when the records
 * are of different kinds or of the same system and type, or when the entity already has a record
 * of that system and type (unlink it first).
 */
export async function prepareRelink(
  store: StateStore,
  ref: RecordRef,
  other: RecordRef,
  at: string,
  newEntityId: () => string,
): Promise<Refusal | PreparedChange> {
  const [first, second] = await Promise.all([storedRecord(store, ref), storedRecord(store, other)]);
  if ('refused' in first) return first;
  if ('refused' in second) return second;
  const deleted = [first, second].find((stored) => stored.record.deleted);
  if (deleted !== undefined) {
    return {
      refused: `${refKey(deleted.record.ref)} was deleted in ${deleted.record.ref.system}; restore it there first, or link the record that replaces it`,
    };
  }
  const kind = kindOfRecordType(ref.system, ref.type);
  const otherKind = kindOfRecordType(other.system, other.type);
  if (kind === undefined || kind !== otherKind) {
    return {
      refused: `${refKey(ref)} and ${refKey(other)} cannot be the same thing: a ${ref.system} ${ref.type} links only to records of the same kind (${kind ?? 'none'}), and ${refKey(other)} is ${otherKind ?? 'of no synced kind'}`,
    };
  }
  if (ref.system === other.system && ref.type === other.type) {
    return {
      refused: `${refKey(ref)} and ${refKey(other)} are both ${ref.system} ${ref.type}s; Tandem links one record of each type per system. Merge them in ${ref.system} instead`,
    };
  }
  if (first.entityId !== null && first.entityId === second.entityId) {
    return {
      refused: `${refKey(ref)} and ${refKey(other)} are linked already; \`tandem explain ${refKey(ref)}\` shows how`,
    };
  }
  // Move the record named first, unless only it is linked: then the other joins it.
  const [moving, into] = second.entityId === null && first.entityId !== null ? [second, first] : [first, second];
  const movingRef = moving.record.ref;
  const from = await entityById(store, moving.entityId);
  const target = await entityById(store, into.entityId);
  if (target !== undefined) {
    const occupant = sameTypeMember(target, movingRef);
    if (occupant !== undefined) {
      return {
        refused: `${describeEntity(target)} already has ${describeRecord(occupant)}${occupant.deleted ? ' (deleted)' : ''}; unlink that one first: tandem unlink ${refKey(occupant.ref)}`,
      };
    }
  }
  const entityId = target?.id ?? newEntityId();
  const description = [
    target === undefined
      ? `${describeRecord(moving.record)} and ${describeRecord(into.record)} become one entity`
      : `${describeRecord(moving.record)} joins ${describeEntity(target)}`,
    ...(from === undefined ? [] : [`it leaves the entity of ${describeEntity(from)}${leftBehind(from, movingRef)}`]),
    'The next cycle plans both again: values that differ are settled as on any new link (the conflict policy decides), and the history records it.',
  ];
  return {
    description,
    async apply() {
      const detail = { by: 'relink', record: refKey(movingRef), with: refKey(into.record.ref) };
      const history = [
        entry(entityId, at, 'linked', refKey(movingRef), 'relink', { ...detail, from: from?.id ?? null }),
      ];
      if (from !== undefined)
        history.push(entry(from.id, at, 'unlinked', refKey(movingRef), 'relink', { ...detail, to: entityId }));
      if (target === undefined) {
        // Neither was linked: the first joins a new entity, the second follows it there.
        await store.moveRecord(movingRef, { entityId, newEntity: kind }, history, at);
        await store.moveRecord(into.record.ref, { entityId }, [], at);
      } else {
        await store.moveRecord(movingRef, { entityId }, history, at);
      }
    },
  };
}

/**
 * Takes a record out of its entity. A deleted record is only detached; a live one becomes an
 * entity of its own, so that merge keys do not link it back at once. Refused for a record that is
 * not linked, or alone in its entity.
 */
export async function prepareUnlink(
  store: StateStore,
  ref: RecordRef,
  at: string,
  newEntityId: () => string,
): Promise<Refusal | PreparedChange> {
  const stored = await storedRecord(store, ref);
  if ('refused' in stored) return stored;
  const from = await entityById(store, stored.entityId);
  if (from === undefined)
    return { refused: `${refKey(ref)} is not linked to anything; \`tandem explain ${refKey(ref)}\` says why` };
  const rest = from.members.filter(({ record }) => refKey(record.ref) !== refKey(ref));
  if (rest.length === 0 && !stored.record.deleted) {
    return {
      refused: `${describeRecord(stored.record)} is the only record of its entity; there is nothing to unlink it from`,
    };
  }
  const kind = from.kind;
  const next: string[] = [];
  if (stored.record.deleted) {
    next.push(
      `${describeRecord(stored.record)} (deleted) is detached from ${describeEntity(from)}${leftBehind(from, ref)}.`,
    );
  } else {
    next.push(
      `${describeRecord(stored.record)} leaves ${describeEntity(from)}${leftBehind(from, ref)} and becomes an entity of its own; merge keys do not link it back.`,
    );
  }
  if (ref.system === 'zendesk') {
    next.push(
      `The next cycle plans what is left again: a SuperOffice record there that is to be synced gets a new Zendesk ${ref.type} (unless its name or e-mail is taken).`,
    );
  } else {
    next.push(
      stored.record.deleted
        ? 'The Zendesk record it was linked to stays as it is.'
        : `The next cycle plans it as a new record: if its flow creates Zendesk records for it, a new Zendesk record is created (unless its name or e-mail is taken).`,
    );
  }
  return {
    description: next,
    async apply() {
      const entityId = stored.record.deleted ? null : newEntityId();
      const detail = { by: 'unlink', record: refKey(ref), to: entityId };
      const history = [entry(from.id, at, 'unlinked', refKey(ref), 'unlink', detail)];
      if (entityId !== null)
        history.push(entry(entityId, at, 'linked', refKey(ref), 'unlink', { ...detail, from: from.id }));
      await store.moveRecord(
        ref,
        entityId === null ? null : { entityId, newEntity: kind satisfies EntityKind },
        history,
        at,
      );
    },
  };
}
