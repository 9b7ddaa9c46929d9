/** `/Person`: the PersonEntity endpoints and the Person archive list (superoffice-api.md §2.2, §3, §4, §7). */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../api-error.js';
import { personProvider } from '../archive-providers.js';
import { archiveQueryFrom, runArchiveQuery } from '../archive-query.js';
import { type Json, parsePersonBody, renderPersonEntity } from '../entity-json.js';
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

export function registerPersonRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { data } = context;
  const livePerson = (id: number) => {
    const person = data.livePerson(id);
    // A soft-deleted person "disappears from GUI and API results" (§7); read as 404 (§9 item 6).
    if (person === undefined) throw notFound('Person', id);
    return person;
  };

  app.get('/Person', async (request) =>
    runArchiveQuery(personProvider(data), archiveQueryFrom(request.query), context.apiBase, context.archive),
  );

  app.get('/Person/default', async (request) => {
    const template = renderPersonEntity(requestView(context, request), data.blankPerson());
    template.CreatedDate = '0001-01-01T00:00:00';
    template.UpdatedDate = '0001-01-01T00:00:00';
    delete template._Links;
    return template;
  });

  app.get('/Person/:id', async (request, reply) => {
    const person = livePerson(idParameter(request));
    if (answeredNotModified(request, reply, person.updatedDate)) return reply;
    setLastModified(reply, person.updatedDate);
    return renderPersonEntity(requestView(context, request), person);
  });

  // Create answers 200, not 201 (§3.1).
  app.post('/Person', async (request, reply) => {
    const fields = parsePersonBody(data, entityBody(request));
    const person = data.createPerson(fields);
    setLastModified(reply, person.updatedDate);
    return renderPersonEntity(requestView(context, request), person);
  });

  // PUT replaces the whole entity: what the body omits is emptied (§3.1).
  app.put('/Person/:id', async (request, reply) => {
    const person = livePerson(idParameter(request));
    checkUnmodifiedSince(request, person.updatedDate);
    const fields = parsePersonBody(data, entityBody(request));
    const { row } = data.editPerson(person.personId, fields);
    setLastModified(reply, row.updatedDate);
    return renderPersonEntity(requestView(context, request), row);
  });

  app.patch('/Person/:id', async (request, reply) => {
    const person = livePerson(idParameter(request));
    checkUnmodifiedSince(request, person.updatedDate);
    const current = renderPersonEntity(requestView(context, request), person);
    const patched = applyPatch(current, parsePatchBody(request.body as Json, current), context);
    const { row } = data.editPerson(person.personId, parsePersonBody(data, patched));
    setLastModified(reply, row.updatedDate);
    return renderPersonEntity(requestView(context, request), row);
  });

  app.delete('/Person/:id', async (request, reply) => {
    const person = livePerson(idParameter(request));
    checkUnmodifiedSince(request, person.updatedDate);
    data.softDeletePerson(person.personId);
    return reply.code(204).send();
  });
}
