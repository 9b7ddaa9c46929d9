/**
 * The seed (/work/shared/seed/000_26b3f9758ca42567.txt) is a QA checklist: each of its sentences
 * and table rows is a test here, run by the real engine against both simulators over HTTP. Every
 * test checks what the two systems hold afterwards through the simulators' data handles.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entityElement } from '../../simulators/superoffice/index.js';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

let h: SyncHarness;

beforeEach(async () => {
  h = await startSyncHarness();
});

afterEach(async () => {
  await h.close();
});

/** Moves the shared clock a second on, so the next edit carries a later modification time. */
function nextSecond(): void {
  h.clock.advance(1000);
}

function contactNamed(name: string) {
  return h.superoffice.data.createContact({ name });
}

function personWith(fields: { emails?: string[]; phones?: string[]; contactId?: number; firstname?: string }) {
  return h.superoffice.data.createPerson({
    firstname: fields.firstname ?? 'Kari',
    lastname: 'Nordmann',
    contactId: fields.contactId ?? 0,
    emails: (fields.emails ?? []).map((email) => entityElement(email)),
    privatePhones: (fields.phones ?? []).map((phone) => entityElement(phone)),
  });
}

/** A SuperOffice user: an associate whose person carries the e-mail and the company. */
function userWith(fields: { email: string; contactId?: number; login: string }) {
  const person = personWith({ emails: [fields.email], contactId: fields.contactId ?? 0, firstname: fields.login });
  const associate = h.superoffice.data.createAssociate({
    personId: person.personId,
    name: fields.login.toUpperCase(),
    userName: fields.login,
    type: 'InternalAssociate',
    deleted: false,
  });
  return { person, associate };
}

async function zendeskId(type: 'contact' | 'user' | 'person' | 'ticket', id: number): Promise<number> {
  const linked = await h.zendeskIdOf(type, id);
  if (linked === undefined) throw new Error(`SuperOffice ${type} ${id} has no linked Zendesk record`);
  return linked;
}

function zendeskOrganization(id: number) {
  const organization = h.zendesk.data.organization(id);
  if (organization === undefined) throw new Error(`no Zendesk organization ${id}`);
  return organization;
}

function zendeskUser(id: number) {
  const user = h.zendesk.data.user(id);
  if (user === undefined) throw new Error(`no Zendesk user ${id}`);
  return { ...user, email: h.zendesk.data.primaryEmail(id) };
}

function zendeskTicket(id: number) {
  const ticket = h.zendesk.data.ticket(id);
  if (ticket === undefined) throw new Error(`no Zendesk ticket ${id}`);
  return ticket;
}

function superofficePerson(id: number) {
  const person = h.superoffice.data.persons.get(id);
  if (person === undefined) throw new Error(`no SuperOffice person ${id}`);
  return person;
}

describe('SuperOffice Contact to Zendesk Organizations', () => {
  it('synchronises every SuperOffice contact with a Zendesk organization of the same name', async () => {
    const acme = contactNamed('Acme AS');
    const fjord = contactNamed('Fjord Fisk');
    const report = await h.sync();

    expect(report.failures).toEqual([]);
    expect(zendeskOrganization(await zendeskId('contact', acme.contactId)).name).toBe('Acme AS');
    expect(zendeskOrganization(await zendeskId('contact', fjord.contactId)).name).toBe('Fjord Fisk');
    expect(h.zendesk.data.organizations()).toHaveLength(2);
  });

  it('carries a Name edited in SuperOffice over to the Zendesk organization', async () => {
    const acme = contactNamed('Acme AS');
    await h.sync();
    nextSecond();
    h.superoffice.data.editContact(acme.contactId, { name: 'Acme Holding AS' });
    await h.sync();

    expect(zendeskOrganization(await zendeskId('contact', acme.contactId)).name).toBe('Acme Holding AS');
  });

  it('carries a name edited in Zendesk over to the SuperOffice contact', async () => {
    const acme = contactNamed('Acme AS');
    await h.sync();
    const organizationId = await zendeskId('contact', acme.contactId);
    nextSecond();
    h.zendesk.data.editOrganization(organizationId, { name: 'Acme Nordic' });
    await h.sync();

    expect(h.superoffice.data.contacts.get(acme.contactId)?.name).toBe('Acme Nordic');
    expect(zendeskOrganization(organizationId).name).toBe('Acme Nordic');
  });
});

