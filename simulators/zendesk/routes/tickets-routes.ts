/**
 * Tickets: show, list (also by external_id, which is not unique), show_many, create, update,
 * delete and the bulk endpoints (zendesk-api.md §2.4, §3, §3.1, §6.3).
 */
import type { FastifyInstance } from 'fastify';
import { tooManyValues } from '../error-bodies.js';
import type { JobResultItem } from '../job-queue.js';
import { pageList } from '../list-pagination.js';
import { ticketInput, ticketKeys, unknownKeys } from '../request-bodies.js';
import {
  answerWithJob,
  bulkItems,
  failedItem,
  idList,
  numericId,
  outcomeOf,
  type Params,
  type QueryParams,
  type SimulatorContext,
  sendConflict,
  sendInvalid,
  sendNotFound,
  unreadableItem,
  updateManyOutcome,
  warnIgnoredKeys,
} from '../simulator-context.js';
import type { SimulatedTicket } from '../zendesk-state.js';
import { plannedUpdates } from './users-routes.js';

export function registerTicketRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { state } = context;
  const render = (ticket: SimulatedTicket) => state.ticketJson(ticket);
  const ticketBody = (body: unknown) =>
    typeof body === 'object' && body !== null ? Reflect.get(body, 'ticket') : undefined;
  const live = () => [...state.tickets.values()].filter((ticket) => ticket.status !== 'deleted');

  app.get<{ Querystring: QueryParams }>('/api/v2/tickets', async (request, reply) => {
    const externalId = request.query.external_id;
    // §2.4: external_id is not unique, so this can list several tickets.
    const tickets =
      externalId === undefined || !context.settings.ticketExternalIdFilter
        ? live()
        : live().filter((ticket) => ticket.external_id?.toLowerCase() === externalId.toLowerCase());
    const answer = pageList(tickets, request.query, 'tickets', '/api/v2/tickets', state.baseUrl, render, [
      { name: 'updated_at', value: (ticket) => ticket.updated_at },
    ]);
    return reply.code(answer.status).send(answer.body);
  });

  app.get<{ Querystring: QueryParams }>('/api/v2/tickets/show_many', async (request, reply) => {
    const ids = idList(request.query.ids);
    if (ids === 'too-many') return reply.code(400).send(tooManyValues('ids'));
    const tickets = (ids ?? [])
      .map((id) => state.tickets.get(id))
      .filter((ticket): ticket is SimulatedTicket => ticket !== undefined && ticket.status !== 'deleted')
      .sort((a, b) => a.id - b.id);
    return { tickets: tickets.map(render), next_page: null, previous_page: null, count: tickets.length };
  });

  app.get<{ Params: Params }>('/api/v2/tickets/:id', async (request, reply) => {
    const ticket = state.tickets.get(numericId(request.params.id) ?? -1);
    return ticket === undefined || ticket.status === 'deleted' ? sendNotFound(reply) : { ticket: render(ticket) };
  });

  app.post('/api/v2/tickets', async (request, reply) => {
    const body = ticketBody(request.body);
    const parsed = ticketInput.safeParse(body);
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    warnIgnoredKeys(reply, unknownKeys(body, ticketKeys, 'ticket'));
    const caller = context.callerOf(request);
    const result = state.createTicket(parsed.data, caller);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return reply
      .code(201)
      .header('location', `${state.baseUrl}/api/v2/tickets/${result.record.id}.json`)
      .send({ ticket: render(result.record), audit: state.auditJson(result.record, caller) });
  });

  app.put<{ Params: Params }>('/api/v2/tickets/:id', async (request, reply) => {
    const id = numericId(request.params.id) ?? -1;
    const body = ticketBody(request.body);
    const parsed = ticketInput.safeParse(body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: 'InvalidValue', description: parsed.error.message });
    const caller = context.callerOf(request);
    const ticket = state.tickets.get(id);
    if (ticket === undefined || ticket.status === 'deleted') return sendNotFound(reply);
    const perTicket = context.limiter?.ticketUpdate(caller, id);
    if (perTicket !== undefined) {
      // §5.2: the per-ticket bucket announces itself in its own header.
      reply.header(
        'zendesk-ratelimit-per-ticket-updates',
        `total=${perTicket.limit}; remaining=${perTicket.remaining}; resets=${perTicket.resetSeconds}`,
      );
      if (!perTicket.allowed) {
        return reply
          .code(429)
          .header('retry-after', String(perTicket.resetSeconds))
          .send({ error: 'TooManyRequests', description: 'Too many updates to this ticket' });
      }
    }
    warnIgnoredKeys(reply, unknownKeys(body, ticketKeys, 'ticket'));
    const result = state.updateTicket(id, parsed.data, caller);
    if (result.kind === 'invalid') return sendInvalid(reply, result.errors);
    if (result.kind === 'conflict') return sendConflict(reply);
    if (result.kind !== 'ok') return sendNotFound(reply);
    return { ticket: render(result.record), audit: state.auditJson(result.record, caller) };
  });

  app.delete<{ Params: Params }>('/api/v2/tickets/:id', async (request, reply) => {
    return state.deleteTicket(numericId(request.params.id) ?? -1) ? reply.code(204).send() : sendNotFound(reply);
  });

  app.post('/api/v2/tickets/create_many', async (request, reply) => {
    const items = bulkItems(reply, request.body, 'tickets');
    if (items === undefined) return reply;
    const caller = context.callerOf(request);
    return answerWithJob(context, reply, {
      type: 'bulk_create_tickets',
      noun: 'ticket',
      verb: 'Creating',
      total: items.length,
      run: () => {
        let failures = 0;
        // §3.1: ticket results carry their index, and the account id.
        const results = items.map((item, index): JobResultItem => {
          const parsed = ticketInput.safeParse(item);
          if (!parsed.success) {
            failures++;
            return unreadableItem(index, parsed.error);
          }
          const result = state.createTicket(parsed.data, caller);
          if (result.kind === 'ok') return { index, id: result.record.id, account_id: state.accountId };
          failures++;
          return result.kind === 'invalid' ? failedItem(index, result.errors, 'TicketCreateFailed') : { index };
        });
        return outcomeOf(results, failures);
      },
    });
  });

  app.put<{ Querystring: QueryParams }>('/api/v2/tickets/update_many', async (request, reply) => {
    const planned = plannedUpdates(request.query, request.body, 'tickets', 'ticket');
    if (planned === 'too-many') return reply.code(400).send(tooManyValues('tickets'));
    if (planned === undefined) return reply.code(400).send({ error: 'InvalidValue', description: 'tickets missing' });
    const caller = context.callerOf(request);
    return answerWithJob(context, reply, {
      type: 'bulk_update_tickets',
      noun: 'ticket',
      verb: 'Updating',
      total: planned.length,
      run: () =>
        updateManyOutcome(
          planned,
          ticketInput,
          (id, input) => {
            // §6.3 documents the guard for Update Ticket only; by default the bulk endpoint ignores it.
            const { safe_update: _safe, updated_stamp: _stamp, ...unguarded } = input;
            return state.updateTicket(id, state.knobs.bulkTicketUpdatesHonourSafeUpdate ? input : unguarded, caller);
          },
          'TicketUpdateFailed',
        ),
    });
  });
}
