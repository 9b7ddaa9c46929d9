import { afterEach, describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/core/model.js';
import { SyncError } from '../../src/core/sync-error.js';
import type { Harness } from './harness.js';
import { openHarness } from './harness.js';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

async function open(options: Parameters<typeof openHarness>[0] = {}): Promise<Harness> {
  harness = await openHarness(options);
  return harness;
}

function only(records: readonly SourceRecord[]): SourceRecord {
  expect(records).toHaveLength(1);
  return records[0] as SourceRecord;
}

describe('matching', () => {
  it('links a SuperOffice user to the Zendesk user with the same e-mail, compared trimmed and case-insensitively', async () => {
    const h = await open();
    h.superoffice.add('user', { personEmail: ' Ann@Example.com ', contactId: null }, { modifiedAt: null });
    const zendeskId = h.zendesk.add(
      'user',
      { email: 'ann@example.com', phone: null, organization_id: null },
      { facts: { isAgent: true } },
    );
    const report = await h.cycle();
    expect(report.counts.creates).toBe(0);
    expect(h.zendesk.all('user')).toHaveLength(1);
    const stored = await h.store.getRecord({ system: 'superoffice', type: 'user', id: '1000' });
    const zendesk = await h.store.getRecord({ system: 'zendesk', type: 'user', id: zendeskId });
    expect(stored?.entityId).toBe(zendesk?.entityId);
    expect(report.links.find((link) => link.record === `zendesk:user:${zendeskId}`)?.rule).toBe('merge-key');
  });

  it('joins a SuperOffice user and the SuperOffice person with the same e-mail into one entity with the Zendesk user', async () => {
    const h = await open();
    const userId = h.superoffice.add('user', { personEmail: 'bo@example.com', contactId: null }, { modifiedAt: null });
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'bo@example.com',
      'PrivatePhones.Value': null,
    });
    const zendeskId = h.zendesk.add('user', { email: 'BO@example.com', phone: null, organization_id: null });
    await h.cycle();
    const entities = await Promise.all([
      h.store.getRecord({ system: 'superoffice', type: 'user', id: userId }),
      h.store.getRecord({ system: 'superoffice', type: 'person', id: personId }),
      h.store.getRecord({ system: 'zendesk', type: 'user', id: zendeskId }),
    ]);
    expect(new Set(entities.map((stored) => stored?.entityId)).size).toBe(1);
    expect(h.zendesk.all('user')).toHaveLength(1);
  });

  it('links a SuperOffice person on any of its e-mails', async () => {
    const h = await open();
    h.superoffice.add(
      'person',
      { 'Contact.ContactId': null, 'Emails.Value': 'first@example.com', 'PrivatePhones.Value': null },
      { alternates: { 'Emails.Value': ['first@example.com', 'second@example.com'] } },
    );
    const zendeskId = h.zendesk.add('user', { email: 'second@example.com', phone: null, organization_id: null });
    await h.cycle();
    const person = await h.store.getRecord({ system: 'superoffice', type: 'person', id: '1000' });
    const user = await h.store.getRecord({ system: 'zendesk', type: 'user', id: zendeskId });
    expect(person?.entityId).not.toBeNull();
    expect(person?.entityId).toBe(user?.entityId);
  });

  it('never matches on empty e-mails', async () => {
    const h = await open();
    h.superoffice.add('user', { personEmail: '', contactId: null }, { modifiedAt: null, facts: { label: 'No Mail' } });
    const zendeskId = h.zendesk.add('user', { email: '', phone: null, organization_id: null });
    await h.cycle();
    const user = await h.store.getRecord({ system: 'superoffice', type: 'user', id: '1000' });
    const zendesk = await h.store.getRecord({ system: 'zendesk', type: 'user', id: zendeskId });
    expect(user?.entityId).not.toBe(zendesk?.entityId);
  });

  it('keeps a link when the e-mail later changes, and carries the new e-mail over', async () => {
    const h = await open();
    const userId = h.superoffice.add('user', { personEmail: 'old@example.com', contactId: null }, { modifiedAt: null });
    const zendeskId = h.zendesk.add('user', { email: 'old@example.com', phone: null, organization_id: null });
    await h.cycle();
    h.superoffice.edit('user', userId, { personEmail: 'new@example.com' });
    await h.cycle();
    expect(h.zendesk.get('user', zendeskId)?.values.email).toBe('new@example.com');
    const user = await h.store.getRecord({ system: 'superoffice', type: 'user', id: userId });
    const zendesk = await h.store.getRecord({ system: 'zendesk', type: 'user', id: zendeskId });
    expect(user?.entityId).toBe(zendesk?.entityId);
  });

  it('reports two SuperOffice persons with the same e-mail as ambiguous, with what to do, and links neither', async () => {
    const h = await open();
    const first = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'dup@example.com',
      'PrivatePhones.Value': null,
    });
    const second = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'Dup@example.com',
      'PrivatePhones.Value': null,
    });
    h.zendesk.add('user', { email: 'dup@example.com', phone: null, organization_id: null });
    const report = await h.cycle();
    expect(report.ambiguities.map((ambiguity) => ambiguity.record).sort()).toEqual([
      `superoffice:person:${first}`,
      `superoffice:person:${second}`,
    ]);
    expect(report.ambiguities[0]?.message).toMatch(/distinct e-mail/);
    const stored = await h.store.getRecord({ system: 'superoffice', type: 'person', id: first });
    expect(stored?.entityId).toBeNull();
    expect(stored?.ambiguity).toMatch(/share the e-mail dup@example.com/);
  });

  it('links an ambiguous person once the duplicate e-mail is fixed', async () => {
    const h = await open();
    const first = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'dup@example.com',
      'PrivatePhones.Value': null,
    });
    const second = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'dup@example.com',
      'PrivatePhones.Value': null,
    });
    const zendeskId = h.zendesk.add('user', { email: 'dup@example.com', phone: null, organization_id: null });
    await h.cycle();
    h.superoffice.edit('person', second, { 'Emails.Value': 'other@example.com' });
    await h.cycle();
    const person = await h.store.getRecord({ system: 'superoffice', type: 'person', id: first });
    const user = await h.store.getRecord({ system: 'zendesk', type: 'user', id: zendeskId });
    expect(person?.entityId).not.toBeNull();
    expect(person?.entityId).toBe(user?.entityId);
  });

  it('reports a record that matches two entities as ambiguous', async () => {
    const h = await open();
    h.superoffice.add('user', { personEmail: 'a@example.com', contactId: null }, { modifiedAt: null });
    h.superoffice.add('user', { personEmail: 'b@example.com', contactId: null }, { modifiedAt: null });
    await h.cycle();
    const personId = h.superoffice.add(
      'person',
      { 'Contact.ContactId': null, 'Emails.Value': 'a@example.com', 'PrivatePhones.Value': null },
      { alternates: { 'Emails.Value': ['a@example.com', 'b@example.com'] } },
    );
    const report = await h.cycle();
    expect(report.ambiguities.map((ambiguity) => ambiguity.record)).toEqual([`superoffice:person:${personId}`]);
    expect(report.ambiguities[0]?.message).toMatch(/2 different entities/);
  });
});

