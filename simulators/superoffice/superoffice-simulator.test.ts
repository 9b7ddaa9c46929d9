/**
 * The simulator against the facts of ../shared/docs/superoffice-api.md: each test names the
 * section it reproduces. Real HTTP on 127.0.0.1, a frozen clock, fixed seeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorClock, type SuperOfficeSimulator, startSuperOfficeSimulator } from './index.js';
import { entityElement } from './tenant-data.js';

const bearer = { authorization: 'Bearer sim-token' };
type JsonRecord = Record<string, unknown>;

async function call(
  simulator: SuperOfficeSimulator,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: JsonRecord & { value?: JsonRecord[] } }> {
  const response = await fetch(simulator.url + path, {
    method,
    headers: {
      ...bearer,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? {} : JSON.parse(text) };
}

const start = '2025-03-10T12:00:00Z';

describe('SuperOffice simulator', () => {
  let simulator: SuperOfficeSimulator;
  let clock: SimulatorClock;

  beforeAll(async () => {
    clock = new SimulatorClock({ frozenAt: start });
    simulator = await startSuperOfficeSimulator({ seed: 7, contacts: 6, persons: 30, tickets: 20, users: 4, clock });
  });
  afterAll(async () => {
    await simulator.close();
  });

  /** A fresh person on contact 2 with two e-mails and two private phones, for edit tests. */
  function freshPerson() {
    return simulator.data.createPerson({
      contactId: 2,
      firstname: 'Test',
      lastname: 'Person',
      emails: [entityElement('first@example.com', 'Job'), entityElement('second@example.com', 'Private')],
      privatePhones: [entityElement('+47 111 11 111'), entityElement('+47 222 22 222')],
      updatedDate: Date.parse('2025-01-01T08:00:00Z'),
    });
  }

  describe('§1 URLs and authentication', () => {
    it('serves the tenant-scoped base /{CustNNNNN}/api/v1 and 404s another tenant', async () => {
      expect(simulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/Cust12345\/api\/v1$/);
      const wrongTenant = await fetch(`${simulator.url.replace('Cust12345', 'Cust99999')}/Contact/1`, {
        headers: bearer,
      });
      expect(wrongTenant.status).toBe(404);
      const status = await fetch(`${new URL(simulator.url).origin}/api/state/Cust12345`);
      expect(await status.json()).toMatchObject({ ContextIdentifier: 'Cust12345', State: 'Running', IsRunning: true });
    });

    it('accepts Bearer, and SOTicket only together with SO-AppToken (§1.2)', async () => {
      expect((await call(simulator, 'GET', '/Contact/1')).status).toBe(200);
      const ticket = { authorization: 'SOTicket 7T:sim-ticket' };
      expect(
        (await call(simulator, 'GET', '/Contact/1', { headers: { ...ticket, 'so-apptoken': 'sim-app-token' } })).status,
      ).toBe(200);
      expect((await call(simulator, 'GET', '/Contact/1', { headers: ticket })).status).toBe(401);
      expect((await call(simulator, 'GET', '/Contact/1', { headers: { authorization: 'Bearer wrong' } })).status).toBe(
        401,
      );
      const anonymous = await fetch(`${simulator.url}/Contact/1`);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.json()).toMatchObject({
        Error: true,
        ErrorType: expect.any(String),
        ErrorMessage: expect.any(String),
      });
    });
  });

  describe('§2 entity shapes', () => {
    it('renders a person with PascalCase names, rank-ordered Emails, a Contact carrier and zone-less dates (§2.0, §2.2)', async () => {
      const person = freshPerson();
      const { status, json, headers } = await call(simulator, 'GET', `/Person/${person.personId}`);
      expect(status).toBe(200);
      expect(json).toMatchObject({
        PersonId: person.personId,
        Firstname: 'Test',
        UpdatedDate: '2025-01-01T08:00:00',
        BirthDate: '0001-01-01T00:00:00',
        Emails: [{ Value: 'first@example.com', Description: 'Job' }, { Value: 'second@example.com' }],
        PrivatePhones: [{ Value: '+47 111 11 111', StrippedValue: '+4711111111' }, { Value: '+47 222 22 222' }],
        Contact: { ContactId: 2 },
        _Links: { Self: `${simulator.url}/Person/${person.personId}` },
      });
      expect(JSON.stringify(json.Emails)).not.toMatch(/"Rank"|"Id"/);
      expect(headers.get('last-modified')).toBe('Wed, 01 Jan 2025 08:00:00 GMT');
    });

    it('renders a ticket with OwnedBy and Person carriers, string enums and TimeToReply in minutes (§2.4)', async () => {
      const ticket = simulator.data.createTicket({
        title: 'Printer on fire',
        ownedBy: 1,
        personId: 10,
        createdAt: Date.parse('2025-03-01T09:00:00Z'),
        repliedAt: Date.parse('2025-03-01T10:30:00Z'),
      });
      const { json } = await call(simulator, 'GET', `/Ticket/${ticket.ticketId}`);
      expect(json).toMatchObject({
        TicketId: ticket.ticketId,
        Title: 'Printer on fire',
        CreatedAt: '2025-03-01T09:00:00',
        OwnedBy: { AssociateId: 1, Type: 'InternalAssociate' },
        Person: { PersonId: 10 },
        BaseStatus: 'Active',
        Slevel: 'External',
        TimeToReply: 90,
        ClosedAt: '0001-01-01T00:00:00',
      });
    });

    it('answers 404 with the {Error, ErrorType, ErrorMessage, ErrorSource} body for an unknown id (§6)', async () => {
      const { status, json } = await call(simulator, 'GET', '/Contact/99999');
      expect(status).toBe(404);
      expect(json).toEqual({
        Error: true,
        ErrorType: 'SoNotFoundException',
        ErrorMessage: 'Contact id 99999 not found',
        ErrorSource: 'SuperOffice.Services.Implementation',
      });
    });
  });

  describe('§3 create and update', () => {
    it('creates with POST answering 200, ignoring read-only fields (§3.1, §2.6)', async () => {
      const { status, json } = await call(simulator, 'POST', '/Person', {
        body: {
          Firstname: 'Steve',
          Lastname: 'Martin',
          Contact: { ContactId: '5' },
          Emails: [{ Value: 'email@email.com', Description: 'EmailDescription' }],
          UpdatedDate: '1999-01-01T00:00:00',
          FullName: 'Not Steve',
        },
      });
      expect(status).toBe(200);
      expect(json).toMatchObject({
        Firstname: 'Steve',
        FullName: 'Steve Martin',
        UpdatedDate: '2025-03-10T12:00:00',
        Contact: { ContactId: 5 },
        Emails: [{ Value: 'email@email.com' }],
      });
      expect(json.PersonId).toBeGreaterThan(0);
    });

    it('creates a ticket answering without _Links and never takes TimeToReply from the client (§3.1, §2.4)', async () => {
      const { status, json } = await call(simulator, 'POST', '/Ticket', {
        body: { Title: 'New ticket', OwnedBy: { AssociateId: 2 }, Person: { PersonId: 9 }, TimeToReply: 480 },
      });
      expect(status).toBe(200);
      expect(json).toMatchObject({ Title: 'New ticket', OwnedBy: { AssociateId: 2 }, TimeToReply: 0 });
      expect(json).not.toHaveProperty('_Links');
    });

    it('replaces the whole entity on PUT: a collection the body omits is emptied (§3.1)', async () => {
      const person = freshPerson();
      const { json: current } = await call(simulator, 'GET', `/Person/${person.personId}`);
      const { PrivatePhones: _dropped, ...withoutPhones } = current;
      const { status, json } = await call(simulator, 'PUT', `/Person/${person.personId}`, { body: withoutPhones });
      expect(status).toBe(200);
      expect(json.PrivatePhones).toEqual([]);
      expect(json.Emails).toHaveLength(2);
    });

    it('answers 400 to a PUT without an entity (§6)', async () => {
      const person = freshPerson();
      const response = await fetch(`${simulator.url}/Person/${person.personId}`, {
        method: 'PUT',
        headers: { ...bearer, 'content-type': 'application/json' },
        body: 'null',
      });
      expect(response.status).toBe(400);
    });

    it('applies a JSON Patch with case-insensitive paths and no leading slash, keeping the other entries (§3.2)', async () => {
      const person = freshPerson();
      const { status, json } = await call(simulator, 'PATCH', `/Person/${person.personId}`, {
        body: [{ op: 'replace', path: 'emails/0/value', value: 'changed@example.com' }],
      });
      expect(status).toBe(200);
      expect(json.Emails).toMatchObject([
        { Value: 'changed@example.com', StrippedValue: 'changed@example.com', Description: 'Job' },
        { Value: 'second@example.com' },
      ]);
      expect(json.PrivatePhones).toHaveLength(2);
    });

    it('answers 409 when a JSON Patch test fails, and 400 to move/copy (§3.2)', async () => {
      const person = freshPerson();
      const failed = await call(simulator, 'PATCH', `/Person/${person.personId}`, {
        body: [
          { op: 'test', path: '/Emails/0/Value', value: 'someone-else@example.com' },
          { op: 'replace', path: '/Emails/0/Value', value: 'x@example.com' },
        ],
      });
      expect(failed.status).toBe(409);
      expect(simulator.data.persons.get(person.personId)?.emails[0]?.value).toBe('first@example.com');
      const move = await call(simulator, 'PATCH', `/Person/${person.personId}`, {
        body: [{ op: 'move', from: '/Emails/0', path: '/Emails/1' }],
      });
      expect(move.status).toBe(400);
    });

    it('turns a merge-patch object given for an array into an append, and an array into a replacement (§3.2)', async () => {
      const person = freshPerson();
      const appended = await call(simulator, 'PATCH', `/Person/${person.personId}`, {
        body: { PrivatePhones: { Value: '+47 333 33 333' }, Title: 'Buyer' },
      });
      expect(appended.json.PrivatePhones).toMatchObject([
        { Value: '+47 111 11 111' },
        { Value: '+47 222 22 222' },
        { Value: '+47 333 33 333' },
      ]);
      expect(appended.json.Title).toBe('Buyer');
      const replaced = await call(simulator, 'PATCH', `/Person/${person.personId}`, {
        body: { PrivatePhones: [{ Value: '+47 444 44 444' }] },
      });
      expect(replaced.json.PrivatePhones).toMatchObject([{ Value: '+47 444 44 444' }]);
    });

    it('answers 412 to If-Unmodified-Since older than the last change, and saves otherwise (§1.3, §6)', async () => {
      const person = freshPerson();
      const stale = await call(simulator, 'PATCH', `/Person/${person.personId}`, {
        body: [{ op: 'replace', path: 'Title', value: 'CEO' }],
        headers: { 'if-unmodified-since': 'Tue, 31 Dec 2024 23:59:59 GMT' },
      });
      expect(stale.status).toBe(412);
      const fresh = await call(simulator, 'PATCH', `/Person/${person.personId}`, {
        body: [{ op: 'replace', path: 'Title', value: 'CEO' }],
        headers: { 'if-unmodified-since': 'Wed, 01 Jan 2025 08:00:00 GMT' },
      });
      expect(fresh.status).toBe(200);
      const ticket = simulator.data.createTicket({ title: 'Guarded', lastChanged: Date.parse('2025-03-01T00:00:00Z') });
      const staleTicket = await call(simulator, 'PATCH', `/Ticket/${ticket.ticketId}`, {
        body: [{ op: 'replace', path: 'Title', value: 'Changed' }],
        headers: { 'if-unmodified-since': 'Fri, 28 Feb 2025 00:00:00 GMT' },
      });
      expect(staleTicket.status).toBe(412);
    });

    it('answers 304 to If-Modified-Since when the person did not change (§1.3)', async () => {
      const person = freshPerson();
      const response = await fetch(`${simulator.url}/Person/${person.personId}`, {
        headers: { ...bearer, 'if-modified-since': 'Wed, 01 Jan 2025 08:00:00 GMT' },
      });
      expect(response.status).toBe(304);
    });

    it('answers 404 to PATCH of an unknown id (§3.2)', async () => {
      const { status } = await call(simulator, 'PATCH', '/Person/424242', {
        body: [{ op: 'replace', path: 'Title', value: 'x' }],
      });
      expect(status).toBe(404);
    });
  });

  describe('§9 item 2: which edits move UpdatedDate', () => {
    it('leaves UpdatedDate alone when only e-mails or phones change (pessimistic default)', async () => {
      const person = freshPerson();
      await call(simulator, 'PATCH', `/Person/${person.personId}`, {
        body: [{ op: 'replace', path: 'PrivatePhones/0/Value', value: '+47 999 99 999' }],
      });
      expect(simulator.data.persons.get(person.personId)?.updatedDate).toBe(Date.parse('2025-01-01T08:00:00Z'));
      await call(simulator, 'PATCH', `/Person/${person.personId}`, {
        body: [{ op: 'replace', path: 'Lastname', value: 'Renamed' }],
      });
      expect(simulator.data.persons.get(person.personId)?.updatedDate).toBe(clock.now());
    });

    it('moves UpdatedDate on an e-mail-only edit when the switch says so', async () => {
      const other = await startSuperOfficeSimulator({
        contacts: 2,
        persons: 3,
        emailOnlyEditBumpsUpdated: true,
        clock: new SimulatorClock({ frozenAt: start }),
      });
      try {
        const before = other.data.persons.get(2)?.updatedDate;
        other.data.editPerson(2, { emails: [entityElement('new@example.com')] });
        expect(other.data.persons.get(2)?.updatedDate).not.toBe(before);
        expect(other.data.persons.get(2)?.updatedDate).toBe(Date.parse(start));
      } finally {
        await other.close();
      }
    });
  });

  describe('§4 OData lists', () => {
    it('answers $select/$orderBy/$top/$skip with string PrimaryKey, camelCase columns and a null nextLink (§4.2)', async () => {
      const { json } = await call(
        simulator,
        'GET',
        '/Contact?$select=contactId,name&$orderBy=contactId desc&$top=2&$skip=1',
      );
      expect(json['odata.nextLink']).toBeNull();
      expect(json.value).toHaveLength(2);
      const [first, second] = json.value ?? [];
      expect(first).toEqual({ PrimaryKey: '5', EntityName: 'contact', contactId: 5, name: expect.any(String) });
      expect(second?.PrimaryKey).toBe('4');
    });

    it('filters a date column by whole days, strictly after the day, and refuses afterTime on it (§4.3, §9 item 3)', async () => {
      const person = freshPerson(); // updated 2025-01-01T08:00:00
      const onDay = await call(
        simulator,
        'GET',
        `/Person?$select=personId&$filter=personUpdatedDate after '2024-12-31' and personId eq ${person.personId}`,
      );
      expect(onDay.json.value).toHaveLength(1);
      const sameDay = await call(
        simulator,
        'GET',
        `/Person?$select=personId&$filter=personUpdatedDate after '2025-1-1' and personId eq ${person.personId}`,
      );
      expect(sameDay.json.value).toHaveLength(0);
      const refused = await call(simulator, 'GET', `/Person?$filter=personUpdatedDate afterTime '2025-01-01T07:00:00'`);
      expect(refused.status).toBe(400);
      const { json } = await call(
        simulator,
        'GET',
        `/Person?$select=personUpdatedDate&$filter=personId eq ${person.personId}`,
      );
      expect(json.value?.[0]?.personUpdatedDate).toBe('2025-01-01T00:00:00');
    });

    it("filters the ticket's lastChanged exactly with afterTime, inclusive of the bound (§4.3)", async () => {
      const ticket = simulator.data.createTicket({ title: 'Edge', lastChanged: Date.parse('2025-03-05T10:15:30Z') });
      const at = await call(
        simulator,
        'GET',
        `/Ticket?$select=ticketId,lastChanged&$filter=lastChanged afterTime '2025-03-05T10:15:30' and ticketId eq ${ticket.ticketId}`,
      );
      expect(at.json.value).toEqual([
        {
          PrimaryKey: String(ticket.ticketId),
          EntityName: 'ticket',
          ticketId: ticket.ticketId,
          lastChanged: '2025-03-05T10:15:30',
        },
      ]);
      const after = await call(
        simulator,
        'GET',
        `/Ticket?$filter=lastChanged afterTime '2025-03-05T10:15:31' and ticketId eq ${ticket.ticketId}`,
      );
      expect(after.json.value).toHaveLength(0);
    });

    it('supports int operators gt/lt/in and refuses le/ge, which fail in SuperOffice (§4.3)', async () => {
      const some = await call(
        simulator,
        'GET',
        '/Contact?$select=contactId&$filter=contactId in (2,4,99)&$orderBy=contactId',
      );
      expect(some.json.value?.map((row) => row.contactId)).toEqual([2, 4]);
      const range = await call(
        simulator,
        'GET',
        '/Contact?$select=contactId&$filter=contactId gt 1 and contactId lt 4&$orderBy=contactId',
      );
      expect(range.json.value?.map((row) => row.contactId)).toEqual([2, 3]);
      expect((await call(simulator, 'GET', '/Contact?$filter=contactId le 3')).status).toBe(400);
      expect((await call(simulator, 'GET', '/Contact?$filter=contactId ge 3')).status).toBe(400);
    });

    it('lists users from AllUsers with personEmail and contactId, and has no updated column (§2.5)', async () => {
      const { json } = await call(
        simulator,
        'GET',
        '/User?$select=associateDbId,personId,contactId,personEmail&$orderBy=associateDbId',
      );
      // The 4 generated users and one associate of every other kind (system, resource, external, anonymous, retired, no Service user).
      expect(json.value).toHaveLength(10);
      const first = json.value?.[0];
      const person = simulator.data.persons.get(Number(first?.personId));
      expect(first).toMatchObject({
        PrimaryKey: '1',
        associateDbId: 1,
        contactId: 1,
        personEmail: person?.emails[0]?.value,
      });
      expect((await call(simulator, 'GET', "/User?$filter=updatedDate after '2020-01-01'")).status).toBe(400);
    });
  });

  describe('§7 soft delete', () => {
    it('hides a deleted person from GET and the list, and lists it in RecyclePerson', async () => {
      const person = freshPerson();
      expect((await call(simulator, 'DELETE', `/Person/${person.personId}`)).status).toBe(204);
      expect((await call(simulator, 'GET', `/Person/${person.personId}`)).status).toBe(404);
      const listed = await call(simulator, 'GET', `/Person?$select=personId&$filter=personId eq ${person.personId}`);
      expect(listed.json.value).toHaveLength(0);
      const recycled = await call(
        simulator,
        'GET',
        `/Archive/RecyclePerson?$select=personId,personDeletedDate&$filter=personId eq ${person.personId}`,
      );
      expect(recycled.json.value).toEqual([
        {
          PrimaryKey: String(person.personId),
          EntityName: 'person',
          personId: person.personId,
          personDeletedDate: '2025-03-10T12:00:00',
        },
      ]);
    });

    it("keeps a ticket's reference to a soft-deleted person, without moving LastChanged", async () => {
      const person = freshPerson();
      const ticket = simulator.data.createTicket({ title: 'About a leaver', personId: person.personId });
      const before = ticket.lastChanged;
      simulator.data.softDeletePerson(person.personId);
      const { json } = await call(simulator, 'GET', `/Ticket/${ticket.ticketId}`);
      expect(json.Person).toMatchObject({ PersonId: person.personId });
      expect(simulator.data.tickets.get(ticket.ticketId)?.lastChanged).toBe(before);
    });

    it("takes a contact's persons along when the contact is deleted", async () => {
      const contact = simulator.data.createContact({ name: 'Doomed AS' });
      const person = simulator.data.createPerson({ contactId: contact.contactId, firstname: 'Along' });
      expect((await call(simulator, 'DELETE', `/Contact/${contact.contactId}`)).status).toBe(204);
      expect((await call(simulator, 'GET', `/Person/${person.personId}`)).status).toBe(404);
      const recycled = await call(
        simulator,
        'GET',
        `/Archive/RecycleContact?$select=contactId&$filter=contactId eq ${contact.contactId}`,
      );
      expect(recycled.json.value).toHaveLength(1);
    });
  });

  describe('faults and clock (§9 item 1: throttling only on demand)', () => {
    it('answers scripted 503, 429, 500 and a dropped connection, then recovers', async () => {
      simulator.faults.script(['503', '429', '5xx', 'drop']);
      expect((await call(simulator, 'GET', '/Contact/1')).status).toBe(503);
      expect((await call(simulator, 'GET', '/Contact/1')).status).toBe(429);
      const failed = await call(simulator, 'GET', '/Contact/1');
      expect(failed.status).toBe(500);
      expect(failed.json).toMatchObject({ Error: true });
      await expect(fetch(`${simulator.url}/Contact/1`, { headers: bearer })).rejects.toThrow();
      expect((await call(simulator, 'GET', '/Contact/1')).status).toBe(200);
    });

    it('carries out a write whose answer is dropped', async () => {
      const person = freshPerson();
      simulator.faults.script(['drop']);
      await expect(
        fetch(`${simulator.url}/Person/${person.personId}`, {
          method: 'PATCH',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: JSON.stringify([{ op: 'replace', path: 'Title', value: 'Dropped but saved' }]),
        }),
      ).rejects.toThrow();
      expect(simulator.data.persons.get(person.personId)?.title).toBe('Dropped but saved');
    });

    it('injects random faults at the set rate with a fixed seed, and none when off', async () => {
      simulator.faults.set({ probability: 0.5, kinds: ['503'], seed: 3 });
      const statuses: number[] = [];
      for (let index = 0; index < 40; index++) statuses.push((await call(simulator, 'GET', '/Contact/1')).status);
      simulator.faults.off();
      const refused = statuses.filter((status) => status === 503).length;
      expect(refused).toBeGreaterThan(8);
      expect(refused).toBeLessThan(32);
      expect((await call(simulator, 'GET', '/Contact/1')).status).toBe(200);
    });

    it('answers a slow request eventually', async () => {
      simulator.faults.set({ probability: 1, kinds: ['slow'], slowMs: 20 });
      const { status } = await call(simulator, 'GET', '/Contact/1');
      simulator.faults.off();
      expect(status).toBe(200);
    });

    it('counts calls per endpoint', async () => {
      simulator.calls.reset();
      await call(simulator, 'GET', '/Contact/1');
      await call(simulator, 'GET', '/Contact/2');
      await call(simulator, 'PATCH', '/Contact/2', { body: { Department: 'Support' } });
      expect(simulator.calls.snapshot()).toEqual({ 'GET /Contact/{id}': 2, 'PATCH /Contact/{id}': 1 });
      expect(simulator.calls.writes).toBe(1);
      expect(simulator.calls.total).toBe(3);
    });

    it('stamps edits with the controllable clock', async () => {
      const contact = simulator.data.createContact({ name: 'Clockwork AS' });
      clock.advance(90_000);
      const { json } = await call(simulator, 'PATCH', `/Contact/${contact.contactId}`, {
        body: { Name: 'Clockwork ASA' },
      });
      expect(json.UpdatedDate).toBe('2025-03-10T12:01:30');
      clock.set(start);
    });
  });

  describe('generated data', () => {
    it('is the same for the same seed, and linked: persons on contacts, users with their own persons, tickets owned by users about persons', async () => {
      const again = await startSuperOfficeSimulator({
        seed: 7,
        contacts: 6,
        persons: 30,
        tickets: 20,
        users: 4,
        clock: new SimulatorClock({ frozenAt: start }),
      });
      try {
        const firstOf = (sim: SuperOfficeSimulator) => [...sim.data.persons.values()].slice(0, 34);
        expect(firstOf(again)).toEqual(firstOf(simulator));
        const userPersonIds = new Set([...again.data.associates.values()].map((user) => user.personId));
        expect(userPersonIds.size).toBe(10);
        expect(new Set([...again.data.associates.values()].map((user) => user.type))).toEqual(
          new Set([
            'InternalAssociate',
            'SystemAssociate',
            'ResourceAssociate',
            'ExternalAssociate',
            'AnonymousAssociate',
          ]),
        );
        const userEmails = new Set([...userPersonIds].map((id) => again.data.persons.get(id)?.emails[0]?.value));
        for (const person of again.data.persons.values()) {
          if (!userPersonIds.has(person.personId)) expect(person.emails.length).toBeGreaterThanOrEqual(1);
          expect(person.privatePhones.length).toBeLessThanOrEqual(2);
          if (!userPersonIds.has(person.personId)) {
            expect(person.emails.length).toBeLessThanOrEqual(2);
            for (const email of person.emails) expect(userEmails.has(email.value)).toBe(false);
          }
        }
        for (const ticket of again.data.tickets.values()) {
          expect(again.data.associates.has(ticket.ownedBy)).toBe(true);
          expect(userPersonIds.has(ticket.personId)).toBe(false);
          expect(again.data.persons.has(ticket.personId)).toBe(true);
          expect(ticket.lastChanged).toBeGreaterThanOrEqual(ticket.createdAt);
        }
      } finally {
        await again.close();
      }
    });

    it("writes ticket dates in the tenant's time zone and Created/Updated dates in UTC (§2.0, §9 item 10)", async () => {
      const oslo = await startSuperOfficeSimulator({
        timeZone: 'Europe/Oslo',
        clock: new SimulatorClock({ frozenAt: start }),
      });
      try {
        const ticket = oslo.data.createTicket({ title: 'Zone', createdAt: Date.parse('2025-07-01T10:00:00Z') });
        const person = oslo.data.createPerson({ firstname: 'Zone', updatedDate: Date.parse('2025-07-01T10:00:00Z') });
        const ticketJson = await call(oslo, 'GET', `/Ticket/${ticket.ticketId}`);
        expect(ticketJson.json.CreatedAt).toBe('2025-07-01T12:00:00');
        const personJson = await call(oslo, 'GET', `/Person/${person.personId}`);
        expect(personJson.json.UpdatedDate).toBe('2025-07-01T10:00:00');
        const filtered = await call(
          oslo,
          'GET',
          "/Ticket?$select=ticketId&$filter=createdAt afterTime '2025-07-01T12:00:00'",
        );
        expect(filtered.json.value).toHaveLength(1);
      } finally {
        await oslo.close();
      }
    });
  });
  describe('§4 entities, associate columns, the Dynamic provider', () => {
    it('lists only the first entity when $entities is left out (closed tickets are ticketdisplayclosed), and every named one', async () => {
      const closed = [...simulator.data.tickets.values()].filter((row) => row.baseStatus === 'Closed').length;
      expect(closed).toBeGreaterThan(0);
      const bare = await call(simulator, 'GET', '/Ticket?$select=ticketId&$top=1000');
      expect(bare.json.value).toHaveLength(simulator.data.tickets.size - closed);
      const named = await call(
        simulator,
        'GET',
        '/Ticket?$select=ticketId&$top=1000&$entities=ticket,ticketdisplayclosed',
      );
      expect(named.json.value).toHaveLength(simulator.data.tickets.size);
      expect((await call(simulator, 'GET', '/Ticket?$select=ticketId&$entities=nosuch')).status).toBe(400);
    });

    it("shows only the caller's deletions in a recycle bin unless forAllUsers is asked", async () => {
      const mine = freshPerson();
      const theirs = freshPerson();
      simulator.data.softDeletePerson(mine.personId, 1);
      simulator.data.softDeletePerson(theirs.personId, 2);
      const ids = async (entities: string) =>
        (await call(simulator, 'GET', `/Archive/RecyclePerson?$select=personId${entities}`)).json.value?.map(
          (row) => row.personId,
        );
      expect(await ids('')).toContain(mine.personId);
      expect(await ids('')).not.toContain(theirs.personId);
      expect(await ids('&$entities=person,forAllUsers')).toContain(theirs.personId);
    });

    it('takes the documented associate operators (and eq/gt from the samples) on associateDbId, and refuses the rest with 400', async () => {
      const query = (filter: string) =>
        call(
          simulator,
          'GET',
          `/Archive/InternalUsers?$select=associateDbId&$entities=all&$filter=${encodeURIComponent(filter)}`,
        );
      expect((await query('associateDbId associateIsOneOf (1,3)')).json.value?.map((row) => row.associateDbId)).toEqual(
        [1, 3],
      );
      expect((await query('associateDbId gt 3')).status).toBe(200);
      expect((await query('associateDbId eq 2')).json.value).toHaveLength(1);
      expect((await query('associateDbId currentAssociate')).json.value?.map((row) => row.associateDbId)).toEqual([1]);
      expect((await query('associateDbId in (1,3)')).status).toBe(400);
      expect((await query('associateDbId lt 3')).status).toBe(400);
    });

    it('lists internal users only in InternalUsers, retired ones with isActive false, and every kind in AllUsers', async () => {
      const internal = await call(
        simulator,
        'GET',
        '/Archive/InternalUsers?$select=associateDbId,isActive,ejUserId&$entities=all&$top=100',
      );
      const all = await call(simulator, 'GET', '/User?$select=associateDbId,assocType&$entities=all&$top=100');
      const internalIds = new Set(
        [...simulator.data.associates.values()]
          .filter((row) => row.type === 'InternalAssociate')
          .map((row) => row.associateId),
      );
      expect(internal.json.value?.map((row) => row.associateDbId)).toEqual([...internalIds]);
      expect(internal.json.value?.some((row) => row.isActive === false)).toBe(true);
      expect(all.json.value).toHaveLength(simulator.data.associates.size);
    });

    it('answers Dynamic queries on person.updated with afterTime, soft-deleted rows included, and lists merges in mergemovelog', async () => {
      const person = freshPerson();
      clock.advance(1000);
      simulator.data.editPerson(person.personId, { lastname: 'Stamped' });
      const since = new Date(clock.now()).toISOString().slice(0, 19);
      const changed = await call(
        simulator,
        'GET',
        `/Archive/dynamic?$select=person.person_id,person.updated&$filter=${encodeURIComponent(`person.updated afterTime '${since}'`)}`,
      );
      expect(changed.json.value?.map((row) => row['person.person_id'])).toEqual([person.personId]);
      simulator.data.softDeletePerson(person.personId);
      const deleted = await call(
        simulator,
        'GET',
        `/Archive/dynamic?$select=person.person_id,person.DeletedDate&$filter=person.person_id eq ${person.personId}`,
      );
      expect(deleted.json.value).toHaveLength(1);

      const source = freshPerson();
      const destination = freshPerson();
      simulator.data.mergePersons(source.personId, destination.personId);
      const log = await call(
        simulator,
        'GET',
        `/Archive/dynamic?$select=mergemovelog.sourceRecord,mergemovelog.destinationRecord&$filter=${encodeURIComponent(`mergemovelog.tableNumber eq 6 and mergemovelog.registered afterTime '${since}'`)}`,
      );
      expect(log.json.value).toEqual([
        expect.objectContaining({
          'mergemovelog.sourceRecord': source.personId,
          'mergemovelog.destinationRecord': destination.personId,
        }),
      ]);
      expect((await call(simulator, 'GET', `/Person/${source.personId}`)).status).toBe(404);
      expect(
        (await call(simulator, 'GET', '/Archive/dynamic?$select=person.person_id,contact.contact_id')).status,
      ).toBe(400);
    });
  });
});
