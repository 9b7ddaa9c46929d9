/**
 * The StateStore contract, run against every implementation (SQLite and PostgreSQL): the
 * behaviour src/store/state-store.ts promises, method by method.
 */
import { describe, expect, it } from 'vitest';
import type { BaseValue } from '../../src/core/entity.js';
import type { RecordRef, SourceRecord } from '../../src/core/model.js';
import { prepareRelink, prepareUnlink, retryWrites } from '../../src/engine/record-actions.js';
import { collectStatus } from '../../src/engine/status.js';
import type { EntityKind } from '../../src/spec/flows.js';
import type { MatchChange, OutboxInsert, PlanCommit, StateStore } from '../../src/store/state-store.js';
import { outboxKeyOfCreate, outboxKeyOfUpdate } from '../../src/store/state-store.js';
import { buildAttentionWorld } from '../engine/attention-world.js';
import { counterIds } from '../engine/fake-system.js';
import { openHarness } from '../engine/harness.js';

export interface StoreFactory {
  /** A fresh, migrated, empty store. */
  open(): Promise<StateStore>;
  /** The same database opened again (migrations must be idempotent). */
  reopen?(): Promise<StateStore>;
}

const at = '2024-03-26T08:00:00.000Z';

function contact(id: string, name: string, modifiedAt: string | null = at): SourceRecord {
  return { ref: { system: 'superoffice', type: 'contact', id }, values: { Name: name }, modifiedAt, deleted: false };
}

function person(id: string, emails: string[], deleted = false): SourceRecord {
  return {
    ref: { system: 'superoffice', type: 'person', id },
    values: { 'Contact.ContactId': null, 'Emails.Value': emails[0] ?? null, 'PrivatePhones.Value': null },
    alternates: { 'Emails.Value': emails },
    modifiedAt: at,
    deleted,
  };
}

function base(value: string | null): BaseValue {
  return { value, source: 'superoffice:contact:1', rule: 'first-value', cycleId: 'c1', changedAt: at };
}

function plan(entityId: string, writes: OutboxInsert[], extra: Partial<PlanCommit> = {}): PlanCommit {
  return {
    entityId,
    entityChanged: true,
    base: { name: base('Acme') },
    known: {},
    holds: {},
    waits: [],
    nameClaim: null,
    keepDirty: false,
    wasDirty: true,
    references: [],
    writes,
    createStillNeeded: true,
    history: [],
    ...extra,
  };
}

function createRow(entityId: string, name: string): OutboxInsert {
  return {
    key: outboxKeyOfCreate('organization', entityId),
    entityId,
    system: 'zendesk',
    type: 'organization',
    operation: 'create',
    targetId: null,
    externalId: 'superoffice:contact:1',
    label: name,
    values: { name },
    attributes: { name },
  };
}

function updateRow(entityId: string, id: string, name: string): OutboxInsert {
  const ref = { system: 'superoffice' as const, type: 'contact' as const, id };
  return {
    key: outboxKeyOfUpdate(ref),
    entityId,
    system: 'superoffice',
    type: 'contact',
    operation: 'update',
    targetId: id,
    externalId: null,
    label: null,
    values: { Name: name },
    attributes: { name },
  };
}

/** The match change that starts a new entity with a SuperOffice record. */
function newEntityLink(type: RecordRef['type'], id: string, entityId: string, kind: EntityKind): MatchChange {
  return { kind: 'link', ref: { system: 'superoffice', type, id }, entityId, newEntity: kind };
}

async function linkedContact(store: StateStore, entityId = 'E1'): Promise<void> {
  await store.ingestPage('superoffice', 'contact', [contact('1', 'Acme')], 'c1', at);
  await store.applyMatches([newEntityLink('contact', '1', entityId, 'organization')], [], at);
}