describe('create rules', () => {
  it('creates a Zendesk organization for every SuperOffice contact, with its external id', async () => {
    const h = await open();
    h.superoffice.add('contact', { Name: 'Acme' }, { id: '42', facts: { label: 'Acme' } });
    h.superoffice.add('contact', { Name: 'Globex' }, { id: '43' });
    await h.cycle();
    expect(h.zendesk.all('organization').map((org) => [org.values.name, org.facts?.externalId])).toEqual([
      ['Acme', 'superoffice:contact:42'],
      ['Globex', 'superoffice:contact:43'],
    ]);
  });

  it('creates a Zendesk ticket for every SuperOffice ticket', async () => {
    const h = await open();
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': null, TimeToReply: null, Title: 'Printer on fire' },
      { facts: { createdAt: '2024-03-26T08:00:00Z' } },
    );
    await h.cycle();
    expect(only(h.zendesk.all('ticket')).values.subject).toBe('Printer on fire');
  });

  it('creates a Zendesk user for a SuperOffice user when none matches', async () => {
    const h = await open();
    h.superoffice.add(
      'user',
      { personEmail: 'new@example.com', contactId: null },
      { modifiedAt: null, facts: { label: 'New User' } },
    );
    await h.cycle();
    const user = only(h.zendesk.all('user'));
    expect(user.values.email).toBe('new@example.com');
    expect(user.facts?.label).toBe('New User');
  });

  it('creates no Zendesk user for a SuperOffice person that is on no synced ticket', async () => {
    const h = await open();
    h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'p@example.com',
      'PrivatePhones.Value': '+47 22 33 44 55',
    });
    await h.cycle();
    expect(h.zendesk.all('user')).toHaveLength(0);
  });

  it('creates a Zendesk user for the Person of a synced ticket, before the ticket', async () => {
    const h = await open();
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'p@example.com',
      'PrivatePhones.Value': '+47 22 33 44 55',
    });
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': personId, TimeToReply: null, Title: 'Help' },
      { facts: { createdAt: '2024-03-26T08:00:00Z' } },
    );
    await h.cycle();
    const user = only(h.zendesk.all('user'));
    expect(user.values).toMatchObject({ email: 'p@example.com', phone: '+4722334455' });
    const order = h.zendesk.operations.filter((entry) => entry.operation.kind === 'create').map((entry) => entry.type);
    expect(order).toEqual(['user', 'ticket']);
  });

  it('creates a Zendesk user for a Person a sweep finds newly on a synced ticket, and marks no other', async () => {
    const h = await open();
    const person = (email: string) =>
      h.superoffice.add('person', { 'Contact.ContactId': null, 'Emails.Value': email, 'PrivatePhones.Value': null });
    const first = person('first@example.com');
    const second = person('second@example.com');
    person('bystander@example.com');
    const ticketId = h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': first, TimeToReply: null, Title: 'Help' },
      { facts: { createdAt: '2024-03-26T08:00:00Z' } },
    );
    await h.cycle();
    expect(h.zendesk.all('user').map((user) => user.values.email)).toEqual(['first@example.com']);
    // The feed misses the new Person: only the sweep reads it, and the ticket it dirties marks the person.
    h.superoffice.editUnnoticed('ticket', ticketId, { 'Person.PersonId': second });
    expect((await h.cycle()).writes.calls).toBe(0);
    await h.cycle({ sweep: true });
    expect(
      h.zendesk
        .all('user')
        .map((user) => user.values.email)
        .sort(),
    ).toEqual(['first@example.com', 'second@example.com']);
    expect((await h.cycle({ sweep: true })).writes.calls).toBe(0);
  });

  it('creates an organization, the user in it and the user’s ticket in one cycle, in dependency order', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    const userId = h.superoffice.add('user', { personEmail: 'owner@acme.test', contactId }, { modifiedAt: null });
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': userId, 'Person.PersonId': null, TimeToReply: null, Title: 'Hello' },
      { facts: { createdAt: '2024-03-26T08:00:00Z' } },
    );
    const report = await h.cycle();
    expect(report.waits).toEqual([]);
    const org = only(h.zendesk.all('organization'));
    const user = only(h.zendesk.all('user'));
    expect(user.values.organization_id).toBe(org.ref.id);
    expect(only(h.zendesk.all('ticket')).values.requester_id).toBe(user.ref.id);
  });
});

