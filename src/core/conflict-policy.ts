/**
 * Who wins when both systems changed the same attribute to different values between two cycles.
 *
 * Default: the later modification wins; SuperOffice wins a tie.
 *
 * When a value was modified (see `editTimeOf`):
 * - a record the system reports with a modification time was modified then;
 * - a record the system reports without one (SuperOffice users have none) counts as modified when
 *   Tandem first saw its current content: our own detection order, the best clock we have for it;
 * - a record whose value changed while its modification time did not move past the one it
 *   reported when we last saw the old value (SuperOffice keeps a person's Updated date when only an
 *   e-mail or phone changes) was edited at a time the system did not record. All we know is that
 *   the edit came after we saw the old value and before we saw the new one, so it counts as
 *   modified when Tandem first saw the new value ("detected"), like a record without a time.
 *   Dating it by the unmoved time would make every such edit look older than it is and lose every
 *   conflict. What stays out of reach: an edit made after an unrelated change moved the time, but
 *   before Tandem re-read the record, is dated by that unrelated change.
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

export interface ModificationEvidence {
  /** The record's modification time as the system reports it now; null when it reports none. */
  readonly modifiedAt: string | null;
  /**
   * The modification time the record reported when we last saw the attribute's previous value;
   * undefined when we did not keep it (a record we created, or state from an older version).
   */
  readonly modifiedAtBefore: string | null | undefined;
  /** When Tandem first saw the record's current content (our clock). */
  readonly seenAt: string;
  /** Whether the attribute's value differs from the one we last saw in or wrote to the record. */
  readonly valueChanged: boolean;
}

/** When an attribute's current value was set, for the latest-wins rule (see the module comment). */
export function editTimeOf(evidence: ModificationEvidence): string {
  const { modifiedAt, modifiedAtBefore, seenAt } = evidence;
  if (modifiedAt === null) return seenAt;
  if (!evidence.valueChanged || modifiedAtBefore === undefined || modifiedAtBefore === null) return modifiedAt;
  const now = Date.parse(modifiedAt);
  const before = Date.parse(modifiedAtBefore);
  if (Number.isNaN(now) || Number.isNaN(before)) return modifiedAt === modifiedAtBefore ? seenAt : modifiedAt;
  return now > before ? modifiedAt : seenAt;
}
