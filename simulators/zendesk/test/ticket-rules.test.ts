/**
 * The ticket rules the simulator enforces as Zendesk documents them: collision protection with
 * `safe_update` (§6.3), assignable agents only and group membership (§6.2, ZD-LA, zenpy#628),
 * closed tickets frozen (trap 10), and what deleting an organization does to its users (§8).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, startZendeskSimulator, type ZendeskSimulator } from '../index.js';
import { bulk, call, member } from './simulator-client.js';

describe('Zendesk simulator: ticket rules', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  it('answers 409 to an update whose updated_stamp is not the ticket’s updated_at, and applies one whose stamp is', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock() });
    const ticket = simulator.data.createTicket({ subject: 'First', comment: { body: 'b' } });
    const read = await call(simulator, 'GET', `/api/v2/tickets/${ticket.id}`);
    const stamp = member(read.json, 'ticket', 'updated_at');
    simulator.clock.advance(5_000);
    simulator.data.editTicket(ticket.id, { subject: 'Edited meanwhile' });

    const stale = await call(simulator, 'PUT', `/api/v2/tickets/${ticket.id}`, {
      ticket: { subject: 'Ours', safe_update: true, updated_stamp: stamp },
    });
    expect(stale.status).toBe(409);
    expect(simulator.data.ticket(ticket.id)?.subject).toBe('Edited meanwhile');

    const current = member((await call(simulator, 'GET', `/api/v2/tickets/${ticket.id}`)).json, 'ticket', 'updated_at');
    const fresh = await call(simulator, 'PUT', `/api/v2/tickets/${ticket.id}`, {
      ticket: { subject: 'Ours', safe_update: true, updated_stamp: current },
    });
    expect(fresh.status).toBe(200);
    expect(simulator.data.ticket(ticket.id)?.subject).toBe('Ours');
  });

  it('ignores safe_update in tickets/update_many unless told otherwise (documented for Update Ticket only)', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock() });
    const ticket = simulator.data.createTicket({ subject: 'First', comment: { body: 'b' } });
    const stale = '2000-01-01T00:00:00Z';
    const item = { id: ticket.id, subject: 'Bulk', safe_update: true, updated_stamp: stale };
    await bulk(simulator, 'PUT', '/api/v2/tickets/update_many', { tickets: [item] });
    expect(simulator.data.ticket(ticket.id)?.subject).toBe('Bulk');

    simulator.data.knobs.bulkTicketUpdatesHonourSafeUpdate = true;
    const job = await bulk(simulator, 'PUT', '/api/v2/tickets/update_many', {
      tickets: [{ ...item, subject: 'Again' }],
    });
    expect(simulator.data.ticket(ticket.id)?.subject).toBe('Bulk');
    expect(member(job, 'results', 0, 'success')).toBe(false);
  });

  it('refuses light agents, chat-only agents and contributors as assignees, and agents outside the ticket’s group', async () => {
    simulator = await startZendeskSimulator();
    const agent = simulator.data.createUser({ name: 'Agent', email: 'second-line@example.com', role: 'agent' });
    const outsider = simulator.data.createUser({ name: 'Outsider', email: 'out@example.com', role: 'agent' });
    const group = simulator.data.createGroup('Second line');
    simulator.data.addGroupMember(group.id, agent.id);
    const ticket = simulator.data.createTicket({ subject: 'T', comment: { body: 'b' }, group_id: group.id });
    for (const roleType of [1, 2, 3]) {
      const restricted = simulator.data.createUser({
        name: `Restricted ${roleType}`,
        email: `r${roleType}@example.com`,
        role: 'agent',
        role_type: roleType,
      });
      simulator.data.addGroupMember(group.id, restricted.id);
      const answer = await call(simulator, 'PUT', `/api/v2/tickets/${ticket.id}`, {
        ticket: { assignee_id: restricted.id },
      });
      expect(answer.status).toBe(422);
      expect(member(answer.json, 'details', 'assignee', 0, 'description')).toBe('Assignee: is invalid');
    }
    const outside = await call(simulator, 'PUT', `/api/v2/tickets/${ticket.id}`, {
      ticket: { assignee_id: outsider.id },
    });
    expect(outside.status).toBe(422);
    expect(member(outside.json, 'details', 'assignee', 0, 'description')).toBe(
      'Assignee: is not a member of the group',
    );
    const inside = await call(simulator, 'PUT', `/api/v2/tickets/${ticket.id}`, { ticket: { assignee_id: agent.id } });
    expect(inside.status).toBe(200);

    const memberships = await call(simulator, 'GET', `/api/v2/groups/${group.id}/memberships?page[size]=2`);
    expect(member(memberships.json, 'group_memberships', 0, 'user_id')).toBe(agent.id);
    expect(member(memberships.json, 'meta', 'has_more')).toBe(true);
    const user = await call(simulator, 'GET', `/api/v2/users/${agent.id}`);
    expect(member(user.json, 'user', 'role_type')).toBeNull();
  });

  it('refuses any update of a closed ticket', async () => {
    simulator = await startZendeskSimulator();
    const ticket = simulator.data.createTicket({ subject: 'Done', comment: { body: 'b' }, status: 'closed' });
    const answer = await call(simulator, 'PUT', `/api/v2/tickets/${ticket.id}`, { ticket: { subject: 'Again' } });
    expect(answer.status).toBe(422);
    expect(member(answer.json, 'details', 'status', 0, 'description')).toBe('Status: closed prevents ticket update');
  });

  it('clears the organization of its users when an organization is deleted, and reports them changed', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock(), incrementalWithholdSeconds: 0 });
    const organization = simulator.data.createOrganization({ name: 'Acme AS' });
    const user = simulator.data.createUser({
      name: 'Kari',
      email: 'kari@example.com',
      organization_id: organization.id,
    });
    const before = simulator.data.user(user.id)?.updated_at;
    simulator.clock.advance(10_000);
    simulator.data.deleteOrganization(organization.id);
    expect(simulator.data.user(user.id)?.organization_id).toBeNull();
    expect(simulator.data.user(user.id)?.updated_at).toBeGreaterThan(before ?? 0);
    expect((await call(simulator, 'GET', `/api/v2/organizations/${organization.id}`)).status).toBe(404);

    const other = simulator.data.createOrganization({ name: 'Other AS' });
    const quiet = simulator.data.createUser({ name: 'Ola', email: 'ola@example.com', organization_id: other.id });
    simulator.data.knobs.organizationDeleteTouchesUsers = false;
    const stamp = simulator.data.user(quiet.id)?.updated_at;
    simulator.clock.advance(10_000);
    simulator.data.deleteOrganization(other.id);
    expect(simulator.data.user(quiet.id)?.organization_id).toBeNull();
    expect(simulator.data.user(quiet.id)?.updated_at).toBe(stamp);
  });
});