describe('reconciliation', () => {
  it('writes a change made on one side to the other', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const org = only(h.zendesk.all('organization'));
    h.zendesk.edit('organization', org.ref.id, { name: 'Acme Corp' });
    const report = await h.cycle();
    expect(h.superoffice.get('contact', contactId)?.values.Name).toBe('Acme Corp');
    expect(report.updates).toEqual([
      expect.objectContaining({ target: `superoffice:contact:${contactId}`, values: { Name: 'Acme Corp' } }),
    ]);
  });

  it('decides a conflict for the later modification and records both values', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const org = only(h.zendesk.all('organization'));
    h.superoffice.edit('contact', contactId, { Name: 'Acme SO' });
    h.clock.advance(5);
    h.zendesk.edit('organization', org.ref.id, { name: 'Acme ZD' });
    const report = await h.cycle();
    expect(h.superoffice.get('contact', contactId)?.values.Name).toBe('Acme ZD');
    expect(h.zendesk.get('organization', org.ref.id)?.values.name).toBe('Acme ZD');
    expect(report.conflicts).toHaveLength(1);
    const conflict = report.conflicts[0] as (typeof report.conflicts)[number];
    expect(conflict.rule).toBe('latest-wins');
    expect(conflict.candidates.map((candidate) => candidate.value).sort()).toEqual(['Acme SO', 'Acme ZD']);
    const history = await h.store.historyOf(conflict.entityId);
    expect(history.filter((entry) => entry.event === 'conflict')).toHaveLength(1);
  });

  it('lets SuperOffice win a conflict when both edits carry the same time', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const org = only(h.zendesk.all('organization'));
    h.superoffice.edit('contact', contactId, { Name: 'Acme SO' });
    h.zendesk.edit('organization', org.ref.id, { name: 'Acme ZD' });
    await h.cycle();
    expect(h.zendesk.get('organization', org.ref.id)?.values.name).toBe('Acme SO');
  });

  it('follows a per-attribute conflict policy', async () => {
    const h = await open({ policy: { default: 'latest-wins', attributes: { 'organization.name': 'zendesk-wins' } } });
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const org = only(h.zendesk.all('organization'));
    h.zendesk.edit('organization', org.ref.id, { name: 'Acme ZD' });
    h.clock.advance(5);
    h.superoffice.edit('contact', contactId, { Name: 'Acme SO' });
    await h.cycle();
    expect(h.superoffice.get('contact', contactId)?.values.Name).toBe('Acme ZD');
  });

  it('keeps edits of different attributes made on both sides, without a conflict', async () => {
    const h = await open();
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'x@example.com',
      'PrivatePhones.Value': '1',
    });
    const zendeskId = h.zendesk.add('user', { email: 'x@example.com', phone: '1', organization_id: null });
    await h.cycle();
    h.superoffice.edit('person', personId, { 'PrivatePhones.Value': '+47 99' });
    h.zendesk.edit('user', zendeskId, { email: 'y@example.com' });
    const report = await h.cycle();
    expect(report.conflicts).toEqual([]);
    expect(h.zendesk.get('user', zendeskId)?.values).toMatchObject({ email: 'y@example.com', phone: '+4799' });
    expect(h.superoffice.get('person', personId)?.values).toMatchObject({
      'Emails.Value': 'y@example.com',
      'PrivatePhones.Value': '+47 99',
    });
  });

  it('does not take a value the other system normalised for an edit', async () => {
    const h = await open();
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'Mixed@Example.com',
      'PrivatePhones.Value': '+47 22 33',
    });
    const zendeskId = h.zendesk.add('user', { email: 'mixed@example.com', phone: '+4722 33', organization_id: null });
    await h.cycle();
    const report = await h.cycle();
    expect(report.writes.calls).toBe(0);
    expect(h.superoffice.get('person', personId)?.values['Emails.Value']).toBe('Mixed@Example.com');
    expect(h.zendesk.get('user', zendeskId)?.values.phone).toBe('+4722 33');
  });

  it('does not take the echo of its own write for an edit', async () => {
    const h = await open();
    h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const org = only(h.zendesk.all('organization'));
    h.zendesk.edit('organization', org.ref.id, { name: 'Renamed' });
    await h.cycle();
    const echo = await h.cycle();
    expect(echo.counts.decisions).toBe(0);
    expect(echo.writes.calls).toBe(0);
  });

  it('makes no write call and plans nothing in a quiet cycle', async () => {
    const h = await open();
    h.superoffice.add('contact', { Name: 'Acme' });
    h.superoffice.add('user', { personEmail: 'u@example.com', contactId: null }, { modifiedAt: null });
    await h.cycle();
    const callsBefore = h.superoffice.writeCalls + h.zendesk.writeCalls;
    const quiet = await h.cycle();
    expect(quiet.counts.entitiesPlanned).toBe(0);
    expect(h.superoffice.writeCalls + h.zendesk.writeCalls).toBe(callsBefore);
  });
});

