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
import type { RecordRef, RecordType, SystemName } from './model.js';

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
      };
      byAttribute.set(mapping.attribute, field);
    }
  }
  return [...byAttribute.values()];
}

const fieldCache = new Map<string, readonly MemberField[]>();

/** The mapped fields of a record type, in flow order; empty for a type no flow syncs. */
export function memberFields(system: SystemName, type: RecordType): readonly MemberField[] {
  const key = `${system}:${type}`;
  let fields = fieldCache.get(key);
  if (fields === undefined) {
    fields = buildFields(system, type);
    fieldCache.set(key, fields);
  }
  return fields;
}

/** The entity kind a record type belongs to, or undefined when no flow syncs it. */
export function kindOfRecordType(system: SystemName, type: RecordType): EntityKind | undefined {
  return flows.find((flow) => (system === 'superoffice' ? flow.superofficeType : flow.zendeskType) === type)?.kind;
}

/** Every attribute of a kind, in a stable order. */
export function attributesOfKind(kind: EntityKind): readonly string[] {
  const attributes: string[] = [];
  for (const flow of flows) {
    if (flow.kind !== kind) continue;
    for (const mapping of flow.properties)
      if (!attributes.includes(mapping.attribute)) attributes.push(mapping.attribute);
  }
  return attributes;
}

/** The record types whose records join entities of a kind, SuperOffice first. */
export function memberTypesOfKind(kind: EntityKind): readonly MemberType[] {
  const types: MemberType[] = [];
  const add = (system: SystemName, type: RecordType): void => {
    if (!types.some((known) => known.system === system && known.type === type)) types.push({ system, type });
  };
  for (const flow of flows) if (flow.kind === kind) add('superoffice', flow.superofficeType);
  for (const flow of flows) if (flow.kind === kind) add('zendesk', flow.zendeskType);
  return types;
}

/** The record types the engine reads, in dependency order (organizations, people, tickets). */
export function syncedRecordTypes(): readonly MemberType[] {
  return (['organization', 'person', 'ticket'] as const).flatMap((kind) => memberTypesOfKind(kind));
}

export function sameRef(left: RecordRef, right: RecordRef): boolean {
  return left.system === right.system && left.type === right.type && left.id === right.id;
}
