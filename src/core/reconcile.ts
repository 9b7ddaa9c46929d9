/**
 * Three-way reconciliation of one attribute of one global entity against its base.
 *
 * A member *edited* the attribute when its current value differs both from what we last saw in or
 * wrote to it and from the base. Comparing with the base as well makes the echo of a write we sent
 * (but whose result a crash kept us from recording) an agreement instead of an edit.
 * A member seen for the first time (just linked) *joins* with its value: it is not an edit, and a
 * difference with the base is settled by the policy, except that an empty value never erases one.
 */
import type { EntityKind } from '../spec/flows.js';
import { type ConflictPolicy, type ConflictRule, conflictRuleFor, pickWinner } from './conflict-policy.js';
import type { BaseValue, DecisionRule } from './entity.js';
import type { SystemName } from './model.js';
import type { CanonicalValue } from './transforms.js';

export interface AttributeObservation {
  /** The member as `system:type:id`. */
  readonly member: string;
  readonly system: SystemName;
  readonly current: CanonicalValue;
  /** What we last saw in or wrote to this member; undefined when it was never seen (just linked). */
  readonly known: CanonicalValue | undefined;
  /** When the member's current content was modified (the system's time, or when we first saw it). */
  readonly changedAt: string | null;
}

export interface ConflictCandidateValue {
  readonly member: string;
  readonly system: SystemName;
  readonly value: CanonicalValue;
  readonly changedAt: string | null;
}

export interface AttributeConflict {
  readonly attribute: string;
  readonly candidates: readonly ConflictCandidateValue[];
  readonly winner: ConflictCandidateValue;
  readonly rule: ConflictRule;
  /** True when the values met on linking rather than by edits on both sides. */
  readonly onLink: boolean;
}

export interface AttributeOutcome {
  /** The agreed value; undefined when no member maps the attribute and there is no base. */
  readonly value: CanonicalValue | undefined;
  /** The new base; the same object as before when nothing changed. */
  readonly base: BaseValue | undefined;
  /** True when the base got a new value or provenance this cycle. */
  readonly decided: boolean;
  readonly conflict?: AttributeConflict;
}

function conflictDecisionRule(rule: ConflictRule): DecisionRule {
  switch (rule) {
    case 'latest-wins':
      return 'conflict-latest-wins';
    case 'superoffice-wins':
      return 'conflict-superoffice-wins';
    case 'zendesk-wins':
      return 'conflict-zendesk-wins';
  }
}

function differsFromBase(value: CanonicalValue, base: BaseValue | undefined): boolean {
  return base === undefined || value !== base.value;
}

/** The member moved away from what we last saw in it, and from the base (an echo of the base is no edit). */
function isEdit(seen: AttributeObservation, base: BaseValue | undefined): boolean {
  return seen.known !== undefined && seen.current !== seen.known && differsFromBase(seen.current, base);
}

/** A member seen for the first time, bringing a value other than the base. */
function isJoiner(seen: AttributeObservation, base: BaseValue | undefined): boolean {
  return seen.known === undefined && differsFromBase(seen.current, base);
}

function hasValue(seen: AttributeObservation): boolean {
  return seen.current !== null;
}

function allSameValue(seen: readonly AttributeObservation[]): boolean {
  const first = (seen[0] as AttributeObservation).current;
  for (const other of seen) if (other.current !== first) return false;
  return true;
}

function latestChange(seen: readonly AttributeObservation[]): string | null {
  let best: string | null = null;
  for (const { changedAt } of seen) if (changedAt !== null && (best === null || changedAt > best)) best = changedAt;
  return best;
}

function systemOfSource(source: string): SystemName {
  return source.startsWith('zendesk:') ? 'zendesk' : 'superoffice';
}

function asCandidate(seen: AttributeObservation): ConflictCandidateValue {
  return { member: seen.member, system: seen.system, value: seen.current, changedAt: seen.changedAt };
}

function decidedOutcome(
  value: CanonicalValue,
  source: string,
  rule: DecisionRule,
  cycleId: string,
  changedAt: string | null,
): AttributeOutcome {
  const base: BaseValue = { value, source, rule, cycleId, changedAt };
  return { value, base, decided: true };
}

