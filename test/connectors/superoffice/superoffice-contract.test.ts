/**
 * The connector against the simulator over real HTTP, with faults switched on: the issue's
 * acceptance checks at test scale (bench/superoffice-connector.ts runs them at full scale).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  entityElement,
  SimulatorClock,
  type SuperOfficeSimulator,
  startSuperOfficeSimulator,
} from '../../../simulators/superoffice/index.js';
import type { ChangePage } from '../../../src/connectors/connector.js';
import type { ResponseInfo } from '../../../src/connectors/http-client.js';
import {
  SuperOfficeConnector,
  type SuperOfficeConnectorOptions,
} from '../../../src/connectors/superoffice/superoffice-connector.js';
import type { SourceRecord, SuperOfficeRecordType } from '../../../src/core/model.js';
import { applyEditScenario } from './edit-scenario.js';

const types: readonly SuperOfficeRecordType[] = ['contact', 'person', 'ticket', 'user'];
const hourMs = 3_600_000;

async function drain(pages: AsyncIterable<ChangePage>): Promise<{ records: SourceRecord[]; cursor: string | null }> {
  const records: SourceRecord[] = [];
  let cursor: string | null = null;
  for await (const page of pages) {
    records.push(...page.records);
    cursor = page.cursor;
  }
  return { records, cursor };
}

const ids = (records: readonly SourceRecord[]) => records.map((record) => record.ref.id).sort();

function connectorFor(simulator: SuperOfficeSimulator, extra: Partial<SuperOfficeConnectorOptions> = {}) {
  return new SuperOfficeConnector({
    url: simulator.url,
    auth: { kind: 'bearer', token: 'sim-token' },
    pageSize: 50,
    retries: 10,
    minRetryDelayMs: 1,
    maxRetryDelayMs: 4,
    ...extra,
  });
}

describe('SuperOffice connector against the simulator', () => {
  const clock = new SimulatorClock({ frozenAt: '2025-03-10T12:00:00Z' });
  let simulator: SuperOfficeSimulator;
  let connector: SuperOfficeConnector;
  const cursors = new Map<SuperOfficeRecordType, string | null>();
  const known = new Map<string, string>();

  beforeAll(async () => {
    simulator = await startSuperOfficeSimulator({
      seed: 21,
      contacts: 60,
      persons: 600,
      tickets: 200,
      users: 12,
      clock,
    });
    connector = connectorFor(simulator);
  });
  afterAll(async () => {
    await connector.close();
    await simulator.close();
  });

  const liveIds = (type: SuperOfficeRecordType): string[] => {
    const { data } = simulator;
    const rows =
      type === 'contact'
        ? [...data.contacts.values()].filter((row) => row.deletedDate === null).map((row) => row.contactId)
        : type === 'person'
          ? [...data.persons.values()].filter((row) => row.deletedDate === null).map((row) => row.personId)
          : type === 'ticket'
            ? [...data.tickets.keys()]
            : [...data.associates.values()]
                .filter((row) => row.type === 'InternalAssociate' && !row.deleted)
                .map((row) => row.associateId);
    return rows.map(String).sort();
  };

  it('reads every record of every type exactly once with 10% injected faults', async () => {
    simulator.faults.set({ probability: 0.1, kinds: ['5xx', '429', '503', 'drop', 'slow'], seed: 5, slowMs: 5 });
    try {
      for (const type of types) {
        const { records, cursor } = await drain(connector.readChanges(type, null));
        expect(ids(records), type).toEqual(liveIds(type));
        cursors.set(type, cursor);
        for (const record of records) known.set(`${type}:${record.ref.id}`, JSON.stringify(record));
      }
    } finally {
      simulator.faults.off();
    }
    const injected = Object.values(simulator.faults.injected).reduce((sum, count) => sum + count, 0);
    expect(injected).toBeGreaterThan(20);
    // Spot-check the content against the rows behind the API.
    const person = [...simulator.data.persons.values()].find(
      (row) => row.emails.length === 2 && row.privatePhones.length > 0,
    );
    const record = JSON.parse(known.get(`person:${person?.personId}`) ?? '{}') as SourceRecord;
    expect(record.values).toEqual({
      'Contact.ContactId': person?.contactId === 0 ? null : String(person?.contactId),
      'Emails.Value': person?.emails[0]?.value,
      'PrivatePhones.Value': person?.privatePhones[0]?.value,
    });
    expect(record.alternates?.['Emails.Value']).toEqual(person?.emails.map((email) => email.value));
  });

  it('after edits, including e-mail-only and phone-only ones, the next feed plus sweep reports exactly the edited records', async () => {
    const { data } = simulator;
    clock.advance(2 * hourMs);
    const { renamed, deleted, unreplied, edited: expectedEdited } = applyEditScenario(data, clock.now());

    const expectedFeed: Record<SuperOfficeRecordType, string[]> = {
      person: [String(renamed.personId), String(deleted.personId)].sort(),
      contact: ['7'],
      ticket: ['3', String(unreplied.ticketId)].sort(),
      user: ['4'],
    };

    simulator.faults.set({ probability: 0.1, kinds: ['5xx', '429', '503', 'drop'], seed: 9 });
    try {
      for (const type of types) {
        const feed = await drain(connector.readChanges(type, cursors.get(type) ?? null));
        expect(ids(feed.records), `${type} feed`).toEqual(expectedFeed[type]);
        if (type === 'person') {
          expect(feed.records.find((record) => record.ref.id === String(deleted.personId))?.deleted).toBe(true);
        }
        const sweep = await drain(connector.readAll(type));
        const sweptChanges = sweep.records.filter(
          (record) => known.get(`${type}:${record.ref.id}`) !== JSON.stringify(record),
        );
        const reported = new Set([...ids(feed.records), ...ids(sweptChanges)]);
        expect([...reported].sort(), `${type} feed + sweep`).toEqual(expectedEdited[type]);

        // And a feed read straight after reports nothing: the overlap is de-duplicated.
        const quiet = await drain(connector.readChanges(type, feed.cursor));
        expect(quiet.records, `${type} quiet feed`).toEqual([]);
      }
    } finally {
      simulator.faults.off();
    }
  });

  it("updates a person's phone without losing the person's other e-mails or phones", async () => {
    const person = simulator.data.createPerson({
      contactId: 2,
      firstname: 'Many',
      lastname: 'Numbers',
      emails: [entityElement('one@example.com', 'Job'), entityElement('two@example.com', 'Private')],
      privatePhones: [entityElement('+47 111 11 111', 'Home'), entityElement('+47 222 22 222', 'Cabin')],
      mobilePhones: [entityElement('+47 900 00 000')],
    });
    const [outcome] = await connector.write('person', [
      {
        kind: 'update',
        key: 'phone',
        id: String(person.personId),
        values: { 'PrivatePhones.Value': '+47 333 33 333' },
      },
    ]);
    expect(outcome?.status).toBe('updated');
    expect(outcome?.record?.values['PrivatePhones.Value']).toBe('+47 333 33 333');
    const after = simulator.data.persons.get(person.personId);
    expect(after?.privatePhones.map((phone) => [phone.value, phone.description])).toEqual([
      ['+47 333 33 333', 'Home'],
      ['+47 222 22 222', 'Cabin'],
    ]);
    expect(after?.emails.map((email) => email.value)).toEqual(['one@example.com', 'two@example.com']);
    expect(after?.mobilePhones.map((phone) => phone.value)).toEqual(['+47 900 00 000']);

    const [email] = await connector.write('person', [
      { kind: 'update', key: 'email', id: String(person.personId), values: { 'Emails.Value': 'uno@example.com' } },
    ]);
    expect(email?.status).toBe('updated');
    expect(simulator.data.persons.get(person.personId)?.emails.map((entry) => entry.value)).toEqual([
      'uno@example.com',
      'two@example.com',
    ]);
  });

  it('removes only the first e-mail when the e-mail is set to null, and reports the promoted one', async () => {
    const person = simulator.data.createPerson({
      contactId: 2,
      emails: [entityElement('first@example.com'), entityElement('second@example.com')],
    });
    const [outcome] = await connector.write('person', [
      { kind: 'update', key: 'clear', id: String(person.personId), values: { 'Emails.Value': null } },
    ]);
    expect(outcome?.record?.values['Emails.Value']).toBe('second@example.com');
    expect(simulator.data.persons.get(person.personId)?.emails.map((entry) => entry.value)).toEqual([
      'second@example.com',
    ]);
  });

  it('keeps the other entries when the answer to the PATCH is dropped and the request is sent again', async () => {
    const person = simulator.data.createPerson({
      contactId: 2,
      emails: [entityElement('keep@example.com')],
      privatePhones: [entityElement('+47 111 11 111'), entityElement('+47 222 22 222')],
    });
    simulator.faults.script(['none', 'drop']); // the GET answers, the PATCH is applied but its answer is lost
    const [outcome] = await connector.write('person', [
      { kind: 'update', key: 'drop', id: String(person.personId), values: { 'PrivatePhones.Value': '+47 555 55 555' } },
    ]);
    expect(outcome?.status).toBe('updated');
    expect(simulator.data.persons.get(person.personId)?.privatePhones.map((phone) => phone.value)).toEqual([
      '+47 555 55 555',
      '+47 222 22 222',
    ]);
  });

  it('takes a 412 from If-Unmodified-Since as an edit: writes nothing more and reports the record as it is now', async () => {
    const person = simulator.data.createPerson({
      contactId: 2,
      lastname: 'Before',
      privatePhones: [entityElement('+47 1')],
    });
    let interfered = false;
    const racing = connectorFor(simulator, {
      onResponse: (info: ResponseInfo) => {
        if (!interfered && info.method === 'GET' && info.path === `/Person/${person.personId}`) {
          interfered = true;
          clock.advance(1000);
          simulator.data.editPerson(person.personId, {
            lastname: 'Concurrent',
            privatePhones: [entityElement('+47 3')],
          });
        }
      },
    });
    simulator.calls.reset();
    try {
      const [outcome] = await racing.write('person', [
        { kind: 'update', key: 'race', id: String(person.personId), values: { 'PrivatePhones.Value': '+47 2' } },
      ]);
      expect(outcome?.status).toBe('conflict');
      expect(outcome?.record?.values['PrivatePhones.Value']).toBe('+47 3');
    } finally {
      await racing.close();
    }
    // The old plan is never applied again after the re-read.
    expect(simulator.calls.count('PATCH /Person/{id}')).toBe(1);
    const after = simulator.data.persons.get(person.personId);
    expect(after?.lastname).toBe('Concurrent');
    expect(after?.privatePhones.map((phone) => phone.value)).toEqual(['+47 3']);
  });

  it('takes a failed PATCH test (409) after an e-mail-only edit (which leaves UpdatedDate alone) as an edit, not to be written over', async () => {
    const person = simulator.data.createPerson({
      contactId: 2,
      emails: [entityElement('old@example.com'), entityElement('other@example.com')],
    });
    let interfered = false;
    const racing = connectorFor(simulator, {
      onResponse: (info: ResponseInfo) => {
        if (!interfered && info.method === 'GET' && info.path === `/Person/${person.personId}`) {
          interfered = true;
          simulator.data.editPerson(person.personId, {
            emails: [entityElement('theirs@example.com'), entityElement('other@example.com')],
          });
        }
      },
    });
    simulator.calls.reset();
    try {
      const [outcome] = await racing.write('person', [
        { kind: 'update', key: 'race', id: String(person.personId), values: { 'Emails.Value': 'ours@example.com' } },
      ]);
      expect(outcome?.status).toBe('conflict');
      expect(outcome?.record?.values['Emails.Value']).toBe('theirs@example.com');
    } finally {
      await racing.close();
    }
    expect(simulator.calls.count('PATCH /Person/{id}')).toBe(1);
    expect(simulator.data.persons.get(person.personId)?.emails.map((entry) => entry.value)).toEqual([
      'theirs@example.com',
      'other@example.com',
    ]);
  });

  it('writes nothing when the record no longer holds what the engine read, and reports it as it is now', async () => {
    const person = simulator.data.createPerson({ contactId: 2, privatePhones: [entityElement('+47 1')] });
    simulator.data.editPerson(person.personId, { privatePhones: [entityElement('+47 9')] }); // after the engine's read
    simulator.calls.reset();
    const [outcome] = await connector.write('person', [
      {
        kind: 'update',
        key: 'stale',
        id: String(person.personId),
        values: { 'PrivatePhones.Value': '+47 2' },
        expected: { values: { 'PrivatePhones.Value': '+47 1' }, modifiedAt: null },
      },
    ]);
    expect(outcome?.status).toBe('conflict');
    expect(outcome?.record?.values['PrivatePhones.Value']).toBe('+47 9');
    expect(simulator.calls.writes).toBe(0);
    const [held] = await connector.write('person', [
      {
        kind: 'update',
        key: 'current',
        id: String(person.personId),
        values: { 'PrivatePhones.Value': '+47 2' },
        expected: { values: { 'PrivatePhones.Value': '+47 9' }, modifiedAt: null },
      },
    ]);
    expect(held?.status).toBe('updated');
  });

  it('reports unchanged without writing when nothing differs', async () => {
    const contact = simulator.data.contacts.get(5);
    simulator.calls.reset();
    const [outcome] = await connector.write('contact', [
      { kind: 'update', key: 'same', id: '5', values: { Name: contact?.name ?? '' } },
    ]);
    expect(outcome?.status).toBe('unchanged');
    expect(simulator.calls.writes).toBe(0);
  });

  it('writes tickets and contacts, and fails only the operations SuperOffice cannot take', async () => {
    const ticket = simulator.data.tickets.get(10);
    const timeToReply = ticket === undefined ? null : simulator.data.timeToReply(ticket);
    const outcomes = await connector.write('ticket', [
      {
        kind: 'update',
        key: 'ok',
        id: '10',
        values: { Title: 'Rewritten', 'OwnedBy.AssociateId': '2', 'Person.PersonId': null },
      },
      { kind: 'create', key: 'create', externalId: 'x', mayExist: false, values: { Title: 'New' } },
      { kind: 'update', key: 'computed', id: '11', values: { TimeToReply: '99999' } },
      { kind: 'update', key: 'missing', id: '987654', values: { Title: 'Nobody' } },
    ]);
    expect(outcomes.map((outcome) => [outcome.key, outcome.status, outcome.error?.code])).toEqual([
      ['ok', 'updated', undefined],
      ['create', 'failed', 'bug'],
      ['computed', 'failed', 'bug'],
      ['missing', 'failed', 'not_found'],
    ]);
    expect(simulator.data.tickets.get(10)).toMatchObject({ title: 'Rewritten', ownedBy: 2, personId: 0 });
    expect(ticket === undefined ? null : simulator.data.timeToReply(ticket)).toBe(timeToReply);
    const [renamed] = await connector.write('contact', [
      { kind: 'update', key: 'name', id: '6', values: { Name: 'Fresh Name AS' } },
    ]);
    expect(renamed?.record?.values.Name).toBe('Fresh Name AS');
  });

  it("writes a user's personEmail and contactId to the user's person, keeping its other e-mails", async () => {
    const user = simulator.data.associates.get(3);
    const personId = user?.personId ?? 0;
    simulator.data.editPerson(personId, {
      emails: [entityElement('agent@tandemdemoas.example.com'), entityElement('agent.private@example.org')],
    });
    const [outcome] = await connector.write('user', [
      {
        kind: 'update',
        key: 'user',
        id: '3',
        values: { personEmail: 'agent.new@tandemdemoas.example.com', contactId: '2' },
      },
    ]);
    expect(outcome?.status).toBe('updated');
    expect(outcome?.record?.values).toEqual({ personEmail: 'agent.new@tandemdemoas.example.com', contactId: '2' });
    expect(simulator.data.persons.get(personId)?.emails.map((entry) => entry.value)).toEqual([
      'agent.new@tandemdemoas.example.com',
      'agent.private@example.org',
    ]);
  });

  it('reads by id, leaving out ids that do not exist or were deleted', async () => {
    const gone = simulator.data.createPerson({ contactId: 2 });
    simulator.data.softDeletePerson(gone.personId);
    const persons = await connector.readByIds('person', ['1', String(gone.personId), '999999', 'not-a-number']);
    expect(ids(persons)).toEqual(['1']);
    const users = await connector.readByIds('user', ['1', '2', '9999']);
    expect(ids(users)).toEqual(['1', '2']);
  });

  it('authenticates with a system-user ticket and SO-AppToken, and reports refused credentials as auth', async () => {
    const ticketConnector = connectorFor(simulator, {
      auth: { kind: 'system-user-ticket', ticket: '7T:sim-ticket', appToken: 'sim-app-token' },
    });
    const refused = connectorFor(simulator, { auth: { kind: 'bearer', token: 'expired' } });
    try {
      await expect(ticketConnector.verify()).resolves.toBeUndefined();
      await expect(refused.verify()).rejects.toMatchObject({ name: 'SyncError', code: 'auth', status: 401 });
    } finally {
      await ticketConnector.close();
      await refused.close();
    }
  });

  it('stops between pages when the read is aborted', async () => {
    const controller = new AbortController();
    let pages = 0;
    const reading = (async () => {
      for await (const _page of connector.readAll('person', { signal: controller.signal })) {
        pages++;
        controller.abort();
      }
    })();
    await expect(reading).rejects.toThrow();
    expect(pages).toBe(1);
  });

  it("reads ticket dates in the tenant's time zone", async () => {
    const oslo = await startSuperOfficeSimulator({
      timeZone: 'Europe/Oslo',
      clock: new SimulatorClock({ frozenAt: '2025-07-02T00:00:00Z' }),
    });
    const osloConnector = connectorFor(oslo, { tenantTimeZone: 'Europe/Oslo' });
    try {
      const ticket = oslo.data.createTicket({
        title: 'Zoned',
        createdAt: Date.parse('2025-07-01T10:00:00Z'),
        lastChanged: Date.parse('2025-07-01T10:30:00Z'),
      });
      const { records, cursor } = await drain(osloConnector.readChanges('ticket', null));
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        modifiedAt: '2025-07-01T10:30:00Z',
        facts: { createdAt: '2025-07-01T10:00:00Z' },
      });
      oslo.clock.advance(60_000);
      oslo.data.editTicket(ticket.ticketId, { title: 'Zoned again' });
      const next = await drain(osloConnector.readChanges('ticket', cursor));
      expect(next.records.map((record) => record.values.Title)).toEqual(['Zoned again']);
    } finally {
      await osloConnector.close();
      await oslo.close();
    }
  });
});