export function stateStoreContract(name: string, factory: StoreFactory): void {
  const withStore = async (test: (store: StateStore) => Promise<void>) => {
    const store = await factory.open();
    try {
      await test(store);
    } finally {
      await store.close();
    }
  };

  describe(`${name} state store contract`, () => {
    it('applies its migrations once: opening a migrated database again changes nothing', async () => {
      const store = await factory.open();
      await store.ingestPage('superoffice', 'contact', [contact('1', 'Acme')], 'c1', at);
      await store.close();
      if (factory.reopen === undefined) return;
      const again = await factory.reopen();
      try {
        expect(await again.getCursor('superoffice', 'contact')).toBe('c1');
      } finally {
        await again.close();
      }
    });

    it('follows a merge: the merged-away record leaves, the survivor takes its link, and doing it again changes nothing', () =>
      withStore(async (store) => {
        await store.ingestPage('superoffice', 'contact', [contact('1', 'Acme'), contact('2', 'Acme AS')], 'c1', at);
        await store.applyMatches(
          [newEntityLink('contact', '1', 'E1', 'organization'), newEntityLink('contact', '2', 'E2', 'organization')],
          [],
          at,
        );
        const from = { system: 'superoffice', type: 'contact', id: '1' } as const;
        const into = { system: 'superoffice', type: 'contact', id: '2' } as const;
        expect(await store.followMerge(from, into, [])).toEqual({ kind: 'moved', entityId: 'E1' });
        expect(await store.getRecord(from)).toBeUndefined();
        expect((await store.getRecord(into))?.entityId).toBe('E1');
        expect(await store.followMerge(from, into, [])).toEqual({ kind: 'unknown' });
      }));

    it('follows no merge into a record whose entity holds more, and says so', () =>
      withStore(async (store) => {
        const organization: SourceRecord = {
          ref: { system: 'zendesk', type: 'organization', id: '77' },
          values: { name: 'Acme AS' },
          modifiedAt: at,
          deleted: false,
        };
        await store.ingestPage('superoffice', 'contact', [contact('1', 'Acme'), contact('2', 'Acme AS')], 'c1', at);
        await store.ingestPage('zendesk', 'organization', [organization], 'z1', at);
        await store.applyMatches(
          [
            newEntityLink('contact', '1', 'E1', 'organization'),
            newEntityLink('contact', '2', 'E2', 'organization'),
            { kind: 'link', ref: organization.ref, entityId: 'E2' },
          ],
          [],
          at,
        );
        const from = { system: 'superoffice', type: 'contact', id: '1' } as const;
        const into = { system: 'superoffice', type: 'contact', id: '2' } as const;
        expect(await store.followMerge(from, into, [])).toEqual({ kind: 'held', entityId: 'E1', otherEntityId: 'E2' });
        expect((await store.getRecord(from))?.entityId).toBe('E1');
        expect((await store.getRecord(into))?.entityId).toBe('E2');
      }));

    it('moves a record that is alone in its entity into the entity whose create found it, and nothing else (issue 12.2)', () =>
      withStore(async (store) => {
        const user = (id: string, email: string): SourceRecord => ({
          ref: { system: 'zendesk', type: 'user', id },
          values: { email },
          modifiedAt: at,
          deleted: false,
        });
        await store.ingestPage('superoffice', 'contact', [contact('1', 'Acme')], 'c1', at);
        await store.ingestPage(
          'zendesk',
          'user',
          [user('10', 'a@example.com'), user('11', 'b@example.com'), user('12', 'c@example.com')],
          'z1',
          at,
        );
        await store.applyMatches(
          [
            newEntityLink('contact', '1', 'E1', 'organization'),
            { kind: 'link', ref: user('10', '').ref, entityId: 'E2', newEntity: 'person' },
            { kind: 'link', ref: user('11', '').ref, entityId: 'E3', newEntity: 'person' },
            { kind: 'link', ref: user('12', '').ref, entityId: 'E3' },
          ],
          [],
          at,
        );
        expect(await store.absorbLoneRecord(user('10', '').ref, 'E1')).toBe(true);
        expect((await store.getRecord(user('10', '').ref))?.entityId).toBe('E1');
        expect(await store.loadEntities(['E2'])).toEqual([]);
        // Not alone in its entity (or already there): nothing changes.
        expect(await store.absorbLoneRecord(user('11', '').ref, 'E1')).toBe(false);
        expect((await store.getRecord(user('11', '').ref))?.entityId).toBe('E3');
        expect(await store.absorbLoneRecord(user('10', '').ref, 'E1')).toBe(false);
      }));

    it('stores a page with its cursor and skips records whose content did not change', () =>
      withStore(async (store) => {
        expect(await store.getCursor('superoffice', 'contact')).toBeNull();
        const first = await store.ingestPage(
          'superoffice',
          'contact',
          [contact('1', 'Acme'), contact('2', 'Globex')],
          'c1',
          at,
        );
        expect(first).toEqual({ received: 2, changed: 2 });
        const again = await store.ingestPage(
          'superoffice',
          'contact',
          [contact('1', 'Acme', '2024-03-27T00:00:00Z')],
          'c2',
          at,
        );
        expect(again).toEqual({ received: 1, changed: 0 });
        expect(await store.getCursor('superoffice', 'contact')).toBe('c2');
        expect((await store.listCursors()).map((cursor) => cursor.cursor)).toEqual(['c2']);
      }));

    it('ignores a copy of a record older than the one it holds', () =>
      withStore(async (store) => {
        await store.ingestPage('superoffice', 'contact', [contact('1', 'New', '2024-03-26T10:00:00Z')], 'c1', at);
        const stale = await store.ingestPage(
          'superoffice',
          'contact',
          [contact('1', 'Old', '2024-03-26T09:00:00Z')],
          'c2',
          at,
        );
        expect(stale.changed).toBe(0);
        expect((await store.getRecord({ system: 'superoffice', type: 'contact', id: '1' }))?.record.values.Name).toBe(
          'New',
        );
      }));

    it('keeps null, empty and absent values apart', () =>
      withStore(async (store) => {
        const record: SourceRecord = {
          ref: { system: 'zendesk', type: 'user', id: '9' },
          values: { email: '', phone: null },
          modifiedAt: null,
          deleted: false,
          facts: { isAgent: false, externalId: null },
        };
        await store.ingestPage('zendesk', 'user', [record], 'c1', at);
        const stored = await store.getRecord(record.ref);
        expect(stored?.record).toEqual(record);
        expect('organization_id' in (stored?.record.values ?? {})).toBe(false);
      }));

    it('returns undefined or leaves out what it does not know', () =>
      withStore(async (store) => {
        expect(await store.getRecord({ system: 'zendesk', type: 'user', id: 'nope' })).toBeUndefined();
        expect((await store.entityIdsOf([{ system: 'zendesk', type: 'user', id: 'nope' }])).size).toBe(0);
        expect(await store.loadEntities(['nope'])).toEqual([]);
        expect((await store.membersOf(['nope'])).size).toBe(0);
        await store.completeOutbox([{ key: 'nope', status: 'superseded' }], [], at);
      }));

    it('lists unlinked live records in order, page by page, and finds them by merge key', () =>
      withStore(async (store) => {
        await store.ingestPage(
          'superoffice',
          'person',
          [person('2', ['b@x.test']), person('1', ['a@x.test', 'B@x.test']), person('3', ['c@x.test'], true)],
          'c',
          at,
        );
        const first = await store.listUnlinked(null, 1);
        expect(first.map((stored) => stored.record.ref.id)).toEqual(['1']);
        const rest = await store.listUnlinked(first[0]?.record.ref ?? null, 10);
        expect(rest.map((stored) => stored.record.ref.id)).toEqual(['2']);
        const found = await store.findByMatchKeys(['person|b@x.test', 'person|c@x.test']);
        expect(found.map((candidate) => candidate.ref.id)).toEqual(['1', '2']);
      }));

    it('links records to new and existing entities, keeps links, and records ambiguities', () =>
      withStore(async (store) => {
        await store.ingestPage(
          'superoffice',
          'person',
          [person('1', ['a@x.test']), person('2', ['a@x.test'])],
          'c',
          at,
        );
        await store.applyMatches(
          [
            newEntityLink('person', '1', 'P1', 'person'),
            { kind: 'ambiguous', ref: { system: 'superoffice', type: 'person', id: '2' }, message: 'shares an e-mail' },
          ],
          [
            {
              entityId: 'P1',
              cycleId: 'c1',
              at,
              event: 'linked',
              attribute: null,
              member: 'superoffice:person:1',
              rule: 'new-entity',
              detail: {},
            },
          ],
          at,
        );
        await store.applyMatches(
          [{ kind: 'link', ref: { system: 'superoffice', type: 'person', id: '1' }, entityId: 'OTHER' }],
          [],
          at,
        );
        const ids = await store.entityIdsOf([{ system: 'superoffice', type: 'person', id: '1' }]);
        expect(ids.get('superoffice:person:1')).toBe('P1');
        expect(await store.listDirtyEntities('person', null, 10)).toEqual(['P1']);
        const ambiguous = await store.ambiguitiesOf([{ system: 'superoffice', type: 'person', id: '2' }]);
        expect(ambiguous.get('superoffice:person:2')).toBe('shares an e-mail');
        expect((await store.listAmbiguities(10)).map((stored) => stored.record.ref.id)).toEqual(['2']);
        expect((await store.historyOf('P1')).map((entry) => entry.event)).toEqual(['linked']);
        const [entity] = await store.loadEntities(['P1']);
        expect(entity?.members.map((member) => member.record.ref.id)).toEqual(['1']);
      }));

    it('stores a plan atomically: base, known values, outbox rows and the dirty flag', () =>
      withStore(async (store) => {
        await linkedContact(store);
        await store.commitPlans(
          [
            plan('E1', [createRow('E1', 'Acme')], {
              known: { 'superoffice:contact:1': { name: 'Acme' } },
              nameClaim: 'acme',
            }),
          ],
          'c1',
          at,
        );
        const [entity] = await store.loadEntities(['E1']);
        expect(entity?.base.name?.value).toBe('Acme');
        expect(entity?.members[0]?.known).toEqual({ name: 'Acme' });
        expect(await store.listDirtyEntities('organization', null, 10)).toEqual([]);
        expect((await store.findNameHolders(['acme'])).get('acme')).toBe('E1');
        const due = await store.listDueOutbox('zendesk', 'organization', at, null, 10);
        expect(await store.countDueOutbox('zendesk', 'organization', at)).toBe(1);
        expect(due).toEqual([
          expect.objectContaining({
            key: 'create:zendesk:organization:E1',
            mayExist: false,
            attempts: 0,
            state: 'pending',
          }),
        ]);
      }));

    it('replaces an entity’s update rows on a new plan and keeps a create’s idempotency state', () =>
      withStore(async (store) => {
        await linkedContact(store);
        await store.commitPlans([plan('E1', [createRow('E1', 'Acme'), updateRow('E1', '1', 'Acme')])], 'c1', at);
        await store.markOutboxAttempt(['create:zendesk:organization:E1'], at);
        await store.commitPlans(
          [plan('E1', [{ ...createRow('E1', 'Acme 2'), externalId: 'superoffice:contact:other' }])],
          'c2',
          at,
        );
        const rows = await store.outboxOf('E1');
        expect(rows.map((row) => row.key)).toEqual(['create:zendesk:organization:E1']);
        expect(rows[0]).toMatchObject({
          mayExist: true,
          attempts: 1,
          externalId: 'superoffice:contact:1',
          values: { name: 'Acme 2' },
        });
        await store.commitPlans([plan('E1', [])], 'c3', at);
        expect((await store.outboxOf('E1'))[0]?.state).toBe('held');
        expect(await store.listDueOutbox('zendesk', 'organization', at, null, 10)).toEqual([]);
        await store.commitPlans([plan('E1', [], { createStillNeeded: false })], 'c4', at);
        expect(await store.outboxOf('E1')).toEqual([]);
      }));

    it('lists the members of one record type of given entities, and nothing of other types', () =>
      withStore(async (store) => {
        await linkedContact(store);
        await store.commitPlans([plan('E1', [createRow('E1', 'Acme')])], 'c1', at);
        await store.completeOutbox(
          [
            {
              key: 'create:zendesk:organization:E1',
              status: 'created',
              record: {
                ref: { system: 'zendesk', type: 'organization', id: '77' },
                values: { name: 'Acme' },
                modifiedAt: at,
                deleted: false,
              },
            },
          ],
          [],
          at,
        );
        const contacts = await store.membersOfType(['E1', 'unknown'], 'superoffice', 'contact');
        expect(contacts.map((record) => [record.ref.id, record.values.Name])).toEqual([['1', 'Acme']]);
        expect(await store.membersOfType(['E1'], 'zendesk', 'user')).toEqual([]);
      }));

    it('links a created record, merges written values into an updated one, and keeps failures with their error', () =>
      withStore(async (store) => {
        await linkedContact(store);
        await store.commitPlans([plan('E1', [createRow('E1', 'Acme'), updateRow('E1', '1', 'ACME')])], 'c1', at);
        const created: SourceRecord = {
          ref: { system: 'zendesk', type: 'organization', id: '77' },
          values: { name: 'Acme' },
          modifiedAt: at,
          deleted: false,
          facts: { externalId: 'superoffice:contact:1' },
        };
        await store.completeOutbox(
          [
            { key: 'create:zendesk:organization:E1', status: 'created', record: created },
            { key: 'update:superoffice:contact:1', status: 'updated' },
          ],
          [],
          at,
        );
        const members = (await store.membersOf(['E1'])).get('E1') ?? [];
        expect(members.map((member) => `${member.ref.system}:${member.ref.id}`)).toEqual([
          'superoffice:1',
          'zendesk:77',
        ]);
        const zendesk = await store.getRecord(created.ref);
        expect(zendesk?.known).toEqual({ name: 'Acme' });
        const patched = await store.getRecord({ system: 'superoffice', type: 'contact', id: '1' });
        expect(patched?.record.values.Name).toBe('ACME');
        expect(patched?.known).toEqual({ name: 'ACME' });
        expect(await store.outboxOf('E1')).toEqual([]);

        await store.commitPlans([plan('E1', [updateRow('E1', '1', 'Retry')])], 'c2', at);
        await store.completeOutbox(
          [
            {
              key: 'update:superoffice:contact:1',
              status: 'failed',
              error: { code: 'transient', message: 'busy' },
              nextAttemptAt: '2024-03-26T09:00:00.000Z',
            },
          ],
          [],
          at,
        );
        expect(await store.listDueOutbox('superoffice', 'contact', at, null, 10)).toEqual([]);
        expect(await store.countDueOutbox('superoffice', 'contact', at)).toBe(0);
        expect(await store.listDueOutbox('superoffice', 'contact', '2024-03-26T09:00:00.000Z', null, 10)).toHaveLength(
          1,
        );
        expect(await store.countDueOutbox('superoffice', 'contact', '2024-03-26T09:00:00.000Z')).toBe(1);
        await store.completeOutbox(
          [
            {
              key: 'update:superoffice:contact:1',
              status: 'failed',
              error: { code: 'validation', message: 'bad', fields: { Name: ['invalid'] } },
              nextAttemptAt: null,
            },
          ],
          [],
          at,
        );
        expect(await store.listFailedOutbox(10)).toEqual([
          expect.objectContaining({
            state: 'failed',
            lastError: { code: 'validation', message: 'bad', fields: { Name: ['invalid'] } },
          }),
        ]);
        expect(await store.listDueOutbox('superoffice', 'contact', '2099-01-01T00:00:00.000Z', null, 10)).toEqual([]);
        expect(await store.countDueOutbox('superoffice', 'contact', '2099-01-01T00:00:00.000Z')).toBe(0);
      }));

    it('takes in the record a conditional write found edited: drops the row, keeps link and known values, replans the entity', () =>
      withStore(async (store) => {
        await linkedContact(store);
        await store.commitPlans([plan('E1', [updateRow('E1', '1', 'Ours')], { wasDirty: true })], 'c1', at);
        const later = '2024-03-26T09:00:00.000Z';
        // The same mapped content with a later time is stored too: the next guard must name it.
        const edited = contact('1', 'Theirs', later);
        await store.completeOutbox(
          [{ key: 'update:superoffice:contact:1', status: 'conflict', record: edited }],
          [],
          at,
        );
        expect(await store.outboxOf('E1')).toEqual([]);
        const stored = await store.getRecord(edited.ref);
        expect(stored?.record).toEqual(edited);
        expect(stored?.entityId).toBe('E1');
        expect(await store.listDirtyEntities('organization', null, 10)).toEqual(['E1']);
        const [entity] = await store.loadEntities(['E1']);
        await store.commitPlans([plan('E1', [], { wasDirty: entity?.dirty ?? false })], 'c2', at);
        const sameContent = contact('1', 'Theirs', '2024-03-26T10:00:00.000Z');
        await store.commitPlans([plan('E1', [updateRow('E1', '1', 'Ours')], { wasDirty: false })], 'c3', at);
        await store.completeOutbox(
          [{ key: 'update:superoffice:contact:1', status: 'conflict', record: sameContent }],
          [],
          at,
        );
        expect((await store.getRecord(edited.ref))?.record.modifiedAt).toBe('2024-03-26T10:00:00.000Z');
        expect(await store.listDirtyEntities('organization', null, 10)).toEqual(['E1']);
      }));

    it('stores records learnt outside a feed without moving the feed’s cursor', () =>
      withStore(async (store) => {
        await store.ingestPage('superoffice', 'contact', [contact('1', 'Acme')], 'cursor-1', at);
        await store.ingestPage('superoffice', 'contact', [{ ...contact('1', 'Acme'), deleted: true }], null, at);
        expect(await store.getCursor('superoffice', 'contact')).toBe('cursor-1');
        expect((await store.getRecord({ system: 'superoffice', type: 'contact', id: '1' }))?.record.deleted).toBe(true);
      }));

    it('replans an entity whose created record was adopted with other values than the create wrote', () =>
      withStore(async (store) => {
        await linkedContact(store);
        await store.commitPlans([plan('E1', [createRow('E1', 'Acme')], { wasDirty: true })], 'c1', at);
        const adopted: SourceRecord = {
          ref: { system: 'zendesk', type: 'organization', id: '77' },
          values: { name: 'Renamed in Zendesk since the first attempt' },
          modifiedAt: at,
          deleted: false,
          facts: { externalId: 'superoffice:contact:1' },
        };
        await store.completeOutbox(
          [{ key: 'create:zendesk:organization:E1', status: 'created', record: adopted }],
          [],
          at,
        );
        expect(await store.listDirtyEntities('organization', null, 10)).toEqual(['E1']);
      }));

    it('forgets the references a later plan no longer makes, and keeps the ones it makes again', () =>
      withStore(async (store) => {
        await linkedContact(store, 'ORG');
        await store.ingestPage('superoffice', 'contact', [contact('2', 'Other')], 'c', at);
        await store.ingestPage('superoffice', 'person', [person('5', ['p@x.test'])], 'c', at);
        await store.applyMatches(
          [newEntityLink('contact', '2', 'OTHER', 'organization'), newEntityLink('person', '5', 'P', 'person')],
          [],
          at,
        );
        await store.commitPlans(
          [plan('ORG', []), plan('OTHER', []), plan('P', [], { references: ['ORG', 'OTHER'] })],
          'c1',
          at,
        );
        await store.commitPlans([plan('P', [], { references: ['OTHER'] })], 'c2', at);
        const linkZendeskOrganization = async (id: string, entityId: string) => {
          const ref = { system: 'zendesk' as const, type: 'organization' as const, id };
          await store.ingestPage(
            'zendesk',
            'organization',
            [{ ref, values: { name: id }, modifiedAt: at, deleted: false }],
            id,
            at,
          );
          await store.applyMatches([{ kind: 'link', ref, entityId }], [], at);
        };
        await linkZendeskOrganization('8', 'ORG');
        expect(await store.listDirtyEntities('person', null, 10)).toEqual([]);
        await linkZendeskOrganization('9', 'OTHER');
        expect(await store.listDirtyEntities('person', null, 10)).toEqual(['P']);
      }));

    it('marks the entities that reference a changed entity dirty', () =>
      withStore(async (store) => {
        await linkedContact(store, 'ORG');
        await store.ingestPage('superoffice', 'person', [person('5', ['p@x.test'])], 'c', at);
        await store.applyMatches([newEntityLink('person', '5', 'P', 'person')], [], at);
        await store.commitPlans([plan('ORG', []), plan('P', [], { references: ['ORG'] })], 'c1', at);
        expect(await store.listDirtyEntities('person', null, 10)).toEqual([]);
        await store.ingestPage(
          'zendesk',
          'organization',
          [
            {
              ref: { system: 'zendesk', type: 'organization', id: '8' },
              values: { name: 'Acme' },
              modifiedAt: at,
              deleted: false,
            },
          ],
          'z',
          at,
        );
        await store.applyMatches(
          [{ kind: 'link', ref: { system: 'zendesk', type: 'organization', id: '8' }, entityId: 'ORG' }],
          [],
          at,
        );
        expect(await store.listDirtyEntities('person', null, 10)).toEqual(['P']);
      }));

    it('marks persons wanted once', () =>
      withStore(async (store) => {
        await store.ingestPage('superoffice', 'person', [person('5', ['p@x.test'])], 'c', at);
        await store.applyMatches([newEntityLink('person', '5', 'P', 'person')], [], at);
        await store.commitPlans([plan('P', [])], 'c1', at);
        expect(await store.markWanted(['P', 'unknown'])).toBe(1);
        expect(await store.markWanted(['P'])).toBe(0);
        expect((await store.loadEntities(['P']))[0]?.wanted).toBe(true);
        await store.commitPlans([plan('P', [])], 'c2', at);
        expect(await store.listDirtyEntities('person', null, 10)).toEqual([]);
      }));

    it('loads the next entities of a kind in id order, dirty ones or all, and writes a dirty mark only when it changes', () =>
      withStore(async (store) => {
        const ids = ['P1', 'P2', 'P3'];
        await store.ingestPage(
          'superoffice',
          'person',
          ids.map((_, index) => person(String(index + 1), [`p${index + 1}@x.test`])),
          'c',
          at,
        );
        await store.applyMatches(
          ids.map((entityId, index) => newEntityLink('person', String(index + 1), entityId, 'person')),
          [],
          at,
        );
        const loaded = async (after: string | null, limit: number, scope: 'dirty' | 'all') =>
          (await store.loadNextEntities('person', after, limit, scope)).map((entity) => [entity.id, entity.dirty]);
        expect(await loaded(null, 2, 'dirty')).toEqual([
          ['P1', true],
          ['P2', true],
        ]);
        expect(await loaded('P2', 2, 'dirty')).toEqual([['P3', true]]);
        expect((await store.loadNextEntities('person', null, 1, 'all'))[0]?.members[0]?.record.ref.id).toBe('1');

        // P1 is planned clean; P2 was clean when loaded and must be planned again; P3 keeps waiting.
        await store.commitPlans([plan('P1', [])], 'c1', at);
        await store.commitPlans(
          [
            plan('P2', [], { entityChanged: false, wasDirty: false, keepDirty: true }),
            plan('P3', [], { entityChanged: false, wasDirty: true, keepDirty: true }),
          ],
          'c2',
          at,
        );
        expect(await loaded(null, 10, 'all')).toEqual([
          ['P1', false],
          ['P2', true],
          ['P3', true],
        ]);
        await store.commitPlans(
          [
            plan('P2', [], { entityChanged: false, wasDirty: true, keepDirty: false }),
            // Loaded clean, planned clean: nothing to write, and the mark stays as it is.
            plan('P1', [], { entityChanged: false, wasDirty: false, keepDirty: false }),
          ],
          'c3',
          at,
        );
        expect(await loaded(null, 10, 'dirty')).toEqual([['P3', true]]);
        expect(await loaded('P3', 10, 'all')).toEqual([]);
        expect(await store.loadNextEntities('ticket', null, 10, 'all')).toEqual([]);
      }));

    it('rolls a dry run back entirely, also what transactions inside it committed', () =>
      withStore(async (store) => {
        const seen = await store.dryRun(async () => {
          await store.ingestPage('superoffice', 'contact', [contact('1', 'Acme')], 'c1', at);
          await store.beginCycle('dry', at);
          return store.getCursor('superoffice', 'contact');
        });
        expect(seen).toBe('c1');
        expect(await store.getCursor('superoffice', 'contact')).toBeNull();
        expect(await store.listCycles(5)).toEqual([]);
      }));

    it('keeps cycles newest first, history oldest first, and counts per flow', () =>
      withStore(async (store) => {
        await store.beginCycle('c1', '2024-03-26T08:00:00.000Z');
        await store.finishCycle('c1', '2024-03-26T08:00:05.000Z', 'completed', { writes: 1 });
        await store.beginCycle('c2', '2024-03-26T08:01:00.000Z');
        expect((await store.listCycles(5)).map((cycle) => [cycle.id, cycle.status])).toEqual([
          ['c2', 'running'],
          ['c1', 'completed'],
        ]);
        await linkedContact(store);
        await store.appendHistory([
          {
            entityId: 'E1',
            cycleId: 'c1',
            at,
            event: 'conflict',
            attribute: 'name',
            member: 'superoffice:contact:1',
            rule: 'latest-wins',
            detail: { candidates: [] },
          },
          {
            entityId: 'E1',
            cycleId: 'c1',
            at,
            event: 'decided',
            attribute: 'name',
            member: 'superoffice:contact:1',
            rule: 'single-edit',
            detail: {},
          },
        ]);
        expect((await store.historyOf('E1')).map((entry) => entry.event)).toEqual(['conflict', 'decided']);
        expect(await store.listConflicts(5)).toHaveLength(1);
        await store.commitPlans(
          [plan('E1', [], { waits: ['waits for X'], holds: { 'zendesk:organization|name': 'duplicate' } })],
          'c2',
          at,
        );
        const counts = await store.flowCounts();
        expect(counts.find((count) => count.type === 'contact')).toMatchObject({
          records: 1,
          linked: 0,
          waiting: 1,
          conflicted: 1,
        });
        expect(await store.listAttention(5)).toEqual([
          {
            entityId: 'E1',
            kind: 'organization',
            waits: ['waits for X'],
            holds: { 'zendesk:organization|name': 'duplicate' },
          },
        ]);
      }));

    it('stores a first sync of 700 records in batches: every record linked, planned, created and linked back', () =>
      withStore(async (store) => {
        // 700 rows cross every statement chunk size (512, 128, 32, …), so each batched path runs more than once.
        const count = 700;
        const contacts = Array.from({ length: count }, (_, index) =>
          contact(String(index + 1), `Company ${index + 1}`),
        );
        const page = await store.ingestPage('superoffice', 'contact', contacts, 'c-all', at);
        expect(page).toEqual({ received: count, changed: count });
        const entityOf = (index: number) => `E${String(index + 1).padStart(4, '0')}`;
        await store.applyMatches(
          contacts.map((record, index) => newEntityLink('contact', record.ref.id, entityOf(index), 'organization')),
          contacts.map((record, index) => ({
            entityId: entityOf(index),
            cycleId: 'c1',
            at,
            event: 'linked' as const,
            attribute: null,
            member: `superoffice:contact:${record.ref.id}`,
            rule: 'new-entity',
            detail: {},
          })),
          at,
        );
        expect(await store.listUnlinked(null, 10)).toEqual([]);
        const dirty = await store.listDirtyEntities('organization', null, count + 1);
        expect(dirty).toHaveLength(count);
        await store.commitPlans(
          contacts.map((record, index) =>
            plan(entityOf(index), [createRow(entityOf(index), `Company ${index + 1}`)], {
              known: { [`superoffice:contact:${record.ref.id}`]: { name: `company ${index + 1}` } },
              references: index > 0 ? [entityOf(index - 1)] : [],
            }),
          ),
          'c1',
          at,
        );
        expect(await store.listDirtyEntities('organization', null, 10)).toEqual([]);
        const due = await store.listDueOutbox('zendesk', 'organization', at, null, count + 1);
        expect(due).toHaveLength(count);
        await store.markOutboxAttempt(
          due.map((row) => row.key),
          at,
        );
        await store.completeOutbox(
          due.map((row, index) => ({
            key: row.key,
            status: 'created' as const,
            record: {
              ref: { system: 'zendesk' as const, type: 'organization' as const, id: String(9000 + index) },
              values: { name: row.values.name ?? null },
              modifiedAt: at,
              deleted: false,
              facts: { externalId: row.externalId },
            },
          })),
          [],
          at,
        );
        expect(await store.listDueOutbox('zendesk', 'organization', at, null, 10)).toEqual([]);
        const [last] = await store.loadEntities([entityOf(count - 1)]);
        expect(last?.members.map((member) => member.record.ref.system)).toEqual(['superoffice', 'zendesk']);
        expect(last?.members[0]?.known).toEqual({ name: `company ${count}` });
        expect(last?.members[1]?.known).toEqual({ name: `Company ${count}` });
        // Linking a created record re-plans the entities that point at its entity: all but the last.
        expect(await store.listDirtyEntities('organization', null, count + 1)).toHaveLength(count - 1);
        expect((await store.historyOf(entityOf(0))).map((entry) => entry.event)).toEqual(['linked']);
      }));

    it('applies a call that names one record or entity twice in order, as two calls would', () =>
      withStore(async (store) => {
        await store.ingestPage('superoffice', 'contact', [contact('1', 'Acme'), contact('1', 'Acme 2')], 'c', at);
        expect((await store.getRecord({ system: 'superoffice', type: 'contact', id: '1' }))?.record.values).toEqual({
          Name: 'Acme 2',
        });
        const ref = { system: 'superoffice' as const, type: 'contact' as const, id: '1' };
        await store.applyMatches(
          [
            { kind: 'link', ref, entityId: 'E1', newEntity: 'organization' },
            { kind: 'link', ref, entityId: 'E2', newEntity: 'organization' },
          ],
          [],
          at,
        );
        expect((await store.entityIdsOf([ref])).get('superoffice:contact:1')).toBe('E1');
        await store.commitPlans(
          [plan('E1', [updateRow('E1', '1', 'First')]), plan('E1', [updateRow('E1', '1', 'Second')])],
          'c1',
          at,
        );
        expect((await store.outboxOf('E1')).map((row) => row.values)).toEqual([{ Name: 'Second' }]);
      }));

    it('notices a changed agent flag of a member and re-plans the entities that reference its entity', () =>
      withStore(async (store) => {
        const agent = (isAgent: boolean): SourceRecord => ({
          ref: { system: 'zendesk', type: 'user', id: '7' },
          values: { email: 'a@x.test', phone: null, organization_id: null },
          modifiedAt: at,
          deleted: false,
          facts: { isAgent },
        });
        await store.ingestPage('zendesk', 'user', [agent(true)], 'c1', at);
        await store.applyMatches([{ kind: 'link', ref: agent(true).ref, entityId: 'P1', newEntity: 'person' }], [], at);
        const ticket: SourceRecord = {
          ref: { system: 'superoffice', type: 'ticket', id: '3' },
          values: { Title: 'Help', 'Person.PersonId': null },
          modifiedAt: at,
          deleted: false,
        };
        await store.ingestPage('superoffice', 'ticket', [ticket], 'c1', at);
        await store.applyMatches([{ kind: 'link', ref: ticket.ref, entityId: 'T1', newEntity: 'ticket' }], [], at);
        await store.commitPlans([plan('P1', []), plan('T1', [], { references: ['P1'] })], 'c1', at);
        expect((await store.membersOf(['P1'])).get('P1')?.[0]?.isAgent).toBe(true);
        expect(await store.listDirtyEntities('ticket', null, 10)).toEqual([]);
        await store.ingestPage('zendesk', 'user', [agent(false)], 'c2', at);
        expect((await store.membersOf(['P1'])).get('P1')?.[0]?.isAgent).toBe(false);
        expect(await store.listDirtyEntities('person', null, 10)).toEqual(['P1']);
        expect(await store.listDirtyEntities('ticket', null, 10)).toEqual(['T1']);
      }));

    it('runs an engine cycle end to end: creates in dependency order, converges, and plans without writing', async () => {
      const store = await factory.open();
      const harness = await openHarness({ store });
      try {
        const contactId = harness.superoffice.add('contact', { Name: 'Acme' });
        const userId = harness.superoffice.add('user', { personEmail: 'u@acme.test', contactId }, { modifiedAt: null });
        harness.superoffice.add(
          'ticket',
          { 'OwnedBy.AssociateId': userId, 'Person.PersonId': null, TimeToReply: '30', Title: 'Hello' },
          { facts: { createdAt: at } },
        );
        const plan = await harness.engine.plan();
        expect(plan.creates.map((create) => create.target)).toEqual([
          'zendesk:organization',
          'zendesk:user',
          'zendesk:ticket',
        ]);
        expect(harness.zendesk.writeCalls).toBe(0);
        const report = await harness.cycle();
        expect(report.writes.created).toBe(3);
        expect(harness.zendesk.all('ticket')[0]?.values.due_at).toBe('2024-03-26T08:30:00Z');
        const quiet = await harness.cycle();
        expect(quiet.writes.calls).toBe(0);
      } finally {
        await harness.close();
      }
    });

    it('serves status every attention item with true totals, and applies retry, relink and unlink', async () => {
      const store = await factory.open();
      const harness = await openHarness({ store, pageSize: 50 });
      try {
        await buildAttentionWorld(harness);
        const status = await collectStatus(store);
        expect(status.attention.byReason.map((group) => `${group.kind} ${group.reason} ${group.count}`)).toEqual([
          'cycle interrupted 1',
          'failed-write validation 1',
          'unreadable-record malformed 1',
          'conflict conflict-latest-wins 1',
          'hold duplicate-name 1',
          'hold missing-name 1',
          'hold unlinked-reference 1',
          'ambiguity not-linked 2',
          'deletion deleted-in-superoffice 1',
          'deletion deleted-in-zendesk 1',
          'failed-write retrying:transient 1',
          'hold agent-only 1',
        ]);
        const flowLine = (name: string) => {
          const flow = status.flows.find((candidate) => candidate.flow === name);
          return [flow?.records, flow?.linked, flow?.notLinked];
        };
        const none = { ambiguous: 0, failed: 0, waiting: 0, held: 0, outOfScope: 0, writing: 0, unplanned: 0 };
        expect(flowLine('person')).toEqual([2, 1, { ...none, outOfScope: 1 }]);
        expect(flowLine('contact')).toEqual([6, 1, { ...none, failed: 2, held: 3 }]);
        expect(flowLine('user')).toEqual([3, 1, { ...none, ambiguous: 2 }]);
        // Every record is counted once (the ticket whose owner is ambiguous is held, not created).
        for (const flow of status.flows) {
          const notLinked = Object.values(flow.notLinked).reduce((sum, count) => sum + count, 0);
          expect(flow.linked + notLinked).toBe(flow.records);
        }
        const now = harness.clock.now().toISOString();
        const newId = counterIds('by-hand-');
        harness.zendesk.failureRule = undefined;
        const retried = await retryWrites(store, 'every-failed', now);
        expect('keys' in retried && retried.keys).toHaveLength(2);
        const taken = status.attention.items.find((item) => item.reason === 'duplicate-name');
        // The item's command names both records: `tandem relink superoffice:contact:N zendesk:organization:M`.
        const [, , contactRef = '', organizationRef = ''] = (taken?.command ?? '').split(' ');
        const relink = await prepareRelink(
          store,
          { system: 'superoffice', type: 'contact', id: contactRef.split(':')[2] ?? '' },
          { system: 'zendesk', type: 'organization', id: organizationRef.split(':')[2] ?? '' },
          now,
          newId,
        );
        if ('refused' in relink) throw new Error(relink.refused);
        await relink.apply();
        for (const deletion of status.attention.items.filter((item) => item.kind === 'deletion')) {
          const [system, type, id] = (deletion.record ?? '').split(':') as ['zendesk', 'organization', string];
          const unlink = await prepareUnlink(store, { system, type, id }, now, newId);
          if ('refused' in unlink) throw new Error(unlink.refused);
          await unlink.apply();
        }
        await harness.cycle();
        const after = await collectStatus(store);
        expect(after.attention.byReason.map((group) => `${group.kind} ${group.reason} ${group.count}`)).toEqual([
          'unreadable-record malformed 1', // still unreadable: the report stands until a read succeeds
          'conflict conflict-latest-wins 1',
          'hold missing-name 1',
          'hold unlinked-reference 1',
          'ambiguity not-linked 2',
          'hold agent-only 1',
        ]);
      } finally {
        await harness.close();
      }
    });
  });
}
