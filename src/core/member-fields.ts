/**
 * How each record type maps its properties onto the canonical attributes of its entity kind,
 * derived from the flows in src/spec/flows.ts (nothing here restates the seed).
 */
import {
  type EntityKind,
  type FlowName,
  flowByName,
  flows,
  type TransformName,
  type WriteConstraint,
} from '../spec/flows.js';
import { type RecordRef, type RecordType, recordTypesBySystem, type SystemName } from './model.js';

export interface ReferenceTarget {
  /** The entity kind the value points at. */
  readonly kind: EntityKind;
  /** The record type a reference must name in each system (a ticket's requester is a SuperOffice user). */
  readonly memberType: Readonly<Record<SystemName, RecordType>>;
  readonly flow: FlowName;
}

export interface MemberField {
  readonly attribute: string;
  /** The property path the spec uses in this member's system. */
  readonly path: string;
  readonly transform: TransformName;
  readonly references?: ReferenceTarget;
  /** The value is computed by this system: it is read, never written. */
  readonly readOnly: boolean;
  /** This system accepts only some values (Zendesk assignees must be agents). */
  readonly constraint?: WriteConstraint;
  /** This system fills the value in itself when a create leaves it out (a Zendesk ticket's requester). */
  readonly defaultedOnCreate?: true;
}

export interface MemberType {
  readonly system: SystemName;
  readonly type: RecordType;
}

function referenceTarget(flow: FlowName): ReferenceTarget {
  const target = flowByName(flow);
  return {
    kind: target.kind,
    memberType: { superoffice: target.superofficeType, zendesk: target.zendeskType },
    flow,
  };
}

function buildFields(system: SystemName, type: RecordType): readonly MemberField[] {
  const byAttribute = new Map<string, MemberField>();
  for (const flow of flows) {
    if ((system === 'superoffice' ? flow.superofficeType : flow.zendeskType) !== type) continue;
    for (const mapping of flow.properties) {
      if (byAttribute.has(mapping.attribute)) continue; // a Zendesk user is in two flows with the same columns
      const field: MemberField = {
        attribute: mapping.attribute,
        path: system === 'superoffice' ? mapping.superoffice : mapping.zendesk,
        transform: mapping.transform,
        readOnly: mapping.readOnly === system,
        ...(mapping.references === undefined ? {} : { references: referenceTarget(mapping.references) }),
        ...(mapping.constraint?.system === system ? { constraint: mapping.constraint.rule } : {}),
        ...(mapping.defaultedOnCreate === system ? { defaultedOnCreate: true as const } : {}),
      };
      byAttribute.set(mapping.attribute, field);
    }
  }
  return [...byAttribute.values()];
}

function buildMemberTypesOfKind(kind: EntityKind): readonly MemberType[] {
  const types: MemberType[] = [];
  const add = (system: SystemName, type: RecordType): void => {
    if (!types.some((known) => known.system === system && known.type === type)) types.push({ system, type });
  };
  for (const flow of flows) if (flow.kind === kind) add('superoffice', flow.superofficeType);
  for (const flow of flows) if (flow.kind === kind) add('zendesk', flow.zendeskType);
  return types;
}

function buildAttributesOfKind(kind: EntityKind): readonly string[] {
  const attributes: string[] = [];
  for (const flow of flows) {
    if (flow.kind !== kind) continue;
    for (const mapping of flow.properties)
      if (!attributes.includes(mapping.attribute)) attributes.push(mapping.attribute);
  }
  return attributes;
}

interface TypeTable {
  readonly fields: readonly MemberField[];
  /** The attributes among `fields` that hold references to other entities, in field order. */
  readonly referenceAttributes: readonly string[];
  readonly kind: EntityKind | undefined;
}

interface KindTable {
  readonly attributes: readonly string[];
  readonly memberTypes: readonly MemberType[];
  readonly referenceAttributes: ReadonlySet<string>;
  /** The Zendesk record type entities of the kind are created as. */
  readonly zendeskType: RecordType;
}

