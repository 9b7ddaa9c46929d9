/**
 * Merges made in SuperOffice are followed (issue 13 item 5): the merged-away person or contact
 * disappears without a trace in the lists, and only the merge/move log tells; the Zendesk record
 * linked to it moves to the surviving record instead of being left linked to nothing. Real
 * engine, both simulators over HTTP.
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

const nextMinute = () => h.clock.advance(60_000);

describe('SuperOffice merges', () => {
  it('moves the Zendesk user of a merged-away person to the surviving person, and creates no other user', async () => {
    const company = h.superoffice.data.createContact({ name: 'Fjord Logistics AS' });
    const old = h.superoffice.data.createPerson({
      contactId: company.contactId,
      firstname: 'Kari',
      emails: [entityElement('kari@fjord.example.com')],
    });
    const survivor = h.superoffice.data.createPerson({
      contactId: company.contactId,
      firstname: 'Kari',
      emails: [entityElement('kari.nordmann@fjord.example.com')],
    });
    const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire', personId: old.personId });
    await h.sync();
    const zendeskUser = await h.zendeskIdOf('person', old.personId);
    expect(zendeskUser).toBeDefined();
    const usersBefore = h.zendesk.data.users().length;

    nextMinute();
    h.superoffice.data.mergePersons(old.personId, survivor.personId);
    const report = await h.sync();

    expect(await h.zendeskIdOf('person', survivor.personId)).toBe(zendeskUser);
    expect(
      await h.store.getRecord({ system: 'superoffice', type: 'person', id: String(old.personId) }),
    ).toBeUndefined();
    expect(h.zendesk.data.users()).toHaveLength(usersBefore);
    // The survivor's e-mail is what SuperOffice holds now: it goes to the Zendesk user.
    expect(h.zendesk.data.primaryEmail(zendeskUser ?? 0)).toBe('kari.nordmann@fjord.example.com');
    expect(report.ambiguities).toEqual([]);
    // The ticket SuperOffice moved to the survivor (its LastChanged need not move) points at it here too.
    expect(report.waits).toEqual([]);
    const stored = await h.store.getRecord({ system: 'superoffice', type: 'ticket', id: String(ticket.ticketId) });
    expect(stored?.record.values['Person.PersonId']).toBe(String(survivor.personId));
    const again = await h.sync();
    expect(again.writes.created + again.writes.updated).toBe(0);
    expect(again.waits).toEqual([]);
  });

  it('moves the Zendesk organization of a merged-away contact to the surviving contact', async () => {
    const old = h.superoffice.data.createContact({ name: 'Fjord Logistics' });
    const survivor = h.superoffice.data.createContact({ name: 'Fjord Logistics AS' });
    await h.sync();
    const organization = await h.zendeskIdOf('contact', old.contactId);
    const survivorOrganization = await h.zendeskIdOf('contact', survivor.contactId);
    expect(organization).toBeDefined();
    expect(survivorOrganization).toBeDefined();

    nextMinute();
    h.superoffice.data.mergeContacts(old.contactId, survivor.contactId);
    const report = await h.sync();

    // Both contacts had their own organization: nothing is guessed, a person is told.
    expect(await h.zendeskIdOf('contact', survivor.contactId)).toBe(survivorOrganization);
    expect(report.ambiguities).toEqual([
      expect.objectContaining({
        record: `superoffice:contact:${survivor.contactId}`,
        message: expect.stringMatching(/merged contact .* into .*nothing was relinked/),
      }),
    ]);
  });

  it('moves the organization when the surviving contact had none of its own yet', async () => {
    const old = h.superoffice.data.createContact({ name: 'Old Name AS' });
    await h.sync();
    const organization = await h.zendeskIdOf('contact', old.contactId);
    nextMinute();
    const survivor = h.superoffice.data.createContact({ name: 'New Name AS' });
    h.superoffice.data.mergeContacts(old.contactId, survivor.contactId);
    const report = await h.sync();
    expect(report.ambiguities).toEqual([]);
    expect(await h.zendeskIdOf('contact', survivor.contactId)).toBe(organization);
    expect(h.zendesk.data.organization(organization ?? 0)?.name).toBe('New Name AS');
  });

  it('follows a merge made after the last feed read even when a sweep comes first', async () => {
    const old = h.superoffice.data.createPerson({ firstname: 'Ola', emails: [entityElement('ola@example.com')] });
    const survivor = h.superoffice.data.createPerson({
      firstname: 'Ola',
      emails: [entityElement('ola.n@example.com')],
    });
    h.superoffice.data.createTicket({ title: 'VPN down', personId: old.personId });
    await h.sync();
    const zendeskUser = await h.zendeskIdOf('person', old.personId);

    nextMinute();
    h.superoffice.data.mergePersons(old.personId, survivor.personId);
    // Later edits move the sweep's watermark well past the merge.
    h.clock.advance(30 * 60_000);
    h.superoffice.data.createPerson({ firstname: 'Late', emails: [entityElement('late@example.com')] });
    await h.sync({ sweep: true });
    await h.sync();

    expect(await h.zendeskIdOf('person', survivor.personId)).toBe(zendeskUser);
    expect(
      await h.store.getRecord({ system: 'superoffice', type: 'person', id: String(old.personId) }),
    ).toBeUndefined();
  });
});
