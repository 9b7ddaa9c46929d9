/** `/Ticket`: the TicketEntity endpoints and the Ticket archive list (superoffice-api.md §2.4, §3, §4). */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../api-error.js';
import { ticketProvider } from '../archive-providers.js';
import { archiveQueryFrom, runArchiveQuery } from '../archive-query.js';
import { type Json, parseTicketBody, renderTicketEntity } from '../entity-json.js';
import { applyPatch, parsePatchBody } from '../entity-patch.js';
import {
  checkUnmodifiedSince,
  entityBody,
  idParameter,
  requestView,
  type SimulatorContext,
} from '../simulator-context.js';

export function registerTicketRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { data } = context;
  const ticket = (id: number) => {
    const row = data.tickets.get(id);
    if (row === undefined) throw notFound('Ticket', id);
    return row;
  };

  // Archive cells stay zone-less (whether they carry offsets is not documented), in the zone asked for.
  app.get('/Ticket', async (request) =>
    runArchiveQuery(
      ticketProvider(data, requestView(context, request).timeZone),
      archiveQueryFrom(request.query),
      context.apiBase,
      context.archive,
    ),
  );

  // No Last-Modified: GET Ticket documents none (SO-REF), unlike Person and Contact.
  app.get('/Ticket/:id', async (request) => {
    const row = ticket(idParameter(request));
    return renderTicketEntity(requestView(context, request), row, true);
  });

  // POST and PUT answer a TicketEntity without _Links (§3.1).
  app.post('/Ticket', async (request) => {
    const fields = parseTicketBody(data, entityBody(request));
    return renderTicketEntity(requestView(context, request), data.createTicket(fields), false);
  });

  // If-Unmodified-Since is documented for PATCH Ticket only, not PUT (§1.3).
  app.put('/Ticket/:id', async (request) => {
    const row = ticket(idParameter(request));
    const { row: saved } = data.editTicket(row.ticketId, parseTicketBody(data, entityBody(request)));
    return renderTicketEntity(requestView(context, request), saved, false);
  });

  app.patch('/Ticket/:id', async (request) => {
    const row = ticket(idParameter(request));
    checkUnmodifiedSince(request, row.lastChanged);
    const current = renderTicketEntity(requestView(context, request), row, true);
    const patched = applyPatch(current, parsePatchBody(request.body as Json, current), context);
    const { row: saved } = data.editTicket(row.ticketId, parseTicketBody(data, patched));
    return renderTicketEntity(requestView(context, request), saved, true);
  });

  // Whether REST DELETE is hard or soft is not stated (§9 item 7): like the UI, status Deleted.
  app.delete('/Ticket/:id', async (request, reply) => {
    const row = ticket(idParameter(request));
    data.editTicket(row.ticketId, { baseStatus: 'Deleted' });
    return reply.code(204).send();
  });
}
