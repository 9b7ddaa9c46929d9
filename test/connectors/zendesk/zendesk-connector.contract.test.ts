/**
 * The Zendesk connector against the Zendesk simulator over real HTTP: the connector contract of
 * src/connectors/connector.ts, with the vendor behaviours of zendesk-api.md switched on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CreateOperation, UpdateOperation } from '../../../src/connectors/connector.js';
import { ZendeskConnector } from '../../../src/connectors/zendesk/zendesk-connector.js';
import { SyncError } from '../../../src/core/sync-error.js';
import { collect, type Harness, readFeed, startHarness } from './connector-harness.js';

const createOrganization = (index: number, extra: Partial<CreateOperation> = {}): CreateOperation => ({
  kind: 'create',
  key: `organization-${index}`,
  externalId: `superoffice:contact:${index}`,
  mayExist: false,
  values: { name: `Contact ${index} AS` },
  ...extra,
});

const createUser = (index: number, values: CreateOperation['values'] = {}): CreateOperation => ({
  kind: 'create',
  key: `user-${index}`,
  externalId: `superoffice:user:${index}`,
  mayExist: false,
  label: `User ${index}`,
  values: { email: `user${index}@example.com`, phone: null, organization_id: null, ...values },
});

describe('Zendesk connector: credentials', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  it('verifies with the simulator default OAuth token', async () => {
    harness = await startHarness();
    await expect(harness.connector.verify()).resolves.toBeUndefined();
  });

  it('refuses a wrong token with code auth, not with the anonymous users/me answer (§1)', async () => {
    harness = await startHarness({}, { auth: { kind: 'oauth', accessToken: 'wrong' } });
    await expect(harness.connector.verify()).rejects.toMatchObject({ code: 'auth' });
  });

  it('says the account URL is wrong when the API is not there', async () => {
    harness = await startHarness();
    const elsewhere = new ZendeskConnector({
      url: `${harness.simulator.url}/not-zendesk`,
      auth: { kind: 'oauth', accessToken: 'sim-token' },
    });
    await expect(elsewhere.verify()).rejects.toMatchObject({ code: 'config' });
    await elsewhere.close();
  });

  it('works with an API token and warns that Zendesk retires API tokens in 2027 (trap 1)', async () => {
    harness = await startHarness(
      {},
      { auth: { kind: 'api-token', email: 'agent@example.com', token: 'sim-api-token' } },
    );
    await harness.connector.verify();
    expect(harness.logs.map((entry) => entry.message).join('\n')).toMatch(/retires API tokens.*2027-04-30/);
  });

  it('refuses credentials that cannot read the incremental exports (admins only), naming the role (issue 12.8)', async () => {
    const agentToken = { email: 'helpdesk.agent@example.com', token: 'agent-api-token' };
    harness = await startHarness(
      { credentials: { apiTokens: [{ email: 'agent@example.com', token: 'sim-api-token' }, agentToken] } },
      { auth: { kind: 'api-token', ...agentToken } },
    );
    harness.simulator.data.createUser({ name: 'Help Desk Agent', email: agentToken.email, role: 'agent' });
    const refused = harness.connector.verify();
    await expect(refused).rejects.toMatchObject({ code: 'auth', status: 403 });
    await expect(refused).rejects.toThrow(/admins only/);
  });

  it('refreshes an expired OAuth token once, retries, and hands over the rotated tokens', async () => {
    const rotated: string[] = [];
    harness = await startHarness(
      {},
      {
        auth: {
          kind: 'oauth',
          accessToken: 'sim-token',
          refresh: { clientId: 'tandem', clientSecret: 'sim-secret', refreshToken: 'sim-refresh-token' },
        },
        onTokens: (tokens) => rotated.push(tokens.refreshToken),
      },
    );
    harness.simulator.revokeAccessTokens();
    await harness.connector.verify();
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).not.toBe('sim-refresh-token');
  });
});

describe('Zendesk connector: reading changes (zendesk-api.md §4.1)', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  it('streams users page by page from the cursor export, and a stored cursor resumes after what was yielded', async () => {
    harness = await startHarness({ users: 30 }, { exportPageSize: 10 });
    const first = await readFeed(harness.connector, 'user', null);
    expect(first.pages.length).toBe(4);
    expect(new Set(first.records.map((record) => record.ref.id)).size).toBe(31);
    // A cursor covers only its page: resuming from page two yields pages three and four only.
    const fromSecond = await readFeed(harness.connector, 'user', first.pages[1]?.cursor ?? null);
    expect(fromSecond.records.map((record) => record.ref.id)).toEqual(
      first.records.slice(20).map((record) => record.ref.id),
    );
    const quiet = await readFeed(harness.connector, 'user', first.cursor);
    expect(quiet.records).toEqual([]);
  });

  it('resumes an empty feed from the cursor it handed out, and then sees the first record', async () => {
    harness = await startHarness({ incrementalWithholdSeconds: 0 });
    const empty = await readFeed(harness.connector, 'ticket', null);
    expect(empty.records).toEqual([]);
    expect((await readFeed(harness.connector, 'ticket', empty.cursor)).records).toEqual([]);
    harness.simulator.data.createTicket({ subject: 'First', comment: { body: 'b' } });
    const first = await readFeed(harness.connector, 'ticket', empty.cursor);
    expect(first.records.map((record) => record.values.subject)).toEqual(['First']);
  });

  it('sees an edit only once it leaves the withheld minute, then only that record', async () => {
    harness = await startHarness({ users: 5 });
    const { cursor } = await readFeed(harness.connector, 'user', null);
    const target = harness.simulator.data.users()[2];
    if (target === undefined) throw new Error('no generated user');
    harness.simulator.data.editUser(target.id, { phone: '+47 12 34 56 78' });
    expect((await readFeed(harness.connector, 'user', cursor)).records).toEqual([]);
    harness.simulator.clock.advance(61_000);
    const changed = await readFeed(harness.connector, 'user', cursor);
    expect(changed.records.map((record) => [record.ref.id, record.values.phone])).toEqual([
      [String(target.id), '+47 12 34 56 78'],
    ]);
  });

  it('reports deleted users and tickets as deleted (trap 5)', async () => {
    harness = await startHarness({ users: 3, tickets: 2, incrementalWithholdSeconds: 0 });
    const user = harness.simulator.data.users()[1];
    const ticket = harness.simulator.data.tickets()[0];
    if (user === undefined || ticket === undefined) throw new Error('no generated data');
    harness.simulator.data.deleteUser(user.id);
    harness.simulator.data.deleteTicket(ticket.id);
    const users = await readFeed(harness.connector, 'user', null);
    expect(users.records.find((record) => record.ref.id === String(user.id))).toMatchObject({
      deleted: true,
      values: { email: null },
    });
    const tickets = await readFeed(harness.connector, 'ticket', null);
    expect(tickets.records.find((record) => record.ref.id === String(ticket.id))?.deleted).toBe(true);
  });

  it('delivers every organization once although time-based pages overlap (trap 6)', async () => {
    harness = await startHarness({ incrementalWithholdSeconds: 0 }, { exportPageSize: 2 });
    for (const perSecond of [3, 1, 2, 2]) {
      for (let index = 0; index < perSecond; index++) {
        harness.simulator.data.createOrganization({ name: `Org ${harness.simulator.data.organizations().length}` });
      }
      harness.simulator.clock.advance(1_000);
    }
    const read = await readFeed(harness.connector, 'organization', null);
    const ids = read.records.map((record) => record.ref.id);
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(8);
    const quiet = await readFeed(harness.connector, 'organization', read.cursor);
    expect(quiet.records).toEqual([]);
    const renamed = harness.simulator.data.organizations()[0];
    if (renamed === undefined) throw new Error('no organization');
    harness.simulator.data.editOrganization(renamed.id, { name: 'Renamed AS' });
    const next = await readFeed(harness.connector, 'organization', quiet.cursor);
    expect(next.records.map((record) => record.values.name)).toEqual(['Renamed AS']);
  });

  it('scans every live record with cursor pagination, handing out a change-feed cursor to resume from', async () => {
    harness = await startHarness({ users: 120, incrementalWithholdSeconds: 0 });
    const gone = harness.simulator.data.users()[5];
    if (gone === undefined) throw new Error('no generated user');
    harness.simulator.data.deleteUser(gone.id);
    const pages = await collect(harness.connector.readAll('user'));
    expect(pages).toHaveLength(2);
    const ids = pages.flatMap((page) => page.records.map((record) => record.ref.id));
    expect(ids).toHaveLength(120);
    expect(ids).not.toContain(String(gone.id));
    harness.simulator.clock.advance(120_000);
    harness.simulator.data.editUser(harness.simulator.data.users()[9]?.id ?? 0, { phone: '+47 1' });
    const after = await readFeed(harness.connector, 'user', pages[0]?.cursor ?? null);
    expect(after.records.map((record) => record.values.phone)).toContain('+47 1');
  });

  it('reads records by id and leaves out ids that do not exist', async () => {
    harness = await startHarness({ users: 3, organizations: 2, tickets: 2 });
    const organization = harness.simulator.data.organizations()[0];
    const records = await harness.connector.readByIds('organization', [String(organization?.id), '12345', 'not-an-id']);
    expect(records.map((record) => record.ref.id)).toEqual([String(organization?.id)]);
  });
});

describe('Zendesk connector: writing (zendesk-api.md trap 2, §3)', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  it('creates users, organizations and tickets in bulk with their external ids, one outcome per operation in order', async () => {
    harness = await startHarness({ users: 3, agents: 1 });
    const organizations = await harness.connector.write('organization', [createOrganization(1), createOrganization(2)]);
    expect(organizations.map((outcome) => [outcome.key, outcome.status])).toEqual([
      ['organization-1', 'created'],
      ['organization-2', 'created'],
    ]);
    const organizationId = organizations[0]?.record?.ref.id ?? '';
    expect(harness.simulator.data.organization(Number(organizationId))?.external_id).toBe('superoffice:contact:1');

    const users = await harness.connector.write('user', [
      createUser(1, { organization_id: organizationId, phone: '+47 22 33 44 55' }),
    ]);
    const userId = Number(users[0]?.record?.ref.id);
    expect(harness.simulator.data.user(userId)).toMatchObject({
      name: 'User 1',
      external_id: 'superoffice:user:1',
      organization_id: Number(organizationId),
    });

    const agent = harness.simulator.data.users().find((user) => user.role === 'agent');
    const tickets = await harness.connector.write('ticket', [
      {
        kind: 'create',
        key: 'ticket-1',
        externalId: 'superoffice:ticket:1',
        mayExist: false,
        values: {
          subject: 'Printer on fire',
          requester_id: String(userId),
          assignee_id: String(agent?.id),
          due_at: '2030-01-02T03:04:05Z',
        },
      },
    ]);
    expect(tickets[0]?.status).toBe('created');
    const ticket = harness.simulator.data.ticket(Number(tickets[0]?.record?.ref.id));
    expect(ticket).toMatchObject({
      subject: 'Printer on fire',
      requester_id: userId,
      assignee_id: agent?.id,
      type: 'task',
      external_id: 'superoffice:ticket:1',
    });
    expect(ticket?.due_at).toBe(Date.parse('2030-01-02T03:04:05Z'));
    expect(ticket?.comments[0]).toMatchObject({ public: false, body: expect.stringContaining('superoffice:ticket:1') });
  });

  it('reports refused items as failed validation errors with their field details, the rest created', async () => {
    harness = await startHarness({ users: 2 });
    await harness.connector.write('organization', [createOrganization(1)]);
    const organizations = await harness.connector.write('organization', [
      createOrganization(2, { values: { name: 'Contact 1 AS' } }),
      createOrganization(3),
    ]);
    expect(organizations[0]).toMatchObject({ status: 'failed', error: { code: 'validation' } });
    expect(organizations[0]?.error?.fields).toEqual({ name: ['Name: Contact 1 AS has already been taken'] });
    expect(organizations[1]?.status).toBe('created');

    const users = await harness.connector.write('user', [createUser(1, { email: 'not-an-email' }), createUser(2)]);
    expect(users[0]).toMatchObject({
      status: 'failed',
      error: { code: 'validation', fields: { email: [expect.stringMatching(/not properly formatted/)] } },
    });
    expect(users[1]?.status).toBe('created');

    const endUser = harness.simulator.data.users().find((user) => user.role === 'end-user');
    const tickets = await harness.connector.write('ticket', [
      {
        kind: 'create',
        key: 't',
        externalId: 'superoffice:ticket:9',
        mayExist: false,
        values: { subject: 'x', assignee_id: String(endUser?.id) },
      },
    ]);
    expect(tickets[0]).toMatchObject({
      status: 'failed',
      error: { code: 'validation', fields: { assignee: [expect.stringMatching(/Assignee: is invalid/)] } },
    });
  });

  it('adopts a record created by an earlier attempt instead of creating it twice (mayExist)', async () => {
    harness = await startHarness();
    const first = await harness.connector.write('organization', [createOrganization(1)]);
    await harness.connector.write('ticket', [
      { kind: 'create', key: 't', externalId: 'superoffice:ticket:1', mayExist: false, values: { subject: 'Once' } },
    ]);
    harness.simulator.calls.reset();
    const again = await harness.connector.write('organization', [createOrganization(1, { mayExist: true })]);
    const ticketAgain = await harness.connector.write('ticket', [
      { kind: 'create', key: 't', externalId: 'superoffice:ticket:1', mayExist: true, values: { subject: 'Once' } },
    ]);
    expect(again[0]).toMatchObject({ status: 'created', record: { ref: { id: first[0]?.record?.ref.id } } });
    expect(ticketAgain[0]?.status).toBe('created');
    expect(harness.simulator.data.organizations()).toHaveLength(1);
    expect(harness.simulator.data.ticketsByExternalId('superoffice:ticket:1')).toHaveLength(1);
    expect(harness.simulator.calls.count('POST /api/v2/organizations/create_many')).toBe(0);
  });

  it('changes a primary e-mail through identities and make_primary, keeping the old one as secondary (trap 3)', async () => {
    harness = await startHarness();
    const user = harness.simulator.data.createUser({ name: 'Mover', email: 'old@example.com' });
    const update: UpdateOperation = {
      kind: 'update',
      key: 'u',
      id: String(user.id),
      values: { email: 'new@example.com', phone: '+47 9' },
    };
    expect(await harness.connector.write('user', [update])).toEqual([{ key: 'u', status: 'updated' }]);
    expect(harness.simulator.data.primaryEmail(user.id)).toBe('new@example.com');
    expect(
      harness.simulator.data
        .identities(user.id)
        .map((identity) => identity.value)
        .sort(),
    ).toEqual(['new@example.com', 'old@example.com']);
    expect(harness.simulator.data.user(user.id)?.phone).toBe('+47 9');
    const onlyEmail: UpdateOperation = {
      kind: 'update',
      key: 'again',
      id: String(user.id),
      values: { email: 'new@example.com' },
    };
    expect(await harness.connector.write('user', [onlyEmail])).toEqual([{ key: 'again', status: 'unchanged' }]);
  });

  it('updates many records per item, failing only the one Zendesk refuses (a closed ticket, trap 10)', async () => {
    harness = await startHarness();
    const open = harness.simulator.data.createTicket({ subject: 'Open', comment: { body: 'b' } });
    const closed = harness.simulator.data.createTicket({ subject: 'Closed', comment: { body: 'b' }, status: 'closed' });
    const outcomes = await harness.connector.write('ticket', [
      { kind: 'update', key: 'open', id: String(open.id), values: { subject: 'Open, renamed' } },
      { kind: 'update', key: 'closed', id: String(closed.id), values: { subject: 'Closed, renamed' } },
    ]);
    expect(outcomes[0]).toEqual({ key: 'open', status: 'updated' });
    expect(outcomes[1]).toMatchObject({ key: 'closed', status: 'failed', error: { code: 'validation' } });
    expect(harness.simulator.data.ticket(open.id)?.subject).toBe('Open, renamed');
  });

  it('falls back to single writes when bulk user import is switched off, and says so once', async () => {
    harness = await startHarness({ bulkUserImport: false });
    const outcomes = await harness.connector.write('user', [createUser(1), createUser(2), createUser(3)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['created', 'created', 'created']);
    expect(harness.logs.filter((entry) => /bulk user import/.test(entry.message))).toHaveLength(1);
    expect(harness.simulator.calls.count('POST /api/v2/users')).toBe(3);
  });

  it('rejects the whole write when the credentials are refused', async () => {
    harness = await startHarness({}, { auth: { kind: 'oauth', accessToken: 'wrong' } });
    await expect(harness.connector.write('organization', [createOrganization(1)])).rejects.toBeInstanceOf(SyncError);
  });
});

describe('Zendesk connector: rate limits and faults (zendesk-api.md §5)', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  it('waits out a 429 for its Retry-After and then succeeds', async () => {
    harness = await startHarness({ users: 2 });
    harness.simulator.faults.script([{ kind: '429', match: 'GET /api/v2/users', retryAfterSeconds: 1 }]);
    const started = performance.now();
    const pages = await collect(harness.connector.readAll('user'));
    expect(pages[0]?.records).toHaveLength(3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(harness.simulator.calls.count('GET /api/v2/users')).toBe(2);
  });

  it('settles a create whose answer was lost after Zendesk did the work, without a duplicate', async () => {
    harness = await startHarness();
    harness.simulator.faults.script([
      { kind: 'drop', phase: 'after', match: 'POST /api/v2/tickets/create_many' },
      { kind: 'drop', phase: 'after', match: 'POST /api/v2/organizations/create_many' },
    ]);
    const tickets = await harness.connector.write('ticket', [
      {
        kind: 'create',
        key: 't1',
        externalId: 'superoffice:ticket:1',
        mayExist: false,
        values: { subject: 'Lost answer' },
      },
      {
        kind: 'create',
        key: 't2',
        externalId: 'superoffice:ticket:2',
        mayExist: false,
        values: { subject: 'Lost answer too' },
      },
    ]);
    const organizations = await harness.connector.write('organization', [createOrganization(1)]);
    expect(tickets.map((outcome) => outcome.status)).toEqual(['created', 'created']);
    expect(organizations[0]?.status).toBe('created');
    expect(harness.simulator.faults.injected.drop).toBe(2);
    expect(harness.simulator.data.tickets()).toHaveLength(2);
    expect(harness.simulator.data.organizations()).toHaveLength(1);
  });

  it('creates 400 users, 100 organizations and 400 tickets exactly once with 10% injected faults', async () => {
    harness = await startHarness({ seed: 3 }, { retries: 8 });
    harness.simulator.faults.set({ probability: 0.1, kinds: ['5xx', '429', 'drop'], seed: 11, retryAfterSeconds: 1 });
    const organizations = await harness.connector.write(
      'organization',
      Array.from({ length: 100 }, (_, index) => createOrganization(index)),
    );
    const users = await harness.connector.write(
      'user',
      Array.from({ length: 400 }, (_, index) =>
        createUser(index, { organization_id: organizations[index % 100]?.record?.ref.id ?? null }),
      ),
    );
    const tickets = await harness.connector.write(
      'ticket',
      Array.from({ length: 400 }, (_, index) => ({
        kind: 'create' as const,
        key: `ticket-${index}`,
        externalId: `superoffice:ticket:${index}`,
        mayExist: false,
        values: { subject: `Ticket ${index}`, requester_id: users[index]?.record?.ref.id ?? null },
      })),
    );
    const injected = harness.simulator.faults.injected;
    harness.simulator.faults.off();
    for (const outcomes of [organizations, users, tickets]) {
      expect(outcomes.filter((outcome) => outcome.status !== 'created')).toEqual([]);
    }
    const data = harness.simulator.data;
    expect(data.organizations()).toHaveLength(100);
    expect(data.users().filter((user) => user.external_id?.startsWith('superoffice:user:'))).toHaveLength(400);
    expect(data.tickets()).toHaveLength(400);
    for (let index = 0; index < 400; index++) {
      expect(data.ticketsByExternalId(`superoffice:ticket:${index}`)).toHaveLength(1);
    }
    // Every outcome names the record that carries its handle.
    for (const [outcomes, lookup] of [
      [users, (id: number) => data.user(id)?.external_id],
      [tickets, (id: number) => data.ticket(id)?.external_id],
      [organizations, (id: number) => data.organization(id)?.external_id],
    ] as const) {
      for (const outcome of outcomes)
        expect(lookup(Number(outcome.record?.ref.id))).toBe(outcome.record?.facts?.externalId);
    }
    expect(injected['5xx'] + injected['429'] + injected.drop).toBeGreaterThan(0);
  });

  it('still creates everything exactly once with 35% faults, lost answers included, over several seeds', async () => {
    for (const seed of [1, 2, 3]) {
      harness = await startHarness({ seed, rateLimits: false }, { retries: 10, rateLimitPerMinute: 5_000 });
      harness.simulator.faults.set({
        probability: 0.35,
        kinds: ['5xx', '429', 'drop'],
        seed: seed * 7,
        retryAfterSeconds: 0,
      });
      const organizations = await harness.connector.write(
        'organization',
        Array.from({ length: 150 }, (_, index) => createOrganization(index)),
      );
      const tickets = await harness.connector.write(
        'ticket',
        Array.from({ length: 250 }, (_, index) => ({
          kind: 'create' as const,
          key: `ticket-${index}`,
          externalId: `superoffice:ticket:${index}`,
          mayExist: false,
          values: { subject: `Ticket ${index}` },
        })),
      );
      const users = await harness.connector.write(
        'user',
        Array.from({ length: 250 }, (_, index) => createUser(index)),
      );
      const ambiguous = harness.simulator.faults.injected.drop;
      harness.simulator.faults.off();
      expect([...organizations, ...tickets, ...users].filter((outcome) => outcome.status !== 'created')).toEqual([]);
      expect(harness.simulator.data.organizations()).toHaveLength(150);
      expect(harness.simulator.data.tickets()).toHaveLength(250);
      expect(harness.simulator.data.users()).toHaveLength(251);
      expect(ambiguous).toBeGreaterThan(0);
      if (seed !== 3) await harness.close();
    }
  });
});
