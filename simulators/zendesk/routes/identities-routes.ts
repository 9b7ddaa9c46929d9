/**
 * User identities (zendesk-api.md §2.2): several e-mails per user, one of them primary; the
 * primary changes only through `make_primary`, which answers with the whole identity list.
 */
import type { FastifyInstance } from 'fastify';
import { pageList } from '../list-pagination.js';
import { identityInput } from '../request-bodies.js';
import {
  admitUserUpdate,
  numericId,
  type Params,
  type QueryParams,
  type SimulatorContext,
  sendInvalid,
  sendNotFound,
} from '../simulator-context.js';

export function registerIdentityRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { state } = context;
  const identityList = (userId: number) => {
    const identities = state.identitiesOf(userId).map((identity) => state.identityJson(identity));
    return { identities, next_page: null, previous_page: null, count: identities.length };
  };

  // List Identities: at most 100 per page (ZD-OAS), offset pages with next_page (§2.2, §4.2).
  app.get<{ Params: Params; Querystring: QueryParams }>('/api/v2/users/:id/identities', async (request, reply) => {
    const userId = numericId(request.params.id) ?? -1;
    if (state.users.get(userId)?.active !== true) return sendNotFound(reply);
    const answer = pageList(
      state.identitiesOf(userId),
      request.query,
      'identities',
      `/api/v2/users/${userId}/identities`,
      state.baseUrl,
      (identity) => state.identityJson(identity),
    );
    return reply.code(answer.status).send(answer.body);
  });

  app.get<{ Params: Params }>('/api/v2/users/:id/identities/:identityId', async (request, reply) => {
    const identity = state.identities.get(numericId(request.params.identityId) ?? -1);
    if (identity === undefined || identity.user_id !== numericId(request.params.id)) return sendNotFound(reply);
    return { identity: state.identityJson(identity) };
  });

  app.post<{ Params: Params }>('/api/v2/users/:id/identities', async (request, reply) => {
    const userId = numericId(request.params.id) ?? -1;
    if (state.users.get(userId)?.active !== true) return sendNotFound(reply);
    const body = request.body;
    const parsed = identityInput.safeParse(
      typeof body === 'object' && body !== null ? Reflect.get(body, 'identity') : undefined,
    );
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    if (!admitUserUpdate(context, reply, userId)) return reply;
    const result = state.addIdentity(userId, parsed.data);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return reply.code(201).send({ identity: state.identityJson(result.record) });
  });

  app.put<{ Params: Params }>('/api/v2/users/:id/identities/:identityId/make_primary', async (request, reply) => {
    const userId = numericId(request.params.id) ?? -1;
    const identityId = numericId(request.params.identityId) ?? -1;
    const identity = state.identities.get(identityId);
    if (identity === undefined || identity.user_id !== userId) return sendNotFound(reply);
    if (!admitUserUpdate(context, reply, userId)) return reply;
    const result = state.makePrimary(userId, identityId);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return identityList(userId);
  });

  app.delete<{ Params: Params }>('/api/v2/users/:id/identities/:identityId', async (request, reply) => {
    const removed = state.deleteIdentity(
      numericId(request.params.id) ?? -1,
      numericId(request.params.identityId) ?? -1,
    );
    return removed ? reply.code(204).send() : sendNotFound(reply);
  });
}