describe('edits made between the read and the write (issue 12 item 3, issue 13 item 7)', () => {
  it('writes nothing over an edit made after the read: the edit is taken in, planned again in the same cycle, and the policy decides', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const org = only(h.zendesk.all('organization'));
    h.clock.advance(5);
    h.superoffice.edit('contact', contactId, { Name: 'Acme SO' });
    h.zendesk.beforeNextWrite = () => {
      h.clock.advance(5);
      h.zendesk.edit('organization', org.ref.id, { name: 'Acme ZD' });
    };
    const report = await h.cycle();

    expect(report.writes.conflicts).toBe(1);
    expect(h.zendesk.get('organization', org.ref.id)?.values.name).toBe('Acme ZD');
    expect(h.superoffice.get('contact', contactId)?.values.Name).toBe('Acme ZD');
    expect(report.conflicts).toEqual([expect.objectContaining({ attribute: 'name', rule: 'latest-wins' })]);
    const history = await h.store.historyOf(report.conflicts[0]?.entityId ?? '');
    expect(history.map((entry) => entry.event)).toEqual(expect.arrayContaining(['write-conflict', 'conflict']));
    expect((await h.cycle()).writes.calls).toBe(0);
  });

  it('sends each update with what was read in its target, so a connector can refuse a stale write', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const org = only(h.zendesk.all('organization'));
    h.superoffice.edit('contact', contactId, { Name: 'Acme SO' });
    await h.cycle();
    const update = h.zendesk.operations.at(-1)?.operation;
    expect(update).toMatchObject({
      kind: 'update',
      id: org.ref.id,
      values: { name: 'Acme SO' },
      expected: { values: { name: 'Acme' }, modifiedAt: org.modifiedAt },
    });
  });
});

describe('references', () => {
  it('translates a person’s contact to the Zendesk organization created for it', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': contactId,
      'Emails.Value': 'p@acme.test',
      'PrivatePhones.Value': null,
    });
    const zendeskId = h.zendesk.add('user', { email: 'p@acme.test', phone: null, organization_id: null });
    await h.cycle();
    const org = only(h.zendesk.all('organization'));
    expect(h.zendesk.get('user', zendeskId)?.values.organization_id).toBe(org.ref.id);
    const other = h.superoffice.add('contact', { Name: 'Other' });
    await h.cycle();
    const otherOrg = h.zendesk.all('organization').find((candidate) => candidate.values.name === 'Other');
    h.zendesk.edit('user', zendeskId, { organization_id: otherOrg?.ref.id ?? null });
    await h.cycle();
    expect(h.superoffice.get('person', personId)?.values['Contact.ContactId']).toBe(other);
  });

  it('makes a write wait for the record its reference needs, says what it waits for, and sends it once it exists', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    h.superoffice.add('user', { personEmail: 'u@acme.test', contactId }, { modifiedAt: null });
    h.zendesk.failureRule = (type) =>
      type === 'organization' ? new SyncError('transient', 'service busy') : undefined;
    const first = await h.cycle();
    expect(h.zendesk.all('user')).toHaveLength(0);
    expect(first.waits).toHaveLength(1);
    expect(first.waits[0]?.message).toMatch(/waits for organization .* to have a Zendesk organization/);
    h.zendesk.failureRule = undefined;
    h.clock.advance(3600);
    await h.cycle();
    const org = only(h.zendesk.all('organization'));
    expect(only(h.zendesk.all('user')).values.organization_id).toBe(org.ref.id);
  });
});

