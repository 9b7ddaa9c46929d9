/**
 * What Zendesk refuses or decides on its own about tickets, and deletions in Zendesk (issue 12,
 * items 4-7 and 11), end to end against both simulators: Tandem never plans a write Zendesk will
 * refuse, never lets Zendesk choose a value the mapping gives, and never carries Zendesk's
 * consequences of a deletion to SuperOffice. Each held value is recorded with its reason, in the
 * cycle report, the entity's holds (what `status` and `explain` show) and its history.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entityElement } from '../../simulators/superoffice/index.js';
import { holdReasonOf } from '../../src/core/planner.js';
import { collectStatus } from '../../src/engine/status.js';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

let h: SyncHarness;

beforeEach(async () => {
  h = await startSyncHarness();
});

afterEach(async () => {
  await h.close();
});

function nextSecond(): void {
  h.clock.advance(1000);
}

/** A SuperOffice user (an associate whose person carries the e-mail). */
function superofficeUser(login: string, contactId = 0) {
  const person = h.superoffice.data.createPerson({
    firstname: login,
    lastname: 'User',
    contactId,
    emails: [entityElement(`${login}@acme.example`)],
  });
  return h.superoffice.data.createAssociate({
    personId: person.personId,
    name: login.toUpperCase(),
    userName: login,
    type: 'InternalAssociate',
    deleted: false,
  });
}

async function zendeskId(type: 'contact' | 'user' | 'person' | 'ticket', id: number): Promise<number> {
  const linked = await h.zendeskIdOf(type, id);
  if (linked === undefined) throw new Error(`SuperOffice ${type} ${id} has no linked Zendesk record`);
  return linked;
}

async function holdsOf(type: 'contact' | 'person' | 'ticket', id: number) {
  const entities = await h.store.entityIdsOf([{ system: 'superoffice', type, id: String(id) }]);
  const entityId = [...entities.values()][0];
  if (entityId === undefined) throw new Error(`SuperOffice ${type} ${id} is in no global entity`);
  const [entity] = await h.store.loadEntities([entityId]);
  const history = await h.store.historyOf(entityId);
  return {
    reasons: Object.keys(entity?.holds ?? {}).map(holdReasonOf),
    messages: Object.values(entity?.holds ?? {}),
    held: history.filter((entry) => entry.event === 'held').map((entry) => entry.rule),
  };
}

describe('tickets never get a requester Zendesk chose (12.4)', () => {
  it('holds the create of a ticket whose owner cannot be linked, says why, and creates it with its requester once it can', async () => {
    // Two SuperOffice users share an e-mail: neither can be linked until someone fixes it.
    const ola = superofficeUser('ola');
    const twin = superofficeUser('twin');
    h.superoffice.data.editPerson(twin.personId, { emails: [entityElement('ola@acme.example')] });
    const ticket = h.superoffice.data.createTicket({ title: 'Owned by an ambiguous user', ownedBy: ola.associateId });
    const report = await h.sync();

    expect(h.zendesk.data.tickets()).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.holds.map((hold) => hold.reason)).toContain('unlinked-reference');
    const holds = await holdsOf('ticket', ticket.ticketId);
    expect(holds.reasons).toContain('unlinked-reference');
    expect(holds.messages.join('\n')).toMatch(
      new RegExp(
        `superoffice:user:${ola.associateId} for the Zendesk requester_id, which cannot be linked until someone acts`,
      ),
    );
    const status = await collectStatus(h.store);
    expect(status.attention.items.map((item) => item.message).join('\n')).toMatch(
      /cannot be linked until someone acts/,
    );
    expect((await h.sync()).holds).toEqual([]); // recorded once, not again every cycle
    expect(h.zendesk.data.tickets()).toEqual([]);

    nextSecond();
    h.superoffice.data.editPerson(twin.personId, { emails: [entityElement('twin@acme.example')] });
    await h.sync();
    const created = h.zendesk.data.ticket(await zendeskId('ticket', ticket.ticketId));
    expect(created?.requester_id).toBe(await zendeskId('user', ola.associateId));
    expect((await holdsOf('ticket', ticket.ticketId)).reasons).toEqual([]);
  });
});

