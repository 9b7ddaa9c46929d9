/**
 * No edit lost in the read-write window (issue 12 item 3, issue 13 item 7): an edit made in a
 * system after Tandem read it and before Tandem's write reaches it is never overwritten. The write
 * finds the record changed (Zendesk `safe_update` 409; SuperOffice: the record no longer holds what
 * was read, or 412/409), nothing of the old plan is written, the record as it is now is taken in as
 * an observation and the entity is planned again, so the three-way merge and the conflict policy
 * decide. Both simulators, real HTTP, a real store; the edit is made by a hook just before the
 * engine's write call reaches the system.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connector, WriteOperation } from '../../src/connectors/connector.js';
import type { ConflictPolicy } from '../../src/core/conflict-policy.js';
import type { RecordType } from '../../src/core/model.js';
import { SyncEngine } from '../../src/engine/sync-engine.js';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

let h: SyncHarness;

beforeEach(async () => {
  h = await startSyncHarness();
});

afterEach(async () => {
  await h.close();
});

/** A connector that lets a person edit the system once, right before the first write of a type reaches it. */
function withEditBeforeWrite(connector: Connector, type: RecordType, edit: () => void): Connector {
  let pending = true;
  return {
    system: connector.system,
    verify: () => connector.verify(),
    readChanges: (recordType, cursor, options) => connector.readChanges(recordType, cursor, options),
    readAll: (recordType, options) => connector.readAll(recordType, options),
    readByIds: (recordType, ids) => connector.readByIds(recordType, ids),
    write: async (recordType, operations: readonly WriteOperation[]) => {
      if (pending && recordType === type && operations.some((operation) => operation.kind === 'update')) {
        pending = false;
        h.clock.advance(1000); // the person's edit is a second later than anything Tandem read
        edit();
      }
      return connector.write(recordType, operations);
    },
  };
}

function engineWith(connectors: { superoffice: Connector; zendesk: Connector }, policy?: ConflictPolicy): SyncEngine {
  return new SyncEngine({
    store: h.store,
    ...connectors,
    clock: () => new Date(h.clock.now()),
    ...(policy === undefined ? {} : { policy }),
  });
}

async function syncedTicket(title: string) {
  const person = h.superoffice.data.createPerson({ firstname: 'Ola', lastname: 'Owner', contactId: 0 });
  const owner = h.superoffice.data.createAssociate({
    personId: person.personId,
    name: 'OLA',
    userName: 'ola',
    type: 'InternalAssociate',
    deleted: false,
  });
  h.superoffice.data.editPerson(person.personId, {
    emails: [{ value: 'ola@acme.example', description: '', strippedValue: 'ola@acme.example' }],
  });
  const ticket = h.superoffice.data.createTicket({ title, ownedBy: owner.associateId });
  await h.sync();
  const zendeskId = await h.zendeskIdOf('ticket', ticket.ticketId);
  if (zendeskId === undefined) throw new Error('the ticket was not synced');
  h.clock.advance(1000);
  return { ticketId: ticket.ticketId, zendeskId };
}

