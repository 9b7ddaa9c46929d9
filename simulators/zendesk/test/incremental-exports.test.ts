import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, startZendeskSimulator, type ZendeskSimulator } from '../index.js';
import { call, member } from './simulator-client.js';

describe('Zendesk simulator: incremental exports (zendesk-api.md §4.1, traps 5 and 6)', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  it('pages users by cursor, ends with end_of_stream and still hands out after_cursor', async () => {
    simulator = await startZendeskSimulator({ users: 5 });
    const first = await call(simulator, 'GET', '/api/v2/incremental/users/cursor?start_time=0&per_page=4');
    expect(member(first.json, 'users')).toHaveLength(4);
    expect(member(first.json, 'end_of_stream')).toBe(false);
    const cursor = String(member(first.json, 'after_cursor'));
    expect(Buffer.from(cursor, 'base64').toString()).toMatch(/^\d+\.0\|\|\d+\|$/);
    const last = await call(
      simulator,
      'GET',
      `/api/v2/incremental/users/cursor?cursor=${encodeURIComponent(cursor)}&per_page=4`,
    );
    expect(member(last.json, 'users')).toHaveLength(2);
    expect(member(last.json, 'end_of_stream')).toBe(true);
    expect(member(last.json, 'after_cursor')).toEqual(expect.any(String));
    const again = await call(
      simulator,
      'GET',
      `/api/v2/incremental/users/cursor?cursor=${encodeURIComponent(String(member(last.json, 'after_cursor')))}`,
    );
    expect(member(again.json, 'users')).toEqual([]);
  });

  it('hands out a cursor it accepts again even when the first read from start_time 0 is empty', async () => {
    simulator = await startZendeskSimulator({ incrementalWithholdSeconds: 0 });
    const empty = await call(simulator, 'GET', '/api/v2/incremental/tickets/cursor?start_time=0');
    expect(member(empty.json, 'tickets')).toEqual([]);
    const cursor = encodeURIComponent(String(member(empty.json, 'after_cursor')));
    const again = await call(simulator, 'GET', `/api/v2/incremental/tickets/cursor?cursor=${cursor}`);
    expect(again.status).toBe(200);
    simulator.data.createTicket({ subject: 'First', comment: { body: 'b' } });
    const first = await call(simulator, 'GET', `/api/v2/incremental/tickets/cursor?cursor=${cursor}`);
    expect((member(first.json, 'tickets') as { subject: string }[]).map((ticket) => ticket.subject)).toEqual(['First']);
  });

  it('withholds changes of the last minute until the clock moves past them', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock() });
    const start = await call(simulator, 'GET', '/api/v2/incremental/users/cursor?start_time=0');
    const cursor = encodeURIComponent(String(member(start.json, 'after_cursor')));
    simulator.data.createUser({ name: 'Fresh', email: 'fresh@example.com' });
    const hidden = await call(simulator, 'GET', `/api/v2/incremental/users/cursor?cursor=${cursor}`);
    expect(member(hidden.json, 'users')).toEqual([]);
    simulator.clock.advance(61_000);
    const shown = await call(simulator, 'GET', `/api/v2/incremental/users/cursor?cursor=${cursor}`);
    expect((member(shown.json, 'users') as { email: string }[]).map((user) => user.email)).toEqual([
      'fresh@example.com',
    ]);
  });

  it('refuses a start_time inside the withheld minute: 422 InvalidValue "Too recent start_time"', async () => {
    simulator = await startZendeskSimulator();
    const recent = Math.floor(simulator.clock.now() / 1000) - 10;
    const answer = await call(simulator, 'GET', `/api/v2/incremental/users/cursor?start_time=${recent}`);
    expect(answer.status).toBe(422);
    expect(member(answer.json, 'description')).toMatch(/^Too recent start_time/);
  });

  it('refuses a start_time in the future with 400, or 422 when set so (undocumented, api-review #13)', async () => {
    simulator = await startZendeskSimulator();
    const future = Math.floor(simulator.clock.now() / 1000) + 60;
    expect((await call(simulator, 'GET', `/api/v2/incremental/users/cursor?start_time=${future}`)).status).toBe(400);
    simulator.settings.futureStartTimeStatus = 422;
    expect((await call(simulator, 'GET', `/api/v2/incremental/organizations?start_time=${future}`)).status).toBe(422);
  });

  it('refuses every export to a caller who is not an admin with 403 (ZD-OAS "Allowed For: Admins")', async () => {
    const agent = { email: 'helpdesk.agent@example.com', token: 'agent-api-token' };
    simulator = await startZendeskSimulator({
      credentials: { apiTokens: [{ email: 'agent@example.com', token: 'sim-api-token' }, agent] },
    });
    simulator.data.createUser({ name: 'Help Desk Agent', email: agent.email, role: 'agent' });
    const basic = (email: string, token: string) => ({
      authorization: `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`,
    });
    const asAgent = basic(agent.email, agent.token);
    for (const path of [
      '/api/v2/incremental/users/cursor?start_time=0',
      '/api/v2/incremental/organizations?start_time=0',
    ]) {
      const answer = await call(simulator, 'GET', path, undefined, asAgent);
      expect(answer.status).toBe(403);
      expect(member(answer.json, 'error', 'title')).toBe('Forbidden');
    }
    expect((await call(simulator, 'GET', '/api/v2/organizations', undefined, asAgent)).status).toBe(200);
    const asOwner = basic('agent@example.com', 'sim-api-token');
    expect(
      (await call(simulator, 'GET', '/api/v2/incremental/users/cursor?start_time=0', undefined, asOwner)).status,
    ).toBe(200);
  });

  it('returns deleted users with active false and deleted tickets with status "deleted" (trap 5)', async () => {
    simulator = await startZendeskSimulator({ incrementalWithholdSeconds: 0 });
    const user = simulator.data.createUser({ name: 'Leaving', email: 'leaving@example.com' });
    const ticket = simulator.data.createTicket({ subject: 'Bye', comment: { body: 'b' } });
    simulator.data.deleteUser(user.id);
    simulator.data.deleteTicket(ticket.id);
    const users = await call(simulator, 'GET', '/api/v2/incremental/users/cursor?start_time=0');
    const exportedUser = (member(users.json, 'users') as { id: number }[]).find((entry) => entry.id === user.id);
    expect(exportedUser).toMatchObject({ active: false, email: null, permanently_deleted: false });
    const tickets = await call(simulator, 'GET', '/api/v2/incremental/tickets/cursor?start_time=0');
    expect(member(tickets.json, 'tickets', 0)).toMatchObject({
      id: ticket.id,
      status: 'deleted',
      generated_timestamp: expect.any(Number),
    });
    const withoutDeleted = await call(
      simulator,
      'GET',
      '/api/v2/incremental/tickets/cursor?start_time=0&exclude_deleted=true',
    );
    expect(member(withoutDeleted.json, 'tickets')).toEqual([]);
  });

  it('groups time-based pages by second, so they exceed per_page and overlap (trap 6)', async () => {
    const clock = createManualClock();
    simulator = await startZendeskSimulator({ clock, incrementalWithholdSeconds: 0 });
    // Three organizations change in one second, two in the next, one in the third.
    for (const perSecond of [3, 2, 1]) {
      for (let index = 0; index < perSecond; index++) {
        simulator.data.createOrganization({ name: `Org ${simulator.data.organizations().length}` });
      }
      clock.advance(1000);
    }
    const first = await call(simulator, 'GET', '/api/v2/incremental/organizations?start_time=0&per_page=1');
    expect(member(first.json, 'count')).toBe(3);
    const endTime = Number(member(first.json, 'end_time'));
    const second = await call(simulator, 'GET', `/api/v2/incremental/organizations?start_time=${endTime}&per_page=4`);
    const firstIds = (member(first.json, 'organizations') as { id: number }[]).map((entry) => entry.id);
    const secondIds = (member(second.json, 'organizations') as { id: number }[]).map((entry) => entry.id);
    expect(member(second.json, 'end_of_stream')).toBe(true);
    expect(member(second.json, 'next_page')).toEqual(expect.stringContaining('start_time='));
    expect(new Set([...firstIds, ...secondIds]).size).toBe(6);
    const overlap = await call(
      simulator,
      'GET',
      `/api/v2/incremental/organizations?start_time=${Number(member(second.json, 'end_time'))}`,
    );
    expect(Number(member(overlap.json, 'count'))).toBeGreaterThan(0);
  });

  it('moves past a second that fills a whole page instead of returning it forever', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock(), incrementalWithholdSeconds: 0 });
    for (let index = 0; index < 3; index++) simulator.data.createOrganization({ name: `Same second ${index}` });
    simulator.clock.advance(1000);
    simulator.data.createOrganization({ name: 'Later' });
    const first = await call(simulator, 'GET', '/api/v2/incremental/organizations?start_time=0&per_page=2');
    expect(member(first.json, 'count')).toBe(3);
    const next = await call(
      simulator,
      'GET',
      `/api/v2/incremental/organizations?start_time=${member(first.json, 'end_time')}`,
    );
    expect((member(next.json, 'organizations') as { name: string }[]).map((entry) => entry.name)).toEqual(['Later']);
  });
});
