/** `/Archive/{provider}`: any archive provider by name, here the ones a sync needs (superoffice-api.md §4.1, §7), and Dynamic. */
import type { FastifyInstance } from 'fastify';
import { notFound } from '../api-error.js';
import { runDynamicQuery } from '../archive-dynamic.js';
import {
  allUsersProvider,
  contactProvider,
  internalUsersProvider,
  personProvider,
  recycleContactProvider,
  recyclePersonProvider,
  ticketProvider,
} from '../archive-providers.js';
import { type ArchiveAnswer, type ArchiveQuery, archiveQueryFrom, runArchiveQuery } from '../archive-query.js';
import type { SimulatorContext } from '../simulator-context.js';

export function registerArchiveRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { data } = context;
  const providers: Record<string, (query: ArchiveQuery) => ArchiveAnswer> = {
    person: (query) => runArchiveQuery(personProvider(data), query, context.apiBase, context.archive),
    simplecontact: (query) => runArchiveQuery(contactProvider(data), query, context.apiBase, context.archive),
    ticket: (query) => runArchiveQuery(ticketProvider(data, context.timeZone), query, context.apiBase, context.archive),
    allusers: (query) => runArchiveQuery(allUsersProvider(data), query, context.apiBase, context.archive),
    recycleperson: (query) => runArchiveQuery(recyclePersonProvider(data), query, context.apiBase, context.archive),
    internalusers: (query) => runArchiveQuery(internalUsersProvider(data), query, context.apiBase, context.archive),
    dynamic: (query) => runDynamicQuery(data, query, context.apiBase, context.archive),
    recyclecontact: (query) => runArchiveQuery(recycleContactProvider(data), query, context.apiBase, context.archive),
  };

  app.get('/Archive/:provider', async (request) => {
    const { provider } = request.params as { provider: string };
    const run = providers[provider.toLowerCase()];
    if (run === undefined) throw notFound('Archive provider', provider);
    return run(archiveQueryFrom(request.query));
  });
}
