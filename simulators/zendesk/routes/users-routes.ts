/**
 * Users: show, list, show_many, search, create, update, delete, create_or_update and the bulk
 * endpoints (zendesk-api.md §2.1, §3, §3.1).
 */
import type { FastifyInstance } from 'fastify';
import { bulkImportForbidden, detailsText, firstErrorCode, tooManyValues } from '../error-bodies.js';
import type { JobResultItem } from '../job-queue.js';
import { pageList } from '../list-pagination.js';
import { unknownKeys, userInput, userKeys } from '../request-bodies.js';
import {
  admitUserUpdate,
  answerWithJob,
  bulkItems,
  createManyOutcome,
  idList,
  inBulkOrder,
  numericId,
  outcomeOf,
  type Params,
  type QueryParams,
  type SimulatorContext,
  sendInvalid,
  sendNotFound,
  textList,
  unreadableItem,
  updateManyOutcome,
  warnIgnoredKeys,
} from '../simulator-context.js';
import type { SimulatedUser } from '../zendesk-state.js';

export function registerUserRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { state, settings } = context;
  const render = (user: SimulatedUser) => state.userJson(user);
  const userBody = (body: unknown) =>
    typeof body === 'object' && body !== null ? Reflect.get(body, 'user') : undefined;

  app.get<{ Querystring: QueryParams }>('/api/v2/users', async (request, reply) => {
    const live = [...state.users.values()].filter((user) => user.active);
    const answer = pageList(live, request.query, 'users', '/api/v2/users', state.baseUrl, render, [
      { name: 'updated_at', value: (user) => user.updated_at },
    ]);
    return reply.code(answer.status).send(answer.body);
  });

  app.get<{ Querystring: QueryParams }>('/api/v2/users/show_many', async (request, reply) => {
    const ids = idList(request.query.ids);
    const externalIds = textList(request.query.external_ids);
    if (ids === 'too-many' || externalIds === 'too-many') return reply.code(400).send(tooManyValues('ids'));
    const found =
      ids !== undefined
        ? ids.map((id) => state.users.get(id))
        : (externalIds ?? []).map((externalId) => state.findUserByExternalId(externalId));
    // §3: show_many does not keep the request order; this simulator answers newest id first.
    const users = found.filter((user): user is SimulatedUser => user !== undefined).sort((a, b) => b.id - a.id);
    return { users: users.map(render), next_page: null, previous_page: null, count: users.length };
  });

  app.get<{ Querystring: QueryParams }>('/api/v2/users/search', async (request) => {
    const { query, external_id: externalId } = request.query;
    let users: SimulatedUser[] = [];
    if (externalId !== undefined) {
      // §3: the external_id lookup is answered from the database, without search-index lag.
      const user = state.findUserByExternalId(externalId);
      users = user === undefined ? [] : [user];
    } else if (query !== undefined) {
      // Trap 7: the search index lags behind writes.
      const indexedBefore = state.now() - settings.searchLagSeconds * 1000;
      const term = query
        .replace(/^email:/, '')
        .trim()
        .toLowerCase();
      users = [...state.users.values()].filter(
        (user) =>
          user.active &&
          user.updated_at <= indexedBefore &&
          (term.includes('@')
            ? state.identitiesOf(user.id).some((identity) => identity.value.toLowerCase() === term)
            : user.name.toLowerCase().includes(term)),
      );
    }
    return { users: users.map(render), next_page: null, previous_page: null, count: users.length };
  });

  app.get('/api/v2/users/me', async (request) => {
    const user = state.users.get(context.callerOf(request));
    // §1: without valid credentials this answers 200 with an anonymous user, not 401.
    return { user: user === undefined ? anonymousUser : render(user) };
  });

  app.get<{ Params: Params }>('/api/v2/users/:id', async (request, reply) => {
    const user = state.users.get(numericId(request.params.id) ?? -1);
    return user === undefined ? sendNotFound(reply) : { user: render(user) };
  });

  app.post('/api/v2/users', async (request, reply) => {
    const body = userBody(request.body);
    const parsed = userInput.safeParse(body);
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    warnIgnoredKeys(reply, unknownKeys(body, userKeys, 'user'));
    const result = state.createUser(parsed.data);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return reply
      .code(201)
      .header('location', `${state.baseUrl}/api/v2/users/${result.record.id}.json`)
      .send({ user: render(result.record) });
  });

  app.put<{ Params: Params }>('/api/v2/users/:id', async (request, reply) => {
    const id = numericId(request.params.id);
    if (id === undefined || state.users.get(id)?.active !== true) return sendNotFound(reply);
    const body = userBody(request.body);
    const parsed = userInput.safeParse(body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    if (!admitUserUpdate(context, reply, id)) return reply;
    warnIgnoredKeys(reply, unknownKeys(body, userKeys, 'user'));
    const result = state.updateUser(id, parsed.data);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return { user: render(result.record) };
  });

  app.delete<{ Params: Params }>('/api/v2/users/:id', async (request, reply) => {
    // §8: a soft delete answers 200 with the now inactive user.
    const user = state.deleteUser(numericId(request.params.id) ?? -1);
    return user === undefined ? sendNotFound(reply) : { user: render(user) };
  });

  app.post('/api/v2/users/create_or_update', async (request, reply) => {
    const body = userBody(request.body);
    const parsed = userInput.safeParse(body);
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    const input = parsed.data;
    const match =
      (input.external_id ? state.findUserByExternalId(input.external_id) : undefined) ??
      (input.email ? state.findUserByEmail(input.email) : undefined);
    if (match !== undefined && !admitUserUpdate(context, reply, match.id)) return reply;
    warnIgnoredKeys(reply, unknownKeys(body, userKeys, 'user'));
    const result = state.createOrUpdateUser(input);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind !== 'ok') return sendNotFound(reply);
    // §3: 201 when created, 200 when an existing user matched.
    if (result.created) reply.header('location', `${state.baseUrl}/api/v2/users/${result.record.id}.json`);
    return reply.code(result.created ? 201 : 200).send({ user: render(result.record) });
  });

  app.post('/api/v2/users/create_many', async (request, reply) => {
    // Trap 2: bulk user import must be switched on by the account owner.
    if (!settings.bulkUserImport) return reply.code(403).send(bulkImportForbidden);
    const items = bulkItems(reply, request.body, 'users');
    if (items === undefined) return reply;
    return answerWithJob(context, reply, {
      type: 'bulk_create_users',
      noun: 'user',
      verb: 'Creating',
      total: items.length,
      run: () => createManyOutcome(context, items, userInput, (input) => state.createUser(input), 'UserCreateError'),
    });
  });

  app.post('/api/v2/users/create_or_update_many', async (request, reply) => {
    if (!settings.bulkUserImport) return reply.code(403).send(bulkImportForbidden);
    const items = bulkItems(reply, request.body, 'users');
    if (items === undefined) return reply;
    return answerWithJob(context, reply, {
      type: 'bulk_create_or_update_users',
      noun: 'user',
      verb: 'Processing',
      total: items.length,
      run: () => {
        let failures = 0;
        // A failed entry puts its index in `id` with status "Failed" (community post 4408861015066).
        // That post also says results keep the request order and carry the e-mail; the OAS says
        // neither, so by default the order is shuffled and `email` left out (settings knobs).
        const results = items.map((item, index): JobResultItem => {
          const parsed = userInput.safeParse(item);
          if (!parsed.success) {
            failures++;
            return { ...unreadableItem(index, parsed.error), status: 'Failed' };
          }
          const result = state.createOrUpdateUser(parsed.data);
          if (result.kind === 'ok') {
            return {
              id: result.record.id,
              status: result.created ? 'Created' : 'Updated',
              ...(settings.bulkResultEmails ? { email: state.primaryEmail(result.record.id) } : {}),
            };
          }
          failures++;
          const errors = result.kind === 'invalid' ? result.errors : { base: [{ description: 'Not found' }] };
          return {
            id: index,
            error: firstErrorCode(errors, 'UserUpdateError'),
            details: detailsText(errors),
            status: 'Failed',
          };
        });
        return outcomeOf(inBulkOrder(context, results), failures);
      },
    });
  });

  app.put<{ Querystring: QueryParams }>('/api/v2/users/update_many', async (request, reply) => {
    const planned = plannedUpdates(request.query, request.body, 'users', 'user');
    if (planned === 'too-many') return reply.code(400).send(tooManyValues('users'));
    if (planned === undefined) return reply.code(400).send({ error: 'InvalidValue', description: 'users missing' });
    const targets = planned.map((entry) => ({
      ...entry,
      id: entry.id ?? (entry.externalId === undefined ? undefined : state.findUserByExternalId(entry.externalId)?.id),
    }));
    return answerWithJob(context, reply, {
      type: 'bulk_update_users',
      noun: 'user',
      verb: 'Updating',
      total: targets.length,
      run: () => updateManyOutcome(targets, userInput, (id, input) => state.updateUser(id, input), 'UserUpdateError'),
    });
  });
}

