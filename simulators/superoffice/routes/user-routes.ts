/**
 * `/User`: the AllUsers archive list and read-only user lookups (superoffice-api.md §2.5, §3.3).
 * User writes are "Online Restricted" (the User agent is not available to partner apps), so the
 * simulator offers none: a user's e-mail is changed on its Person.
 */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../api-error.js';
import { allUsersProvider } from '../archive-providers.js';
import { archiveQueryFrom, runArchiveQuery } from '../archive-query.js';
import { renderUserEntity } from '../entity-json.js';
import { idParameter, type SimulatorContext } from '../simulator-context.js';
import { systemAssociateId } from '../tenant-data.js';

export function registerUserRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { data } = context;

  app.get('/User', async (request) =>
    runArchiveQuery(allUsersProvider(data), archiveQueryFrom(request.query), context.apiBase, context.archive),
  );

  // The documented stand-in for an OIDC UserInfo endpoint (§1.2).
  app.get('/User/currentPrincipal', async () => {
    const associate = data.associates.get(systemAssociateId);
    return {
      Associate: associate?.name ?? 'SYSTEM',
      AssociateId: associate?.associateId ?? systemAssociateId,
      PersonId: associate?.personId ?? 0,
      ContactId: associate === undefined ? 0 : (data.persons.get(associate.personId)?.contactId ?? 0),
      UserType: 'InternalAssociate',
      DatabaseContextIdentifier: context.tenant,
      EjUserId: associate?.ejUserId ?? 0,
    };
  });

  app.get('/User/:id', async (request) => {
    const id = idParameter(request);
    const associate = data.associates.get(id);
    if (associate === undefined) throw notFound('User', id);
    return renderUserEntity(context, associate);
  });
}
