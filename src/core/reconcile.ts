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

function distinctValues(values: readonly CanonicalValue[]): CanonicalValue[] {
  return [...new Set(values)];
}

function latest(times: readonly (string | null)[]): string | null {
  let best: string | null = null;
  for (const time of times) if (time !== null && (best === null || time > best)) best = time;
  return best;
}

function systemOfSource(source: string): SystemName {
  return source.startsWith('zendesk:') ? 'zendesk' : 'superoffice';
}

export function reconcileAttribute(
  kind: EntityKind,
  attribute: string,
  base: BaseValue | undefined,
  observations: readonly AttributeObservation[],
  policy: ConflictPolicy,
  cycleId: string,
): AttributeOutcome {
  const differsFromBase = (value: CanonicalValue): boolean => base === undefined || value !== base.value;
  const edits = observations.filter(
    (seen) => seen.known !== undefined && seen.current !== seen.known && differsFromBase(seen.current),
  );
  const joiners = observations.filter((seen) => seen.known === undefined && differsFromBase(seen.current));

  const decide = (
    value: CanonicalValue,
    source: ConflictCandidateValue,
    rule: DecisionRule,
    changedAt: string | null,
  ) => {
    const next: BaseValue = { value, source: source.member, rule, cycleId, changedAt };
    return next;
  };
  const asCandidate = (seen: AttributeObservation): ConflictCandidateValue => ({
    member: seen.member,
    system: seen.system,
    value: seen.current,
    changedAt: seen.changedAt,
  });

  const settle = (candidates: readonly ConflictCandidateValue[], onLink: boolean): AttributeOutcome => {
    const rule = conflictRuleFor(policy, kind, attribute);
    const winner = candidates[pickWinner(rule, candidates)] as ConflictCandidateValue;
    const unchanged = base !== undefined && winner.value === base.value && winner.member === base.source;
    return {
      value: winner.value,
      base: unchanged ? base : decide(winner.value, winner, conflictDecisionRule(rule), winner.changedAt),
      decided: !unchanged,
      conflict: { attribute, candidates, winner, rule, onLink },
    };
  };

  if (edits.length > 0) {
    const values = distinctValues(edits.map((edit) => edit.current));
    if (values.length === 1) {
      const first = edits[0] as AttributeObservation;
      const rule: DecisionRule = edits.length > 1 ? 'same-edit' : 'single-edit';
      const changedAt = latest(edits.map((edit) => edit.changedAt));
      return { value: first.current, base: decide(first.current, asCandidate(first), rule, changedAt), decided: true };
    }
    return settle(edits.map(asCandidate), false);
  }

  if (joiners.length > 0) {
    const valued = joiners.filter((joiner) => joiner.current !== null);
    if (base === undefined) {
      if (valued.length === 0) {
        const first = joiners[0] as AttributeObservation;
        const rule: DecisionRule = joiners.length > 1 ? 'agreed-on-link' : 'first-value';
        return { value: null, base: decide(null, asCandidate(first), rule, first.changedAt), decided: true };
      }
      const values = distinctValues(valued.map((joiner) => joiner.current));
      if (values.length === 1) {
        const first = valued[0] as AttributeObservation;
        const rule: DecisionRule =
          joiners.length === 1
            ? 'first-value'
            : valued.length === joiners.length
              ? 'agreed-on-link'
              : 'link-fills-empty';
        return {
          value: first.current,
          base: decide(first.current, asCandidate(first), rule, first.changedAt),
          decided: true,
        };
      }
      return settle(valued.map(asCandidate), true);
    }
    if (valued.length === 0) {
      // Newly linked members without a value: the base stays and is written to them.
      return { value: base.value, base, decided: false };
    }
    if (base.value === null) {
      const values = distinctValues(valued.map((joiner) => joiner.current));
      if (values.length === 1) {
        const first = valued[0] as AttributeObservation;
        return {
          value: first.current,
          base: decide(first.current, asCandidate(first), 'link-fills-empty', first.changedAt),
          decided: true,
        };
      }
      return settle(valued.map(asCandidate), true);
    }
    const baseCandidate: ConflictCandidateValue = {
      member: base.source,
      system: systemOfSource(base.source),
      value: base.value,
      changedAt: base.changedAt,
    };
    return settle([baseCandidate, ...valued.map(asCandidate)], true);
  }

  return { value: base?.value, base, decided: false };
}
