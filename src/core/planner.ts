/**
 * Plans one global entity: reconciles every attribute, then decides the writes that bring each
 * member to the agreed values, the Zendesk record to create when a create rule says so, and what
 * waits or is deliberately left as it is. Pure: everything it needs comes in as arguments.
 */
import type { EntityKind } from '../spec/flows.js';
import { type ConflictPolicy, editTimeOf } from './conflict-policy.js';
import {
  type BaseValue,
  type DecisionRule,
  type EntityDirectory,
  type EntitySnapshot,
  type MemberSnapshot,
  modifiedAtKnownKey,
} from './entity.js';
import { type MemberField, memberFields } from './member-fields.js';
import { type PropertyValue, type PropertyValues, type RecordRef, type RecordType, refKey } from './model.js';
import { type AttributeConflict, type AttributeObservation, reconcileAttribute } from './reconcile.js';
import { type CanonicalValue, canonicalValue, dueFromMinutesAfterCreation, organizationNameKey } from './transforms.js';

export interface PlanContext {
  readonly cycleId: string;
  readonly policy: ConflictPolicy;
  readonly directory: EntityDirectory;
}

export interface PlannedCreate {
  readonly kind: 'create';
  readonly entityId: string;
  readonly target: { readonly system: 'zendesk'; readonly type: RecordType };
  /** The idempotency handle naming the SuperOffice origin, e.g. `superoffice:contact:42`. */
  readonly externalId: string;
  readonly origin: RecordRef;
  readonly label: string | undefined;
  /** Wire values keyed by the target's property paths. */
  readonly values: PropertyValues;
  /** The canonical values the create writes, per attribute: what the new member will be known to hold. */
  readonly attributes: Readonly<Record<string, CanonicalValue>>;
}

export interface PlannedUpdate {
  readonly kind: 'update';
  readonly entityId: string;
  readonly target: RecordRef;
  /** Only the properties that change. */
  readonly values: PropertyValues;
  readonly attributes: Readonly<Record<string, CanonicalValue>>;
}

export type PlannedWrite = PlannedCreate | PlannedUpdate;

export interface Decision {
  readonly entityId: string;
  readonly attribute: string;
  readonly value: CanonicalValue;
  readonly previous: CanonicalValue | undefined;
  readonly rule: DecisionRule;
  /** The member the value came from, `system:type:id`. */
  readonly source: string;
}

export interface Wait {
  readonly entityId: string;
  /** The record to be written (for a create: `zendesk:<type>:` with no id yet). */
  readonly target: string;
  /** Undefined when the whole create waits. */
  readonly attribute: string | undefined;
  /** The entity or record the write waits for. */
  readonly waitsFor: string;
  readonly message: string;
}

export type HoldReason =
  | 'read-only' // the target system computes the value
  | 'agent-only' // Zendesk accepts only agents as assignee
  | 'no-counterpart' // the referenced person has no SuperOffice record of the needed type
  | 'duplicate-name' // Zendesk organization names are unique
  | 'missing-name' // Zendesk requires an organization name
  | 'held-reference' // the referenced entity gets no Zendesk record until someone acts (e.g. its name is taken)
  | 'deleted-member'; // the record was deleted in its system

export interface Hold {
  readonly entityId: string;
  /** The member left as it is (for a create not made: `zendesk:<type>:`). */
  readonly member: string;
  readonly attribute: string | undefined;
  readonly reason: HoldReason;
  readonly message: string;
}

export interface EntityConflict extends AttributeConflict {
  readonly entityId: string;
}

export interface EntityPlan {
  readonly entityId: string;
  readonly kind: EntityKind;
  readonly base: Readonly<Record<string, BaseValue>>;
  /** Per member (`system:type:id`), the values now seen in it; successful writes overwrite them later. */
  readonly known: Readonly<Record<string, Readonly<Record<string, CanonicalValue>>>>;
  readonly holds: Readonly<Record<string, string>>;
  readonly nameClaim: string | null;
  /** True when the entity must be planned again next cycle (it waits for something). */
  readonly keepDirty: boolean;
  /** The entities this one's values point at: a change in their members may change this plan. */
  readonly references: readonly string[];
  readonly writes: readonly PlannedWrite[];
  readonly decisions: readonly Decision[];
  readonly conflicts: readonly EntityConflict[];
  readonly waits: readonly Wait[];
  /** Holds not recorded before (each reason is recorded once while it lasts). */
  readonly newHolds: readonly Hold[];
  /** Every hold in force now. */
  readonly activeHolds: readonly Hold[];
}