describe('properties one side cannot take', () => {
  const created = '2024-03-26T08:00:00Z';

  it('sets due_at to the ticket’s creation plus TimeToReply minutes, UTC to the second', async () => {
    const h = await open();
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': null, TimeToReply: '90', Title: 'T' },
      { facts: { createdAt: '2024-03-26T08:00:00.250+01:00' } },
    );
    await h.cycle();
    expect(only(h.zendesk.all('ticket')).values.due_at).toBe('2024-03-26T08:30:00Z');
  });

  it('gives no due date for a TimeToReply of 0 or none', async () => {
    const h = await open();
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': null, TimeToReply: '0', Title: 'zero' },
      { facts: { createdAt: created } },
    );
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': null, TimeToReply: null, Title: 'none' },
      { facts: { createdAt: created } },
    );
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': null, Title: 'absent' },
      { facts: { createdAt: created } },
    );
    await h.cycle();
    expect(h.zendesk.all('ticket').map((ticket) => ticket.values.due_at)).toEqual([null, null, null]);
  });

  it('keeps a due_at edited in Zendesk there, does not write it back, and records why', async () => {
    const h = await open();
    const ticketId = h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': null, TimeToReply: '60', Title: 'T' },
      { facts: { createdAt: created } },
    );
    await h.cycle();
    const ticket = only(h.zendesk.all('ticket'));
    h.zendesk.edit('ticket', ticket.ref.id, { due_at: '2024-04-01T12:00:00Z' });
    const report = await h.cycle();
    expect(h.zendesk.get('ticket', ticket.ref.id)?.values.due_at).toBe('2024-04-01T12:00:00Z');
    expect(h.superoffice.get('ticket', ticketId)?.values.TimeToReply).toBe('60');
    expect(h.superoffice.writeCalls).toBe(0);
    expect(report.holds).toEqual([expect.objectContaining({ reason: 'read-only', attribute: 'due' })]);
    h.superoffice.edit('ticket', ticketId, { Title: 'T2' });
    const later = await h.cycle();
    expect(later.holds).toEqual([]); // recorded once while it lasts
    expect(h.zendesk.get('ticket', ticket.ref.id)?.values).toMatchObject({
      due_at: '2024-04-01T12:00:00Z',
      subject: 'T2',
    });
  });

  it('syncs a ticket without assignee, with no failing call, when the Person’s Zendesk user is not an agent', async () => {
    const h = await open();
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'end@example.com',
      'PrivatePhones.Value': null,
    });
    h.zendesk.add(
      'user',
      { email: 'end@example.com', phone: null, organization_id: null },
      { facts: { isAgent: false } },
    );
    const ticketId = h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': personId, TimeToReply: null, Title: 'T' },
      { facts: { createdAt: created } },
    );
    const report = await h.cycle();
    expect(only(h.zendesk.all('ticket')).values.assignee_id).toBeNull();
    expect(report.failures).toEqual([]);
    expect(report.holds).toEqual([expect.objectContaining({ reason: 'agent-only', attribute: 'assignee' })]);
    h.superoffice.edit('ticket', ticketId, { Title: 'T again' });
    const next = await h.cycle();
    expect(next.failures).toEqual([]);
    expect(next.holds).toEqual([]);
    const ticketOps = h.zendesk.operations.filter((entry) => entry.type === 'ticket');
    expect(ticketOps.every((entry) => entry.operation.values.assignee_id === undefined)).toBe(true);
  });

  it('writes the held assignee once the Person’s Zendesk user becomes an agent', async () => {
    const h = await open();
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'later@example.com',
      'PrivatePhones.Value': null,
    });
    const userId = h.zendesk.add(
      'user',
      { email: 'later@example.com', phone: null, organization_id: null },
      { facts: { isAgent: false } },
    );
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': personId, TimeToReply: null, Title: 'T' },
      { facts: { createdAt: created } },
    );
    await h.cycle();
    expect(only(h.zendesk.all('ticket')).values.assignee_id).toBeNull();
    h.zendesk.edit('user', userId, {}, { isAgent: true });
    await h.cycle();
    expect(only(h.zendesk.all('ticket')).values.assignee_id).toBe(userId);
  });

  it('writes the assignee when the Person’s Zendesk user is an agent', async () => {
    const h = await open();
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'agent@example.com',
      'PrivatePhones.Value': null,
    });
    const agentId = h.zendesk.add(
      'user',
      { email: 'agent@example.com', phone: null, organization_id: null },
      { facts: { isAgent: true } },
    );
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': personId, TimeToReply: null, Title: 'T' },
      { facts: { createdAt: created } },
    );
    await h.cycle();
    expect(only(h.zendesk.all('ticket')).values.assignee_id).toBe(agentId);
  });

  it('leaves the SuperOffice owner unchanged when the Zendesk requester has no SuperOffice user, and records it', async () => {
    const h = await open();
    const ownerId = h.superoffice.add(
      'user',
      { personEmail: 'owner@example.com', contactId: null },
      { modifiedAt: null },
    );
    const ticketId = h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': ownerId, 'Person.PersonId': null, TimeToReply: null, Title: 'T' },
      { facts: { createdAt: created } },
    );
    const customerId = h.zendesk.add('user', { email: 'customer@example.com', phone: null, organization_id: null });
    await h.cycle();
    const ticket = only(h.zendesk.all('ticket'));
    h.zendesk.edit('ticket', ticket.ref.id, { requester_id: customerId });
    const report = await h.cycle();
    expect(h.superoffice.get('ticket', ticketId)?.values['OwnedBy.AssociateId']).toBe(ownerId);
    expect(h.superoffice.writeCalls).toBe(0);
    expect(report.holds).toEqual([expect.objectContaining({ reason: 'no-counterpart', attribute: 'requester' })]);
    expect(report.holds[0]?.message).toMatch(/needs a SuperOffice user/);
  });

  it('keeps the SuperOffice owner when the Zendesk requester is a SuperOffice user who is no Service user, and records why', async () => {
    const h = await open();
    const ownerId = h.superoffice.add(
      'user',
      { personEmail: 'owner@example.com', contactId: null },
      { modifiedAt: null, facts: { isAgent: true } },
    );
    // A CRM-only employee: a SuperOffice user without a Service user (ejUserId 0) cannot own tickets.
    h.superoffice.add(
      'user',
      { personEmail: 'sales@example.com', contactId: null },
      { modifiedAt: null, facts: { isAgent: false } },
    );
    const ticketId = h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': ownerId, 'Person.PersonId': null, TimeToReply: null, Title: 'T' },
      { facts: { createdAt: created } },
    );
    await h.cycle();
    const salesUser = h.zendesk.all('user').find((user) => user.values.email === 'sales@example.com');
    const ticket = only(h.zendesk.all('ticket'));
    h.zendesk.edit('ticket', ticket.ref.id, { requester_id: salesUser?.ref.id ?? null });
    const report = await h.cycle();
    expect(h.superoffice.get('ticket', ticketId)?.values['OwnedBy.AssociateId']).toBe(ownerId);
    expect(h.superoffice.writeCalls).toBe(0);
    expect(report.holds).toEqual([expect.objectContaining({ reason: 'service-user-only', attribute: 'requester' })]);
    expect(report.holds[0]?.message).toMatch(/only Service users .* is not one/);
  });

  it('leaves the SuperOffice Person unchanged when the Zendesk assignee has no SuperOffice person, and records it', async () => {
    const h = await open();
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'agent1@example.com',
      'PrivatePhones.Value': null,
    });
    h.zendesk.add(
      'user',
      { email: 'agent1@example.com', phone: null, organization_id: null },
      { facts: { isAgent: true } },
    );
    const otherAgent = h.zendesk.add(
      'user',
      { email: 'agent2@example.com', phone: null, organization_id: null },
      { facts: { isAgent: true } },
    );
    const ticketId = h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': personId, TimeToReply: null, Title: 'T' },
      { facts: { createdAt: created } },
    );
    await h.cycle();
    const ticket = only(h.zendesk.all('ticket'));
    h.zendesk.edit('ticket', ticket.ref.id, { assignee_id: otherAgent });
    const report = await h.cycle();
    expect(h.superoffice.get('ticket', ticketId)?.values['Person.PersonId']).toBe(personId);
    expect(report.holds).toEqual([expect.objectContaining({ reason: 'no-counterpart', attribute: 'assignee' })]);
  });

  it('does not merge or create a second contact with an existing organization name, and reports it until renamed', async () => {
    const h = await open();
    h.superoffice.add('contact', { Name: 'Acme' }, { id: '1' });
    h.superoffice.add('contact', { Name: 'ACME ' }, { id: '2' });
    const report = await h.cycle();
    expect(h.zendesk.all('organization')).toHaveLength(1);
    expect(h.zendesk.all('organization')[0]?.facts?.externalId).toBe('superoffice:contact:1');
    expect(report.failures).toEqual([]);
    expect(report.holds).toEqual([expect.objectContaining({ reason: 'duplicate-name' })]);
    expect(report.holds[0]?.message).toMatch(/Rename the contact/);
    const second = await h.cycle();
    expect(second.writes.calls).toBe(0);
    h.superoffice.edit('contact', '2', { Name: 'Acme Oslo' });
    await h.cycle();
    expect(
      h.zendesk
        .all('organization')
        .map((org) => org.values.name)
        .sort(),
    ).toEqual(['Acme', 'Acme Oslo']);
  });
});