const anonymousUser = {
  id: null,
  url: null,
  name: 'Anonymous user',
  email: 'invalid@example.com',
  role: 'end-user',
  active: true,
  verified: false,
  external_id: null,
};

export interface PlannedUpdate {
  readonly id: number | undefined;
  readonly externalId?: string;
  readonly values: unknown;
}

/**
 * §3: update_many takes either `{ <plural>: [{id, …}] }` (one change per record) or
 * `?ids=` / `?external_ids=` with `{ <singular>: {…} }` (the same change for all).
 */
export function plannedUpdates(
  query: QueryParams,
  body: unknown,
  plural: string,
  singular: string,
): PlannedUpdate[] | 'too-many' | undefined {
  const record = typeof body === 'object' && body !== null ? body : {};
  const many: unknown = Reflect.get(record, plural);
  if (Array.isArray(many)) {
    if (many.length > 100) return 'too-many';
    return many.map((item: unknown) => {
      const rawId: unknown = typeof item === 'object' && item !== null ? Reflect.get(item, 'id') : undefined;
      const id = typeof rawId === 'number' ? rawId : typeof rawId === 'string' ? numericId(rawId) : undefined;
      return { id, values: item };
    });
  }
  const one: unknown = Reflect.get(record, singular);
  const ids = idList(query.ids);
  const externalIds = textList(query.external_ids);
  if (ids === 'too-many' || externalIds === 'too-many') return 'too-many';
  if (one === undefined) return undefined;
  if (ids !== undefined) return ids.map((id) => ({ id, values: one }));
  if (externalIds !== undefined) return externalIds.map((externalId) => ({ id: undefined, externalId, values: one }));
  return undefined;
}
