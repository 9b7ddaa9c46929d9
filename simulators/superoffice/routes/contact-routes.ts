/** `/Contact`: the ContactEntity endpoints and the SimpleContact archive list (superoffice-api.md §2.3, §3, §4, §7). */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../api-error.js';
import { contactProvider } from '../archive-providers.js';
import { archiveQueryFrom, runArchiveQuery } from '../archive-query.js';
import { type Json, parseContactBody, renderContactEntity } from '../entity-json.js';
import { applyPatch, parsePatchBody } from '../entity-patch.js';
import {
  answeredNotModified,
  checkUnmodifiedSince,
  entityBody,
  idParameter,
  requestView,
  type SimulatorContext,
  setLastModified,
} from '../simulator-context.js';

export function registerContactRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { data } = context;
  const liveContact = (id: number) => {
    const contact = data.liveContact(id);
    if (contact === undefined) throw notFound('Contact', id);
    return contact;
  };

  app.get('/Contact', async (request) =>
    runArchiveQuery(contactProvider(data), archiveQueryFrom(request.query), context.apiBase, context.archive),
  );

  app.get('/Contact/:id', async (request, reply) => {
    const contact = liveContact(idParameter(request));
    if (answeredNotModified(request, reply, contact.updatedDate)) return reply;
    setLastModified(reply, contact.updatedDate);
    return renderContactEntity(requestView(context, request), contact);
  });

  app.post('/Contact', async (request, reply) => {
    const contact = data.createContact(parseContactBody(entityBody(request)));
    setLastModified(reply, contact.updatedDate);
    return renderContactEntity(requestView(context, request), contact);
  });

  app.put('/Contact/:id', async (request, reply) => {
    const contact = liveContact(idParameter(request));
    checkUnmodifiedSince(request, contact.updatedDate);
    const { row } = data.editContact(contact.contactId, parseContactBody(entityBody(request)));
    setLastModified(reply, row.updatedDate);
    return renderContactEntity(requestView(context, request), row);
  });

  app.patch('/Contact/:id', async (request, reply) => {
    const contact = liveContact(idParameter(request));
    checkUnmodifiedSince(request, contact.updatedDate);
    const current = renderContactEntity(requestView(context, request), contact);
    const patched = applyPatch(current, parsePatchBody(request.body as Json, current), context);
    const { row } = data.editContact(contact.contactId, parseContactBody(patched));
    setLastModified(reply, row.updatedDate);
    return renderContactEntity(requestView(context, request), row);
  });

  app.delete('/Contact/:id', async (request, reply) => {
    const contact = liveContact(idParameter(request));
    checkUnmodifiedSince(request, contact.updatedDate);
    data.softDeleteContact(contact.contactId);
    return reply.code(204).send();
  });
}
