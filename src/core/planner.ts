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
  type MemberSummary,
  modifiedAtKnownKey,
} from './entity.js';
import { idKeyedRecord } from './id-keyed-record.js';
import {
  type MemberField,
  memberFields,
  type ReferenceTarget,
  referenceAttributesOf,
  zendeskTypeOfKind,
} from './member-fields.js';
import {
  type PropertyValue,
  type PropertyValues,
  type RecordFacts,
  type RecordRef,
  type RecordType,
  refKey,
  type SourceRecord,
  type SystemName,
} from './model.js';
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
  | 'agent-only' // Zendesk assigns tickets only to agents it lets be assigned (not light, chat-only agents, contributors)
  | 'not-in-group' // Zendesk assigns a ticket with a group only to members of that group
  | 'service-user-only' // a SuperOffice ticket owner must be a Service user
  | 'no-counterpart' // the referenced person has no SuperOffice record of the needed type
  | 'duplicate-name' // Zendesk organization names are unique
  | 'missing-name' // Zendesk requires an organization name
  | 'held-reference' // the referenced entity gets no Zendesk record until someone acts (e.g. its name is taken)
  | 'deleted-member' // the record was deleted in its system
  | 'deleted-reference' // the record a value points at was deleted in Zendesk; what Zendesk changed because of it is not synced
  | 'closed-in-zendesk' // a closed Zendesk ticket takes no update
  | 'due-needs-task' // Zendesk keeps due dates on tasks only, and the ticket has another type
  | 'unknown-reference' // the create needs a reference to a record Tandem does not read (e.g. a system associate)
  | 'unlinked-reference' // the create needs a reference to a record that cannot be linked until someone acts
  | 'zendesk-default'; // Zendesk filled in a value the create left empty (a ticket's requester): not synced back

/**
 * The key a hold is kept under in `EntitySnapshot.holds`: `system:type|attribute|reason`. Keyed by
 * member type, not id: a hold found while creating is the same hold once the record exists. The
 * reason is part of the key so that `status` and `explain` can tell holds apart without parsing
 * messages (see `holdReasonOf`).
 */
export function holdKey(member: string, attribute: string | undefined, reason: HoldReason): string {
  const [system, type] = member.split(':');
  return `${system}:${type}|${attribute ?? '*'}|${reason}`;
}

/** The reason code of a key of `EntitySnapshot.holds` (undefined for keys stored before reasons were). */
export function holdReasonOf(key: string): HoldReason | undefined {
  const reason = key.split('|')[2];
  return reason === undefined ? undefined : (reason as HoldReason);
}

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

/**
 * The record type a reference names in a system. A comparison rather than `memberType[system]`:
 * system names read from the store are not interned, and a lookup by such a key is slow.
 */
function referencedType(target: ReferenceTarget, system: SystemName): RecordType {
  return system === 'superoffice' ? target.memberType.superoffice : target.memberType.zendesk;
}

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
    const ref: RecordRef = {
      system: record.ref.system,
      type: referencedType(field.references, record.ref.system),
      id: raw,
    };
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

function summaryOfType(
  members: readonly MemberSummary[] | undefined,
  system: SystemName,
  type: RecordType,
): MemberSummary | undefined {
  if (members === undefined) return undefined;
  for (const member of members) if (member.ref.system === system && member.ref.type === type) return member;
  return undefined;
}

/**
 * A ticket's assignee as Zendesk will take it: an agent it lets be assigned tickets (ZD-LA: not a
 * light agent, chat-only agent or contributor; `isAgent` says so) and, when the ticket has a group, a
 * member of that group (zenpy#628: else 422). Otherwise the ticket keeps no assignee there.
 */