// The flows are static data, so every lookup below is a table built once at module load: the
// planner asks for them per entity and member, hundreds of thousands of times a cycle.
const superofficeTypeTables = buildTypeTables('superoffice', recordTypesBySystem.superoffice);
const zendeskTypeTables = buildTypeTables('zendesk', recordTypesBySystem.zendesk);

/**
 * Maps and comparisons rather than `table[name]`: names read from the store are not interned
 * strings, and a property lookup by such a string costs a string-table search every time.
 */
function typeTablesOf(system: SystemName): ReadonlyMap<string, TypeTable> {
  return system === 'superoffice' ? superofficeTypeTables : zendeskTypeTables;
}

function buildTypeTables(system: SystemName, types: readonly RecordType[]): ReadonlyMap<string, TypeTable> {
  const tables = new Map<string, TypeTable>();
  for (const type of types) {
    const fields = buildFields(system, type);
    tables.set(type, {
      fields,
      referenceAttributes: fields.filter((field) => field.transform === 'reference').map((field) => field.attribute),
      kind: flows.find((flow) => (system === 'superoffice' ? flow.superofficeType : flow.zendeskType) === type)?.kind,
    });
  }
  return tables;
}

const kindTables: ReadonlyMap<EntityKind, KindTable> = new Map(
  (['organization', 'person', 'ticket'] as const).map((kind) => [kind, buildKindTable(kind)]),
);

function kindTableOf(kind: EntityKind): KindTable {
  return kindTables.get(kind) as KindTable; // every kind has a table
}

function buildKindTable(kind: EntityKind): KindTable {
  const memberTypes = buildMemberTypesOfKind(kind);
  const referenceAttributes = new Set<string>();
  for (const { system, type } of memberTypes)
    for (const attribute of typeTablesOf(system).get(type)?.referenceAttributes ?? [])
      referenceAttributes.add(attribute);
  const zendeskType = memberTypes.find((memberType) => memberType.system === 'zendesk')?.type;
  if (zendeskType === undefined) throw new Error(`no flow syncs ${kind} entities with a Zendesk record type`);
  return { attributes: buildAttributesOfKind(kind), memberTypes, referenceAttributes, zendeskType };
}

const allSyncedRecordTypes: readonly MemberType[] = (['organization', 'person', 'ticket'] as const).flatMap(
  (kind) => kindTableOf(kind).memberTypes,
);

const noFields: readonly MemberField[] = [];
const noAttributes: readonly string[] = [];

/** The mapped fields of a record type, in flow order; empty for a type no flow syncs. */
export function memberFields(system: SystemName, type: RecordType): readonly MemberField[] {
  return typeTablesOf(system).get(type)?.fields ?? noFields;
}

/** The attributes of a record type that hold references to other entities, in field order. */
export function referenceAttributesOf(system: SystemName, type: RecordType): readonly string[] {
  return typeTablesOf(system).get(type)?.referenceAttributes ?? noAttributes;
}

/** The entity kind a record type belongs to, or undefined when no flow syncs it. */
export function kindOfRecordType(system: SystemName, type: RecordType): EntityKind | undefined {
  return typeTablesOf(system).get(type)?.kind;
}

/** Every attribute of a kind, in a stable order. */
export function attributesOfKind(kind: EntityKind): readonly string[] {
  return kindTableOf(kind).attributes;
}

/** The record types whose records join entities of a kind, SuperOffice first. */
export function memberTypesOfKind(kind: EntityKind): readonly MemberType[] {
  return kindTableOf(kind).memberTypes;
}

/** The Zendesk record type of a kind (organization, user, ticket): the one Tandem creates. */
export function zendeskTypeOfKind(kind: EntityKind): RecordType {
  return kindTableOf(kind).zendeskType;
}

/** Whether any record type of the kind maps the attribute as a reference to another entity. */
export function isReferenceAttribute(kind: EntityKind, attribute: string): boolean {
  return kindTableOf(kind).referenceAttributes.has(attribute);
}

/** The record types the engine reads, in dependency order (organizations, people, tickets). */
export function syncedRecordTypes(): readonly MemberType[] {
  return allSyncedRecordTypes;
}

export function sameRef(left: RecordRef, right: RecordRef): boolean {
  return left.system === right.system && left.type === right.type && left.id === right.id;
}