type Extracted =
  | { readonly kind: 'value'; readonly value: CanonicalValue }
  | { readonly kind: 'unresolved'; readonly ref: RecordRef };

/** The canonical value of one field of a record, or undefined when the record does not carry it. */
export function extractField(
  member: MemberSnapshot,
  field: MemberField,
  directory: EntityDirectory,
): Extracted | undefined {
  const record = member.record;
  const raw: PropertyValue | undefined = record.values[field.path];
  if (field.transform === 'minutes-after-creation' && record.ref.system === 'superoffice') {
    return { kind: 'value', value: dueFromMinutesAfterCreation(raw, record.facts?.createdAt) };
  }
  if (raw === undefined) return undefined;
  if (field.transform === 'reference') {
    if (raw === null || field.references === undefined) return { kind: 'value', value: null };
    const ref: RecordRef = { system: record.ref.system, type: field.references.memberType[record.ref.system], id: raw };
    const entityId = directory.entityOf(ref);
    return entityId === undefined ? { kind: 'unresolved', ref } : { kind: 'value', value: entityId };
  }
  return { kind: 'value', value: canonicalValue(field.transform, raw) };
}

type Translation =
  | { readonly kind: 'value'; readonly wire: PropertyValue }
  | { readonly kind: 'wait'; readonly waitsFor: string; readonly message: string }
  | {
      readonly kind: 'hold';
      readonly reason: HoldReason;
      readonly message: string;
      /** The target must not keep another value instead: an existing record's value is emptied. */
      readonly clearsTarget: boolean;
    };

/** A canonical value as the property of one target system, or why it cannot be written now. */
function translate(
  value: CanonicalValue,
  field: MemberField,
  target: { readonly system: 'superoffice' | 'zendesk' },
  directory: EntityDirectory,
): Translation {
  if (field.transform !== 'reference' || value === null || field.references === undefined) {
    return { kind: 'value', wire: value };
  }
  const wantedType = field.references.memberType[target.system];
  const members = directory.membersOf(value);
  const member = members?.find(
    (candidate) => candidate.ref.system === target.system && candidate.ref.type === wantedType,
  );
  if (field.constraint === 'agent-only') {
    if (member === undefined || member.deleted || member.isAgent !== true) {
      return {
        kind: 'hold',
        reason: 'agent-only',
        message: `Zendesk accepts only agents as ${field.path}; person ${value} has ${
          member === undefined ? 'no Zendesk user' : 'a Zendesk user that is not an agent'
        }, so the ticket keeps no ${field.path} there. Make the user an agent in Zendesk to sync it.`,
        // Keeping the previous assignee would show a person SuperOffice no longer names.
        clearsTarget: true,
      };
    }
    return { kind: 'value', wire: member.ref.id };
  }
  if (member !== undefined && !member.deleted) return { kind: 'value', wire: member.ref.id };
  if (target.system === 'superoffice') {
    return {
      kind: 'hold',
      reason: 'no-counterpart',
      message: `${field.path} needs a SuperOffice ${wantedType}, and ${field.references.kind} ${value} has none; the SuperOffice value is left unchanged.`,
      clearsTarget: false,
    };
  }
  // A dependency held for good (its name is taken, or missing) would make this write wait forever.
  const held = member === undefined ? directory.heldCreate?.(value) : undefined;
  if (held !== undefined) {
    return {
      kind: 'hold',
      reason: 'held-reference',
      message: `${field.references.kind} ${value} gets no Zendesk ${wantedType} until someone acts (${held}); the Zendesk record is written without ${field.path}, and gets it once that ${wantedType} exists.`,
      clearsTarget: true,
    };
  }
  return {
    kind: 'wait',
    waitsFor: value,
    message: `waits for ${field.references.kind} ${value} to have a Zendesk ${wantedType}`,
  };
}

/** Keyed by member type, not id: a hold found while creating is the same hold once the record exists. */
function holdKey(member: string, attribute: string | undefined): string {
  const [system, type] = member.split(':');
  return `${system}:${type}|${attribute ?? '*'}`;
}