function assignableAgent(
  value: string,
  field: MemberField,
  member: MemberSummary | undefined,
  ticket: RecordFacts | undefined,
): Translation {
  if (member === undefined || member.deleted || member.isAgent !== true) {
    return {
      kind: 'hold',
      reason: 'agent-only',
      message: `Zendesk assigns tickets only to agents who may be assigned them (not to end users, light agents, chat-only agents or contributors); person ${value} has ${
        member === undefined ? 'no Zendesk user' : 'a Zendesk user that cannot be assigned tickets'
      }, so the ticket keeps no ${field.path} there. Make the user a full agent in Zendesk to sync it.`,
      // Keeping the previous assignee would show a person SuperOffice no longer names.
      clearsTarget: true,
    };
  }
  const groupId = ticket?.groupId;
  const groupMembers = ticket?.groupMembers; // undefined: not known, so not judged (Zendesk may still refuse)
  if (
    groupId !== undefined &&
    groupId !== null &&
    groupMembers !== undefined &&
    !groupMembers.includes(member.ref.id)
  ) {
    return {
      kind: 'hold',
      reason: 'not-in-group',
      message: `Zendesk assigns a ticket of group ${groupId} only to members of that group, and agent ${member.ref.id} (person ${value}) is not one, so the ticket keeps no ${field.path} there. Add the agent to the group in Zendesk, or move the ticket to another group.`,
      clearsTarget: true,
    };
  }
  return { kind: 'value', wire: member.ref.id };
}

