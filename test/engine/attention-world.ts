/**
 * A state with one of each attention item the engine harness can provoke, for tests of `status`
 * and for the transcript in the operator issue: a taken and a missing organization name, a
 * conflict, a deletion on each side, a write refused for good and one retried, two users sharing an
 * e-mail, a ticket held for one of them (its owner), a non-agent assignee, a person on no ticket, and a last
 * cycle that was stopped.
 */
import { SyncError } from '../../src/core/sync-error.js';
import type { Harness } from './harness.js';

export async function buildAttentionWorld(h: Harness): Promise<void> {
  h.zendesk.add('organization', { name: 'Fjord Logistics AS' });
  h.superoffice.add('contact', { Name: 'Fjord Logistics AS' });
  h.superoffice.add('contact', { Name: null });
  const nordic = h.superoffice.add('contact', { Name: 'Nordic Freight' });
  h.superoffice.add('contact', { Name: 'Bergen Marine' });
  const oslo = h.superoffice.add('contact', { Name: 'Oslo Paper' });
  h.superoffice.add('contact', { Name: 'Refused Ltd' });
  h.superoffice.add('contact', { Name: 'Flaky Ltd' });
  const twin = h.superoffice.add('user', { personEmail: 'twin@example.com', contactId: null }, { modifiedAt: null });
  h.superoffice.add('user', { personEmail: 'twin@example.com', contactId: null }, { modifiedAt: null });
  const owner = h.superoffice.add('user', { personEmail: 'agent@example.com', contactId: null });
  const customer = h.superoffice.add('person', {
    'Emails.Value': 'kari@example.com',
    'PrivatePhones.Value': null,
    'Contact.ContactId': nordic,
  });
  h.superoffice.add('ticket', {
    Title: 'Printer on fire',
    TimeToReply: null,
    'OwnedBy.AssociateId': owner,
    'Person.PersonId': customer,
  });
  h.superoffice.add('ticket', {
    Title: 'Invoice question',
    TimeToReply: null,
    'OwnedBy.AssociateId': twin,
    'Person.PersonId': null,
  });
  h.superoffice.add('person', {
    'Emails.Value': 'nobody@example.com',
    'PrivatePhones.Value': null,
    'Contact.ContactId': null,
  });
  const unreadable = h.superoffice.add('ticket', {
    Title: null,
    TimeToReply: null,
    'OwnedBy.AssociateId': owner,
    'Person.PersonId': null,
  });
  h.superoffice.unreadable.set(
    'ticket',
    new Map([[unreadable, new SyncError('malformed', 'Ticket.Title is missing; a Zendesk ticket needs a subject')]]),
  );
  h.zendesk.failureRule = (_type, operation) =>
    operation.values.name === 'Refused Ltd'
      ? new SyncError('validation', 'Name: is invalid')
      : operation.values.name === 'Flaky Ltd'
        ? new SyncError('transient', 'HTTP 503 Service Unavailable')
        : undefined;
  await h.cycle();
  const organizations = h.zendesk.all('organization');
  const organizationOf = (name: string) => organizations.find((org) => org.values.name === name)?.ref.id ?? '';
  h.superoffice.edit('contact', nordic, { Name: 'Nordic Freight AS' });
  h.clock.advance(5);
  h.zendesk.edit('organization', organizationOf('Nordic Freight'), { name: 'Nordic Freight Group' });
  h.zendesk.remove('organization', organizationOf('Bergen Marine'));
  h.superoffice.remove('contact', oslo);
  await h.cycle();
  const stop = new AbortController();
  stop.abort();
  await h.cycle({ signal: stop.signal });
}