function createOrigin(entity: EntitySnapshot): MemberSnapshot | undefined {
  const live = (type: RecordType) =>
    entity.members.find(
      (member) =>
        member.record.ref.system === 'superoffice' && member.record.ref.type === type && !member.record.deleted,
    );
  switch (entity.kind) {
    case 'organization':
      return live('contact');
    case 'ticket':
      return live('ticket');
    case 'person':
      // A User always gets a Zendesk user; a Person only when it is the Person of a synced ticket.
      return live('user') ?? (entity.wanted ? live('person') : undefined);
  }
}

const zendeskTypeOfKind: Readonly<Record<EntityKind, RecordType>> = {
  organization: 'organization',
  person: 'user',
  ticket: 'ticket',
};

/**
 * Why an entity's Zendesk record is not created until someone acts, from its last plan: an
 * organization whose name is taken in Zendesk or missing. Undefined when the entity has a Zendesk
 * record, or its create merely waits (for a dependency, or a retry). The engine answers
 * `EntityDirectory.heldCreate` with it for referenced entities that have no Zendesk record.
 */
export function heldCreateOf(entity: EntitySnapshot): string | undefined {
  const zendeskType = zendeskTypeOfKind[entity.kind];
  const hasRecord = entity.members.some(
    (member) => member.record.ref.system === 'zendesk' && member.record.ref.type === zendeskType,
  );
  if (hasRecord || entity.kind !== 'organization' || createOrigin(entity) === undefined) return undefined;
  return entity.holds[holdKey(`zendesk:${zendeskType}:`, 'name')];
}