describe('an edit made between Tandem’s read and its write', () => {
  it('in Zendesk is not overwritten: the ticket update meets safe_update, and the later edit wins as a recorded conflict', async () => {
    const { ticketId, zendeskId } = await syncedTicket('Printer on fire');
    h.superoffice.data.editTicket(ticketId, { title: 'Printer on fire (SuperOffice)' });
    const engine = engineWith({
      superoffice: h.connectors.superoffice,
      zendesk: withEditBeforeWrite(h.connectors.zendesk, 'ticket', () =>
        h.zendesk.data.editTicket(zendeskId, { subject: 'Printer on fire (Zendesk agent)' }),
      ),
    });

    const report = await engine.runCycle();

    expect(report.writes.conflicts).toBe(1);
    expect(h.zendesk.data.ticket(zendeskId)?.subject).toBe('Printer on fire (Zendesk agent)');
    // Planned again in the same cycle: both sides changed the subject, the later edit (Zendesk's) wins.
    expect(h.superoffice.data.tickets.get(ticketId)?.title).toBe('Printer on fire (Zendesk agent)');
    expect(report.conflicts.map((conflict) => conflict.attribute)).toEqual(['subject']);
    const entityId = [
      ...(await h.store.entityIdsOf([{ system: 'zendesk', type: 'ticket', id: String(zendeskId) }])).values(),
    ][0];
    const events = (await h.store.historyOf(entityId ?? '')).map((entry) => entry.event);
    expect(events).toContain('write-conflict');
    expect(events).toContain('conflict');
    expect((await h.sync()).writes.calls).toBe(0);
  });

  it('in Zendesk is decided by the conflict policy, not by the order of discovery: SuperOffice wins when the policy says so', async () => {
    const { ticketId, zendeskId } = await syncedTicket('Printer on fire');
    h.superoffice.data.editTicket(ticketId, { title: 'Printer on fire (SuperOffice)' });
    const engine = engineWith(
      {
        superoffice: h.connectors.superoffice,
        zendesk: withEditBeforeWrite(h.connectors.zendesk, 'ticket', () =>
          h.zendesk.data.editTicket(zendeskId, { subject: 'Printer on fire (Zendesk agent)' }),
        ),
      },
      { default: 'superoffice-wins' },
    );

    const report = await engine.runCycle();

    expect(report.writes.conflicts).toBe(1);
    expect(report.conflicts).toEqual([
      expect.objectContaining({
        attribute: 'subject',
        rule: 'superoffice-wins',
        winner: expect.objectContaining({ system: 'superoffice' }),
      }),
    ]);
    // The Zendesk edit was not lost unseen: it met SuperOffice's, and the recorded policy chose.
    expect(h.zendesk.data.ticket(zendeskId)?.subject).toBe('Printer on fire (SuperOffice)');
    expect(h.superoffice.data.tickets.get(ticketId)?.title).toBe('Printer on fire (SuperOffice)');
  });

  it('in SuperOffice is not overwritten: the ticket is not patched with the old plan, and the later edit wins as a recorded conflict', async () => {
    const { ticketId, zendeskId } = await syncedTicket('Invoice 1042 is wrong');
    h.zendesk.data.editTicket(zendeskId, { subject: 'Invoice 1042 (Zendesk agent)' });
    h.clock.advance(61_000);
    const engine = engineWith({
      superoffice: withEditBeforeWrite(h.connectors.superoffice, 'ticket', () =>
        h.superoffice.data.editTicket(ticketId, { title: 'Invoice 1042 (SuperOffice user)' }),
      ),
      zendesk: h.connectors.zendesk,
    });

    const report = await engine.runCycle();

    expect(report.writes.conflicts).toBe(1);
    expect(h.superoffice.data.tickets.get(ticketId)?.title).toBe('Invoice 1042 (SuperOffice user)');
    expect(h.zendesk.data.ticket(zendeskId)?.subject).toBe('Invoice 1042 (SuperOffice user)');
    expect(report.conflicts.map((conflict) => conflict.attribute)).toEqual(['subject']);
  });

  it('in SuperOffice, to a person’s phone, survives: the fresh record is planned again and the edit goes to Zendesk', async () => {
    const person = h.superoffice.data.createPerson({
      firstname: 'Kari',
      lastname: 'Nordmann',
      contactId: 0,
      emails: [{ value: 'kari@acme.example', description: '', strippedValue: 'kari@acme.example' }],
      privatePhones: [{ value: '+47 111', description: '', strippedValue: '+47 111' }],
    });
    h.superoffice.data.createTicket({ title: 'Kari’s ticket', personId: person.personId });
    await h.sync();
    const userId = await h.zendeskIdOf('person', person.personId);
    if (userId === undefined) throw new Error('the person got no Zendesk user');
    h.clock.advance(1000);
    h.zendesk.data.editUser(userId, { phone: '+47 222' });
    h.clock.advance(61_000);
    const engine = engineWith({
      superoffice: withEditBeforeWrite(h.connectors.superoffice, 'person', () =>
        h.superoffice.data.editPerson(person.personId, {
          privatePhones: [{ value: '+47 333', description: '', strippedValue: '+47 333' }],
        }),
      ),
      zendesk: h.connectors.zendesk,
    });

    const report = await engine.runCycle();

    expect(report.writes.conflicts).toBe(1);
    expect(h.superoffice.data.persons.get(person.personId)?.privatePhones.map((phone) => phone.value)).toEqual([
      '+47 333',
    ]);
    expect(h.zendesk.data.user(userId)?.phone).toBe('+47333');
  });
});
