/**
 * `tandem explain <system>:<type>:<id>` (or an entity id) as data: the record's global entity, its
 * members, each attribute's agreed value with where it came from (system, rule, cycle), what waits
 * or is held, the outbox rows in flight, and the history of decisions, conflicts and writes.
 * References are global entity ids in the state; `names` says which record each one is.
 */
import type { EntitySnapshot } from '../core/entity.js';
import { isReferenceAttribute } from '../core/member-fields.js';
import type { RecordRef } from '../core/model.js';
import { refKey } from '../core/model.js';
import type { CanonicalValue } from '../core/transforms.js';
import type { EntityKind } from '../spec/flows.js';
import type { HistoryEntry, JsonValue, OutboxRow, StateStore, StoredRecord } from '../store/state-store.js';
import { holdAttentionOf } from './attention.js';
import { holdsWithReasons, nameHoldersOf, relinkTargetOf } from './attention-collector.js';
import { EntityNames, primaryMember } from './record-names.js';

export interface MemberExplanation {
  /** `system:type:id` */
  readonly ref: string;
  readonly deleted: boolean;
  readonly modifiedAt: string | null;
  /** The values as last read (or written by us). */
  readonly values: StoredRecord['record']['values'];
  /** Per attribute, what Tandem last saw in or wrote to this member. */
  readonly known: Readonly<Record<string, CanonicalValue>>;
}

export interface AttributeExplanation {
  readonly attribute: string;
  /** The agreed value, canonical (references are global entity ids). */
  readonly value: CanonicalValue;
  /** The value as a person reads it: a reference as the record it points at, `superoffice:contact:14 "Fjord Logistics AS"`. */
  readonly shown: string;
  /** The system and member it came from. */
  readonly system: string;
  readonly member: string;
  readonly rule: string;
  readonly cycleId: string;
  readonly changedAt: string | null;
}

export interface Explanation {
  /** The record asked about, `system:type:id`. */
  readonly record: string;
  /** Why it is not linked (an ambiguity, with what to do), or null. */
  readonly ambiguity: string | null;
  readonly entity:
    | {
        readonly id: string;
        readonly kind: EntityKind;
        /** A person that is the Person of a synced ticket (it gets a Zendesk user). */
        readonly wanted: boolean;
        readonly members: readonly MemberExplanation[];
        readonly attributes: readonly AttributeExplanation[];
        readonly waits: readonly string[];
        /** Values left as they are: why (the reason code and message), and what a person can do. */
        readonly holds: readonly {
          readonly member: string;
          readonly reason: string;
          readonly message: string;
          readonly needsPerson: boolean;
          readonly action: string;
          readonly command: string | null;
        }[];
        readonly outbox: readonly OutboxRow[];
        /** Oldest first. */
        readonly history: readonly HistoryEntry[];
        /** The record each entity id in the explanation stands for (this entity's and the referenced ones). */
        readonly names: Readonly<Record<string, string>>;
      }
    | undefined;
}

/** Strings in history details of reference attributes: the entity ids they held. */
function referencedIds(entity: EntitySnapshot, history: readonly HistoryEntry[]): Set<string> {
  const ids = new Set<string>();
  const collect = (value: JsonValue | undefined): void => {
    if (typeof value === 'string') ids.add(value);
    else if (Array.isArray(value)) for (const item of value) collect(item);
    else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) collect(item);
  };
  for (const [attribute, base] of Object.entries(entity.base)) {
    if (isReferenceAttribute(entity.kind, attribute) && base.value !== null) ids.add(base.value);
  }
  for (const entry of history) {
    if (entry.attribute !== null && isReferenceAttribute(entity.kind, entry.attribute)) collect(entry.detail);
  }
  return ids;
}

async function explainEntity(store: StateStore, entity: EntitySnapshot, record: string): Promise<Explanation> {
  const [outbox, history, holders] = await Promise.all([
    store.outboxOf(entity.id),
    store.historyOf(entity.id),
    nameHoldersOf(store, [entity]),
  ]);
  const holder = holders.get(entity.id);
  const names = new EntityNames(store);
  names.remember([entity]);
  const mentioned = referencedIds(entity, history);
  const historyMessages = history.flatMap((entry) =>
    typeof entry.detail === 'object' && entry.detail !== null && !Array.isArray(entry.detail)
      ? [(entry.detail as { readonly [key: string]: JsonValue }).message].filter(
          (message): message is string => typeof message === 'string',
        )
      : [],
  );
  for (const message of [...entity.waits, ...Object.values(entity.holds), ...historyMessages]) {
    for (const id of EntityNames.mentionsIn(message)) mentioned.add(id);
  }
  await names.load(mentioned);
  const shown = (attribute: string, value: CanonicalValue) =>
    value === null
      ? '(none)'
      : isReferenceAttribute(entity.kind, attribute)
        ? names.describe(value)
        : JSON.stringify(value);
  const nameTable: Record<string, string> = {};
  for (const id of [entity.id, ...mentioned]) if (names.known(id)) nameTable[id] = names.describe(id);
  return {
    record,
    ambiguity: null,
    entity: {
      id: entity.id,
      kind: entity.kind,
      wanted: entity.wanted,
      members: entity.members.map((member) => ({
        ref: refKey(member.record.ref),
        deleted: member.record.deleted,
        modifiedAt: member.record.modifiedAt,
        values: member.record.values,
        known: member.known,
      })),
      attributes: Object.entries(entity.base)
        .map(([attribute, base]) => ({
          attribute,
          value: base.value,
          shown: shown(attribute, base.value),
          system: base.source.split(':')[0] ?? '',
          member: base.source,
          rule: base.rule,
          cycleId: base.cycleId,
          changedAt: base.changedAt,
        }))
        .sort((left, right) => left.attribute.localeCompare(right.attribute)),
      waits: entity.waits.map((message) => names.rewrite(message)),
      holds: holdsWithReasons(entity, history).map(({ reason, member, message }) => {
        const row = holdAttentionOf(reason);
        const related = reason === 'duplicate-name' ? relinkTargetOf(entity, holder) : undefined;
        const command = row.command({ record, member, related });
        return {
          member,
          reason,
          message: names.rewrite(message),
          needsPerson: row.listedAs !== 'on-purpose',
          action: row.action,
          // Explaining the record again is no advice inside its explanation.
          command: command === `tandem explain ${record}` ? null : command,
        };
      }),
      outbox,
      history,
      names: nameTable,
    },
  };
}

/** Undefined when the state has no entity with that id. */
export async function explainEntityById(store: StateStore, entityId: string): Promise<Explanation | undefined> {
  const [entity] = await store.loadEntities([entityId]);
  if (entity === undefined) return undefined;
  const member = primaryMember(entity);
  return explainEntity(store, entity, member === undefined ? entityId : refKey(member.record.ref));
}

/** Undefined when the store has never seen the record. */
export async function explainRecord(store: StateStore, ref: RecordRef): Promise<Explanation | undefined> {
  const stored = await store.getRecord(ref);
  if (stored === undefined) return undefined;
  if (stored.entityId === null) return { record: refKey(ref), ambiguity: stored.ambiguity, entity: undefined };
  const [entity] = await store.loadEntities([stored.entityId]);
  if (entity === undefined) return { record: refKey(ref), ambiguity: stored.ambiguity, entity: undefined };
  return explainEntity(store, entity, refKey(ref));
}