describe('SuperOffice User to Zendesk Users', () => {
  it('merges a SuperOffice user with the existing Zendesk user of the same e-mail instead of creating one', async () => {
    const existing = h.zendesk.data.createUser({ name: 'Ola Agent', email: 'ola@acme.example', role: 'agent' });
    const { associate } = userWith({ email: 'Ola@Acme.example', login: 'ola' });
    const usersBefore = h.zendesk.data.users().length;
    await h.sync();

    expect(await h.zendeskIdOf('user', associate.associateId)).toBe(existing.id);
    expect(h.zendesk.data.users()).toHaveLength(usersBefore);
    expect(h.zendesk.calls.count('POST /api/v2/users/create_many')).toBe(0);
    expect(h.zendesk.calls.count('POST /api/v2/users')).toBe(0);
  });

  it('creates a Zendesk user for a SuperOffice user no Zendesk user matches', async () => {
    const { associate } = userWith({ email: 'new.user@acme.example', login: 'nu' });
    const usersBefore = h.zendesk.data.users().length;
    await h.sync();

    const created = zendeskUser(await zendeskId('user', associate.associateId));
    expect(created.email).toBe('new.user@acme.example');
    expect(h.zendesk.data.users()).toHaveLength(usersBefore + 1);
  });

  it('carries a personEmail edited in SuperOffice over to the Zendesk user', async () => {
    const { person, associate } = userWith({ email: 'ola@acme.example', login: 'ola' });
    await h.sync();
    nextSecond();
    h.superoffice.data.editPerson(person.personId, { emails: [entityElement('ola.nordmann@acme.example')] });
    await h.sync({ sweep: true });

    expect(zendeskUser(await zendeskId('user', associate.associateId)).email).toBe('ola.nordmann@acme.example');
  });

  it('carries an email edited in Zendesk over to the SuperOffice user', async () => {
    const { person, associate } = userWith({ email: 'ola@acme.example', login: 'ola' });
    await h.sync();
    const userId = await zendeskId('user', associate.associateId);
    nextSecond();
    h.zendesk.data.editUser(userId, { email: 'ola.z@acme.example' });
    await h.sync();

    expect(superofficePerson(person.personId).emails.map((email) => email.value)).toEqual(['ola.z@acme.example']);
    expect(zendeskUser(userId).email).toBe('ola.z@acme.example');
  });

  it('moves the Zendesk user to the organization of the contact a SuperOffice user moved to', async () => {
    const acme = contactNamed('Acme AS');
    const fjord = contactNamed('Fjord Fisk');
    const { person, associate } = userWith({ email: 'ola@acme.example', login: 'ola', contactId: acme.contactId });
    await h.sync();
    const userId = await zendeskId('user', associate.associateId);
    expect(zendeskUser(userId).organization_id).toBe(await zendeskId('contact', acme.contactId));

    nextSecond();
    h.superoffice.data.editPerson(person.personId, { contactId: fjord.contactId });
    await h.sync();

    expect(zendeskUser(userId).organization_id).toBe(await zendeskId('contact', fjord.contactId));
  });

  it('moves the SuperOffice user to the contact of the organization its Zendesk user moved to', async () => {
    const acme = contactNamed('Acme AS');
    const fjord = contactNamed('Fjord Fisk');
    const { person, associate } = userWith({ email: 'ola@acme.example', login: 'ola', contactId: acme.contactId });
    await h.sync();
    const userId = await zendeskId('user', associate.associateId);

    nextSecond();
    h.zendesk.data.editUser(userId, { organization_id: await zendeskId('contact', fjord.contactId) });
    await h.sync();

    expect(superofficePerson(person.personId).contactId).toBe(fjord.contactId);
  });
});