describe('an owner Tandem cannot see (12.4)', () => {
  it('holds the create of a ticket owned by an associate who is not among the users Tandem reads, and says which', async () => {
    // A resource associate (a meeting room, say) is not in InternalUsers: Tandem never reads it.
    const room = h.superoffice.data.createPerson({ firstname: 'Room', lastname: '101', contactId: 0 });
    const resource = h.superoffice.data.createAssociate({
      personId: room.personId,
      name: 'ROOM101',
      userName: 'room101',
      type: 'ResourceAssociate',
      deleted: false,
    });
    const ticket = h.superoffice.data.createTicket({ title: 'Booked by a room', ownedBy: resource.associateId });
    const report = await h.sync();

    expect(h.zendesk.data.tickets()).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.holds.map((hold) => hold.reason)).toContain('unknown-reference');
    const holds = await holdsOf('ticket', ticket.ticketId);
    expect(holds.messages.join('\n')).toMatch(
      new RegExp(`superoffice:user:${resource.associateId} .*not among the SuperOffice users Tandem reads`),
    );
    const status = await collectStatus(h.store);
    expect(status.attention.items.filter((item) => item.reason === 'unknown-reference')).toHaveLength(1);
    expect((await h.sync()).waits).toEqual([]); // held, not waiting for ever

    const ola = superofficeUser('ola');
    nextSecond();
    h.superoffice.data.editTicket(ticket.ticketId, { ownedBy: ola.associateId });
    await h.sync();
    const created = h.zendesk.data.ticket(await zendeskId('ticket', ticket.ticketId));
    expect(created?.requester_id).toBe(await zendeskId('user', ola.associateId));
  });
});

describe('a ticket without owner (12.4)', () => {
  it('does not take the requester Zendesk chose for a ticket without owner as the SuperOffice owner, and says so', async () => {
    // The API user (the account owner) is also a SuperOffice user: Zendesk's choice would link.
    const admin = superofficeUser('agent');
    h.superoffice.data.editPerson(admin.personId, { emails: [entityElement('agent@example.com')] });
    const orphan = h.superoffice.data.createTicket({ title: 'Nobody owns me' });
    await h.sync();
    const zendeskTicketId = await zendeskId('ticket', orphan.ticketId);
    expect(h.zendesk.data.ticket(zendeskTicketId)?.requester_id).toBe(h.zendesk.data.ownerId);
    h.clock.advance(2000);
    const report = await h.sync({ sweep: true });

    expect(h.superoffice.data.tickets.get(orphan.ticketId)?.ownedBy).toBe(0);
    expect(report.holds.map((hold) => hold.reason)).toContain('zendesk-default');
    expect((await h.sync({ sweep: true })).writes.calls).toBe(0);

    // An owner set later in SuperOffice replaces Zendesk's choice.
    const ola = superofficeUser('ola');
    nextSecond();
    h.superoffice.data.editTicket(orphan.ticketId, { ownedBy: ola.associateId });
    await h.sync();
    expect(h.zendesk.data.ticket(zendeskTicketId)?.requester_id).toBe(await zendeskId('user', ola.associateId));
    expect(h.superoffice.data.tickets.get(orphan.ticketId)?.ownedBy).toBe(ola.associateId);
  });
});

