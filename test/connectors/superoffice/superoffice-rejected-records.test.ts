/**
 * One SuperOffice record that does not fit its documented shape is rejected on its own: the rest of
 * its page is read, and the page's cursor still moves on. Fixtures follow superoffice-api.md §2.4
 * (TicketEntity), §2.5 (AllUsers rows) and §4.2 (OData list answers in SLIM mode).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangePage } from '../../../src/connectors/connector.js';
import { SuperOfficeConnector } from '../../../src/connectors/superoffice/superoffice-connector.js';
import type { RecordType } from '../../../src/core/model.js';
import { type FixtureServer, startFixtureServer } from '../fixture-server.js';

const ticketEntity = (id: number, title: string) => ({
  TicketId: id,
  Title: title,
  CreatedAt: '2025-03-01T09:00:00',
  LastChanged: '2025-03-01T10:00:00',
  OwnedBy: { AssociateId: 5 },
  Person: { PersonId: 12 },
  TimeToReply: 0,
});

const userRow = (id: number, email: unknown) => ({
  associateDbId: id,
  personId: 100 + id,
  contactId: 1,
  personEmail: email,
  fullName: `User ${id}`,
  isActive: true,
  ejUserId: 100 + id,
});

async function drain(pages: AsyncIterable<ChangePage>): Promise<ChangePage[]> {
  const collected: ChangePage[] = [];
  for await (const page of pages) collected.push(page);
  return collected;
}

describe('SuperOffice connector: a malformed record in a page', () => {
  let server: FixtureServer | undefined;
  let connector: SuperOfficeConnector | undefined;

  afterEach(async () => {
    await connector?.close();
    await server?.close();
    connector = undefined;
    server = undefined;
  });

  async function start(answers: Record<string, unknown>): Promise<SuperOfficeConnector> {
    server = await startFixtureServer(answers);
    connector = new SuperOfficeConnector({
      url: server.url,
      auth: { kind: 'bearer', token: 'fixture-token' },
      retries: 0,
    });
    return connector;
  }

  const read = (type: RecordType, cursor: string | null) => {
    if (connector === undefined) throw new Error('start the connector first');
    return drain(connector.readChanges(type, cursor));
  };

  it('rejects a ticket whose entity lacks TicketId and Title, names it by its list id, and reads the other tickets', async () => {
    const { TicketId: _id, Title: _title, ...withoutIdAndTitle } = ticketEntity(2, 'Lost');
    await start({
      '/Ticket': {
        'odata.nextLink': null,
        value: [
          { ticketId: 1, lastChanged: '2025-03-01T10:00:00' },
          { ticketId: 2, lastChanged: '2025-03-01T10:00:00' },
          { ticketId: 3, lastChanged: '2025-03-01T10:00:00' },
        ],
      },
      '/Ticket/1': ticketEntity(1, 'Printer on fire'),
      '/Ticket/2': withoutIdAndTitle,
      '/Ticket/3': ticketEntity(3, 'Coffee machine'),
    });
    const pages = await read('ticket', null);
    expect(pages).toHaveLength(1);
    const [page] = pages;
    expect(page?.records.map((record) => record.ref.id)).toEqual(['1', '3']);
    expect(page?.rejected).toHaveLength(1);
    const [rejected] = page?.rejected ?? [];
    expect(rejected?.type).toBe('ticket');
    expect(rejected?.id).toBe('2');
    expect(rejected?.error.code).toBe('malformed');
    expect(rejected?.error.message).toMatch(
      /^SuperOffice answered GET \/Ticket\/2 with an unexpected shape at TicketId/,
    );

    // Not remembered as read: when the list shows it again (it changed, or the overlap window holds it), it is read again.
    server?.answer('/Ticket/2', ticketEntity(2, 'Found'));
    const [next] = await read('ticket', page?.cursor ?? null);
    expect(next?.records.map((record) => [record.ref.id, record.values.Title])).toEqual([['2', 'Found']]);
    expect(next).not.toHaveProperty('rejected');
  });

  it('rejects a ticket whose Title is null instead of spreading an empty subject, and reads the other tickets', async () => {
    await start({
      '/Ticket': {
        'odata.nextLink': null,
        value: [
          { ticketId: 1, lastChanged: '2025-03-01T10:00:00' },
          { ticketId: 2, lastChanged: '2025-03-01T10:00:00' },
        ],
      },
      '/Ticket/1': { ...ticketEntity(1, 'x'), Title: null },
      '/Ticket/2': ticketEntity(2, 'Coffee machine'),
    });
    const [page] = await read('ticket', null);
    expect(page?.records.map((record) => record.ref.id)).toEqual(['2']);
    expect(page?.rejected?.map((rejected) => [rejected.id, rejected.error.code, rejected.error.message])).toEqual([
      ['1', 'malformed', 'SuperOffice ticket 1 has no Title; a ticket needs one to be synced'],
    ]);
  });

  it('rejects a ticket list row without lastChanged and still pages on', async () => {
    await start({
      '/Ticket': {
        'odata.nextLink': null,
        value: [{ ticketId: 1, lastChanged: '2025-03-01T10:00:00' }, { ticketId: 2 }],
      },
      '/Ticket/1': ticketEntity(1, 'Printer on fire'),
    });
    const [page] = await read('ticket', null);
    expect(page?.records.map((record) => record.ref.id)).toEqual(['1']);
    expect(page?.rejected?.map((rejected) => [rejected.id, rejected.error.code])).toEqual([['2', 'malformed']]);
    expect(page?.rejected?.[0]?.error.message).toMatch(
      /\/Ticket row for ticketId 2 of an unexpected shape at lastChanged/,
    );
  });

  it('rejects an InternalUsers row whose e-mail is a number, and never reports that user deleted', async () => {
    await start({
      '/Archive/InternalUsers': {
        'odata.nextLink': null,
        value: [userRow(1, 'ada@example.com'), userRow(2, 'bob@example.com')],
      },
    });
    const [first] = await read('user', null);
    expect(first?.records.map((record) => record.ref.id)).toEqual(['1', '2']);

    server?.answer('/Archive/InternalUsers', {
      'odata.nextLink': null,
      value: [userRow(1, 'ada@example.com'), userRow(2, 42)],
    });
    const [second] = await read('user', first?.cursor ?? null);
    expect(second?.records).toEqual([]);
    expect(second?.rejected?.map((rejected) => [rejected.type, rejected.id])).toEqual([['user', '2']]);
    expect(second?.rejected?.[0]?.error.message).toMatch(/at personEmail/);

    // The row is whole again and unchanged: nothing to report (the user was neither deleted nor changed).
    server?.answer('/Archive/InternalUsers', {
      'odata.nextLink': null,
      value: [userRow(1, 'ada@example.com'), userRow(2, 'bob@example.com')],
    });
    const [third] = await read('user', second?.cursor ?? null);
    expect(third?.records).toEqual([]);
  });

  it('still fails the whole read when the list envelope itself does not fit', async () => {
    await start({ '/Ticket': { 'odata.nextLink': null, value: 'not a list' } });
    await expect(read('ticket', null)).rejects.toMatchObject({ code: 'malformed' });
  });
});
