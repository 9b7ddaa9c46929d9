/**
 * Design invariants 2 and 4 end to end: on a generated tenant and account, seeded random edits on
 * both sides followed by one cycle leave every linked pair agreeing on every mapped attribute, and
 * the cycle after that makes no write call at all.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../simulators/seeded-random.js';
import { entityElement } from '../../simulators/superoffice/index.js';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

let h: SyncHarness;
let editsMade = 0;

beforeEach(async () => {
  h = await startSyncHarness({
    superoffice: { contacts: 20, persons: 50, tickets: 40, users: 5, seed: 11 },
    zendesk: { users: 15, organizations: 4, tickets: 6, agents: 3, seed: 11 },
  });
  h.clock.advance(5 * 60_000);
  editsMade = 0;
});

afterEach(async () => {
  await h.close();
});

interface LinkedPairs {
  organizations: [contactId: number, organizationId: number][];
  people: [personId: number, userId: number][];
  tickets: [ticketId: number, zendeskTicketId: number][];
}

async function linkedPairs(): Promise<LinkedPairs> {
  const pairs: LinkedPairs = { organizations: [], people: [], tickets: [] };
  for (const contact of h.superoffice.data.contacts.values()) {
    const linked = await h.zendeskIdOf('contact', contact.contactId);
    if (linked !== undefined) pairs.organizations.push([contact.contactId, linked]);
  }
  for (const person of h.superoffice.data.persons.values()) {
    const linked = await h.zendeskIdOf('person', person.personId);
    if (linked !== undefined) pairs.people.push([person.personId, linked]);
  }
  for (const ticket of h.superoffice.data.tickets.values()) {
    const linked = await h.zendeskIdOf('ticket', ticket.ticketId);
    if (linked !== undefined) pairs.tickets.push([ticket.ticketId, linked]);
  }
  return pairs;
}

/** Every disagreement between linked records on a mapped attribute, described for the failure message. */
async function disagreements(pairs: LinkedPairs): Promise<string[]> {
  const found: string[] = [];
  const organizationOfContact = new Map(pairs.organizations);
  for (const [contactId, organizationId] of pairs.organizations) {
    const contact = h.superoffice.data.contacts.get(contactId);
    const organization = h.zendesk.data.organization(organizationId);
    if (contact?.name !== organization?.name) {
      found.push(`contact ${contactId} name ${contact?.name} vs organization ${organization?.name}`);
    }
  }
  for (const [personId, userId] of pairs.people) {
    const person = h.superoffice.data.persons.get(personId);
    const user = h.zendesk.data.user(userId);
    if (person === undefined || user === undefined) {
      found.push(`person ${personId} or user ${userId} is gone`);
      continue;
    }
    const email = person.emails[0]?.value.toLowerCase() ?? null;
    const zendeskEmail = h.zendesk.data.primaryEmail(userId)?.toLowerCase() ?? null;
    if (email !== zendeskEmail) found.push(`person ${personId} e-mail ${email} vs user ${zendeskEmail}`);
    const phone = person.privatePhones[0]?.strippedValue ?? null;
    const zendeskPhone = user.phone === null ? null : user.phone.replace(/[^\d+]/g, '');
    if (phone !== zendeskPhone) found.push(`person ${personId} phone ${phone} vs user ${zendeskPhone}`);
    const organization = person.contactId === 0 ? null : (organizationOfContact.get(person.contactId) ?? null);
    if (organization !== user.organization_id) {
      found.push(`person ${personId} organization ${organization} vs user ${user.organization_id}`);
    }
  }
  for (const [ticketId, zendeskTicketId] of pairs.tickets) {
    const ticket = h.superoffice.data.tickets.get(ticketId);
    const zendeskTicket = h.zendesk.data.ticket(zendeskTicketId);
    if (ticket?.title !== zendeskTicket?.subject) {
      found.push(`ticket ${ticketId} title ${ticket?.title} vs subject ${zendeskTicket?.subject}`);
    }
  }
  return found;
}

/** Edits as people in both systems would make them between two cycles, from one seed. */
function editBothSides(random: () => number, pairs: LinkedPairs, edits: number): void {
  const contacts = [...h.superoffice.data.contacts.keys()];
  for (let count = 0; count < edits; count++) {
    // Numbered across rounds: Zendesk refuses a second organization with a name already taken.
    const index = editsMade++;
    h.clock.advance(1000 + Math.floor(random() * 30_000));
    const choice = Math.floor(random() * 8);
    const label = `edit ${index}`;
    if (choice === 0 && pairs.organizations.length > 0) {
      const [contactId] = pick(random, pairs.organizations);
      h.superoffice.data.editContact(contactId, { name: `Contact ${label}` });
    } else if (choice === 1 && pairs.organizations.length > 0) {
      const [, organizationId] = pick(random, pairs.organizations);
      h.zendesk.data.editOrganization(organizationId, { name: `Organization ${label}` });
    } else if (choice === 2 && pairs.tickets.length > 0) {
      const [ticketId] = pick(random, pairs.tickets);
      h.superoffice.data.editTicket(ticketId, { title: `Title ${label}` });
    } else if (choice === 3 && pairs.tickets.length > 0) {
      const [, zendeskTicketId] = pick(random, pairs.tickets);
      h.zendesk.data.editTicket(zendeskTicketId, { subject: `Subject ${label}` });
    } else if (choice === 4 && pairs.people.length > 0) {
      const [personId] = pick(random, pairs.people);
      const phones = h.superoffice.data.persons.get(personId)?.privatePhones ?? [];
      h.superoffice.data.editPerson(personId, {
        privatePhones: [entityElement(`+47 4${index.toString().padStart(7, '0')}`), ...phones.slice(1)],
      });
    } else if (choice === 5 && pairs.people.length > 0) {
      const [, userId] = pick(random, pairs.people);
      h.zendesk.data.editUser(userId, { phone: `+479${index.toString().padStart(7, '0')}` });
    } else if (choice === 6 && pairs.people.length > 0) {
      const [personId] = pick(random, pairs.people);
      h.superoffice.data.editPerson(personId, { contactId: pick(random, contacts) });
    } else if (pairs.people.length > 0 && pairs.organizations.length > 0) {
      const [, userId] = pick(random, pairs.people);
      const [, organizationId] = pick(random, pairs.organizations);
      h.zendesk.data.editUser(userId, { organization_id: organizationId });
    }
  }
}

describe('convergence over HTTP', () => {
  it('brings every linked pair into agreement after seeded edits on both sides, then writes nothing', async () => {
    const first = await h.sync();
    expect(first.failures).toEqual([]);
    const pairs = await linkedPairs();
    expect(pairs.organizations).toHaveLength(20);
    expect(pairs.tickets).toHaveLength(40);
    expect(pairs.people.length).toBeGreaterThan(0);
    expect(await disagreements(pairs)).toEqual([]);

    const generator = new SeededRandom(2024);
    const random = () => generator.next();
    for (let round = 0; round < 3; round++) {
      editBothSides(random, pairs, 25);
      h.clock.advance(1000);
      // A sweep: SuperOffice does not move UpdatedDate for a phone-only edit.
      const report = await h.sync({ sweep: true });
      expect(report.failures).toEqual([]);
      expect(await disagreements(pairs)).toEqual([]);

      h.superoffice.calls.reset();
      h.zendesk.calls.reset();
      await h.sync({ sweep: true });
      expect({ superoffice: h.superoffice.calls.writes, zendesk: h.zendesk.calls.writes }).toEqual({
        superoffice: 0,
        zendesk: 0,
      });
    }
  });
});
