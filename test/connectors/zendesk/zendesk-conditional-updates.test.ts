/**
 * Conditional updates against the Zendesk simulator (UpdateOperation.expected): an edit made in
 * Zendesk after Tandem read a record is never overwritten. Tickets are guarded by `safe_update`
 * (409, zendesk-api.md §6.3); users and organizations, which have no guard, are read back just
 * before the bulk update.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collect, type Harness, startHarness } from './connector-harness.js';

describe('Zendesk connector: conditional updates', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  async function readTicket(id: number) {
    const [record] = await harness.connector.readByIds('ticket', [String(id)]);
    if (record === undefined) throw new Error(`no ticket ${id}`);
    return record;
  }

  it('sends a ticket update with safe_update and the stamp Tandem read; an edit made since is not overwritten', async () => {
    harness = await startHarness();
    const ticket = harness.simulator.data.createTicket({ subject: 'As read', comment: { body: 'b' } });
    const asRead = await readTicket(ticket.id);
    harness.simulator.clock.advance(2_000);
    harness.simulator.data.editTicket(ticket.id, { subject: 'Edited in Zendesk meanwhile' });
    harness.simulator.calls.reset();

    const [outcome] = await harness.connector.write('ticket', [
      {
        kind: 'update',
        key: 'late',
        id: String(ticket.id),
        values: { subject: 'From SuperOffice' },
        expected: { values: { subject: 'As read' }, modifiedAt: asRead.modifiedAt },
      },
    ]);

    expect(outcome).toMatchObject({ key: 'late', status: 'conflict' });
    expect(outcome?.record?.values.subject).toBe('Edited in Zendesk meanwhile');
    expect(harness.simulator.data.ticket(ticket.id)?.subject).toBe('Edited in Zendesk meanwhile');
    expect(harness.simulator.calls.count('PUT /api/v2/tickets/:id')).toBe(1);

    // Planned again from the record as it is now, the update goes through.
    const [again] = await harness.connector.write('ticket', [
      {
        kind: 'update',
        key: 'again',
        id: String(ticket.id),
        values: { subject: 'From SuperOffice' },
        expected: {
          values: { subject: 'Edited in Zendesk meanwhile' },
          modifiedAt: outcome?.record?.modifiedAt ?? null,
        },
      },
    ]);
    expect(again).toMatchObject({ key: 'again', status: 'updated' });
    expect(again?.record?.values.subject).toBe('From SuperOffice');
    expect(harness.simulator.data.ticket(ticket.id)?.subject).toBe('From SuperOffice');
  });

  it('takes a ticket update whose answer was lost, sent again and refused with 409, as done when the ticket holds its values', async () => {
    harness = await startHarness();
    const ticket = harness.simulator.data.createTicket({ subject: 'As read', comment: { body: 'b' } });
    const asRead = await readTicket(ticket.id);
    harness.simulator.clock.advance(2_000);
    harness.simulator.faults.script([{ kind: 'drop', match: 'PUT /api/v2/tickets/:id', phase: 'after' }]);
    const [outcome] = await harness.connector.write('ticket', [
      {
        kind: 'update',
        key: 'dropped',
        id: String(ticket.id),
        values: { subject: 'From SuperOffice' },
        expected: { values: { subject: 'As read' }, modifiedAt: asRead.modifiedAt },
      },
    ]);
    expect(outcome).toMatchObject({
      key: 'dropped',
      status: 'updated',
      record: { values: { subject: 'From SuperOffice' } },
    });
    expect(harness.simulator.calls.count('PUT /api/v2/tickets/:id')).toBe(2);
  });

  it('reads a ticket first when Tandem knows no stamp for it, and writes nothing when it changed', async () => {
    harness = await startHarness();
    const ticket = harness.simulator.data.createTicket({ subject: 'Theirs', comment: { body: 'b' } });
    const [outcome] = await harness.connector.write('ticket', [
      {
        kind: 'update',
        key: 'stampless',
        id: String(ticket.id),
        values: { subject: 'Ours' },
        expected: { values: { subject: 'What Tandem read' }, modifiedAt: null },
      },
    ]);
    expect(outcome).toMatchObject({ status: 'conflict', record: { values: { subject: 'Theirs' } } });
    expect(harness.simulator.data.ticket(ticket.id)?.subject).toBe('Theirs');
  });

  it('does not send a user or organization update whose record no longer holds what Tandem read', async () => {
    harness = await startHarness();
    const organization = harness.simulator.data.createOrganization({ name: 'Read AS' });
    const user = harness.simulator.data.createUser({ name: 'U', email: 'u@example.com', phone: '+47 1' });
    harness.simulator.data.editOrganization(organization.id, { name: 'Renamed in Zendesk AS' });
    harness.simulator.data.editUser(user.id, { phone: '+47 9' });
    const [organizationOutcome] = await harness.connector.write('organization', [
      {
        kind: 'update',
        key: 'organization',
        id: String(organization.id),
        values: { name: 'From SuperOffice AS' },
        expected: { values: { name: 'Read AS' }, modifiedAt: null },
      },
    ]);
    const userOutcomes = await harness.connector.write('user', [
      {
        kind: 'update',
        key: 'stale',
        id: String(user.id),
        values: { phone: '+47 2' },
        expected: { values: { phone: '+47 1' }, modifiedAt: null },
      },
    ]);
    expect(organizationOutcome).toMatchObject({
      status: 'conflict',
      record: { values: { name: 'Renamed in Zendesk AS' } },
    });
    expect(userOutcomes[0]).toMatchObject({ status: 'conflict', record: { values: { phone: '+47 9' } } });
    expect(harness.simulator.data.organization(organization.id)?.name).toBe('Renamed in Zendesk AS');
    expect(harness.simulator.data.user(user.id)?.phone).toBe('+47 9');

    const [current] = await harness.connector.write('user', [
      {
        kind: 'update',
        key: 'current',
        id: String(user.id),
        values: { phone: '+47 2' },
        expected: { values: { phone: '+47 9' }, modifiedAt: null },
      },
    ]);
    expect(current?.status).toBe('updated');
    expect(harness.simulator.data.user(user.id)?.phone).toBe('+47 2');
    expect(await collect(harness.connector.readAll('user'))).not.toHaveLength(0);
  });
});
