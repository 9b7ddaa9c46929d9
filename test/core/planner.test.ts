import { describe, expect, it } from 'vitest';
import { defaultConflictPolicy } from '../../src/core/conflict-policy.js';
import {
  type EntityDirectory,
  type EntitySnapshot,
  type MemberSnapshot,
  type MemberSummary,
  modifiedAtKnownKey,
} from '../../src/core/entity.js';
import type { PropertyValues, RecordRef } from '../../src/core/model.js';
import {
  heldCreateOf,
  holdReasonOf,
  type PlannedCreate,
  type PlannedUpdate,
  planEntity,
} from '../../src/core/planner.js';

const t0 = '2024-03-26T08:00:00.000Z';
const heldMessage = 'Zendesk organization names are unique and "acme" is already organization org-1';

function member(ref: RecordRef, values: PropertyValues, known: Record<string, string | null> = {}): MemberSnapshot {
  return { record: { ref, values, modifiedAt: t0, deleted: false }, known, seenAt: t0 };
}

function entity(fields: Partial<EntitySnapshot> & Pick<EntitySnapshot, 'id' | 'kind' | 'members'>): EntitySnapshot {
  return { base: {}, wanted: false, dirty: true, holds: {}, nameClaim: null, waits: [], ...fields };
}

const contactRef = (id: string): RecordRef => ({ system: 'superoffice', type: 'contact', id });

/** Contact 2 is organization `org-2`, which has no Zendesk organization; contact 3 is `org-3`, which has organization 30. */
function directory(options: { held: boolean }): EntityDirectory {
  const entities = new Map([
    ['superoffice:contact:2', 'org-2'],
    ['superoffice:contact:3', 'org-3'],
    ['zendesk:organization:30', 'org-3'],
  ]);
  const members = new Map<string, MemberSummary[]>([
    ['org-2', [{ ref: contactRef('2'), deleted: false, isAgent: undefined }]],
    [
      'org-3',
      [
        { ref: contactRef('3'), deleted: false, isAgent: undefined },
        { ref: { system: 'zendesk', type: 'organization', id: '30' }, deleted: false, isAgent: undefined },
      ],
    ],
  ]);
  return {
    entityOf: (ref) => entities.get(`${ref.system}:${ref.type}:${ref.id}`),
    membersOf: (entityId) => members.get(entityId),
    nameHolder: () => undefined,
    unlinkedReason: () => undefined,
    ...(options.held ? { heldCreate: (entityId: string) => (entityId === 'org-2' ? heldMessage : undefined) } : {}),
  };
}

const context = (held: boolean) => ({ cycleId: 'c1', policy: defaultConflictPolicy, directory: directory({ held }) });

function wantedPerson(): EntitySnapshot {
  return entity({
    id: 'person-1',
    kind: 'person',
    wanted: true,
    members: [
      member(
        { system: 'superoffice', type: 'person', id: '7' },
        { 'Contact.ContactId': '2', 'Emails.Value': 'kari@x.example', 'PrivatePhones.Value': null },
      ),
    ],
  });
}

describe('planning a reference to an entity whose Zendesk record is held for good', () => {
  it('creates the Zendesk user without organization and records why, instead of waiting for good', () => {
    const plan = planEntity(wantedPerson(), context(true));
    expect(plan.waits).toEqual([]);
    expect(plan.keepDirty).toBe(false);
    const create = plan.writes[0] as PlannedCreate;
    expect(plan.writes).toHaveLength(1);
    expect(create).toMatchObject({ kind: 'create', values: { email: 'kari@x.example' } });
    expect(create.values).not.toHaveProperty('organization_id');
    expect(plan.newHolds).toEqual([
      expect.objectContaining({ reason: 'held-reference', attribute: 'organization', member: 'zendesk:user:' }),
    ]);
    expect(plan.newHolds[0]?.message).toContain(heldMessage);
    expect(plan.references).toContain('org-2'); // so the person is planned again once the organization exists
  });

  it('still waits for a referenced organization that is merely not created yet', () => {
    const plan = planEntity(wantedPerson(), context(false));
    expect(plan.writes).toEqual([]);
    expect(plan.keepDirty).toBe(true);
    expect(plan.waits).toEqual([
      expect.objectContaining({ target: 'zendesk:user:', waitsFor: 'org-2', attribute: undefined }),
    ]);
  });

  it('empties the organization of an existing Zendesk user whose person moved to a contact held for good', () => {
    const person = entity({
      id: 'person-1',
      kind: 'person',
      base: {
        organization: {
          value: 'org-3',
          source: 'superoffice:person:7',
          rule: 'first-value',
          cycleId: 'c0',
          changedAt: t0,
        },
      },
      members: [
        member(
          { system: 'superoffice', type: 'person', id: '7' },
          { 'Contact.ContactId': '2', 'Emails.Value': 'kari@x.example', 'PrivatePhones.Value': null },
          { organization: 'org-3', email: 'kari@x.example', phone: null },
        ),
        member(
          { system: 'zendesk', type: 'user', id: '70' },
          { organization_id: '30', email: 'kari@x.example', phone: null },
          { organization: 'org-3', email: 'kari@x.example', phone: null },
        ),
      ],
    });
    const plan = planEntity(person, context(true));
    expect(plan.writes).toEqual([
      expect.objectContaining({
        kind: 'update',
        target: { system: 'zendesk', type: 'user', id: '70' },
        values: { organization_id: null },
      }),
    ]);
    expect((plan.writes[0] as PlannedUpdate).attributes).toEqual({ organization: null });
    expect(plan.base.organization?.value).toBe('org-2');
    expect(plan.activeHolds).toEqual([
      expect.objectContaining({ reason: 'held-reference', member: 'zendesk:user:70' }),
    ]);
  });
});

