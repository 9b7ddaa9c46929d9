import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConflictPolicy } from '../../src/core/conflict-policy.js';
import type { BaseValue } from '../../src/core/entity.js';
import { type AttributeObservation, reconcileAttribute } from '../../src/core/reconcile.js';

const base = (value: string | null, source = 'superoffice:contact:1'): BaseValue => ({
  value,
  source,
  rule: 'first-value',
  cycleId: 'c0',
  changedAt: '2024-03-26T08:00:00Z',
});

const seen = (
  member: string,
  current: string | null,
  known: string | null | undefined,
  changedAt = '2024-03-26T09:00:00Z',
): AttributeObservation => ({
  member,
  system: member.startsWith('zendesk') ? 'zendesk' : 'superoffice',
  current,
  known,
  changedAt,
});

const reconcile = (previous: BaseValue | undefined, observations: AttributeObservation[]) =>
  reconcileAttribute('organization', 'name', previous, observations, defaultConflictPolicy, 'c1');

describe('three-way reconciliation of one attribute', () => {
  it('changes nothing when no member differs from the base', () => {
    const outcome = reconcile(base('A'), [
      seen('superoffice:contact:1', 'A', 'A'),
      seen('zendesk:organization:9', 'A', 'A'),
    ]);
    expect(outcome).toMatchObject({ value: 'A', decided: false });
    expect(outcome.conflict).toBeUndefined();
  });

  it('lets the one side that changed win', () => {
    const outcome = reconcile(base('A'), [
      seen('superoffice:contact:1', 'A', 'A'),
      seen('zendesk:organization:9', 'B', 'A'),
    ]);
    expect(outcome).toMatchObject({
      value: 'B',
      decided: true,
      base: { rule: 'single-edit', source: 'zendesk:organization:9' },
    });
  });

  it('agrees without a conflict when both sides changed to the same value', () => {
    const outcome = reconcile(base('A'), [
      seen('superoffice:contact:1', 'B', 'A'),
      seen('zendesk:organization:9', 'B', 'A'),
    ]);
    expect(outcome).toMatchObject({ value: 'B', base: { rule: 'same-edit' } });
    expect(outcome.conflict).toBeUndefined();
  });

  it('decides different edits on both sides by the later modification and records both values', () => {
    const outcome = reconcile(base('A'), [
      seen('superoffice:contact:1', 'S', 'A', '2024-03-26T09:00:00Z'),
      seen('zendesk:organization:9', 'Z', 'A', '2024-03-26T09:00:01Z'),
    ]);
    expect(outcome.value).toBe('Z');
    expect(outcome.conflict?.candidates.map((candidate) => candidate.value)).toEqual(['S', 'Z']);
  });

  it('lets SuperOffice win a conflict on equal modification times', () => {
    const outcome = reconcile(base('A'), [
      seen('zendesk:organization:9', 'Z', 'A'),
      seen('superoffice:contact:1', 'S', 'A'),
    ]);
    expect(outcome.value).toBe('S');
  });

  it('takes the echo of a write (current equals the base) for agreement, not an edit', () => {
    const outcome = reconcile(base('B'), [
      seen('superoffice:contact:1', 'B', 'B'),
      seen('zendesk:organization:9', 'B', 'A'),
    ]);
    expect(outcome).toMatchObject({ value: 'B', decided: false });
  });

  it('never lets a newly linked empty value erase an existing one', () => {
    const outcome = reconcile(base('A'), [
      seen('superoffice:contact:1', 'A', 'A'),
      seen('zendesk:organization:9', null, undefined),
    ]);
    expect(outcome).toMatchObject({ value: 'A', decided: false });
  });

  it('is idempotent: reconciling the result again decides nothing', () => {
    const value = fc.constantFrom('A', 'B', 'C', null);
    fc.assert(
      fc.property(
        value,
        value,
        value,
        fc.option(value, { nil: undefined }),
        fc.boolean(),
        (start, left, right, zendeskKnown, tie) => {
          const first = reconcile(base(start), [
            seen('superoffice:contact:1', left, start),
            seen('zendesk:organization:9', right, zendeskKnown, tie ? '2024-03-26T09:00:00Z' : '2024-03-26T09:30:00Z'),
          ]);
          const agreed = first.value ?? null;
          const second = reconcileAttribute(
            'organization',
            'name',
            first.base,
            [seen('superoffice:contact:1', agreed, agreed), seen('zendesk:organization:9', agreed, agreed)],
            defaultConflictPolicy,
            'c2',
          );
          expect(second.decided).toBe(false);
          expect(second.value).toBe(agreed);
        },
      ),
      { numRuns: 1000, seed: 5 },
    );
  });
});

describe('an edit that met a value agreed earlier in the same cycle (a write conflict)', () => {
  // The base was decided in cycle c1 from SuperOffice; its write to Zendesk found Zendesk edited.
  const decidedThisCycle: BaseValue = { ...base('SO edit'), cycleId: 'c1', changedAt: '2024-03-26T09:00:00Z' };

  it('is a conflict the policy settles, not a later single edit', () => {
    const outcome = reconcile(decidedThisCycle, [
      seen('superoffice:contact:1', 'SO edit', 'SO edit'),
      seen('zendesk:organization:9', 'ZD edit', 'Before', '2024-03-26T09:00:05Z'),
    ]);
    expect(outcome.conflict).toMatchObject({ rule: 'latest-wins', winner: { value: 'ZD edit' } });
    expect(outcome.conflict?.candidates.map((candidate) => candidate.value).sort()).toEqual(['SO edit', 'ZD edit']);
    const superofficeWins = reconcileAttribute(
      'organization',
      'name',
      decidedThisCycle,
      [seen('superoffice:contact:1', 'SO edit', 'SO edit'), seen('zendesk:organization:9', 'ZD edit', 'Before')],
      { default: 'superoffice-wins' },
      'c1',
    );
    expect(superofficeWins.value).toBe('SO edit');
  });

  it('is a single edit when the agreed value came from an earlier cycle, or had reached the member', () => {
    expect(reconcile(base('SO edit'), [seen('zendesk:organization:9', 'ZD edit', 'SO edit')]).conflict).toBeUndefined();
    expect(
      reconcile(decidedThisCycle, [seen('zendesk:organization:9', 'ZD edit', 'SO edit')]).conflict,
    ).toBeUndefined();
  });
});