describe('SuperOffice Person to Zendesk Users', () => {
  it('links a SuperOffice person to the Zendesk user with the same e-mail', async () => {
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example'] });
    await h.sync();

    expect(await h.zendeskIdOf('person', kari.personId)).toBe(existing.id);
    expect(h.zendesk.calls.count('POST /api/v2/users/create_many')).toBe(0);
  });

  it('links a SuperOffice person on any of its e-mails, not only the first', async () => {
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari.private@home.example' });
    const kari = personWith({ emails: ['kari@fjord.example', 'kari.private@home.example'] });
    await h.sync();

    expect(await h.zendeskIdOf('person', kari.personId)).toBe(existing.id);
  });

  it('creates no Zendesk user for a SuperOffice person that is on no synced ticket', async () => {
    const kari = personWith({ emails: ['kari@fjord.example'] });
    const usersBefore = h.zendesk.data.users().length;
    await h.sync();

    expect(await h.zendeskIdOf('person', kari.personId)).toBeUndefined();
    expect(h.zendesk.data.userByEmail('kari@fjord.example')).toBeUndefined();
    expect(h.zendesk.data.users()).toHaveLength(usersBefore);
  });

  it('creates a Zendesk user for the Person of a synced ticket, before the ticket', async () => {
    const kari = personWith({ emails: ['kari@fjord.example'] });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', personId: kari.personId });
    const report = await h.sync();

    const userId = await zendeskId('person', kari.personId);
    expect(zendeskUser(userId).email).toBe('kari@fjord.example');
    expect(zendeskTicket(await zendeskId('ticket', ticket.ticketId)).subject).toBe('Printer on fire');
    const createdTargets = report.creates.map((create) => create.target);
    expect(createdTargets.indexOf('zendesk:user')).toBeGreaterThanOrEqual(0);
    expect(createdTargets.indexOf('zendesk:user')).toBeLessThan(createdTargets.indexOf('zendesk:ticket'));
  });

  it('carries the first e-mail edited in SuperOffice over to the Zendesk user', async () => {
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example', 'kari@home.example'] });
    await h.sync();
    nextSecond();
    h.superoffice.data.editPerson(kari.personId, {
      emails: [entityElement('kari.nordmann@fjord.example'), entityElement('kari@home.example')],
    });
    // SuperOffice does not move UpdatedDate for an e-mail-only edit, so only a sweep sees it.
    await h.sync({ sweep: true });

    expect(zendeskUser(existing.id).email).toBe('kari.nordmann@fjord.example');
  });

  it('carries an email edited in Zendesk over to the person’s first e-mail and keeps the other e-mails', async () => {
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example', 'kari@home.example'] });
    await h.sync();
    nextSecond();
    h.zendesk.data.editUser(existing.id, { email: 'kari.n@fjord.example' });
    await h.sync();

    expect(superofficePerson(kari.personId).emails.map((email) => email.value)).toEqual([
      'kari.n@fjord.example',
      'kari@home.example',
    ]);
  });

  it('carries the first private phone edited in SuperOffice over to the Zendesk user', async () => {
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example'], phones: ['+47 22 33 44 55'] });
    await h.sync();
    expect(zendeskUser(existing.id).phone).toBe('+4722334455');

    nextSecond();
    h.superoffice.data.editPerson(kari.personId, {
      privatePhones: [entityElement('+47 99 88 77 66'), entityElement('+47 22 33 44 55')],
    });
    await h.sync({ sweep: true });

    expect(zendeskUser(existing.id).phone).toBe('+4799887766');
  });

  it('carries a phone edited in Zendesk over to the person’s first private phone and keeps the other phones', async () => {
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example'], phones: ['+47 22 33 44 55', '+47 51 00 00 00'] });
    await h.sync();
    nextSecond();
    h.zendesk.data.editUser(existing.id, { phone: '+4790000001' });
    await h.sync();

    const phones = superofficePerson(kari.personId).privatePhones.map((phone) => phone.strippedValue);
    expect(phones).toEqual(['+4790000001', '+4751000000']);
  });

  it('moves the Zendesk user to another organization when the person moves to another company, and back', async () => {
    const acme = contactNamed('Acme AS');
    const fjord = contactNamed('Fjord Fisk');
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example'], contactId: acme.contactId });
    await h.sync();
    const acmeOrganization = await zendeskId('contact', acme.contactId);
    const fjordOrganization = await zendeskId('contact', fjord.contactId);
    expect(zendeskUser(existing.id).organization_id).toBe(acmeOrganization);

    nextSecond();
    h.superoffice.data.editPerson(kari.personId, { contactId: fjord.contactId });
    await h.sync();
    expect(zendeskUser(existing.id).organization_id).toBe(fjordOrganization);

    nextSecond();
    h.superoffice.data.editPerson(kari.personId, { contactId: acme.contactId });
    await h.sync();
    expect(zendeskUser(existing.id).organization_id).toBe(acmeOrganization);
  });

  it('moves the person to another company when the Zendesk user moves to another organization', async () => {
    const acme = contactNamed('Acme AS');
    const fjord = contactNamed('Fjord Fisk');
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example'], contactId: acme.contactId });
    await h.sync();

    nextSecond();
    h.zendesk.data.editUser(existing.id, { organization_id: await zendeskId('contact', fjord.contactId) });
    await h.sync();

    expect(superofficePerson(kari.personId).contactId).toBe(fjord.contactId);
  });
});
