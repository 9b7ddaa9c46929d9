/**
 * Global entities as the core sees them: a kind, members (records in either system), the base
 * (the last agreed canonical value of each attribute, with where it came from) and what we last
 * saw in or wrote to each member.
 */
import type { EntityKind } from '../spec/flows.js';
import type { RecordRef, RecordType, SourceRecord, SystemName } from './model.js';
import type { CanonicalValue } from './transforms.js';

/**
 * The key of `MemberSnapshot.known` that keeps the member's modification time as last seen, so an
 * edit that did not move it can be told apart (see conflict-policy.ts). Attribute names are plain
 * words, so the `@` keeps it apart from them; it rides in `known` because the store keeps that map
 * per record as it is.
 */
export const modifiedAtKnownKey = '@modifiedAt';

/** Why an attribute holds its value. */
export type DecisionRule =
  | 'first-value' // the entity's first value for the attribute
  | 'agreed-on-link' // members linked with the same value
  | 'link-fills-empty' // a newly linked member brought a value where there was none
  | 'link-keeps-value' // a newly linked member had no value; the existing one is kept
  | 'single-edit' // one side changed it
  | 'same-edit' // both sides changed it to the same value
  | 'conflict-latest-wins'
  | 'conflict-superoffice-wins'
  | 'conflict-zendesk-wins';

export interface BaseValue {
  readonly value: CanonicalValue;
  /** The member the value came from, as `system:type:id`. */
  readonly source: string;
  readonly rule: DecisionRule;
  readonly cycleId: string;
  /** The modification time of the winning value (the system's, or when we first saw it). */
  readonly changedAt: string | null;
}

export interface MemberSnapshot {
  /** The member as last read (patched with our successful writes). */
  readonly record: SourceRecord;
  /**
   * Per attribute, the canonical value we last saw in or wrote to this member; under
   * `modifiedAtKnownKey`, the modification time the member reported when the planner last saw it.
   */
  readonly known: Readonly<Record<string, CanonicalValue>>;
  /** When we first saw the record's current content (stands in for a missing modification time). */
  readonly seenAt: string;
}

export interface EntitySnapshot {
  readonly id: string;
  readonly kind: EntityKind;
  readonly base: Readonly<Record<string, BaseValue>>;
  readonly members: readonly MemberSnapshot[];
  /** A person that is the Person of a synced SuperOffice ticket: it gets a Zendesk user. */
  readonly wanted: boolean;
  /**
   * Marked for planning when loaded: something it depends on changed since its last plan. The
   * planner does not read it; the store clears only marks that were there.
   */
  readonly dirty: boolean;
  /** Reasons already recorded for values left as they are, keyed by `system:type|attribute`, so each is recorded once. */
  readonly holds: Readonly<Record<string, string>>;
  /** Organizations: the name key this entity holds (or is creating) in Zendesk, where names are unique. */
  readonly nameClaim: string | null;
  /** What the entity waited for after its last plan (messages), to record a wait once. */
  readonly waits: readonly string[];
}

/** What the planner needs to know about the members of other entities (references point at them). */
export interface MemberSummary {
  readonly ref: RecordRef;
  readonly deleted: boolean;
  /** Zendesk users: may be a ticket assignee. */
  readonly isAgent: boolean | undefined;
}

/** The summary of a member record, as the store would list it. */
export function memberSummaryOf(record: SourceRecord): MemberSummary {
  return { ref: record.ref, deleted: record.deleted, isAgent: record.facts?.isAgent };
}

/**
 * Read-only lookups the engine fills from the store before planning a batch. Pure functions may
 * call them; they never do I/O.
 */
export interface EntityDirectory {
  /** The entity a record belongs to, or undefined when the record is unknown or not linked. */
  entityOf(ref: RecordRef): string | undefined;
  /** The members of an entity, or undefined when the entity was not loaded. */
  membersOf(entityId: string): readonly MemberSummary[] | undefined;
  /** The organization entity that holds a name key in Zendesk, if any. */
  nameHolder(nameKey: string): string | undefined;
  /** Why a record is not linked (an ambiguity), for messages about what a write waits for. */
  unlinkedReason(ref: RecordRef): string | undefined;
  /**
   * Why an entity gets no Zendesk record until someone acts (its create is held: a duplicate or
   * missing organization name; see `heldCreateOf`), or undefined when it has one or may still get
   * one. A reference to such an entity is written empty instead of waiting for good. Optional: a
   * directory without it makes every such reference wait.
   */
  heldCreate?(entityId: string): string | undefined;
  /**
   * Whether this cycle read the record type in full (its read did not fail). A record of such a
   * type that is still unknown is one Tandem does not read (a system or retired associate, say),
   * not one that is merely late. Optional: without it, such a reference waits.
   */
  typeRead?(system: SystemName, type: RecordType): boolean;
}
