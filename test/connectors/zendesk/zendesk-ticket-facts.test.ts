/**
 * What the Zendesk connector reads beyond mapped values so the planner can keep Zendesk's ticket
 * rules (issue 12 items 5-7): who may be assigned tickets (role and role type), a ticket's status,
 * type and group, and the members of that group.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collect, type Harness, readFeed, startHarness } from './connector-harness.js';

describe('Zendesk connector: facts for ticket rules', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  it('counts only agents Zendesk lets be assigned tickets as agents: not light, chat-only agents or contributors', async () => {
    harness = await startHarness({ incrementalWithholdSeconds: 0 });
    const data = harness.simulator.data;
    const ids = {
      agent: data.createUser({ name: 'A', email: 'a@example.com', role: 'agent' }).id,
      light: data.createUser({ name: 'L', email: 'l@example.com', role: 'agent', role_type: 1 }).id,
      chat: data.createUser({ name: 'C', email: 'c@example.com', role: 'agent', role_type: 2 }).id,
      contributor: data.createUser({ name: 'K', email: 'k@example.com', role: 'agent', role_type: 3 }).id,
      custom: data.createUser({ name: 'R', email: 'r@example.com', role: 'agent', role_type: 0 }).id,
      endUser: data.createUser({ name: 'E', email: 'e@example.com' }).id,
    };
    const { records } = await readFeed(harness.connector, 'user', null);
    const isAgent = (id: number) => records.find((record) => record.ref.id === String(id))?.facts?.isAgent;
    expect(Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, isAgent(id)]))).toEqual({
      agent: true,
      light: false,
      chat: false,
      contributor: false,
      custom: true,
      endUser: false,
    });
  });

  it('reads a ticket’s status, type and group, with the group’s members, on every read path', async () => {
    harness = await startHarness({ incrementalWithholdSeconds: 0 });
    const data = harness.simulator.data;
    const first = data.createUser({ name: 'A', email: 'a@example.com', role: 'agent' });
    const second = data.createUser({ name: 'B', email: 'b@example.com', role: 'agent' });
    const group = data.createGroup('Second line');
    data.addGroupMember(group.id, first.id);
    data.addGroupMember(group.id, second.id);
    const grouped = data.createTicket({ subject: 'G', comment: { body: 'b' }, group_id: group.id, type: 'problem' });
    const plain = data.createTicket({ subject: 'P', comment: { body: 'b' }, status: 'closed' });

    const fromFeed = (await readFeed(harness.connector, 'ticket', null)).records;
    const fromSweep = (await collect(harness.connector.readAll('ticket'))).flatMap((page) => page.records);
    const byIds = await harness.connector.readByIds('ticket', [String(grouped.id), String(plain.id)]);
    for (const records of [fromFeed, fromSweep, byIds]) {
      const facts = (id: number) => records.find((record) => record.ref.id === String(id))?.facts;
      expect(facts(grouped.id)).toMatchObject({
        status: 'new',
        ticketType: 'problem',
        groupId: String(group.id),
        groupMembers: [String(first.id), String(second.id)].sort(),
      });
      expect(facts(plain.id)).toMatchObject({ status: 'closed', ticketType: null, groupId: null });
      expect(facts(plain.id)?.groupMembers).toBeUndefined();
    }
    // One membership read per group per read, not one per ticket.
    harness.simulator.calls.reset();
    data.createTicket({ subject: 'G2', comment: { body: 'b' }, group_id: group.id });
    await readFeed(harness.connector, 'ticket', null);
    expect(harness.simulator.calls.count('GET /api/v2/groups/:id/memberships')).toBe(1);
  });

  it('leaves a group’s members unknown, not empty, when they cannot be read, so no assignee is judged on a guess', async () => {
    harness = await startHarness({ incrementalWithholdSeconds: 0 }, { retries: 1 });
    const data = harness.simulator.data;
    const group = data.createGroup('Second line');
    const ticket = data.createTicket({ subject: 'G', comment: { body: 'b' }, group_id: group.id });
    const failing = { kind: '5xx' as const, match: 'GET /api/v2/groups/:id/memberships' };
    harness.simulator.faults.script([failing, failing, failing, failing]);
    const [record] = await harness.connector.readByIds('ticket', [String(ticket.id)]);
    expect(record?.facts?.groupId).toBe(String(group.id));
    expect(record?.facts?.groupMembers).toBeUndefined();
    expect(harness.logs.map((entry) => entry.message).join('\n')).toMatch(
      /members of Zendesk group .* could not be read/,
    );
  });
});
