/**
 * Records already in Zendesk meet creates (issue 12.2, 12.13), through the real engine, both
 * simulators over HTTP and a real SQLite state:
 * - a person whose e-mail an existing Zendesk user holds (as a secondary address the change feed
 *   does not show) is linked to that user, which keeps its name and external id and receives the
 *   mapped values through the update path;
 * - a new, empty state against a pair another state already synced creates no second ticket,
 *   although the ticket edited in Zendesk in the last minute is withheld by the export.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entityElement } from '../../simulators/superoffice/index.js';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

let h: SyncHarness;
let directory: string;

beforeEach(async () => {
  h = await startSyncHarness();
  directory = await mkdtemp(join(tmpdir(), 'tandem-existing-'));
});

afterEach(async () => {
  await h.close();
  await rm(directory, { recursive: true, force: true });
});

function personOnTicket(email: string, phone: string) {
  const contact = h.superoffice.data.createContact({ name: 'Fjord Fisk AS' });
  const person = h.superoffice.data.createPerson({
    firstname: 'Kari',
    lastname: 'Nordmann',
    contactId: contact.contactId,
    emails: [entityElement(email)],
    privatePhones: [entityElement(phone)],
  });
  const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', personId: person.personId });
  return { contact, person, ticket };
}

describe('a create meets an existing Zendesk user (issue 12.2)', () => {
  it('links the holder of the e-mail as a merge and writes only mapped values to it, through the update path', async () => {
    const holder = h.zendesk.data.createUser({
      name: 'Kari at the help desk',
      email: 'kari.private@example.com',
      identities: [{ type: 'email', value: 'kari@fjord.example' }],
      external_id: 'hr-system:4711',
      role: 'agent',
    });
    h.clock.advance(5 * 60_000); // the holder has long been searchable (trap 7)
    const { person } = personOnTicket('kari@fjord.example', '+47 911 22 333');

    const first = await h.sync();
    expect(first.links).toContainEqual(
      expect.objectContaining({ record: `zendesk:user:${holder.id}`, rule: 'merge-key' }),
    );
    expect(await h.zendeskIdOf('person', person.personId)).toBe(holder.id);
    h.clock.advance(1000);
    const second = await h.sync();

    expect(second.failures).toEqual([]);
    expect(h.zendesk.data.user(holder.id)).toMatchObject({
      name: 'Kari at the help desk',
      external_id: 'hr-system:4711',
      phone: '+4791122333', // the planner's canonical phone
    });
    expect(h.zendesk.data.users().filter((user) => user.name.includes('Kari'))).toHaveLength(1);
    expect(h.zendesk.calls.count('PUT /api/v2/users/update_many')).toBeGreaterThan(0);
  });
});

describe('a new state against a pair another state synced (issue 12.13)', () => {
  it('creates no second ticket when the ticket edited in the last minute is withheld by the export', async () => {
    const { ticket } = personOnTicket('kari@fjord.example', '+47 911 22 333');
    await h.sync();
    const zendeskTicketId = await h.zendeskIdOf('ticket', ticket.ticketId);
    expect(zendeskTicketId).toBeDefined();
    h.clock.advance(10 * 60_000);
    h.zendesk.settings.incrementalWithholdSeconds = 60;
    h.zendesk.data.editTicket(zendeskTicketId ?? 0, { subject: 'Printer on fire (agent note)' });

    const fresh = await h.openState(join(directory, 'fresh.db'));
    try {
      const report = await fresh.engine.runCycle();
      expect(report.failures).toEqual([]);
      expect(h.zendesk.data.ticketsByExternalId(`superoffice:ticket:${ticket.ticketId}`)).toHaveLength(1);
      expect(h.zendesk.data.tickets()).toHaveLength(1);
      expect(h.zendesk.data.users().length).toBe(2); // the owner and Kari, once
      const links = await fresh.store.entityIdsOf([
        { system: 'superoffice', type: 'ticket', id: String(ticket.ticketId) },
        { system: 'zendesk', type: 'ticket', id: String(zendeskTicketId) },
      ]);
      expect(new Set(links.values()).size).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});
