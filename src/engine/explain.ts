/**
 * `tandem explain <system>:<type>:<id>` as data: the record's global entity, its members, each
 * attribute's agreed value with where it came from (system, rule, cycle), what waits or is held,
 * the outbox rows in flight, and the history of decisions, conflicts and writes.
 */
import type { RecordRef } from '../core/model.js';
import { refKey } from '../core/model.js';
import { holdReasonOf } from '../core/planner.js';
import type { CanonicalValue } from '../core/transforms.js';
import type { EntityKind } from '../spec/flows.js';
import type { HistoryEntry, OutboxRow, StateStore, StoredRecord } from '../store/state-store.js';

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
        /** Values left as they are: the member type, the reason code (holdReasonOf) and what would change it. */
        readonly holds: readonly {
          readonly member: string;
          readonly reason: string | null;
          readonly message: string;
        }[];
        readonly outbox: readonly OutboxRow[];
        /** Oldest first. */
        readonly history: readonly HistoryEntry[];
      }
    | undefined;
}

/** Undefined when the store has never seen the record. */
export async function explainRecord(store: StateStore, ref: RecordRef): Promise<Explanation | undefined> {
  const stored = await store.getRecord(ref);
  if (stored === undefined) return undefined;
  if (stored.entityId === null) return { record: refKey(ref), ambiguity: stored.ambiguity, entity: undefined };
  const [entity] = await store.loadEntities([stored.entityId]);
  if (entity === undefined) return { record: refKey(ref), ambiguity: stored.ambiguity, entity: undefined };
  const [outbox, history] = await Promise.all([store.outboxOf(entity.id), store.historyOf(entity.id)]);
  return {
    record: refKey(ref),
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
          system: base.source.split(':')[0] ?? '',
          member: base.source,
          rule: base.rule,
          cycleId: base.cycleId,
          changedAt: base.changedAt,
        }))
        .sort((left, right) => left.attribute.localeCompare(right.attribute)),
      waits: entity.waits,
      holds: Object.entries(entity.holds).map(([key, message]) => ({
        member: key.split('|')[0] ?? key,
        reason: holdReasonOf(key) ?? null,
        message,
      })),
      outbox,
      history,
    },
  };
}