describe('outbox', () => {
  it('keeps a refused write with its error, retries it with back-off, and does not block other records', async () => {
    const h = await open();
    h.superoffice.add('contact', { Name: 'Good' });
    h.superoffice.add('contact', { Name: 'Flaky' });
    let refusals = 0;
    h.zendesk.failureRule = (_type, operation) =>
      operation.values.name === 'Flaky' && refusals++ < 2 ? new SyncError('transient', 'busy') : undefined;
    const first = await h.cycle();
    expect(h.zendesk.all('organization').map((org) => org.values.name)).toEqual(['Good']);
    expect(first.failures).toEqual([
      expect.objectContaining({ error: expect.objectContaining({ code: 'transient' }) }),
    ]);
    const retryAt = first.failures[0]?.retryAt;
    expect(retryAt).toBe(new Date(h.clock.now().getTime() + 30_000).toISOString());
    const early = await h.cycle(); // one minute later: the 30 s back-off has passed
    expect(early.writes.failed).toBe(1);
    expect(early.failures[0]?.retryAt).toBe(new Date(h.clock.now().getTime() + 60_000).toISOString());
    const tooSoon = await h.cycle(); // 60 s back-off: due exactly now
    expect(tooSoon.writes.created).toBe(1);
    expect(h.zendesk.all('organization')).toHaveLength(2);
  });

  it('reports a write the system refuses for good with what to do, and does not retry it until the record changes', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Bad' });
    h.zendesk.failureRule = (_type, operation) =>
      operation.values.name === 'Bad' ? new SyncError('validation', 'Name: is invalid') : undefined;
    const first = await h.cycle();
    expect(first.failures[0]).toMatchObject({ retryAt: null, advice: expect.stringMatching(/Correct the record/) });
    h.clock.advance(24 * 3600);
    const later = await h.cycle();
    expect(later.writes.calls).toBe(0);
    const failed = await h.store.listFailedOutbox(10);
    expect(failed).toEqual([expect.objectContaining({ state: 'failed' })]);
    h.superoffice.edit('contact', contactId, { Name: 'Good' });
    await h.cycle();
    expect(only(h.zendesk.all('organization')).values.name).toBe('Good');
    expect(await h.store.listFailedOutbox(10)).toEqual([]);
  });

  it('adopts a record created before a crash instead of creating it twice', async () => {
    const h = await open();
    h.superoffice.add('contact', { Name: 'Acme' });
    h.zendesk.crashAfterNextWrite = true;
    await expect(h.cycle()).rejects.toThrow(/crash after the write/);
    expect(h.zendesk.all('organization')).toHaveLength(1);
    h.restart();
    const report = await h.cycle();
    expect(report.status).toBe('completed');
    expect(h.zendesk.all('organization')).toHaveLength(1);
    const quiet = await h.cycle();
    expect(quiet.writes.calls).toBe(0);
  });

  it('sends a write that a crash kept from reaching the system on the next cycle', async () => {
    const h = await open();
    h.superoffice.add('contact', { Name: 'Acme' });
    h.zendesk.crashBeforeNextWrite = true;
    await expect(h.cycle()).rejects.toThrow(/crash before the write/);
    expect(h.zendesk.all('organization')).toHaveLength(0);
    h.restart();
    await h.cycle();
    expect(only(h.zendesk.all('organization')).values.name).toBe('Acme');
  });

  it('links creates without a returned record on update and still converges', async () => {
    const h = await open();
    h.zendesk.returnRecords = false;
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    h.superoffice.edit('contact', contactId, { Name: 'Acme 2' });
    await h.cycle();
    expect(only(h.zendesk.all('organization')).values.name).toBe('Acme 2');
    const quiet = await h.cycle();
    expect(quiet.writes.calls).toBe(0);
  });
});