/** A canonical value as the property of one target system, or why it cannot be written now. */
function translate(
  value: CanonicalValue,
  field: MemberField,
  target: { readonly system: 'superoffice' | 'zendesk' },
  directory: EntityDirectory,
  targetFacts?: RecordFacts,
): Translation {
  if (field.transform !== 'reference' || value === null || field.references === undefined) {
    return { kind: 'value', wire: value };
  }
  const wantedType = referencedType(field.references, target.system);
  const member = summaryOfType(directory.membersOf(value), target.system, wantedType);
  if (field.constraint === 'agent-only') return assignableAgent(value, field, member, targetFacts);
  if (field.constraint === 'service-user-only' && member !== undefined && !member.deleted && member.isAgent !== true) {
    return {
      kind: 'hold',
      reason: 'service-user-only',
      message: `SuperOffice takes only Service users as ${field.path}; user ${member.ref.id} is ${
        member.isAgent === false ? 'not one' : 'not known to be one'
      }, so the SuperOffice value is left unchanged. Give the user a Service licence in SuperOffice to sync it.`,
      clearsTarget: false,
    };
  }
  if (member !== undefined && !member.deleted) return { kind: 'value', wire: member.ref.id };
  if (member !== undefined && target.system === 'zendesk') {
    return {
      kind: 'hold',
      reason: 'deleted-reference',
      message: `${field.path} points at ${field.references.kind} ${value}, whose Zendesk ${wantedType} ${member.ref.id} was deleted in Zendesk; the value is left as it is in Zendesk and SuperOffice keeps its own. Restore the ${wantedType} in Zendesk (deletes are not synced).`,
      clearsTarget: false,
    };
  }
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

/** The first member of a system and type, deleted or not. */
function memberOfType(entity: EntitySnapshot, system: SystemName, type: RecordType): MemberSnapshot | undefined {
  for (const member of entity.members) {
    if (member.record.ref.system === system && member.record.ref.type === type) return member;
  }
  return undefined;
}

function liveSuperOfficeMember(entity: EntitySnapshot, type: RecordType): MemberSnapshot | undefined {
  for (const member of entity.members) {
    const { ref } = member.record;
    if (ref.system === 'superoffice' && ref.type === type && !member.record.deleted) return member;
  }
  return undefined;
}

function createOrigin(entity: EntitySnapshot): MemberSnapshot | undefined {
  switch (entity.kind) {
    case 'organization':
      return liveSuperOfficeMember(entity, 'contact');
    case 'ticket':
      return liveSuperOfficeMember(entity, 'ticket');
    case 'person':
      // A User always gets a Zendesk user; a Person only when it is the Person of a synced ticket.
      return (
        liveSuperOfficeMember(entity, 'user') ?? (entity.wanted ? liveSuperOfficeMember(entity, 'person') : undefined)
      );
  }
}

/**
 * Why an entity's Zendesk record is not created until someone acts, from its last plan: an
 * organization whose name is taken in Zendesk or missing. Undefined when the entity has a Zendesk
 * record, or its create merely waits (for a dependency, or a retry). The engine answers
 * `EntityDirectory.heldCreate` with it for referenced entities that have no Zendesk record.
 */
export function heldCreateOf(entity: EntitySnapshot): string | undefined {
  const zendeskType = zendeskTypeOfKind(entity.kind);
  const hasRecord = memberOfType(entity, 'zendesk', zendeskType) !== undefined;
  if (hasRecord || entity.kind !== 'organization' || createOrigin(entity) === undefined) return undefined;
  const prefix = `zendesk:${zendeskType}|name`;
  for (const [key, message] of Object.entries(entity.holds)) {
    if (key === prefix || key.startsWith(`${prefix}|`)) return message;
  }
  return undefined;
}

/** The Zendesk uniqueness key of the agreed organization name; undefined when there is no name. */
function agreedNameKey(agreed: ReadonlyMap<string, CanonicalValue>): string | undefined {
  return organizationNameKey(agreed.get('name') ?? null);
}

function nameTakenBy(directory: EntityDirectory, key: string, entityId: string): string | undefined {
  const holder = directory.nameHolder(key);
  return holder !== undefined && holder !== entityId ? holder : undefined;
}

/** What a member holds now for an attribute, from its extracted values (aligned with its fields). */
function currentValueOf(
  current: readonly (Extracted | undefined)[] | undefined,
  fields: readonly MemberField[],
  attribute: string,
): Extracted | undefined {
  if (current === undefined) return undefined;
  for (let index = 0; index < fields.length; index++) {
    if ((fields[index] as MemberField).attribute === attribute) return current[index];
  }
  return undefined;
}

function zendeskUpdateOf(writes: readonly PlannedWrite[]): PlannedWrite | undefined {
  for (const write of writes) if (write.kind === 'update' && write.target.system === 'zendesk') return write;
  return undefined;
}

const noValue: Extracted = { kind: 'value', value: null };

/** The key of `MemberSnapshot.known` that keeps the value Zendesk chose for an attribute a create left empty. */
function defaultKnownKey(attribute: string): string {
  return `@default:${attribute}`;
}

/**
 * The value Zendesk chose itself for a property a create left out (a ticket created without
 * requester gets the API user): the member was given "none" for it, and now holds what Zendesk
 * chose then (the first value seen since, remembered so a later change by a person is an edit).
 */
function chosenByZendesk(member: MemberSnapshot, field: MemberField): string | undefined {
  if (field.defaultedOnCreate !== true || member.known[field.attribute] !== null) return undefined;
  const raw = member.record.values[field.path];
  if (typeof raw !== 'string') return undefined;
  const remembered = member.known[defaultKnownKey(field.attribute)];
  return remembered === undefined || remembered === raw ? raw : undefined;
}

/**
 * A Zendesk member's reference that Zendesk emptied because the record it pointed at was deleted
 * (deleting an organization clears its users' `organization_id`): the value was known to point at
 * an entity whose Zendesk record of that type is now deleted. Such a change is never written to
 * SuperOffice (issue 12 item 11); the engine marks the deleted record before planning.
 */
function clearedByDeletion(
  member: MemberSnapshot,
  field: MemberField,
  extracted: Extracted,
  directory: EntityDirectory,
): { readonly reason: HoldReason; readonly message: string } | undefined {
  const { ref } = member.record;
  if (ref.system !== 'zendesk' || field.references === undefined || extracted.kind !== 'value') return undefined;
  const known = member.known[field.attribute];
  if (extracted.value !== null || known === undefined || known === null) return undefined;
  const type = field.references.memberType.zendesk;
  const target = summaryOfType(directory.membersOf(known), 'zendesk', type);
  if (target === undefined || !target.deleted) return undefined;
  return {
    reason: 'deleted-reference',
    message: `Zendesk emptied ${field.path} of ${refKey(ref)} because ${field.references.kind} ${known}'s Zendesk ${type} ${target.ref.id} was deleted there; that is not an edit, and SuperOffice keeps its value. Restore the ${type} in Zendesk (deletes are not synced yet).`,
  };
}

/**
 * Why a create's reference that Zendesk would otherwise fill in itself (a ticket's requester) cannot
 * resolve by waiting: the referenced record is ambiguous (a person must act), or its type was read in
 * full this cycle and it is not among the records read (Tandem does not see it). Undefined: it waits.
 */
function unresolvableReference(
  origin: MemberSnapshot,
  field: MemberField,
  target: RecordRef,
  directory: EntityDirectory,
): { readonly reason: HoldReason; readonly message: string } | undefined {
  const source = refKey(origin.record.ref);
  const ambiguity = directory.unlinkedReason(target);
  if (ambiguity !== undefined) {
    return {
      reason: 'unlinked-reference',
      message: `${source} points at ${refKey(target)} for the Zendesk ${field.path}, which cannot be linked until someone acts (${ambiguity}); the Zendesk ${origin.record.ref.type} is not created until it is, since Zendesk would choose the ${field.path} itself.`,
    };
  }
  if (directory.typeRead?.(target.system, target.type) !== true) return undefined;
  return {
    reason: 'unknown-reference',
    message: `${source} points at ${refKey(target)} for the Zendesk ${field.path}, which is not among the SuperOffice ${target.type}s Tandem reads (a system, resource, external or retired associate, say); the Zendesk ${origin.record.ref.type} is not created until it points at one Tandem syncs, since Zendesk would choose the ${field.path} itself. Change it in SuperOffice.`,
  };
}

/** Removes the wait recorded for a member's attribute (it turned out to be a hold). */
function dropWait(waits: Wait[], member: string, attribute: string): void {
  const index = waits.findIndex((wait) => wait.target === member && wait.attribute === attribute);
  if (index >= 0) waits.splice(index, 1);
}

/** Trap 10: a closed Zendesk ticket refuses every update ("Status: closed prevents ticket update"). */
function isClosedZendeskTicket(record: SourceRecord): boolean {
  return record.ref.system === 'zendesk' && record.ref.type === 'ticket' && record.facts?.status === 'closed';
}

/**
 * §2.4: Zendesk keeps a due date on tasks only. A ticket with another type keeps its type, and the
 * due date is not written there (a ticket without a type becomes a task with it).
 */
function dueNeedsTask(
  field: MemberField,
  ref: RecordRef,
  facts: RecordFacts | undefined,
  value: string,
): { readonly reason: HoldReason; readonly message: string } | undefined {
  if (ref.system !== 'zendesk' || field.transform !== 'minutes-after-creation') return undefined;
  const type = facts?.ticketType;
  if (type === undefined || type === null || type === 'task') return undefined;
  return {
    reason: 'due-needs-task',
    message: `Zendesk keeps due dates on tasks only and ticket ${ref.id} is a ${type}: it keeps its type, and the due date ${value} is not set there.`,
  };
}

const noObservations: readonly AttributeObservation[] = [];
const zendeskTarget = { system: 'zendesk' } as const;

// Hot: the engine plans every dirty entity each cycle (all of them on a sweep), so this function
// uses loops and module-level helpers rather than closures and array spreads.
export function planEntity(entity: EntitySnapshot, context: PlanContext): EntityPlan {
  const { directory } = context;
  const decisions: Decision[] = [];
  const conflicts: EntityConflict[] = [];
  const waits: Wait[] = [];
  const holds: Hold[] = [];
  const writes: PlannedWrite[] = [];
  let keepDirty = false;

  const members = entity.members;
  // Attributes any member's type maps as a reference (a handful at most, so an array).
  const referenceAttributes: string[] = [];
  for (const member of members) {
    for (const attribute of referenceAttributesOf(member.record.ref.system, member.record.ref.type)) {
      if (!referenceAttributes.includes(attribute)) referenceAttributes.push(attribute);
    }
  }
  const observations = new Map<string, AttributeObservation[]>();
  /** Per member (by position; undefined when deleted), what each field holds now, by its index in `memberFields`. */
  const currentOf: ((Extracted | undefined)[] | undefined)[] = [];
  const known = idKeyedRecord<Record<string, CanonicalValue>>();
  const memberKeys: string[] = [];

  for (const member of members) {
    const ref = member.record.ref;
    const key = refKey(ref);
    memberKeys.push(key);
    const memberKnown: Record<string, CanonicalValue> = { ...member.known };
    known[key] = memberKnown;
    if (member.record.deleted) {
      currentOf.push(undefined);
      continue;
    }
    memberKnown[modifiedAtKnownKey] = member.record.modifiedAt;
    const current: (Extracted | undefined)[] = [];
    currentOf.push(current);
    for (const field of memberFields(ref.system, ref.type)) {
      const extracted = extractField(member, field, directory);
      const clearedBy = extracted === undefined ? undefined : clearedByDeletion(member, field, extracted, directory);
      if (clearedBy !== undefined) {
        // Zendesk emptied the reference because its target was deleted there: not an edit to sync.
        current.push(undefined);
        holds.push({ entityId: entity.id, member: key, attribute: field.attribute, ...clearedBy });
        continue; // known keeps the value from before, so the next plan sees the same
      }
      const chosen = extracted === undefined ? undefined : chosenByZendesk(member, field);
      if (chosen !== undefined) {
        // Zendesk filled in a value the create left out: it stands for "none", and is no edit.
        current.push(noValue);
        memberKnown[defaultKnownKey(field.attribute)] = chosen;
        holds.push({
          entityId: entity.id,
          member: key,
          attribute: field.attribute,
          reason: 'zendesk-default',
          message: `Zendesk made ${chosen} the ${field.path} of ${key} itself, since the SuperOffice record gives none; that is not synced back. Set one in SuperOffice to replace it.`,
        });
        continue;
      }
      current.push(extracted);
      if (extracted === undefined) continue;
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
      const knownValue = member.known[field.attribute];
      const observation: AttributeObservation = {
        member: key,
        system: ref.system,
        current: extracted.value,
        known: knownValue,
        changedAt: editTimeOf({
          modifiedAt: member.record.modifiedAt,
          modifiedAtBefore: member.known[modifiedAtKnownKey],
          seenAt: member.seenAt,
          valueChanged: knownValue !== undefined && knownValue !== extracted.value,
        }),
      };
      const list = observations.get(field.attribute);
      if (list === undefined) observations.set(field.attribute, [observation]);
      else list.push(observation);
      memberKnown[field.attribute] = extracted.value;
    }
  }

  const base: Record<string, BaseValue> = { ...entity.base };
  const agreed = new Map<string, CanonicalValue>();
  // The base's attributes first, then those only members have, each once.
  const attributes = Object.keys(entity.base);
  for (const attribute of observations.keys()) if (!Object.hasOwn(entity.base, attribute)) attributes.push(attribute);
  for (const attribute of attributes) {
    const previous = entity.base[attribute];
    const outcome = reconcileAttribute(
      entity.kind,
      attribute,
      previous,
      observations.get(attribute) ?? noObservations,
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

  // Updates: every live member whose value differs from the agreed one.
  for (let memberIndex = 0; memberIndex < members.length; memberIndex++) {
    const member = members[memberIndex] as MemberSnapshot;
    if (member.record.deleted) continue;
    const ref = member.record.ref;
    const key = memberKeys[memberIndex] as string;
    const current = currentOf[memberIndex];
    const values: Record<string, PropertyValue> = {};
    const written: Record<string, CanonicalValue> = {};
    let changes = false;
    const fields = memberFields(ref.system, ref.type);
    for (let fieldIndex = 0; fieldIndex < fields.length; fieldIndex++) {
      const field = fields[fieldIndex] as MemberField;
      const value = agreed.get(field.attribute);
      const seen = current?.[fieldIndex];
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
      const dueHold = value === null ? undefined : dueNeedsTask(field, ref, member.record.facts, value);
      if (dueHold !== undefined) {
        holds.push({ entityId: entity.id, member: key, attribute: field.attribute, ...dueHold });
        continue;
      }
      const translation = translate(value, field, ref, directory, member.record.facts);
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
          changes = true;
        }
        continue;
      }
      if (entity.kind === 'organization' && ref.system === 'zendesk' && field.attribute === 'name') {
        const nameKey = agreedNameKey(agreed);
        const holder = nameKey === undefined ? undefined : nameTakenBy(directory, nameKey, entity.id);
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
      changes = true;
    }
    if (changes && isClosedZendeskTicket(member.record)) {
      holds.push({
        entityId: entity.id,
        member: key,
        attribute: undefined,
        reason: 'closed-in-zendesk',
        message: `closed in Zendesk: SuperOffice changes not applied (Zendesk ticket ${ref.id} is closed and takes no update; ${Object.keys(
          written,
        ).join(', ')} stay as they are there)`,
      });
    } else if (changes) {
      writes.push({ kind: 'update', entityId: entity.id, target: ref, values, attributes: written });
    }
  }

  // Creates: only into Zendesk, only as the flow's create rule says.
  const zendeskType = zendeskTypeOfKind(entity.kind);
  const zendeskMember = memberOfType(entity, 'zendesk', zendeskType);
  const origin = createOrigin(entity);
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
    const createTarget = `zendesk:${zendeskType}:`;
    const values: Record<string, PropertyValue> = {};
    const written: Record<string, CanonicalValue> = {};
    let blocked = false;
    const originIndex = members.indexOf(origin);
    const originFields = memberFields(origin.record.ref.system, origin.record.ref.type);
    for (const field of memberFields('zendesk', zendeskType)) {
      const value = agreed.get(field.attribute);
      if (field.defaultedOnCreate === true) {
        // Zendesk would choose this value itself if the create left it out: never let it.
        const seen = currentValueOf(currentOf[originIndex], originFields, field.attribute);
        if (seen?.kind === 'unresolved') {
          blocked = true;
          const hold = unresolvableReference(origin, field, seen.ref, directory);
          if (hold !== undefined) {
            dropWait(waits, memberKeys[originIndex] as string, field.attribute);
            holds.push({ entityId: entity.id, member: createTarget, attribute: field.attribute, ...hold });
          }
          continue;
        }
      }
      if (value === undefined) continue;
      const translation = translate(value, field, zendeskTarget, directory);
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
        if (field.defaultedOnCreate === true) blocked = true; // created without it, Zendesk would choose
        continue;
      }
      values[field.path] = translation.wire;
      written[field.attribute] = value;
    }
    if (entity.kind === 'organization') {
      const nameKey = agreedNameKey(agreed);
      const holder = nameKey === undefined ? undefined : nameTakenBy(directory, nameKey, entity.id);
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
    const update = zendeskUpdateOf(writes);
    const zendeskRef = zendeskMember.record.ref;
    const seen = currentValueOf(
      currentOf[members.indexOf(zendeskMember)],
      memberFields(zendeskRef.system, zendeskRef.type),
      'name',
    );
    const name =
      update?.attributes.name !== undefined ? update.attributes.name : seen?.kind === 'value' ? seen.value : null;
    nameClaim = zendeskMember.record.deleted ? null : (organizationNameKey(name) ?? null);
  }

  const nextHolds: Record<string, string> = {};
  const newHolds: Hold[] = [];
  for (const hold of holds) {
    const key = holdKey(hold.member, hold.attribute, hold.reason);
    nextHolds[key] = hold.message;
    if (entity.holds[key] !== hold.message) newHolds.push(hold);
  }

  // What the values point at, now and as agreed: deduplicated and sorted, so equal plans compare equal.
  const references: string[] = [];
  if (referenceAttributes.length > 0) {
    for (let memberIndex = 0; memberIndex < members.length; memberIndex++) {
      const current = currentOf[memberIndex];
      if (current === undefined) continue;
      const ref = (members[memberIndex] as MemberSnapshot).record.ref;
      const fields = memberFields(ref.system, ref.type);
      for (let fieldIndex = 0; fieldIndex < fields.length; fieldIndex++) {
        const extracted = current[fieldIndex];
        if (extracted === undefined || extracted.kind !== 'value' || extracted.value === null) continue;
        const attribute = (fields[fieldIndex] as MemberField).attribute;
        if (referenceAttributes.includes(attribute) && !references.includes(extracted.value))
          references.push(extracted.value);
      }
    }
    for (const attribute of referenceAttributes) {
      const value = agreed.get(attribute);
      if (value !== undefined && value !== null && !references.includes(value)) references.push(value);
    }
    references.sort();
  }

  return {
    entityId: entity.id,
    kind: entity.kind,
    base,
    known,
    holds: nextHolds,
    nameClaim,
    keepDirty,
    references,
    writes,
    decisions,
    conflicts,
    waits,
    newHolds,
    activeHolds: holds,
  };
}