describe('assignable agents only (12.5)', () => {
  it('keeps a ticket without assignee, with no failing call, when the Person’s Zendesk user is a light agent, and says why', async () => {
    h.zendesk.data.createUser({ name: 'Lea Light', email: 'lea@acme.example', role: 'agent', role_type: 1 });
    const lea = h.superoffice.data.createPerson({
      firstname: 'Lea',
      lastname: 'Light',
      contactId: 0,
      emails: [entityElement('lea@acme.example')],
    });
    const ola = superofficeUser('ola');
    const ticket = h.superoffice.data.createTicket({
      title: 'Light work',
      personId: lea.personId,
      ownedBy: ola.associateId,
    });
    const report = await h.sync();

    expect(report.failures).toEqual([]);
    expect(h.zendesk.data.ticket(await zendeskId('ticket', ticket.ticketId))?.assignee_id).toBeNull();
    const holds = await holdsOf('ticket', ticket.ticketId);
    expect(holds.reasons).toContain('agent-only');
    expect(holds.messages.join('\n')).toMatch(/light agents/);
  });

  it('does not assign a ticket to an agent outside the ticket’s group, and says why', async () => {
    const inGroup = h.zendesk.data.createUser({ name: 'Gro Group', email: 'gro@acme.example', role: 'agent' });
    h.zendesk.data.createUser({ name: 'Ulf Outside', email: 'ulf@acme.example', role: 'agent' });
    const group = h.zendesk.data.createGroup('Second line');
    h.zendesk.data.addGroupMember(group.id, inGroup.id);
    const gro = h.superoffice.data.createPerson({
      firstname: 'Gro',
      lastname: 'G',
      contactId: 0,
      emails: [entityElement('gro@acme.example')],
    });
    const ulf = h.superoffice.data.createPerson({
      firstname: 'Ulf',
      lastname: 'O',
      contactId: 0,
      emails: [entityElement('ulf@acme.example')],
    });
    const ola = superofficeUser('ola');
    const ticket = h.superoffice.data.createTicket({
      title: 'Grouped',
      personId: gro.personId,
      ownedBy: ola.associateId,
    });
    await h.sync();
    const zendeskTicketId = await zendeskId('ticket', ticket.ticketId);
    nextSecond();
    h.zendesk.data.editTicket(zendeskTicketId, { group_id: group.id });
    h.clock.advance(2000);
    await h.sync();

    nextSecond();
    h.superoffice.data.editTicket(ticket.ticketId, { personId: ulf.personId });
    const report = await h.sync();

    expect(report.failures).toEqual([]);
    expect(h.zendesk.data.ticket(zendeskTicketId)?.assignee_id).toBeNull();
    expect(h.zendesk.data.ticket(zendeskTicketId)?.group_id).toBe(group.id);
    const holds = await holdsOf('ticket', ticket.ticketId);
    expect(holds.reasons).toContain('not-in-group');
    expect(holds.messages.join('\n')).toMatch(/only to members of that group/);
  });
});

describe('closed tickets are final in Zendesk (12.6)', () => {
  it('sends no update to a closed ticket and shows it once as closed in Zendesk, not as a failure', async () => {
    const ola = superofficeUser('ola');
    const ticket = h.superoffice.data.createTicket({ title: 'Done', ownedBy: ola.associateId });
    await h.sync();
    const zendeskTicketId = await zendeskId('ticket', ticket.ticketId);
    nextSecond();
    h.zendesk.data.editTicket(zendeskTicketId, { status: 'closed' });
    h.clock.advance(2000);
    await h.sync();

    nextSecond();
    h.superoffice.data.editTicket(ticket.ticketId, { title: 'Done, renamed in SuperOffice' });
    h.zendesk.calls.reset();
    const report = await h.sync();

    expect(report.failures).toEqual([]);
    expect(h.zendesk.calls.writes).toBe(0);
    expect(h.zendesk.data.ticket(zendeskTicketId)?.subject).toBe('Done');
    expect(report.holds.map((hold) => hold.message)).toEqual([
      expect.stringMatching(/^closed in Zendesk: SuperOffice changes not applied/),
    ]);
    const status = await collectStatus(h.store);
    expect(status.attention.items.filter((item) => /closed in Zendesk/.test(item.message))).toHaveLength(1);
    const again = await h.sync({ sweep: true });
    expect(again.failures).toEqual([]);
    expect(again.holds).toEqual([]);
    expect((await holdsOf('ticket', ticket.ticketId)).held.filter((rule) => rule === 'closed-in-zendesk')).toHaveLength(
      1,
    );
  });
});

describe('due dates do not retype tickets (12.7)', () => {
  it('creates a ticket with a due date as a task', async () => {
    const ola = superofficeUser('ola');
    const ticket = h.superoffice.data.createTicket({ title: 'Due', ownedBy: ola.associateId });
    h.clock.advance(30 * 60_000);
    h.superoffice.data.replyToTicket(ticket.ticketId);
    await h.sync();
    expect(h.zendesk.data.ticket(await zendeskId('ticket', ticket.ticketId))?.type).toBe('task');
  });

  it('keeps a problem a problem: the due date SuperOffice computes later is recorded, not set', async () => {
    const ola = superofficeUser('ola');
    const ticket = h.superoffice.data.createTicket({ title: 'A problem', ownedBy: ola.associateId });
    await h.sync();
    const zendeskTicketId = await zendeskId('ticket', ticket.ticketId);
    nextSecond();
    h.zendesk.data.editTicket(zendeskTicketId, { type: 'problem' });
    h.clock.advance(2000);
    await h.sync();

    h.clock.advance(45 * 60_000);
    h.superoffice.data.replyToTicket(ticket.ticketId);
    const report = await h.sync();

    expect(report.failures).toEqual([]);
    expect(h.zendesk.data.ticket(zendeskTicketId)?.type).toBe('problem');
    expect(h.zendesk.data.ticket(zendeskTicketId)?.due_at).toBeNull();
    const holds = await holdsOf('ticket', ticket.ticketId);
    expect(holds.reasons).toContain('due-needs-task');
    expect(holds.messages.join('\n')).toMatch(/is a problem: it keeps its type/);
  });
});

