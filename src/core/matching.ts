/**
 * Matching: how a record that is not linked yet finds its global entity. Merge keys (from the
 * flows) only bootstrap a link; once linked, a record is never matched again, even when its
 * e-mail changes. Anything but exactly one candidate entity is reported, never guessed.
 */
import { type EntityKind, flowsForRecordType } from '../spec/flows.js';
import { type RecordRef, type RecordType, refKey, type SourceRecord } from './model.js';
import { emailMatchKey, organizationNameKey } from './transforms.js';

/**
 * The merge keys a record offers, as `kind|canonical value`. A SuperOffice person offers every
 * e-mail it has (it joins on any of them); empty values offer nothing.
 */
export function matchKeysOf(record: SourceRecord): readonly string[] {
  const keys = new Set<string>();
  for (const flow of flowsForRecordType(record.ref.system, record.ref.type)) {
    for (const mergeKey of flow.mergeKeys) {
      const path = record.ref.system === 'superoffice' ? mergeKey.superoffice : mergeKey.zendesk;
      const values = record.alternates?.[path] ?? [record.values[path]];
      for (const value of values) {
        const key = emailMatchKey(value ?? undefined);
        if (key !== undefined) keys.add(`${flow.kind}|${key}`);
      }
    }
  }
  return [...keys];
}

/** The SuperOffice record a Zendesk record was created from, when its external id names one. */
export function originOfExternalId(externalId: string | null | undefined): RecordRef | undefined {
  if (externalId === undefined || externalId === null) return undefined;
  const match = /^superoffice:(contact|person|user|ticket):(.+)$/.exec(externalId.trim());
  if (match === null) return undefined;
  return { system: 'superoffice', type: match[1] as RecordType, id: match[2] as string };
}

/** Another record holding one of the keys. */
export interface MatchCandidate {
  readonly ref: RecordRef;
  /** Its entity, or undefined when it is not linked (new in this batch, or itself ambiguous). */
  readonly entityId: string | undefined;
  readonly key: string;
}

export interface MatchLookups {
  /** The entity of the record named by the external id, when that record is linked. */
  readonly originEntity: string | undefined;
  /** Whether the entity already has a member of this system and type. */
  hasMemberOfType(entityId: string, ref: RecordRef): boolean;
}

export type MatchDecision =
  | {
      readonly kind: 'join';
      readonly entityId: string;
      readonly rule: 'merge-key' | 'external-id';
      readonly key?: string;
    }
  | { readonly kind: 'new'; readonly entityKind: EntityKind }
  | { readonly kind: 'ambiguous'; readonly message: string; readonly others: readonly string[] };

function keyValue(key: string): string {
  return key.slice(key.indexOf('|') + 1);
}

export function decideMatch(
  record: SourceRecord,
  entityKind: EntityKind,
  candidates: readonly MatchCandidate[],
  lookups: MatchLookups,
): MatchDecision {
  const self = refKey(record.ref);
  const origin = originOfExternalId(record.facts?.externalId);
  if (origin !== undefined && lookups.originEntity !== undefined) {
    if (lookups.hasMemberOfType(lookups.originEntity, record.ref)) {
      return {
        kind: 'ambiguous',
        message: `${self} carries the external id ${refKey(origin)}, whose entity already has a ${record.ref.system} ${record.ref.type}. Two records claim one origin: delete or clear the external id of the copy in ${record.ref.system}.`,
        others: [refKey(origin)],
      };
    }
    return { kind: 'join', entityId: lookups.originEntity, rule: 'external-id' };
  }

  const others = candidates.filter((candidate) => refKey(candidate.ref) !== self);
  const sameType = others.filter(
    (candidate) => candidate.ref.system === record.ref.system && candidate.ref.type === record.ref.type,
  );
  if (sameType.length > 0) {
    const names = [...new Set(sameType.map((candidate) => refKey(candidate.ref)))];
    const keys = [...new Set(sameType.map((candidate) => keyValue(candidate.key)))];
    return {
      kind: 'ambiguous',
      message: `${self} and ${names.join(', ')} share the e-mail ${keys.join(', ')}; Tandem links one ${record.ref.system} ${record.ref.type} per e-mail and does not guess. Give each a distinct e-mail in ${record.ref.system} (or remove the duplicate record).`,
      others: names,
    };
  }

  const entities = [
    ...new Set(others.flatMap((candidate) => (candidate.entityId === undefined ? [] : [candidate.entityId]))),
  ];
  if (entities.length > 1) {
    const names = [...new Set(others.map((candidate) => refKey(candidate.ref)))];
    return {
      kind: 'ambiguous',
      message: `${self} matches records of ${entities.length} different entities (${names.join(', ')}) by e-mail; Tandem does not guess which one it belongs to. Make its e-mails match only one of them.`,
      others: names,
    };
  }
  const [entityId] = entities;
  if (entityId !== undefined) {
    if (lookups.hasMemberOfType(entityId, record.ref)) {
      const names = [...new Set(others.map((candidate) => refKey(candidate.ref)))];
      return {
        kind: 'ambiguous',
        message: `${self} matches ${names.join(', ')} by e-mail, but that entity already has a ${record.ref.system} ${record.ref.type}. Give the records distinct e-mails.`,
        others: names,
      };
    }
    const key = others.find((candidate) => candidate.entityId === entityId)?.key;
    return key === undefined
      ? { kind: 'join', entityId, rule: 'merge-key' }
      : { kind: 'join', entityId, rule: 'merge-key', key: keyValue(key) };
  }
  return { kind: 'new', entityKind };
}

/**
 * The uniqueness keys a Zendesk organization holds (its name, case-insensitively), as
 * `organization-name|key`. Stored beside merge keys so a create never collides with a taken name.
 */
export function nameKeysOf(record: SourceRecord): readonly string[] {
  if (record.ref.system !== 'zendesk' || record.ref.type !== 'organization' || record.deleted) return [];
  const key = organizationNameKey(record.values.name ?? null);
  return key === undefined ? [] : [`organization-name|${key}`];
}
