import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, startZendeskSimulator, type ZendeskSimulator } from '../index.js';
import { call, member } from './simulator-client.js';

describe('Zendesk simulator: users and identities (zendesk-api.md §2.1, §2.2, §3)', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  it('creates a user with only a name: 201, Location, email null, role end-user, verified false', async () => {
    simulator = await startZendeskSimulator();
    const answer = await call(simulator, 'POST', '/api/v2/users', { user: { name: 'Only Name' } });
    expect(answer.status).toBe(201);
    const id = member(answer.json, 'user', 'id');
    expect(answer.headers.get('location')).toBe(`${simulator.url}/api/v2/users/${id}.json`);
    expect(member(answer.json, 'user')).toMatchObject({ email: null, role: 'end-user', verified: false, active: true });
    expect(String(id)).toMatch(/^\d{13}$/);
  });

  it('refuses a second user with the same e-mail, case-insensitively: 422 DuplicateValue', async () => {
    simulator = await startZendeskSimulator();
    await call(simulator, 'POST', '/api/v2/users', { user: { name: 'A', email: 'scooby@doo.com' } });
    const answer = await call(simulator, 'POST', '/api/v2/users', { user: { name: 'B', email: 'Scooby@Doo.com' } });
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      error: 'RecordInvalid',
      description: 'Record validation errors',
      details: {
        email: [
          { description: 'Email: Scooby@Doo.com is already being used by another user', error: 'DuplicateValue' },
        ],
      },
    });
  });

  it('refuses a malformed e-mail with a details entry that has no error code (§6.2)', async () => {
    simulator = await startZendeskSimulator();
    const answer = await call(simulator, 'POST', '/api/v2/users', { user: { name: 'A', email: 'badmail' } });
    expect(answer.status).toBe(422);
    expect(member(answer.json, 'details', 'email')).toEqual([
      { description: 'Email: badmail is not properly formatted' },
    ]);
  });

  it('adds a secondary identity when email is updated and keeps the primary (trap 3)', async () => {
    simulator = await startZendeskSimulator();
    const created = await call(simulator, 'POST', '/api/v2/users', { user: { name: 'A', email: 'old@example.com' } });
    const id = Number(member(created.json, 'user', 'id'));
    const updated = await call(simulator, 'PUT', `/api/v2/users/${id}`, { user: { email: 'new@example.com' } });
    expect(updated.status).toBe(200);
    expect(member(updated.json, 'user', 'email')).toBe('old@example.com');
    const identities = await call(simulator, 'GET', `/api/v2/users/${id}/identities`);
    const list = member(identities.json, 'identities') as { value: string; primary: boolean; id: number }[];
    expect(list.map((identity) => [identity.value, identity.primary])).toEqual([
      ['old@example.com', true],
      ['new@example.com', false],
    ]);
    const secondary = list.find((identity) => !identity.primary);
    const swapped = await call(simulator, 'PUT', `/api/v2/users/${id}/identities/${secondary?.id}/make_primary`);
    expect(swapped.status).toBe(200);
    expect(member(swapped.json, 'count')).toBe(2);
    expect(member((await call(simulator, 'GET', `/api/v2/users/${id}`)).json, 'user', 'email')).toBe('new@example.com');
  });

  it('answers create_or_update with 201 when it creates and 200 when external_id matches, re-casing it', async () => {
    simulator = await startZendeskSimulator();
    const first = await call(simulator, 'POST', '/api/v2/users/create_or_update', {
      user: { name: 'Ian', email: 'ian@example.com', external_id: 'ian1' },
    });
    expect(first.status).toBe(201);
    const second = await call(simulator, 'POST', '/api/v2/users/create_or_update', {
      user: { name: 'Ian Again', external_id: 'IAN1' },
    });
    expect(second.status).toBe(200);
    expect(member(second.json, 'user')).toMatchObject({
      id: member(first.json, 'user', 'id'),
      name: 'Ian Again',
      external_id: 'IAN1',
    });
  });

  it('shows many users by ids and by external ids, not in request order, and refuses more than 100', async () => {
    simulator = await startZendeskSimulator();
    const ids: number[] = [];
    for (const name of ['a', 'b', 'c']) {
      const answer = await call(simulator, 'POST', '/api/v2/users', { user: { name, external_id: `ext-${name}` } });
      ids.push(Number(member(answer.json, 'user', 'id')));
    }
    const byIds = await call(simulator, 'GET', `/api/v2/users/show_many?ids=${ids.join(',')},999`);
    const shown = (member(byIds.json, 'users') as { id: number }[]).map((user) => user.id);
    expect([...shown].sort()).toEqual([...ids].sort());
    expect(shown).not.toEqual(ids);
    const byExternal = await call(simulator, 'GET', '/api/v2/users/show_many?external_ids=EXT-A,ext-c');
    expect(member(byExternal.json, 'count')).toBe(2);
    const tooMany = Array.from({ length: 101 }, (_, index) => index + 1).join(',');
    expect((await call(simulator, 'GET', `/api/v2/users/show_many?ids=${tooMany}`)).status).toBe(400);
  });

  it('finds a user by external_id at once, but by e-mail only after the search index caught up (trap 7)', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock() });
    await call(simulator, 'POST', '/api/v2/users', {
      user: { name: 'New', email: 'new@example.com', external_id: 'so-7' },
    });
    expect(member((await call(simulator, 'GET', '/api/v2/users/search?external_id=so-7')).json, 'count')).toBe(1);
    expect(
      member((await call(simulator, 'GET', '/api/v2/users/search?query=email:new@example.com')).json, 'count'),
    ).toBe(0);
    simulator.clock.advance(61_000);
    expect(
      member((await call(simulator, 'GET', '/api/v2/users/search?query=email:new@example.com')).json, 'count'),
    ).toBe(1);
  });

  it('pages users with cursors until has_more is false, and stops offset paging at 10,000 records (§4.2)', async () => {
    simulator = await startZendeskSimulator({ users: 25 });
    const seen: number[] = [];
    let path: string | null = '/api/v2/users?page[size]=10';
    while (path !== null) {
      const answer: Awaited<ReturnType<typeof call>> = await call(simulator, 'GET', path);
      seen.push(...(member(answer.json, 'users') as { id: number }[]).map((user) => user.id));
      const next = member(answer.json, 'links', 'next');
      expect(member(answer.json, 'meta', 'has_more')).toBe(next !== null);
      path = typeof next === 'string' ? next.slice(simulator.url.length) : null;
    }
    expect(new Set(seen).size).toBe(26);
    const offset = await call(simulator, 'GET', '/api/v2/users?page=2&per_page=10');
    expect(member(offset.json, 'count')).toBe(26);
    const tooDeep = await call(simulator, 'GET', '/api/v2/users?page=101&per_page=100');
    expect(tooDeep.status).toBe(400);
    expect(member(tooDeep.json, 'errors', 0, 'code')).toBe('InvalidPaginationDepth');
  });

  it('soft-deletes a user: 200 with active false and email null (§8)', async () => {
    simulator = await startZendeskSimulator();
    const created = await call(simulator, 'POST', '/api/v2/users', {
      user: { name: 'Gone', email: 'gone@example.com' },
    });
    const answer = await call(simulator, 'DELETE', `/api/v2/users/${member(created.json, 'user', 'id')}`);
    expect(answer.status).toBe(200);
    expect(member(answer.json, 'user')).toMatchObject({ active: false, email: null });
  });

  it('ignores unknown keys and names them in x-zendesk-api-warn (§1)', async () => {
    simulator = await startZendeskSimulator();
    const answer = await call(simulator, 'POST', '/api/v2/users', { user: { name: 'A', favourite_colour: 'blue' } });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('x-zendesk-api-warn')).toContain('user.favourite_colour');
  });

  it('answers 404 RecordNotFound for a user that does not exist', async () => {
    simulator = await startZendeskSimulator();
    const answer = await call(simulator, 'GET', '/api/v2/users/123');
    expect(answer.status).toBe(404);
    expect(answer.json).toEqual({ error: 'RecordNotFound', description: 'Not found' });
  });
});
