/**
 * Incremental exports (zendesk-api.md §4.1): cursor-based for users and tickets, time-based for
 * users, tickets and organizations. Both withhold the most recent window (one minute by default,
 * `settings.incrementalWithholdSeconds`), include deleted users (`active:false`) and tickets
 * (`status:"deleted"`), and keep handing out a cursor at the end of the stream.
 *
 * Time-based pages are not `per_page`-sized: every item sharing the last second of a page is
 * returned with it, and the next page starts at that same second, so pages overlap (trap 6).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { adminsOnly, invalidValue, tooRecentStartTime } from '../error-bodies.js';
import { epochSeconds } from '../simulator-clock.js';
import type { QueryParams, SimulatorContext } from '../simulator-context.js';

type Position = readonly [seconds: number, id: number];

interface ExportSource {
  readonly key: 'users' | 'tickets' | 'organizations';
  /** Every record with its export position (the second it last changed, then its id). */
  readonly items: (query: QueryParams) => { position: Position; json: unknown }[];
}

const maxPerPage = 1000;

const comparePositions = (a: Position, b: Position) => a[0] - b[0] || a[1] - b[1];

/** §4.1: the observed cursor is base64 of `"<epoch>.0||<id>|"`. */
function encodeCursor(position: Position): string {
  return Buffer.from(`${position[0]}.0||${position[1]}|`).toString('base64');
}

function decodeCursor(cursor: string): Position | undefined {
  const match = /^(\d+)\.0\|\|(-?\d+)\|$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}

export function registerIncrementalRoutes(app: FastifyInstance, context: SimulatorContext): void {
  const { state, settings } = context;

  // ZD-OAS: every incremental export is "Allowed For: Admins"; anyone else gets 403.
  app.addHook('preHandler', async (request, reply) => {
    if (!(request.routeOptions.url ?? '').startsWith('/api/v2/incremental/')) return undefined;
    if (state.users.get(context.callerOf(request))?.role === 'admin') return undefined;
    return reply.code(403).send(adminsOnly);
  });
  const sources: Record<'users' | 'tickets' | 'organizations', ExportSource> = {
    users: {
      key: 'users',
      items: () =>
        [...state.users.values()].map((user) => ({
          position: [epochSeconds(user.updated_at), user.id] as const,
          json: state.userJson(user, { inExport: true }),
        })),
    },
    tickets: {
      key: 'tickets',
      items: (query) =>
        [...state.tickets.values()]
          .filter((ticket) => query.exclude_deleted !== 'true' || ticket.status !== 'deleted')
          // §4.1: the ticket export follows generated_timestamp, which every change bumps.
          .map((ticket) => ({
            position: [ticket.generated_timestamp, ticket.id] as const,
            json: state.ticketJson(ticket, { inExport: true }),
          })),
    },
    organizations: {
      key: 'organizations',
      items: () =>
        [...state.organizations.values()].map((organization) => ({
          position: [epochSeconds(organization.updated_at), organization.id] as const,
          json: state.organizationJson(organization),
        })),
    },
  };

  /** The newest second an export may show; anything later is withheld. */
  const horizon = () => epochSeconds(state.now()) - settings.incrementalWithholdSeconds;

  const perPage = (query: QueryParams) =>
    Math.min(maxPerPage, Math.max(1, Number(query.per_page ?? maxPerPage) || maxPerPage));

  /** Checks `start_time`; answers the error itself and returns undefined when it is refused. */
  const readStartTime = (query: QueryParams, reply: FastifyReply): number | undefined => {
    const startTime = Number(query.start_time);
    if (query.start_time === undefined || !Number.isInteger(startTime) || startTime < 0) {
      reply.code(400).send(invalidValue('start_time is required and must be an epoch time in seconds'));
      return undefined;
    }
    if (startTime > epochSeconds(state.now())) {
      // A start in the future: Airbyte's Zendesk source observed 400 (api-review AB); the status
      // is not documented, so it is a setting, 400 by default.
      reply.code(settings.futureStartTimeStatus).send(invalidValue('start_time cannot be in the future'));
      return undefined;
    }
    if (startTime > horizon()) {
      reply.code(422).send(tooRecentStartTime(Math.max(60, settings.incrementalWithholdSeconds)));
      return undefined;
    }
    return startTime;
  };

  for (const resource of ['users', 'tickets'] as const) {
    const source = sources[resource];
    app.get<{ Querystring: QueryParams }>(`/api/v2/incremental/${resource}/cursor`, async (request, reply) => {
      const query = request.query;
      let after: Position;
      if (query.cursor !== undefined && query.start_time !== undefined) {
        return reply.code(400).send(invalidValue('Send start_time or cursor, not both'));
      }
      if (query.cursor !== undefined) {
        const decoded = decodeCursor(query.cursor);
        if (decoded === undefined) return reply.code(400).send(invalidValue('cursor is not valid'));
        after = decoded;
      } else {
        const startTime = readStartTime(query, reply);
        if (startTime === undefined) return reply;
        // Everything from that second on: before any id of it.
        after = [startTime, -1];
      }
      const limit = horizon();
      const ordered = source
        .items(query)
        .filter((item) => item.position[0] <= limit && comparePositions(item.position, after) > 0)
        .sort((a, b) => comparePositions(a.position, b.position));
      const page = ordered.slice(0, perPage(query));
      const last = page.at(-1);
      // §4.1: the final page still carries after_cursor; a client resumes from it next time.
      const afterCursor = encodeCursor(last === undefined ? after : last.position);
      return {
        [source.key]: page.map((item) => item.json),
        after_url: `${state.baseUrl}/api/v2/incremental/${resource}/cursor.json?cursor=${encodeURIComponent(afterCursor)}`,
        after_cursor: afterCursor,
        before_url: null,
        before_cursor: null,
        end_of_stream: page.length === ordered.length,
      };
    });
  }

  for (const resource of ['users', 'tickets', 'organizations'] as const) {
    const source = sources[resource];
    app.get<{ Querystring: QueryParams }>(`/api/v2/incremental/${resource}`, async (request, reply) => {
      const query = request.query;
      const startTime = readStartTime(query, reply);
      if (startTime === undefined) return reply;
      const limit = horizon();
      const ordered = source
        .items(query)
        .filter((item) => item.position[0] >= startTime && item.position[0] <= limit)
        .sort((a, b) => comparePositions(a.position, b.position));
      let size = Math.min(perPage(query), ordered.length);
      const lastSecond = ordered[size - 1]?.position[0];
      // Trap 6: every item sharing the last second comes along, whatever per_page says.
      while (lastSecond !== undefined && ordered[size]?.position[0] === lastSecond) size++;
      const page = ordered.slice(0, size);
      const endOfStream = size === ordered.length;
      const firstSecond = page[0]?.position[0];
      // The next page starts at the last second again (the overlap), unless the whole page is that
      // one second: then it moves past it, or a client would read the same page forever.
      const endTime =
        lastSecond === undefined ? startTime : firstSecond === lastSecond && !endOfStream ? lastSecond + 1 : lastSecond;
      const perPageParam = query.per_page === undefined ? '' : `&per_page=${query.per_page}`;
      return {
        [source.key]: page.map((item) => item.json),
        count: page.length,
        end_of_stream: endOfStream,
        end_time: endTime,
        // §4.1: next_page is there even at the end of the stream.
        next_page: `${state.baseUrl}/api/v2/incremental/${resource}.json?start_time=${endTime}${perPageParam}`,
      };
    });
  }
}