describe('engine cycle', () => {
  it('stops between batches on a stop signal, reports the cycle interrupted, and the next cycle finishes the work', async () => {
    const h = await open({ pageSize: 1 });
    for (const name of ['A', 'B', 'C']) h.superoffice.add('contact', { Name: name });
    const controller = new AbortController();
    let pages = 0;
    h.engine = new (h.engine.constructor as typeof import('../../src/engine/sync-engine.js').SyncEngine)({
      store: h.store,
      superoffice: h.superoffice,
      zendesk: h.zendesk,
      clock: h.clock.now,
      onProgress: (event) => {
        if (event.phase === 'read' && event.type === 'contact' && ++pages === 2) controller.abort();
      },
    });
    const stopped = await h.cycle({ signal: controller.signal });
    expect(stopped.status).toBe('interrupted');
    expect(h.zendesk.all('organization')).toHaveLength(0);
    h.restart();
    const next = await h.cycle();
    expect(next.status).toBe('completed');
    expect(h.zendesk.all('organization').map((org) => org.values.name)).toEqual(['A', 'B', 'C']);
    const cycles = await h.store.listCycles(5);
    expect(cycles.map((cycle) => cycle.status)).toEqual(['completed', 'interrupted']);
  });

  it('catches an edit the change feed missed in a sweep', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    h.superoffice.editUnnoticed('contact', contactId, { Name: 'Acme Quiet' });
    const feedOnly = await h.cycle();
    expect(feedOnly.writes.calls).toBe(0);
    const sweep = await h.cycle({ sweep: true });
    expect(sweep.reads.every((read) => read.full)).toBe(true);
    expect(only(h.zendesk.all('organization')).values.name).toBe('Acme Quiet');
  });

  it('plans the next cycle without writing to either system or keeping anything in the store', async () => {
    const h = await open();
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    h.superoffice.add('user', { personEmail: 'u@acme.test', contactId }, { modifiedAt: null });
    const plan = await h.engine.plan();
    expect(plan.creates.map((create) => create.target)).toEqual(['zendesk:organization', 'zendesk:user']);
    expect(plan.creates[1]?.values.organization_id).toMatch(/^planned-/);
    expect(plan.links).toHaveLength(2);
    expect(h.zendesk.writeCalls + h.superoffice.writeCalls).toBe(0);
    expect(await h.store.listCycles(5)).toEqual([]);
    expect(await h.store.getCursor('superoffice', 'contact')).toBeNull();
    const real = await h.cycle();
    expect(real.counts.creates).toBe(2);
  });
});

describe('references a target system cannot take', () => {
  const created = '2024-03-26T08:00:00Z';

  it('clears a Zendesk assignee when the SuperOffice Person changes to a person Zendesk cannot assign, and records why', async () => {
    const h = await open();
    const agentId = h.zendesk.add(
      'user',
      { email: 'a@x.example', phone: null, organization_id: null },
      { facts: { isAgent: true } },
    );
    const a = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'a@x.example',
      'PrivatePhones.Value': null,
    });
    const c = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'c@x.example',
      'PrivatePhones.Value': null,
    });
    const ticketId = h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': null, 'Person.PersonId': a, TimeToReply: null, Title: 'T' },
      { facts: { createdAt: created } },
    );
    await h.cycle();
    expect(only(h.zendesk.all('ticket')).values.assignee_id).toBe(agentId);

    h.superoffice.edit('ticket', ticketId, { 'Person.PersonId': c });
    const report = await h.cycle();
    expect(only(h.zendesk.all('ticket')).values.assignee_id).toBeNull();
    expect(report.failures).toEqual([]);
    expect(report.holds).toEqual([expect.objectContaining({ reason: 'agent-only', attribute: 'assignee' })]);
    expect(h.superoffice.get('ticket', ticketId)?.values['Person.PersonId']).toBe(c);
    const quiet = await h.cycle();
    expect(quiet.writes.calls).toBe(0);
  });
});