describe('no damage from a deletion in Zendesk (12.11)', () => {
  it('keeps the persons of an organization deleted in Zendesk in their SuperOffice company, and reports the deletion', async () => {
    const acme = h.superoffice.data.createContact({ name: 'Acme AS' });
    const kari = h.superoffice.data.createPerson({
      firstname: 'Kari',
      lastname: 'Nordmann',
      contactId: acme.contactId,
      emails: [entityElement('kari@acme.example')],
    });
    const ola = superofficeUser('ola', acme.contactId);
    h.superoffice.data.createTicket({ title: 'Kari’s ticket', personId: kari.personId, ownedBy: ola.associateId });
    await h.sync();
    const organizationId = await zendeskId('contact', acme.contactId);
    const kariUser = await zendeskId('person', kari.personId);
    expect(h.zendesk.data.user(kariUser)?.organization_id).toBe(organizationId);

    nextSecond();
    h.zendesk.data.deleteOrganization(organizationId);
    h.clock.advance(2000);
    h.superoffice.calls.reset();
    const report = await h.sync();

    expect(h.superoffice.data.persons.get(kari.personId)?.contactId).toBe(acme.contactId);
    expect(h.superoffice.calls.writes).toBe(0);
    expect(report.failures).toEqual([]);
    expect(report.holds.map((hold) => hold.reason)).toEqual(
      expect.arrayContaining(['deleted-member', 'deleted-reference']),
    );
    expect((await holdsOf('contact', acme.contactId)).held).toContain('deleted-member');
    expect((await holdsOf('person', kari.personId)).reasons).toContain('deleted-reference');
    const status = await collectStatus(h.store);
    expect(status.attention.items.filter((item) => item.kind === 'deletion').map((item) => item.record)).toEqual([
      `zendesk:organization:${organizationId}`,
    ]);
    // Nothing is re-created, and later cycles change nothing either side.
    const after = await h.sync({ sweep: true });
    expect(after.writes.calls).toBe(0);
    expect(h.zendesk.data.organizations()).toEqual([]);
    expect(h.superoffice.data.persons.get(kari.personId)?.contactId).toBe(acme.contactId);
  });

  it('reports a user and a ticket deleted in Zendesk, keeps their SuperOffice records as they are, and re-creates neither', async () => {
    const kari = h.superoffice.data.createPerson({
      firstname: 'Kari',
      lastname: 'Nordmann',
      contactId: 0,
      emails: [entityElement('kari@acme.example')],
    });
    const ola = superofficeUser('ola');
    const ticket = h.superoffice.data.createTicket({
      title: 'Kari’s ticket',
      personId: kari.personId,
      ownedBy: ola.associateId,
    });
    await h.sync();
    const kariUser = await zendeskId('person', kari.personId);
    const zendeskTicketId = await zendeskId('ticket', ticket.ticketId);

    nextSecond();
    h.zendesk.data.deleteUser(kariUser);
    h.zendesk.data.deleteTicket(zendeskTicketId);
    h.clock.advance(2000);
    h.superoffice.calls.reset();
    const report = await h.sync();

    expect(report.failures).toEqual([]);
    expect(h.superoffice.calls.writes).toBe(0);
    expect(h.superoffice.data.persons.get(kari.personId)?.emails.map((email) => email.value)).toEqual([
      'kari@acme.example',
    ]);
    expect(h.superoffice.data.tickets.get(ticket.ticketId)?.title).toBe('Kari’s ticket');
    expect((await holdsOf('person', kari.personId)).held).toContain('deleted-member');
    expect((await holdsOf('ticket', ticket.ticketId)).held).toContain('deleted-member');
    expect(h.zendesk.data.tickets().filter((row) => row.status !== 'deleted')).toEqual([]);
    const status = await collectStatus(h.store);
    expect(
      status.attention.items
        .filter((item) => item.kind === 'deletion')
        .map((item) => item.record)
        .sort(),
    ).toEqual([`zendesk:ticket:${zendeskTicketId}`, `zendesk:user:${kariUser}`].sort());
    expect((await h.sync({ sweep: true })).writes.calls).toBe(0);
  });
});
