import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, startZendeskSimulator, type ZendeskSimulator } from '../index.js';
import { call, member } from './simulator-client.js';

describe('Zendesk simulator: faults on demand', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  it('plays scripted faults in order, only on the endpoint they name', async () => {
    simulator = await startZendeskSimulator();
    simulator.faults.script([
      { kind: '5xx', status: 503, match: 'GET /api/v2/tickets' },
      { kind: '429', match: 'GET /api/v2/tickets', retryAfterSeconds: 7 },
    ]);
    expect((await call(simulator, 'GET', '/api/v2/users')).status).toBe(200);
    const unavailable = await call(simulator, 'GET', '/api/v2/tickets');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('1');
    const limited = await call(simulator, 'GET', '/api/v2/tickets');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await call(simulator, 'GET', '/api/v2/tickets')).status).toBe(200);
    expect(simulator.faults.injected).toMatchObject({ '5xx': 1, '429': 1 });
  });

  it('drops a connection before the work, leaving nothing changed', async () => {
    simulator = await startZendeskSimulator();
    simulator.faults.script([{ kind: 'drop', phase: 'before' }]);
    await expect(
      call(simulator, 'POST', '/api/v2/users', { user: { name: 'Lost', email: 'lost@example.com' } }),
    ).rejects.toThrow();
    expect(simulator.data.userByEmail('lost@example.com')).toBeUndefined();
  });

  it('drops a connection after the work, so the client never hears the record was made', async () => {
    simulator = await startZendeskSimulator();
    simulator.faults.script([{ kind: 'drop', phase: 'after' }]);
    await expect(
      call(simulator, 'POST', '/api/v2/users', { user: { name: 'Made', email: 'made@example.com' } }),
    ).rejects.toThrow();
    expect(simulator.data.userByEmail('made@example.com')).toBeDefined();
  });

  it('answers a gateway error after the work when scripted so', async () => {
    simulator = await startZendeskSimulator();
    simulator.faults.script([{ kind: '5xx', status: 502, phase: 'after' }]);
    const answer = await call(simulator, 'POST', '/api/v2/organizations', { organization: { name: 'Half Done AS' } });
    expect(answer.status).toBe(502);
    expect(simulator.data.organizations().map((organization) => organization.name)).toContain('Half Done AS');
  });

  it('draws random faults from a seed: the same seed gives the same sequence', async () => {
    simulator = await startZendeskSimulator();
    const statuses = async () => {
      simulator.faults.set({ probability: 0.5, kinds: ['5xx', '429'], seed: 42 });
      const seen: number[] = [];
      for (let index = 0; index < 20; index++) seen.push((await call(simulator, 'GET', '/api/v2/users')).status);
      return seen;
    };
    const first = await statuses();
    const second = await statuses();
    expect(first).toEqual(second);
    expect(first.filter((status) => status !== 200).length).toBeGreaterThan(3);
    simulator.faults.off();
    expect((await call(simulator, 'GET', '/api/v2/users')).status).toBe(200);
  });

  it('holds back a slow answer without failing it', async () => {
    simulator = await startZendeskSimulator();
    simulator.faults.script([{ kind: 'slow', slowMs: 30 }]);
    const started = performance.now();
    expect((await call(simulator, 'GET', '/api/v2/users')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('counts calls per endpoint, writes apart, and resets', async () => {
    simulator = await startZendeskSimulator();
    await call(simulator, 'GET', '/api/v2/users/1');
    await call(simulator, 'GET', '/api/v2/users/2.json');
    await call(simulator, 'POST', '/api/v2/users/create_many', { users: [{ name: 'x' }] });
    expect(simulator.calls.count('GET /api/v2/users/:id')).toBe(2);
    expect(simulator.calls.count('POST /api/v2/users/create_many')).toBe(1);
    expect(simulator.calls.total).toBe(3);
    expect(simulator.calls.writes).toBe(1);
    simulator.calls.reset();
    expect(simulator.calls.total).toBe(0);
  });
});

describe('Zendesk simulator: clock and generated data', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  it('stamps records from the controllable clock, to the second with Z (§1 "Timestamps")', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock(Date.parse('2025-03-04T05:06:07.890Z')) });
    const created = await call(simulator, 'POST', '/api/v2/organizations', { organization: { name: 'Clocked AS' } });
    expect(member(created.json, 'organization', 'created_at')).toBe('2025-03-04T05:06:07Z');
    simulator.clock.advance(90_000);
    const id = member(created.json, 'organization', 'id');
    const updated = await call(simulator, 'PUT', `/api/v2/organizations/${id}`, {
      organization: { name: 'Clocked 2 AS' },
    });
    expect(member(updated.json, 'organization', 'updated_at')).toBe('2025-03-04T05:07:37Z');
  });

  it('generates the same account from the same seed, with agents, e-mails and phones', async () => {
    const snapshot = async (seed: number) => {
      const started = await startZendeskSimulator({
        seed,
        users: 30,
        organizations: 5,
        tickets: 20,
        agents: 4,
        clock: createManualClock(),
      });
      const users = started.data
        .users()
        .map((user) => [user.id, user.name, started.data.primaryEmail(user.id), user.phone, user.role]);
      const tickets = started.data.tickets().map((ticket) => [ticket.id, ticket.subject, ticket.assignee_id]);
      await started.close();
      return { users, tickets };
    };
    const first = await snapshot(7);
    expect(await snapshot(7)).toEqual(first);
    expect(await snapshot(8)).not.toEqual(first);
    simulator = await startZendeskSimulator({ seed: 7, users: 30, organizations: 5, tickets: 20, agents: 4 });
    const users = simulator.data.users();
    expect(users).toHaveLength(31); // the account owner plus 30 generated users
    expect(users.filter((user) => user.role === 'agent')).toHaveLength(4);
    expect(users.every((user) => /^[^@\s]+@[a-z.]+$/.test(simulator.data.primaryEmail(user.id) ?? ''))).toBe(true);
    expect(users.some((user) => user.phone?.startsWith('+47 '))).toBe(true);
    expect(simulator.data.organizations()).toHaveLength(5);
    expect(simulator.data.tickets()).toHaveLength(20);
    // Generated data lies outside the withheld window, so the first export sees all of it.
    const exported = await call(simulator, 'GET', '/api/v2/incremental/tickets/cursor?start_time=0');
    expect(member(exported.json, 'tickets')).toHaveLength(20);
  });

  it('lets a test edit a record as an agent would, bumping updated_at into the export', async () => {
    const clock = createManualClock();
    simulator = await startZendeskSimulator({ clock, users: 2 });
    const user = simulator.data.users()[1];
    if (user === undefined) throw new Error('no generated user');
    clock.advance(5_000);
    simulator.data.editUser(user.id, { email: 'changed@example.com', phone: '+47 11 22 33 44' });
    expect(simulator.data.primaryEmail(user.id)).toBe('changed@example.com');
    expect(simulator.data.user(user.id)?.updated_at).toBe(clock.now());
  });
});