describe('which entities are held for good', () => {
  const contact = member(contactRef('2'), { Name: 'ACME' });

  it('names an organization whose create is held for its name', () => {
    const organization = entity({
      id: 'org-2',
      kind: 'organization',
      members: [contact],
      holds: { 'zendesk:organization|name': heldMessage },
    });
    expect(heldCreateOf(organization)).toBe(heldMessage);
  });

  it('does not name an organization that has its Zendesk record, or whose create only waits', () => {
    const linked = entity({
      id: 'org-2',
      kind: 'organization',
      members: [contact, member({ system: 'zendesk', type: 'organization', id: '20' }, { name: 'Acme 2' })],
      holds: { 'zendesk:organization|name': heldMessage },
    });
    expect(heldCreateOf(linked)).toBeUndefined();
    expect(heldCreateOf(entity({ id: 'org-2', kind: 'organization', members: [contact] }))).toBeUndefined();
  });
});

describe('what the planner keeps of a member', () => {
  it('keeps the modification time it saw with the known values', () => {
    const plan = planEntity(wantedPerson(), context(true));
    expect(plan.known['superoffice:person:7']?.[modifiedAtKnownKey]).toBe(t0);
  });
});

describe('a ticket create and the requester Zendesk would otherwise choose (issue 12 item 4)', () => {
  const ticket = () =>
    entity({
      id: 'ticket-1',
      kind: 'ticket',
      members: [
        member(
          { system: 'superoffice', type: 'ticket', id: '5' },
          { Title: 'Printer on fire', 'OwnedBy.AssociateId': '9', 'Person.PersonId': null },
        ),
      ],
    });
  const lookups = (fields: Partial<EntityDirectory>): EntityDirectory => ({
    entityOf: () => undefined,
    membersOf: () => undefined,
    nameHolder: () => undefined,
    unlinkedReason: () => undefined,
    ...fields,
  });
  const plan = (directory: EntityDirectory) =>
    planEntity(ticket(), { cycleId: 'c1', policy: defaultConflictPolicy, directory });

  it('waits for an owner whose user was not read this cycle, and creates nothing meanwhile', () => {
    const result = plan(lookups({ typeRead: () => false }));
    expect(result.writes).toEqual([]);
    expect(result.keepDirty).toBe(true);
    expect(result.waits.map((wait) => wait.waitsFor)).toEqual(['superoffice:user:9']);
    expect(result.activeHolds).toEqual([]);
  });

  it('holds the create, saying why, when the owner is not among the users read (it cannot resolve by waiting)', () => {
    const result = plan(lookups({ typeRead: () => true }));
    expect(result.writes).toEqual([]);
    expect(result.keepDirty).toBe(true);
    expect(result.waits).toEqual([]);
    expect(result.activeHolds).toEqual([
      expect.objectContaining({ reason: 'unknown-reference', member: 'zendesk:ticket:', attribute: 'requester' }),
    ]);
    expect(Object.keys(result.holds).map(holdReasonOf)).toEqual(['unknown-reference']);
  });

  it('holds the create when the owner is ambiguous', () => {
    const result = plan(lookups({ typeRead: () => true, unlinkedReason: () => 'two users share the e-mail' }));
    expect(result.writes).toEqual([]);
    expect(result.activeHolds[0]?.message).toMatch(
      /cannot be linked until someone acts \(two users share the e-mail\)/,
    );
  });
});
