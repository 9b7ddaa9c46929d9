/**
 * Groups and group memberships (https://developer.zendesk.com/api-reference/ticketing/groups/):
 * list groups, list the memberships of a group or of the account (cursor or offset paged, §4.2),
 * create a group and a membership. A ticket's assignee must be a member of its group (§6.2).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { pageList } from '../list-pagination.js';
import { zendeskTimestamp } from '../simulator-clock.js';
import {
  numericId,
  type Params,
  type QueryParams,
  type SimulatorContext,
  sendInvalid,
  sendNotFound,
} from '../simulator-context.js';
import type { SimulatedGroup } from '../zendesk-state.js';

const groupBody = z.object({ group: z.object({ name: z.string().min(1) }) });
const membershipBody = z.object({
  group_membership: z.object({ user_id: z.number().int(), group_id: z.number().int() }),
});

export function registerGroupRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { state } = context;
  const renderGroup = (group: SimulatedGroup) => ({
    url: `${state.baseUrl}/api/v2/groups/${group.id}.json`,
    id: group.id,
    name: group.name,
    description: '',
    default: false,
    deleted: false,
    created_at: zendeskTimestamp(group.created_at),
    updated_at: zendeskTimestamp(group.created_at),
  });

  app.get<{ Querystring: QueryParams }>('/api/v2/groups', async (request, reply) => {
    const answer = pageList(
      [...state.groups.values()],
      request.query,
      'groups',
      '/api/v2/groups',
      state.baseUrl,
      renderGroup,
    );
    return reply.code(answer.status).send(answer.body);
  });

  app.post('/api/v2/groups', async (request, reply) => {
    const parsed = groupBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    return reply.code(201).send({ group: renderGroup(state.createGroup(parsed.data.group.name)) });
  });

  app.get<{ Params: Params; Querystring: QueryParams }>('/api/v2/groups/:id/memberships', async (request, reply) => {
    const groupId = numericId(request.params.id) ?? -1;
    if (!state.groups.has(groupId)) return sendNotFound(reply);
    const path = `/api/v2/groups/${groupId}/memberships`;
    const memberships = state.membershipsOfGroup(groupId);
    const answer = pageList(memberships, request.query, 'group_memberships', path, state.baseUrl, (membership) =>
      state.groupMembershipJson(membership),
    );
    return reply.code(answer.status).send(answer.body);
  });

  app.get<{ Querystring: QueryParams }>('/api/v2/group_memberships', async (request, reply) => {
    const memberships = [...state.groupMemberships.values()];
    const answer = pageList(
      memberships,
      request.query,
      'group_memberships',
      '/api/v2/group_memberships',
      state.baseUrl,
      (membership) => state.groupMembershipJson(membership),
    );
    return reply.code(answer.status).send(answer.body);
  });

  app.post('/api/v2/group_memberships', async (request, reply) => {
    const parsed = membershipBody.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    const { group_id: groupId, user_id: userId } = parsed.data.group_membership;
    const result = state.addGroupMembership(groupId, userId);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return reply.code(201).send({ group_membership: state.groupMembershipJson(result.record) });
  });
}
