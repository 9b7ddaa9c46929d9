/**
 * Organizations: show, list, show_many, search, create, update, delete, create_or_update (by id
 * or external_id only, never by name) and the bulk endpoints (zendesk-api.md §2.3, §3, trap 8).
 */
import type { FastifyInstance } from 'fastify';
import { tooManyValues } from '../error-bodies.js';
import { pageList } from '../list-pagination.js';
import { organizationInput, organizationKeys, unknownKeys } from '../request-bodies.js';
import {
  answerWithJob,
  bulkItems,
  createManyOutcome,
  idList,
  numericId,
  type Params,
  type QueryParams,
  type SimulatorContext,
  sendInvalid,
  sendNotFound,
  textList,
  updateManyOutcome,
  warnIgnoredKeys,
} from '../simulator-context.js';
import type { SimulatedOrganization } from '../zendesk-state.js';
import { plannedUpdates } from './users-routes.js';

export function registerOrganizationRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { state } = context;
  const render = (organization: SimulatedOrganization) => state.organizationJson(organization);
  const organizationBody = (body: unknown) =>
    typeof body === 'object' && body !== null ? Reflect.get(body, 'organization') : undefined;

  app.get<{ Querystring: QueryParams }>('/api/v2/organizations', async (request, reply) => {
    const answer = pageList(
      [...state.organizations.values()],
      request.query,
      'organizations',
      '/api/v2/organizations',
      state.baseUrl,
      render,
      [{ name: 'updated_at', value: (organization) => organization.updated_at }],
    );
    return reply.code(answer.status).send(answer.body);
  });

  app.get<{ Querystring: QueryParams }>('/api/v2/organizations/show_many', async (request, reply) => {
    const ids = idList(request.query.ids);
    const externalIds = textList(request.query.external_ids);
    if (ids === 'too-many' || externalIds === 'too-many') return reply.code(400).send(tooManyValues('ids'));
    const found =
      ids !== undefined
        ? ids.map((id) => state.organizations.get(id))
        : (externalIds ?? []).map((externalId) => state.findOrganizationByExternalId(externalId));
    // §3: organizations came back sorted by name, not in request order.
    const organizations = found
      .filter((organization): organization is SimulatedOrganization => organization !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      organizations: organizations.map(render),
      next_page: null,
      previous_page: null,
      count: organizations.length,
    };
  });

  app.get<{ Querystring: QueryParams }>('/api/v2/organizations/search', async (request, reply) => {
    const { name, external_id: externalId } = request.query;
    if ((name === undefined) === (externalId === undefined)) {
      return reply.code(400).send({ error: 'InvalidValue', description: 'Give exactly one of name or external_id' });
    }
    const organization =
      name !== undefined ? state.findOrganizationByName(name) : state.findOrganizationByExternalId(externalId ?? '');
    const organizations = organization === undefined ? [] : [render(organization)];
    return { organizations, next_page: null, previous_page: null, count: organizations.length };
  });

  app.get<{ Params: Params }>('/api/v2/organizations/:id', async (request, reply) => {
    const organization = state.organizations.get(numericId(request.params.id) ?? -1);
    return organization === undefined ? sendNotFound(reply) : { organization: render(organization) };
  });

  app.post('/api/v2/organizations', async (request, reply) => {
    const body = organizationBody(request.body);
    const parsed = organizationInput.safeParse(body);
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    warnIgnoredKeys(reply, unknownKeys(body, organizationKeys, 'organization'));
    const result = state.createOrganization(parsed.data);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return reply
      .code(201)
      .header('location', `${state.baseUrl}/api/v2/organizations/${result.record.id}.json`)
      .send({ organization: render(result.record) });
  });

  app.put<{ Params: Params }>('/api/v2/organizations/:id', async (request, reply) => {
    const body = organizationBody(request.body);
    const parsed = organizationInput.safeParse(body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    warnIgnoredKeys(reply, unknownKeys(body, organizationKeys, 'organization'));
    const result = state.updateOrganization(numericId(request.params.id) ?? -1, parsed.data);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return { organization: render(result.record) };
  });

  app.delete<{ Params: Params }>('/api/v2/organizations/:id', async (request, reply) => {
    return state.deleteOrganization(numericId(request.params.id) ?? -1) ? reply.code(204).send() : sendNotFound(reply);
  });

  app.post('/api/v2/organizations/create_or_update', async (request, reply) => {
    const parsed = organizationInput.safeParse(organizationBody(request.body));
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    const input = parsed.data;
    // Trap 8: matched by id or external_id only; an existing name is a DuplicateValue, not a match.
    const match =
      (input.id !== undefined ? state.organizations.get(input.id) : undefined) ??
      (input.external_id ? state.findOrganizationByExternalId(input.external_id) : undefined);
    const result = match === undefined ? state.createOrganization(input) : state.updateOrganization(match.id, input);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return reply.code(result.created ? 201 : 200).send({ organization: render(result.record) });
  });

  app.post('/api/v2/organizations/create_many', async (request, reply) => {
    const items = bulkItems(reply, request.body, 'organizations');
    if (items === undefined) return reply;
    return answerWithJob(context, reply, {
      type: 'bulk_create_organizations',
      noun: 'organization',
      verb: 'Creating',
      total: items.length,
      run: () =>
        createManyOutcome(
          context,
          items,
          organizationInput,
          (input) => state.createOrganization(input),
          'OrganizationCreateFailed',
        ),
    });
  });

  app.put<{ Querystring: QueryParams }>('/api/v2/organizations/update_many', async (request, reply) => {
    const planned = plannedUpdates(request.query, request.body, 'organizations', 'organization');
    if (planned === 'too-many') return reply.code(400).send(tooManyValues('organizations'));
    if (planned === undefined) {
      return reply.code(400).send({ error: 'InvalidValue', description: 'organizations missing' });
    }
    const targets = planned.map((entry) => ({
      ...entry,
      id:
        entry.id ??
        (entry.externalId === undefined ? undefined : state.findOrganizationByExternalId(entry.externalId)?.id),
    }));
    return answerWithJob(context, reply, {
      type: 'bulk_update_organizations',
      noun: 'organization',
      verb: 'Updating',
      total: targets.length,
      run: () =>
        updateManyOutcome(
          targets,
          organizationInput,
          (id, input) => state.updateOrganization(id, input),
          'OrganizationUpdateFailed',
        ),
    });
  });
}