export function planEntity(entity: EntitySnapshot, context: PlanContext): EntityPlan {
  const { directory } = context;
  const decisions: Decision[] = [];
  const conflicts: EntityConflict[] = [];
  const waits: Wait[] = [];
  const holds: Hold[] = [];
  const writes: PlannedWrite[] = [];
  let keepDirty = false;

  const liveMembers = entity.members.filter((member) => !member.record.deleted);
  const referenceAttributes = new Set<string>();
  for (const member of entity.members) {
    for (const field of memberFields(member.record.ref.system, member.record.ref.type)) {
      if (field.transform === 'reference') referenceAttributes.add(field.attribute);
    }
  }
  const observations = new Map<string, AttributeObservation[]>();
  const currentOf = new Map<string, Map<string, Extracted>>();
  const known: Record<string, Record<string, CanonicalValue>> = {};

  for (const member of entity.members) {
    const key = refKey(member.record.ref);
    known[key] = { ...member.known };
    if (member.record.deleted) continue;
    (known[key] as Record<string, CanonicalValue>)[modifiedAtKnownKey] = member.record.modifiedAt;
    const values = new Map<string, Extracted>();
    currentOf.set(key, values);
    for (const field of memberFields(member.record.ref.system, member.record.ref.type)) {
      const extracted = extractField(member, field, directory);
      if (extracted === undefined) continue;
      values.set(field.attribute, extracted);
      if (extracted.kind === 'unresolved') {
        keepDirty = true; // the referenced record is not linked yet; look again next cycle
        const target = refKey(extracted.ref);
        const reason = directory.unlinkedReason(extracted.ref);
        waits.push({
          entityId: entity.id,
          target: key,
          attribute: field.attribute,
          waitsFor: target,
          message: `${key} ${field.path} points at ${target}, which is not linked ${
            reason === undefined ? 'yet (not read, or read in a later cycle)' : `because: ${reason}`
          }`,
        });
        continue;
      }
      const list = observations.get(field.attribute) ?? [];
      const knownValue = member.known[field.attribute];
      list.push({
        member: key,
        system: member.record.ref.system,
        current: extracted.value,
        known: knownValue,
        changedAt: editTimeOf({
          modifiedAt: member.record.modifiedAt,
          modifiedAtBefore: member.known[modifiedAtKnownKey],
          seenAt: member.seenAt,
          valueChanged: knownValue !== undefined && knownValue !== extracted.value,
        }),
      });
      observations.set(field.attribute, list);
      (known[key] as Record<string, CanonicalValue>)[field.attribute] = extracted.value;
    }
  }

  const base: Record<string, BaseValue> = { ...entity.base };
  const agreed = new Map<string, CanonicalValue>();
  const attributes = new Set<string>([...Object.keys(entity.base), ...observations.keys()]);
  for (const attribute of attributes) {
    const previous = entity.base[attribute];
    const outcome = reconcileAttribute(
      entity.kind,
      attribute,
      previous,
      observations.get(attribute) ?? [],
      context.policy,
      context.cycleId,
    );
    if (outcome.value === undefined || outcome.base === undefined) continue;
    agreed.set(attribute, outcome.value);
    base[attribute] = outcome.base;
    if (outcome.decided && (previous === undefined || previous.value !== outcome.value)) {
      decisions.push({
        entityId: entity.id,
        attribute,
        value: outcome.value,
        previous: previous?.value,
        rule: outcome.base.rule,
        source: outcome.base.source,
      });
    }
    if (outcome.conflict !== undefined) conflicts.push({ ...outcome.conflict, entityId: entity.id });
  }

  let nameClaim = entity.nameClaim;
  const nameKeyOf = (): string | undefined => organizationNameKey(agreed.get('name') ?? null);
  const nameTakenBy = (key: string): string | undefined => {
    const holder = directory.nameHolder(key);
    return holder !== undefined && holder !== entity.id ? holder : undefined;
  };

  // Updates: every live member whose value differs from the agreed one.
  for (const member of liveMembers) {
    const ref = member.record.ref;
    const key = refKey(ref);
    const current = currentOf.get(key);
    const values: Record<string, PropertyValue> = {};
    const written: Record<string, CanonicalValue> = {};
    for (const field of memberFields(ref.system, ref.type)) {
      const value = agreed.get(field.attribute);
      const seen = current?.get(field.attribute);
      if (value === undefined || seen === undefined || seen.kind === 'unresolved' || seen.value === value) continue;
      if (field.readOnly) {
        holds.push({
          entityId: entity.id,
          member: key,
          attribute: field.attribute,
          reason: 'read-only',
          message: `${ref.system} computes ${field.path}; the value agreed elsewhere (${value ?? 'none'}) is kept in the other system and not written back.`,
        });
        continue;
      }
      const translation = translate(value, field, ref, directory);
      if (translation.kind === 'wait') {
        keepDirty = true;
        waits.push({
          entityId: entity.id,
          target: key,
          attribute: field.attribute,
          waitsFor: translation.waitsFor,
          message: `${key} ${field.path} ${translation.message}`,
        });
        continue;
      }
      if (translation.kind === 'hold') {
        holds.push({
          entityId: entity.id,
          member: key,
          attribute: field.attribute,
          reason: translation.reason,
          message: translation.message,
        });
        if (translation.clearsTarget && seen.value !== null) {
          values[field.path] = null; // emptying a reference is a write the target always accepts
          written[field.attribute] = null;
        }
        continue;
      }
      if (entity.kind === 'organization' && ref.system === 'zendesk' && field.attribute === 'name') {
        const nameKey = nameKeyOf();
        const holder = nameKey === undefined ? undefined : nameTakenBy(nameKey);
        if (nameKey === undefined || holder !== undefined) {
          holds.push({
            entityId: entity.id,
            member: key,
            attribute: field.attribute,
            reason: nameKey === undefined ? 'missing-name' : 'duplicate-name',
            message:
              nameKey === undefined
                ? 'Zendesk requires an organization name; the Zendesk name is left unchanged until the contact has one.'
                : `Zendesk organization names are unique and "${value}" belongs to organization ${holder}; the Zendesk name is left unchanged. Rename one of the SuperOffice contacts.`,
          });
          continue;
        }
      }
      values[field.path] = translation.wire;
      written[field.attribute] = value;
    }
    if (Object.keys(values).length > 0) {
      writes.push({ kind: 'update', entityId: entity.id, target: ref, values, attributes: written });
    }
  }

  // Creates: only into Zendesk, only as the flow's create rule says.
  const zendeskType = zendeskTypeOfKind[entity.kind];
  const zendeskMember = entity.members.find(
    (member) => member.record.ref.system === 'zendesk' && member.record.ref.type === zendeskType,
  );
  const origin = createOrigin(entity);
  const createTarget = `zendesk:${zendeskType}:`;
  if (zendeskMember?.record.deleted === true && origin !== undefined) {
    holds.push({
      entityId: entity.id,
      member: refKey(zendeskMember.record.ref),
      attribute: undefined,
      reason: 'deleted-member',
      message: `the linked Zendesk ${zendeskType} was deleted; Tandem does not re-create it. Unlink or restore it in Zendesk.`,
    });
  }
  if (zendeskMember === undefined && origin !== undefined) {
    const values: Record<string, PropertyValue> = {};
    const written: Record<string, CanonicalValue> = {};
    let blocked = false;
    for (const field of memberFields('zendesk', zendeskType)) {
      const value = agreed.get(field.attribute);
      if (value === undefined) continue;
      const translation = translate(value, field, { system: 'zendesk' }, directory);
      if (translation.kind === 'wait') {
        blocked = true;
        waits.push({
          entityId: entity.id,
          target: createTarget,
          attribute: undefined,
          waitsFor: translation.waitsFor,
          message: `the create of a Zendesk ${zendeskType} for ${refKey(origin.record.ref)} ${translation.message} (${field.path})`,
        });
        continue;
      }
      if (translation.kind === 'hold') {
        holds.push({
          entityId: entity.id,
          member: createTarget,
          attribute: field.attribute,
          reason: translation.reason,
          message: translation.message,
        });
        continue;
      }
      values[field.path] = translation.wire;
      written[field.attribute] = value;
    }
    if (entity.kind === 'organization') {
      const nameKey = nameKeyOf();
      const holder = nameKey === undefined ? undefined : nameTakenBy(nameKey);
      if (nameKey === undefined || holder !== undefined) {
        blocked = true;
        holds.push({
          entityId: entity.id,
          member: createTarget,
          attribute: 'name',
          reason: nameKey === undefined ? 'missing-name' : 'duplicate-name',
          message:
            nameKey === undefined
              ? `SuperOffice contact ${origin.record.ref.id} has no name and Zendesk requires one; no organization is created until it has one.`
              : `Zendesk organization names are unique and "${agreed.get('name')}" is already organization ${holder}; SuperOffice contact ${origin.record.ref.id} is not merged into it and gets no organization. Rename the contact (or the other one) in SuperOffice.`,
        });
        keepDirty = true; // the name may be freed by the other entity
      } else {
        nameClaim = nameKey;
      }
    }
    if (blocked) keepDirty = true;
    else {
      const label = origin.record.facts?.label;
      writes.push({
        kind: 'create',
        entityId: entity.id,
        target: { system: 'zendesk', type: zendeskType },
        externalId: refKey(origin.record.ref),
        origin: origin.record.ref,
        label:
          label ??
          agreed.get(entity.kind === 'person' ? 'email' : entity.kind === 'ticket' ? 'subject' : 'name') ??
          undefined,
        values,
        attributes: written,
      });
    }
  }
  if (entity.kind === 'organization' && zendeskMember !== undefined) {
    // The name this entity holds in Zendesk: the one about to be written, else the one it has.
    const update = writes.find((write) => write.kind === 'update' && write.target.system === 'zendesk');
    const seen = currentOf.get(refKey(zendeskMember.record.ref))?.get('name');
    const name =
      update?.attributes.name !== undefined ? update.attributes.name : seen?.kind === 'value' ? seen.value : null;
    nameClaim = zendeskMember.record.deleted ? null : (organizationNameKey(name) ?? null);
  }

  const nextHolds: Record<string, string> = {};
  const newHolds: Hold[] = [];
  for (const hold of holds) {
    const key = holdKey(hold.member, hold.attribute);
    nextHolds[key] = hold.message;
    if (entity.holds[key] !== hold.message) newHolds.push(hold);
  }

  const references = new Set<string>();
  for (const values of currentOf.values()) {
    for (const [name, extracted] of values) {
      if (extracted.kind === 'value' && extracted.value !== null && referenceAttributes.has(name))
        references.add(extracted.value);
    }
  }
  for (const attribute of referenceAttributes) {
    const value = agreed.get(attribute);
    if (value !== undefined && value !== null) references.add(value);
  }

  return {
    entityId: entity.id,
    kind: entity.kind,
    base,
    known,
    holds: nextHolds,
    nameClaim,
    keepDirty,
    references: [...references].sort(),
    writes,
    decisions,
    conflicts,
    waits,
    newHolds,
    activeHolds: holds,
  };
}
