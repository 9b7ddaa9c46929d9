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

async function entityIdOf(type: 'contact' | 'user' | 'person' | 'ticket', id: number): Promise<string> {
  const entities = await h.store.entityIdsOf([{ system: 'superoffice', type, id: String(id) }]);
  const entityId = [...entities.values()][0];
  if (entityId === undefined) throw new Error(`SuperOffice ${type} ${id} is in no global entity`);
  return entityId;
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

  it('creates no SuperOffice contact for an organization that exists only in Zendesk', async () => {
    h.zendesk.data.createOrganization({ name: 'Only In Zendesk' });
    await h.sync();
    await h.sync({ sweep: true });

    expect(h.superoffice.data.contacts.size).toBe(0);
    expect(h.superoffice.calls.writes).toBe(0);
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

  it('links a person once a Zendesk user with its e-mail appears, and syncs it from then on', async () => {
    const kari = personWith({ emails: ['kari@fjord.example'], phones: ['+47 22 33 44 55'] });
    await h.sync();
    expect(await h.zendeskIdOf('person', kari.personId)).toBeUndefined();

    nextSecond();
    const later = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    await h.sync();

    expect(await h.zendeskIdOf('person', kari.personId)).toBe(later.id);
    expect(zendeskUser(later.id).phone).toBe('+4722334455');
  });

  it('creates the Zendesk user when the person becomes the Person of a synced ticket later', async () => {
    const kari = personWith({ emails: ['kari@fjord.example'] });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire' });
    await h.sync();
    expect(h.zendesk.data.userByEmail('kari@fjord.example')).toBeUndefined();

    nextSecond();
    h.superoffice.data.editTicket(ticket.ticketId, { personId: kari.personId });
    await h.sync();

    expect(zendeskUser(await zendeskId('person', kari.personId)).email).toBe('kari@fjord.example');
  });

  it('takes the Zendesk user out of its organization when the person leaves its company, and back', async () => {
    const acme = contactNamed('Acme AS');
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example'], contactId: acme.contactId });
    await h.sync();

    nextSecond();
    h.superoffice.data.editPerson(kari.personId, { contactId: 0 });
    await h.sync();
    expect(zendeskUser(existing.id).organization_id).toBeNull();

    nextSecond();
    h.zendesk.data.editUser(existing.id, { organization_id: await zendeskId('contact', acme.contactId) });
    await h.sync();
    expect(superofficePerson(kari.personId).contactId).toBe(acme.contactId);

    nextSecond();
    h.zendesk.data.editUser(existing.id, { organization_id: null });
    await h.sync();
    expect(superofficePerson(kari.personId).contactId).toBe(0);
  });
});

describe('SuperOffice Ticket to Zendesk Tickets', () => {
  it('synchronises every SuperOffice ticket with a Zendesk ticket whose subject is the Title', async () => {
    const { associate } = userWith({ email: 'ola@acme.example', login: 'ola' });
    const printer = h.superoffice.data.createTicket({ title: 'Printer on fire', ownedBy: associate.associateId });
    const invoice = h.superoffice.data.createTicket({ title: 'Invoice 1042 is wrong', ownedBy: associate.associateId });
    const report = await h.sync();

    expect(report.failures).toEqual([]);
    expect(zendeskTicket(await zendeskId('ticket', printer.ticketId)).subject).toBe('Printer on fire');
    expect(zendeskTicket(await zendeskId('ticket', invoice.ticketId)).subject).toBe('Invoice 1042 is wrong');
  });

  it('synchronises a ticket that has no owner', async () => {
    const orphan = h.superoffice.data.createTicket({ title: 'Nobody owns me' });
    const report = await h.sync();

    expect(report.failures).toEqual([]);
    expect(zendeskTicket(await zendeskId('ticket', orphan.ticketId)).subject).toBe('Nobody owns me');
  });

  it('carries a Title edited in SuperOffice over to the Zendesk subject', async () => {
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire' });
    await h.sync();
    nextSecond();
    h.superoffice.data.editTicket(ticket.ticketId, { title: 'Printer on fire, second floor' });
    await h.sync();

    expect(zendeskTicket(await zendeskId('ticket', ticket.ticketId)).subject).toBe('Printer on fire, second floor');
  });

  it('carries a subject edited in Zendesk over to the SuperOffice Title', async () => {
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire' });
    await h.sync();
    const ticketId = await zendeskId('ticket', ticket.ticketId);
    nextSecond();
    h.zendesk.data.editTicket(ticketId, { subject: 'Printer fire put out' });
    await h.sync();

    expect(h.superoffice.data.tickets.get(ticket.ticketId)?.title).toBe('Printer fire put out');
  });

  it('sets the requester to the Zendesk user linked to the SuperOffice user who owns the ticket', async () => {
    const { associate } = userWith({ email: 'ola@acme.example', login: 'ola' });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', ownedBy: associate.associateId });
    await h.sync();

    const ola = await zendeskId('user', associate.associateId);
    expect(zendeskTicket(await zendeskId('ticket', ticket.ticketId)).requester_id).toBe(ola);
  });

  it('changes the owner in SuperOffice when the Zendesk requester changes to a user linked to a SuperOffice user', async () => {
    const ola = userWith({ email: 'ola@acme.example', login: 'ola' });
    const per = userWith({ email: 'per@acme.example', login: 'per' });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', ownedBy: ola.associate.associateId });
    await h.sync();
    const ticketId = await zendeskId('ticket', ticket.ticketId);

    nextSecond();
    h.zendesk.data.editTicket(ticketId, { requester_id: await zendeskId('user', per.associate.associateId) });
    await h.sync();

    expect(h.superoffice.data.tickets.get(ticket.ticketId)?.ownedBy).toBe(per.associate.associateId);
  });

  it('changes the requester in Zendesk when the SuperOffice owner changes', async () => {
    const ola = userWith({ email: 'ola@acme.example', login: 'ola' });
    const per = userWith({ email: 'per@acme.example', login: 'per' });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', ownedBy: ola.associate.associateId });
    await h.sync();

    nextSecond();
    h.superoffice.data.editTicket(ticket.ticketId, { ownedBy: per.associate.associateId });
    await h.sync();

    const perUser = await zendeskId('user', per.associate.associateId);
    expect(zendeskTicket(await zendeskId('ticket', ticket.ticketId)).requester_id).toBe(perUser);
  });

  it('assigns the Zendesk ticket to the Person’s Zendesk user when that user is an agent', async () => {
    const agent = h.zendesk.data.createUser({ name: 'Siri Support', email: 'siri@acme.example', role: 'agent' });
    const siri = personWith({ emails: ['siri@acme.example'] });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', personId: siri.personId });
    await h.sync();

    expect(zendeskTicket(await zendeskId('ticket', ticket.ticketId)).assignee_id).toBe(agent.id);
  });

  it('leaves the Zendesk ticket without assignee, with no failing call, and records why, when the Person’s user is not an agent', async () => {
    const kari = personWith({ emails: ['kari@fjord.example'] });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', personId: kari.personId });
    const report = await h.sync();

    const ticketId = await zendeskId('ticket', ticket.ticketId);
    expect(zendeskTicket(ticketId).assignee_id).toBeNull();
    expect(report.failures).toEqual([]);
    expect(report.writes.failed).toBe(0);
    expect(report.holds.map((hold) => hold.reason)).toContain('agent-only');
    const history = await h.store.historyOf(await entityIdOf('ticket', ticket.ticketId));
    expect(history.some((entry) => entry.event === 'held' && entry.attribute === 'assignee')).toBe(true);
  });

  it('changes the SuperOffice Person when the Zendesk assignee changes to an agent linked to another person', async () => {
    h.zendesk.data.createUser({ name: 'Siri Support', email: 'siri@acme.example', role: 'agent' });
    const otherAgent = h.zendesk.data.createUser({ name: 'Tor Support', email: 'tor@acme.example', role: 'agent' });
    const siri = personWith({ emails: ['siri@acme.example'] });
    const tor = personWith({ emails: ['tor@acme.example'] });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', personId: siri.personId });
    await h.sync();
    expect(await h.zendeskIdOf('person', tor.personId)).toBe(otherAgent.id);

    nextSecond();
    h.zendesk.data.editTicket(await zendeskId('ticket', ticket.ticketId), { assignee_id: otherAgent.id });
    await h.sync();

    expect(h.superoffice.data.tickets.get(ticket.ticketId)?.personId).toBe(tor.personId);
  });

  it('sets due_at to the ticket’s creation plus TimeToReply minutes, in UTC to the second', async () => {
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire' });
    h.clock.advance(95 * 60_000 + 20_000);
    h.superoffice.data.replyToTicket(ticket.ticketId);
    expect(h.superoffice.data.timeToReply(ticket)).toBe(95);
    await h.sync();

    const dueAt = zendeskTicket(await zendeskId('ticket', ticket.ticketId)).due_at;
    expect(dueAt).toBe(ticket.createdAt + 95 * 60_000);
  });

  it('keeps a due_at edited in Zendesk there and does not write it back to SuperOffice', async () => {
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire' });
    h.clock.advance(30 * 60_000);
    h.superoffice.data.replyToTicket(ticket.ticketId);
    await h.sync();
    const ticketId = await zendeskId('ticket', ticket.ticketId);
    expect(zendeskTicket(ticketId).due_at).toBe(ticket.createdAt + 30 * 60_000);

    nextSecond();
    h.zendesk.data.editTicket(ticketId, { due_at: '2031-01-15T12:00:00Z' });
    h.superoffice.calls.reset();
    await h.sync();
    // A later SuperOffice edit of the same ticket does not send the computed due date again.
    nextSecond();
    h.superoffice.data.editTicket(ticket.ticketId, { title: 'Printer on fire, again' });
    await h.sync();

    expect(zendeskTicket(ticketId).subject).toBe('Printer on fire, again');
    expect(zendeskTicket(ticketId).due_at).toBe(Date.parse('2031-01-15T12:00:00Z'));
    expect(h.superoffice.data.timeToReply(ticket)).toBe(30);
    expect(h.superoffice.calls.writes).toBe(0);
  });
});

describe('echo suppression', () => {
  it('makes no write call to either system in a second cycle without edits', async () => {
    const acme = contactNamed('Acme AS');
    const ola = userWith({ email: 'ola@acme.example', login: 'ola', contactId: acme.contactId });
    const kari = personWith({ emails: ['kari@fjord.example', 'kari@home.example'], phones: ['+47 22 33 44 55'] });
    h.superoffice.data.editPerson(kari.personId, { contactId: acme.contactId });
    h.zendesk.data.createUser({ name: 'Siri Support', email: 'siri@acme.example', role: 'agent' });
    const siri = personWith({ emails: ['siri@acme.example'], contactId: acme.contactId });
    h.superoffice.data.createTicket({
      title: 'Printer on fire',
      ownedBy: ola.associate.associateId,
      personId: kari.personId,
    });
    h.superoffice.data.createTicket({
      title: 'Toner empty',
      ownedBy: ola.associate.associateId,
      personId: siri.personId,
    });
    h.clock.advance(10 * 60_000);
    const first = await h.sync();
    expect(first.writes.created).toBeGreaterThan(0);

    h.superoffice.calls.reset();
    h.zendesk.calls.reset();
    const second = await h.sync();

    expect(h.superoffice.calls.writes).toBe(0);
    expect(h.zendesk.calls.writes).toBe(0);
    expect(second.writes.calls).toBe(0);
    expect(second.counts.creates + second.counts.updates).toBe(0);
  });

  it('takes the echo of its own writes for no edit: the cycle after a two-way exchange writes nothing', async () => {
    const acme = contactNamed('Acme AS');
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example'], phones: ['+47 22 33 44 55'] });
    await h.sync();
    nextSecond();
    h.superoffice.data.editContact(acme.contactId, { name: 'Acme Nordic AS' });
    h.zendesk.data.editUser(existing.id, { phone: '+4790000001' });
    await h.sync();
    expect(superofficePerson(kari.personId).privatePhones[0]?.strippedValue).toBe('+4790000001');
    expect(zendeskOrganization(await zendeskId('contact', acme.contactId)).name).toBe('Acme Nordic AS');

    nextSecond();
    h.superoffice.calls.reset();
    h.zendesk.calls.reset();
    await h.sync();
    await h.sync({ sweep: true });

    expect(h.superoffice.calls.writes).toBe(0);
    expect(h.zendesk.calls.writes).toBe(0);
  });
});

describe('conflicts: the same attribute edited on both sides between two cycles', () => {
  async function organizationOf(contactId: number) {
    await h.sync();
    return zendeskId('contact', contactId);
  }

  it('lets the later edit win when Zendesk edited last, and records the conflict', async () => {
    const acme = contactNamed('Acme AS');
    const organizationId = await organizationOf(acme.contactId);
    nextSecond();
    h.superoffice.data.editContact(acme.contactId, { name: 'Acme from SuperOffice' });
    nextSecond();
    h.zendesk.data.editOrganization(organizationId, { name: 'Acme from Zendesk' });
    const report = await h.sync();

    expect(h.superoffice.data.contacts.get(acme.contactId)?.name).toBe('Acme from Zendesk');
    expect(zendeskOrganization(organizationId).name).toBe('Acme from Zendesk');
    expect(report.conflicts).toHaveLength(1);
    expect(report.conflicts[0]).toMatchObject({
      attribute: 'name',
      rule: 'latest-wins',
      winner: { system: 'zendesk' },
    });
    const recorded = await h.store.historyOf(await entityIdOf('contact', acme.contactId));
    expect(recorded.filter((entry) => entry.event === 'conflict').map((entry) => entry.attribute)).toEqual(['name']);
  });

  it('lets the later edit win when SuperOffice edited last, and records the conflict', async () => {
    const acme = contactNamed('Acme AS');
    const organizationId = await organizationOf(acme.contactId);
    nextSecond();
    h.zendesk.data.editOrganization(organizationId, { name: 'Acme from Zendesk' });
    nextSecond();
    h.superoffice.data.editContact(acme.contactId, { name: 'Acme from SuperOffice' });
    const report = await h.sync();

    expect(h.superoffice.data.contacts.get(acme.contactId)?.name).toBe('Acme from SuperOffice');
    expect(zendeskOrganization(organizationId).name).toBe('Acme from SuperOffice');
    expect(report.conflicts[0]).toMatchObject({ attribute: 'name', winner: { system: 'superoffice' } });
    const conflicts = await h.store.listConflicts(10);
    expect(conflicts.map((entry) => entry.attribute)).toEqual(['name']);
  });

  it('lets SuperOffice win when both edits carry the same second', async () => {
    const acme = contactNamed('Acme AS');
    const organizationId = await organizationOf(acme.contactId);
    nextSecond();
    h.clock.set(h.clock.now()); // both edits land in the same second
    h.zendesk.data.editOrganization(organizationId, { name: 'Acme from Zendesk' });
    h.superoffice.data.editContact(acme.contactId, { name: 'Acme from SuperOffice' });
    const report = await h.sync();

    expect(h.superoffice.data.contacts.get(acme.contactId)?.name).toBe('Acme from SuperOffice');
    expect(zendeskOrganization(organizationId).name).toBe('Acme from SuperOffice');
    expect(report.conflicts[0]).toMatchObject({ attribute: 'name', winner: { system: 'superoffice' } });
  });

  it('resolves a ticket subject edited on both sides by the later edit', async () => {
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire' });
    await h.sync();
    const ticketId = await zendeskId('ticket', ticket.ticketId);
    nextSecond();
    h.superoffice.data.editTicket(ticket.ticketId, { title: 'Printer smoking' });
    nextSecond();
    h.zendesk.data.editTicket(ticketId, { subject: 'Printer replaced' });
    const report = await h.sync();

    expect(h.superoffice.data.tickets.get(ticket.ticketId)?.title).toBe('Printer replaced');
    expect(zendeskTicket(ticketId).subject).toBe('Printer replaced');
    expect(report.conflicts.map((conflict) => conflict.attribute)).toEqual(['subject']);
  });
});

describe('values one side cannot take or date, over HTTP', () => {
  it('takes the Zendesk assignee away when the SuperOffice Person changes to a person who is not an agent, and records why', async () => {
    const agent = h.zendesk.data.createUser({ name: 'Siri Support', email: 'a@x.example', role: 'agent' });
    const siri = personWith({ emails: ['a@x.example'] });
    const kari = personWith({ emails: ['c@x.example'] });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', personId: siri.personId });
    await h.sync();
    const ticketId = await zendeskId('ticket', ticket.ticketId);
    expect(zendeskTicket(ticketId).assignee_id).toBe(agent.id);

    nextSecond();
    h.superoffice.data.editTicket(ticket.ticketId, { personId: kari.personId });
    const report = await h.sync();

    expect(zendeskTicket(ticketId).assignee_id).toBeNull();
    expect(report.failures).toEqual([]);
    expect(report.holds.filter((hold) => hold.attribute === 'assignee')).toEqual([
      expect.objectContaining({ reason: 'agent-only', member: `zendesk:ticket:${ticketId}` }),
    ]);
    expect(h.superoffice.data.tickets.get(ticket.ticketId)?.personId).toBe(kari.personId);
  });

  it('lets a later SuperOffice phone edit win a conflict although SuperOffice kept the person’s Updated date', async () => {
    const existing = h.zendesk.data.createUser({ name: 'Kari Nordmann', email: 'kari@fjord.example' });
    const kari = personWith({ emails: ['kari@fjord.example'], phones: ['+4711111111'] });
    const updatedBefore = superofficePerson(kari.personId).updatedDate;
    await h.sync();

    h.clock.advance(60_000);
    h.zendesk.data.editUser(existing.id, { phone: '+4722222222' });
    h.clock.advance(60_000);
    h.superoffice.data.editPerson(kari.personId, { privatePhones: [entityElement('+4733333333')] });
    expect(superofficePerson(kari.personId).updatedDate).toBe(updatedBefore);
    const report = await h.sync({ sweep: true });

    expect(zendeskUser(existing.id).phone).toBe('+4733333333');
    expect(superofficePerson(kari.personId).privatePhones[0]?.strippedValue).toBe('+4733333333');
    expect(report.conflicts).toEqual([
      expect.objectContaining({ attribute: 'phone', winner: expect.objectContaining({ system: 'superoffice' }) }),
    ]);
  });
});