describe('conflicts on values whose edit the system does not date', () => {
  it('dates an e-mail or phone edit that left the record’s modification time unchanged when it was detected, so a later SuperOffice edit wins', async () => {
    const h = await open();
    const personModifiedAt = h.clock.now().toISOString();
    const personValues = {
      'Contact.ContactId': null,
      'Emails.Value': 'kari@x.example',
      'PrivatePhones.Value': '+4711111111',
    };
    const personId = h.superoffice.add('person', personValues, { modifiedAt: personModifiedAt });
    const userId = h.zendesk.add('user', { email: 'kari@x.example', phone: '+4711111111', organization_id: null });
    await h.cycle();

    h.clock.advance(60);
    h.zendesk.edit('user', userId, { phone: '+4722222222' });
    h.clock.advance(60);
    // SuperOffice keeps a person's Updated date for a phone-only edit: same record, same modification time.
    h.superoffice.add(
      'person',
      { ...personValues, 'PrivatePhones.Value': '+4733333333' },
      { id: personId, modifiedAt: personModifiedAt },
    );
    const report = await h.cycle({ sweep: true });

    expect(h.zendesk.get('user', userId)?.values.phone).toBe('+4733333333');
    expect(h.superoffice.get('person', personId)?.values['PrivatePhones.Value']).toBe('+4733333333');
    expect(report.conflicts).toHaveLength(1);
    const conflict = report.conflicts[0] as (typeof report.conflicts)[number];
    expect(conflict.winner.system).toBe('superoffice');
    const superofficeCandidate = conflict.candidates.find((candidate) => candidate.system === 'superoffice');
    expect(superofficeCandidate?.changedAt).not.toBe(personModifiedAt);
  });

  it('still dates an edit by the record’s modification time when that time moved', async () => {
    const h = await open();
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': null,
      'Emails.Value': 'ola@x.example',
      'PrivatePhones.Value': '+4711111111',
    });
    const userId = h.zendesk.add('user', { email: 'ola@x.example', phone: '+4711111111', organization_id: null });
    await h.cycle();

    h.clock.advance(60);
    h.superoffice.edit('person', personId, { 'PrivatePhones.Value': '+4733333333' });
    h.clock.advance(60);
    h.zendesk.edit('user', userId, { phone: '+4722222222' });
    const report = await h.cycle({ sweep: true });

    expect(h.superoffice.get('person', personId)?.values['PrivatePhones.Value']).toBe('+4722222222');
    expect(report.conflicts[0]?.winner.system).toBe('zendesk');
  });
});

describe('references to an organization held for good', () => {
  // Needs the engine to answer EntityDirectory.heldCreate (see src/core/planner.ts heldCreateOf);
  // until it does, such references wait, and this test is expected to fail.
  it('creates the users of a contact whose name is taken without organization, records why, and adds it once the contact is renamed', async () => {
    const h = await open();
    h.superoffice.add('contact', { Name: 'Acme' }, { id: '1' });
    h.superoffice.add('contact', { Name: 'ACME ' }, { id: '2' });
    const personId = h.superoffice.add('person', {
      'Contact.ContactId': '2',
      'Emails.Value': 'kari@acme.example',
      'PrivatePhones.Value': null,
    });
    const userId = h.superoffice.add('user', { personEmail: 'ola@acme.example', contactId: '2' }, { modifiedAt: null });
    h.superoffice.add(
      'ticket',
      { 'OwnedBy.AssociateId': userId, 'Person.PersonId': personId, TimeToReply: null, Title: 'T' },
      { facts: { createdAt: '2024-03-26T08:00:00Z' } },
    );
    const report = await h.cycle();

    expect(report.waits).toEqual([]);
    const users = h.zendesk.all('user');
    expect(users.map((user) => [user.values.email, user.values.organization_id]).sort()).toEqual([
      ['kari@acme.example', null],
      ['ola@acme.example', null],
    ]);
    const requester = users.find((user) => user.values.email === 'ola@acme.example');
    expect(only(h.zendesk.all('ticket')).values.requester_id).toBe(requester?.ref.id);
    expect(report.holds.filter((hold) => hold.reason === 'held-reference').map((hold) => hold.attribute)).toEqual([
      'organization',
      'organization',
    ]);

    h.superoffice.edit('contact', '2', { Name: 'Acme Oslo' });
    await h.cycle();
    const oslo = h.zendesk.all('organization').find((organization) => organization.values.name === 'Acme Oslo');
    expect(oslo).toBeDefined();
    expect(h.zendesk.all('user').map((user) => user.values.organization_id)).toEqual([oslo?.ref.id, oslo?.ref.id]);
  });
});
