import { afterEach, describe, expect, it } from 'vitest';
import { startZendeskSimulator, type ZendeskSimulator } from '../index.js';
import { call, member } from './simulator-client.js';

describe('Zendesk simulator: organizations (zendesk-api.md §2.3, trap 8)', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  it('refuses a duplicate organization name, case-insensitively: 422 DuplicateValue', async () => {
    simulator = await startZendeskSimulator();
    expect(
      (await call(simulator, 'POST', '/api/v2/organizations', { organization: { name: 'Lorem Ipsum' } })).status,
    ).toBe(201);
    const answer = await call(simulator, 'POST', '/api/v2/organizations', { organization: { name: 'lorem ipsum' } });
    expect(answer.status).toBe(422);
    expect(member(answer.json, 'details', 'name')).toEqual([
      { description: 'Name: lorem ipsum has already been taken', error: 'DuplicateValue' },
    ]);
  });

  it('never matches create_or_update by name: an existing name is a DuplicateValue', async () => {
    simulator = await startZendeskSimulator();
    await call(simulator, 'POST', '/api/v2/organizations', { organization: { name: 'Acme AS' } });
    const answer = await call(simulator, 'POST', '/api/v2/organizations/create_or_update', {
      organization: { name: 'Acme AS' },
    });
    expect(answer.status).toBe(422);
  });

  it('matches create_or_update by external_id, case-insensitively', async () => {
    simulator = await startZendeskSimulator();
    const created = await call(simulator, 'POST', '/api/v2/organizations', {
      organization: { name: 'Acme AS', external_id: 'company1' },
    });
    const answer = await call(simulator, 'POST', '/api/v2/organizations/create_or_update', {
      organization: { name: 'Acme Renamed', external_id: 'Company1' },
    });
    expect(answer.status).toBe(200);
    expect(member(answer.json, 'organization', 'id')).toBe(member(created.json, 'organization', 'id'));
  });

  it('finds an organization by name or external id, and deletes with 204', async () => {
    simulator = await startZendeskSimulator();
    const created = await call(simulator, 'POST', '/api/v2/organizations', {
      organization: { name: 'Fjord AS', external_id: 'x9' },
    });
    expect(member((await call(simulator, 'GET', '/api/v2/organizations/search?name=fjord as')).json, 'count')).toBe(1);
    expect(member((await call(simulator, 'GET', '/api/v2/organizations/search?external_id=X9')).json, 'count')).toBe(1);
    expect(
      (await call(simulator, 'DELETE', `/api/v2/organizations/${member(created.json, 'organization', 'id')}`)).status,
    ).toBe(204);
  });
});