/** Different values met: the policy picks one, and the conflict is reported. */
function settle(
  kind: EntityKind,
  attribute: string,
  base: BaseValue | undefined,
  candidates: readonly ConflictCandidateValue[],
  onLink: boolean,
  policy: ConflictPolicy,
  cycleId: string,
): AttributeOutcome {
  const rule = conflictRuleFor(policy, kind, attribute);
  const winner = candidates[pickWinner(rule, candidates)] as ConflictCandidateValue;
  const unchanged = base !== undefined && winner.value === base.value && winner.member === base.source;
  const next: BaseValue | undefined = unchanged
    ? base
    : {
        value: winner.value,
        source: winner.member,
        rule: conflictDecisionRule(rule),
        cycleId,
        changedAt: winner.changedAt,
      };
  return {
    value: winner.value,
    base: next,
    decided: !unchanged,
    conflict: { attribute, candidates, winner, rule, onLink },
  };
}

function baseCandidate(base: BaseValue): ConflictCandidateValue {
  return { member: base.source, system: systemOfSource(base.source), value: base.value, changedAt: base.changedAt };
}

/**
 * Whether edits met a value agreed earlier in the same cycle that never reached their members: the
 * base was decided this cycle from another member, and the editing members had not been given it
 * (the write to them found them edited, so the entity was planned again within the cycle).
 */
function metPendingValue(
  edits: readonly AttributeObservation[],
  base: BaseValue | undefined,
  cycleId: string,
): base is BaseValue {
  if (base === undefined || base.cycleId !== cycleId) return false;
  for (const seen of edits) if (seen.member === base.source || seen.known === base.value) return false;
  return true;
}

export function reconcileAttribute(
  kind: EntityKind,
  attribute: string,
  base: BaseValue | undefined,
  observations: readonly AttributeObservation[],
  policy: ConflictPolicy,
  cycleId: string,
): AttributeOutcome {
  // Most attributes of most entities are quiet (no edit, nobody joined): that case allocates nothing.
  let edits: AttributeObservation[] | undefined;
  let joiners: AttributeObservation[] | undefined;
  for (const seen of observations) {
    if (isEdit(seen, base)) {
      edits ??= [];
      edits.push(seen);
    } else if (isJoiner(seen, base)) {
      joiners ??= [];
      joiners.push(seen);
    }
  }

  if (edits !== undefined) {
    if (allSameValue(edits)) {
      const first = edits[0] as AttributeObservation;
      if (metPendingValue(edits, base, cycleId)) {
        // The agreed value was decided earlier in this cycle and its write found this member edited
        // meanwhile (a conditional write's conflict): both are edits since the last agreement.
        return settle(kind, attribute, base, [baseCandidate(base), ...edits.map(asCandidate)], false, policy, cycleId);
      }
      const rule: DecisionRule = edits.length > 1 ? 'same-edit' : 'single-edit';
      return decidedOutcome(first.current, first.member, rule, cycleId, latestChange(edits));
    }
    return settle(kind, attribute, base, edits.map(asCandidate), false, policy, cycleId);
  }

  if (joiners !== undefined) {
    const valued = joiners.filter(hasValue);
    if (base === undefined) {
      if (valued.length === 0) {
        const first = joiners[0] as AttributeObservation;
        const rule: DecisionRule = joiners.length > 1 ? 'agreed-on-link' : 'first-value';
        return decidedOutcome(null, first.member, rule, cycleId, first.changedAt);
      }
      if (allSameValue(valued)) {
        const first = valued[0] as AttributeObservation;
        const rule: DecisionRule =
          joiners.length === 1
            ? 'first-value'
            : valued.length === joiners.length
              ? 'agreed-on-link'
              : 'link-fills-empty';
        return decidedOutcome(first.current, first.member, rule, cycleId, first.changedAt);
      }
      return settle(kind, attribute, base, valued.map(asCandidate), true, policy, cycleId);
    }
    if (valued.length === 0) {
      // Newly linked members without a value: the base stays and is written to them.
      return { value: base.value, base, decided: false };
    }
    if (base.value === null) {
      if (allSameValue(valued)) {
        const first = valued[0] as AttributeObservation;
        return decidedOutcome(first.current, first.member, 'link-fills-empty', cycleId, first.changedAt);
      }
      return settle(kind, attribute, base, valued.map(asCandidate), true, policy, cycleId);
    }
    return settle(kind, attribute, base, [baseCandidate(base), ...valued.map(asCandidate)], true, policy, cycleId);
  }

  return { value: base?.value, base, decided: false };
}
