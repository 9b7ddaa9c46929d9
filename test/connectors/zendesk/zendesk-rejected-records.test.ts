/**
 * One Zendesk record that does not fit its documented shape is rejected on its own: the rest of
 * its page is read, and the page's cursor still moves on. Fixture pages follow zendesk-api.md §4.1
 * (incremental exports) and §4.2 (cursor pagination).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChangePage } from '../../../src/connectors/connector.js';
import { ZendeskConnector } from '../../../src/connectors/zendesk/zendesk-connector.js';
import type { RecordType } from '../../../src/core/model.js';
import { type FixtureServer, startFixtureServer } from '../fixture-server.js';

const user = (id: number | string, email: string) => ({
  id,
  name: `User ${id}`,
  email,
  phone: null,
  organization_id: null,
  role: 'end-user',
  external_id: null,
  active: true,
  created_at: '2025-03-01T10:00:00Z',
  updated_at: '2025-03-02T10:00:00Z',
});

async function readPages(connector: ZendeskConnector, type: RecordType, cursor: string | null): Promise<ChangePage[]> {
  const pages: ChangePage[] = [];
  for await (const page of connector.readChanges(type, cursor)) pages.push(page);
  return pages;
}

describe('Zendesk connector: a malformed record in a page', () => {
  let server: FixtureServer | undefined;
  let connector: ZendeskConnector | undefined;

  afterEach(async () => {
    await connector?.close();
    await server?.close();
    connector = undefined;
    server = undefined;
  });

  async function start(answers: Record<string, unknown>): Promise<ZendeskConnector> {
    server = await startFixtureServer(answers);
    connector = new ZendeskConnector({
      url: server.url,
      auth: { kind: 'oauth', accessToken: 'fixture-token' },
      retries: 0,
    });
    return connector;
  }

  it('rejects a user whose id is a string and reads the rest of the user export page', async () => {
    const zendesk = await start({
      '/api/v2/incremental/users/cursor.json': {
        users: [user(101, 'ada@example.com'), user('102', 'bob@example.com'), user(103, 'cy@example.com')],
        after_cursor: 'after-103',
        end_of_stream: true,
      },
    });
    const pages = await readPages(zendesk, 'user', null);
    expect(pages).toHaveLength(1);
    const [page] = pages;
    expect(page?.records.map((record) => record.ref.id)).toEqual(['101', '103']);
    expect(page?.rejected).toHaveLength(1);
    const [rejected] = page?.rejected ?? [];
    expect(rejected?.type).toBe('user');
    expect(rejected?.id).toBe('102');
    expect(rejected?.error.code).toBe('malformed');
    expect(rejected?.error.message).toMatch(/^Zendesk sent user 102 in a shape that does not fit at id: /);
    // The cursor covers the rejected user too: the next read starts after the whole page.
    const again = await readPages(zendesk, 'user', page?.cursor ?? null);
    expect(server?.requests.at(-1)).toMatch(/cursor=after-103/);
    expect(again[0]?.records.map((record) => record.ref.id)).toEqual(['101', '103']);
  });

  it('rejects an organization without a readable id in the time-based export and keeps the others', async () => {
    const zendesk = await start({
      '/api/v2/incremental/organizations.json': {
        organizations: [
          { id: 7, name: 'Acme AS', created_at: '2025-03-01T10:00:00Z', updated_at: '2025-03-01T10:00:00Z' },
          { name: 'No id AS', created_at: '2025-03-01T10:00:01Z', updated_at: '2025-03-01T10:00:01Z' },
        ],
        end_time: 1740823201,
        end_of_stream: true,
      },
    });
    const [page] = await readPages(zendesk, 'organization', null);
    expect(page?.records.map((record) => record.ref.id)).toEqual(['7']);
    expect(page?.rejected?.map((rejected) => [rejected.type, rejected.id, rejected.error.code])).toEqual([
      ['organization', null, 'malformed'],
    ]);
    expect(page?.rejected?.[0]?.error.message).toMatch(/organization without a readable id/);
  });

  it('rejects a ticket of a full scan whose subject is a number and reads the others', async () => {
    const ticket = (id: number, subject: unknown) => ({
      id,
      subject,
      requester_id: 5,
      assignee_id: null,
      due_at: null,
      status: 'open',
      external_id: null,
      created_at: '2025-03-01T10:00:00Z',
      updated_at: '2025-03-01T10:00:00Z',
    });
    const zendesk = await start({
      '/api/v2/tickets.json': {
        tickets: [ticket(1, 'Printer on fire'), ticket(2, 42)],
        meta: { has_more: false, after_cursor: null },
      },
    });
    const pages: ChangePage[] = [];
    for await (const page of zendesk.readAll('ticket')) pages.push(page);
    expect(pages.flatMap((page) => page.records.map((record) => record.ref.id))).toEqual(['1']);
    expect(pages.flatMap((page) => (page.rejected ?? []).map((rejected) => rejected.id))).toEqual(['2']);
  });

  it('still fails the whole read when the page envelope itself does not fit', async () => {
    const zendesk = await start({
      '/api/v2/incremental/users/cursor.json': { users: [user(101, 'ada@example.com')], end_of_stream: 'yes' },
    });
    await expect(readPages(zendesk, 'user', null)).rejects.toMatchObject({ code: 'malformed' });
  });

  it('leaves `rejected` out of a page where every record fits', async () => {
    const zendesk = await start({
      '/api/v2/incremental/users/cursor.json': {
        users: [user(101, 'ada@example.com')],
        after_cursor: 'after-101',
        end_of_stream: true,
      },
    });
    const [page] = await readPages(zendesk, 'user', null);
    expect(page?.records).toHaveLength(1);
    expect(page).not.toHaveProperty('rejected');
  });
});