describe('Zendesk simulator: tickets (zendesk-api.md §2.4, §6.2, §6.3)', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  const endUser = async () => {
    const answer = await call(simulator, 'POST', '/api/v2/users', {
      user: { name: 'Customer', email: 'c@example.com' },
    });
    return Number(member(answer.json, 'user', 'id'));
  };

  it('refuses a ticket without a comment: "Description: cannot be blank"', async () => {
    simulator = await startZendeskSimulator();
    const answer = await call(simulator, 'POST', '/api/v2/tickets', { ticket: { subject: 'No body' } });
    expect(answer.status).toBe(422);
    expect(member(answer.json, 'details', 'description', 0, 'description')).toBe('Description: cannot be blank');
  });

  it('creates a ticket with 201, Location and an audit; requester defaults to the caller, ids are a small sequence', async () => {
    simulator = await startZendeskSimulator();
    const answer = await call(simulator, 'POST', '/api/v2/tickets', {
      ticket: { subject: 'Help', comment: { body: 'Please', public: false } },
    });
    expect(answer.status).toBe(201);
    expect(member(answer.json, 'ticket')).toMatchObject({
      id: 1,
      subject: 'Help',
      status: 'new',
      requester_id: simulator.data.ownerId,
      is_public: false,
    });
    expect(member(answer.json, 'audit', 'ticket_id')).toBe(1);
    expect(answer.headers.get('location')).toBe(`${simulator.url}/api/v2/tickets/1.json`);
  });

  it('refuses an assignee who is not an agent: 422 InvalidValue on assignee', async () => {
    simulator = await startZendeskSimulator();
    const customer = await endUser();
    const answer = await call(simulator, 'POST', '/api/v2/tickets', {
      ticket: { subject: 'S', comment: { body: 'B' }, assignee_id: customer },
    });
    expect(answer.status).toBe(422);
    expect(member(answer.json, 'details', 'assignee', 0)).toEqual({
      description: 'Assignee: is invalid',
      error: 'InvalidValue',
    });
  });

  it('keeps due_at only on tasks (§2.4: due_at is meaningful for type task only)', async () => {
    simulator = await startZendeskSimulator();
    const task = await call(simulator, 'POST', '/api/v2/tickets', {
      ticket: { subject: 'T', comment: { body: 'B' }, type: 'task', due_at: '2025-07-01T10:00:00Z' },
    });
    const question = await call(simulator, 'POST', '/api/v2/tickets', {
      ticket: { subject: 'Q', comment: { body: 'B' }, type: 'question', due_at: '2025-07-01T10:00:00Z' },
    });
    expect(member(task.json, 'ticket', 'due_at')).toBe('2025-07-01T10:00:00Z');
    expect(member(question.json, 'ticket', 'due_at')).toBeNull();
  });

  it('freezes closed tickets: any update is 422 "Status: closed prevents ticket update" (trap 10)', async () => {
    simulator = await startZendeskSimulator();
    await call(simulator, 'POST', '/api/v2/tickets', {
      ticket: { subject: 'S', comment: { body: 'B' }, status: 'closed' },
    });
    const answer = await call(simulator, 'PUT', '/api/v2/tickets/1', { ticket: { subject: 'Changed' } });
    expect(answer.status).toBe(422);
    expect(member(answer.json, 'details', 'status', 0, 'description')).toBe('Status: closed prevents ticket update');
  });

  it('answers 409 to a safe_update with a stale updated_stamp (§6.3)', async () => {
    simulator = await startZendeskSimulator();
    const created = await call(simulator, 'POST', '/api/v2/tickets', {
      ticket: { subject: 'S', comment: { body: 'B' } },
    });
    const stamp = String(member(created.json, 'ticket', 'updated_at'));
    simulator.clock.advance(5_000);
    expect(
      (
        await call(simulator, 'PUT', '/api/v2/tickets/1', {
          ticket: { subject: 'one', safe_update: true, updated_stamp: stamp },
        })
      ).status,
    ).toBe(200);
    const stale = await call(simulator, 'PUT', '/api/v2/tickets/1', {
      ticket: { subject: 'two', safe_update: true, updated_stamp: stamp },
    });
    expect(stale.status).toBe(409);
  });

  it('lists tickets by external_id, which is not unique (§2.4)', async () => {
    simulator = await startZendeskSimulator();
    for (let index = 0; index < 2; index++) {
      await call(simulator, 'POST', '/api/v2/tickets', {
        ticket: { subject: 'S', comment: { body: 'B' }, external_id: 'so-ticket-1' },
      });
    }
    const answer = await call(simulator, 'GET', '/api/v2/tickets?external_id=so-ticket-1');
    expect(member(answer.json, 'count')).toBe(2);
  });

  it('soft-deletes a ticket with 204; it is gone from show but stays in the export (§8)', async () => {
    simulator = await startZendeskSimulator({ incrementalWithholdSeconds: 0 });
    await call(simulator, 'POST', '/api/v2/tickets', { ticket: { subject: 'S', comment: { body: 'B' } } });
    expect((await call(simulator, 'DELETE', '/api/v2/tickets/1')).status).toBe(204);
    expect((await call(simulator, 'GET', '/api/v2/tickets/1')).status).toBe(404);
    const exported = await call(simulator, 'GET', '/api/v2/incremental/tickets/cursor?start_time=0');
    expect(member(exported.json, 'tickets', 0, 'status')).toBe('deleted');
  });

  it('counts updates per ticket in its own header (§5.2)', async () => {
    simulator = await startZendeskSimulator();
    await call(simulator, 'POST', '/api/v2/tickets', { ticket: { subject: 'S', comment: { body: 'B' } } });
    const answer = await call(simulator, 'PUT', '/api/v2/tickets/1', { ticket: { subject: 'T' } });
    expect(answer.headers.get('zendesk-ratelimit-per-ticket-updates')).toMatch(/^total=30; remaining=29; resets=\d+$/);
  });
});
