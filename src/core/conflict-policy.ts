/**
 * Who wins when both systems changed the same attribute to different values between two cycles.
 *
 * Default: the later modification wins; SuperOffice wins a tie. A record the system reports
 * without a modification time (SuperOffice users have none) counts as modified when Tandem first
 * saw its current content: our own detection order, the best clock we have for it.
 */
import type { EntityKind } from '../spec/flows.js';
import type { SystemName } from './model.js';

export type ConflictRule = 'latest-wins' | 'superoffice-wins' | 'zendesk-wins';

export interface ConflictPolicy {
  readonly default: ConflictRule;
  /** Per attribute, keyed `kind.attribute`, e.g. `person.phone`. */
  readonly attributes?: Readonly<Partial<Record<`${EntityKind}.${string}`, ConflictRule>>>;
}

export const defaultConflictPolicy: ConflictPolicy = { default: 'latest-wins' };

export function conflictRuleFor(policy: ConflictPolicy, kind: EntityKind, attribute: string): ConflictRule {
  return policy.attributes?.[`${kind}.${attribute}`] ?? policy.default;
}

export interface ConflictCandidate {
  readonly system: SystemName;
  /** ISO-8601 UTC; null when neither the system nor we know when it changed. */
  readonly changedAt: string | null;
}

function systemRank(system: SystemName): number {
  return system === 'superoffice' ? 0 : 1;
}

function timeOf(candidate: ConflictCandidate): number {
  if (candidate.changedAt === null) return Number.NEGATIVE_INFINITY;
  const millis = Date.parse(candidate.changedAt);
  return Number.isNaN(millis) ? Number.NEGATIVE_INFINITY : millis;
}

/**
 * The index of the winning candidate. Deterministic for equal inputs: after the rule, SuperOffice
 * beats Zendesk, then the earlier candidate in the list wins.
 */
export function pickWinner(rule: ConflictRule, candidates: readonly ConflictCandidate[]): number {
  let best = 0;
  for (let index = 1; index < candidates.length; index++) {
    if (compare(rule, candidates[index] as ConflictCandidate, candidates[best] as ConflictCandidate) < 0) best = index;
  }
  return best;
}

/** Negative when `left` beats `right`. */
function compare(rule: ConflictRule, left: ConflictCandidate, right: ConflictCandidate): number {
  if (rule === 'superoffice-wins' || rule === 'zendesk-wins') {
    const preferred: SystemName = rule === 'superoffice-wins' ? 'superoffice' : 'zendesk';
    const leftPreferred = left.system === preferred ? 0 : 1;
    const rightPreferred = right.system === preferred ? 0 : 1;
    if (leftPreferred !== rightPreferred) return leftPreferred - rightPreferred;
  }
  const byTime = timeOf(right) - timeOf(left);
  if (byTime !== 0 && !Number.isNaN(byTime)) return byTime;
  return systemRank(left.system) - systemRank(right.system);
}
