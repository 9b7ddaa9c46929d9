/**
 * A local SuperOffice CRM Web API (REST v1) for tests, benchmarks and demos: an independent
 * witness of how SuperOffice behaves, written from ../shared/docs/superoffice-api.md and importing
 * nothing from src/.
 *
 * Serves `/{tenant}/api/v1/...` on 127.0.0.1: Person, Contact, Ticket, User entities and their
 * OData archive lists, `/Archive/{provider}` (including RecyclePerson/RecycleContact), and
 * `GET /api/state/{tenant}` (tenant status).
 *
 * Default credentials (SuperOfficeSimulatorOptions.credentials overrides them):
 * - `Authorization: Bearer sim-token`
 * - `Authorization: SOTicket 7T:sim-ticket` with `SO-AppToken: sim-app-token`
 *
 * Test handles on the returned simulator:
 * - `faults`: FaultInjector, `set({ probability, kinds?, seed?, slowMs?, retryAfterSeconds? })`,
 *   `script(['none', '503', 'drop', ...])` for the next requests in order, `failPath('/Ticket/7', '502-html')`
 *   for every request to one path until `healPath`, `off()`, `injected` counts per kind;
 * - `calls`: CallCounter, `count('PATCH /Person/{id}')`, `snapshot()`, `total`, `writes`, `reset()`;
 * - `data`: TenantData, the rows behind the API: `contacts`, `persons`, `associates` (users),
 *   `tickets` maps; `createContact/createPerson/createAssociate/createTicket`;
 *   `editPerson/editContact/editTicket` (edit "as a SuperOffice user would", moving the dates the
 *   way SuperOffice does), `replyToTicket`, `softDeletePerson/softDeleteContact`, `restorePerson`;
 * - `clock`: SimulatorClock, `now()`, `advance(ms)`, `set(instant)`.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';
import { type ArchiveSettings, defaultArchiveSettings } from './archive-query.js';
import { CallCounter } from './call-counter.js';
import { SimulatorClock } from './clock.js';
import { FaultInjector } from './fault-injector.js';
import { registerArchiveRoutes } from './routes/archive-routes.js';
import { registerContactRoutes } from './routes/contact-routes.js';
import { registerPersonRoutes } from './routes/person-routes.js';
import { registerTicketRoutes } from './routes/ticket-routes.js';
import { registerUserRoutes } from './routes/user-routes.js';
import type { SimulatorContext } from './simulator-context.js';
import { TenantData } from './tenant-data.js';
import { generateTenant } from './tenant-generator.js';
import { formatWireDate } from './tenant-time.js';

export { CallCounter } from './call-counter.js';
export { SimulatorClock } from './clock.js';
export { FaultInjector, type FaultKind, type FaultSettings, faultKinds } from './fault-injector.js';
export type { AssociateRow, ContactRow, EntityElementRow, PersonRow, TicketRow } from './tenant-data.js';
export { entityElement, TenantData } from './tenant-data.js';

export interface SuperOfficeSimulatorOptions {
  /** 0 = any free port (default); the host is always 127.0.0.1. */
  port?: number;
  /** Default 'Cust12345'. */
  tenant?: string;
  seed?: number;
  /** Generated counts (default 0). */
  contacts?: number;
  persons?: number;
  tickets?: number;
  users?: number;
  /** Who is let in; anything else is 401. */
  credentials?: { bearerTokens?: string[]; tickets?: { ticket: string; appToken: string }[] };
  /** Whether an edit of only e-mails/phones moves the person's UpdatedDate; default false (pessimistic, §9 item 2). */
  emailOnlyEditBumpsUpdated?: boolean;
  clock?: SimulatorClock;
  /** The tenant's base time zone (IANA), in which ticket dates are written; default 'UTC'. */
  timeZone?: string;
  /** What an archive query without `$entities` lists: the provider's first entity (default, §9 item 5) or all. */
  entitiesDefault?: 'first' | 'all';
  /** Accept undocumented filter operators on `associate` columns (e.g. `in`); default false: 400. */
  lenientOperators?: boolean;
  /**
   * The longest query string answered (default 2048, IIS's default `maxQueryString`); a longer one is
   * refused with 414. SuperOffice offers POST for archive queries too long for a URL (§4.1).
   */
  maxQueryStringLength?: number;
}

export interface SuperOfficeSimulator {
  /** Tenant Web API base, e.g. http://127.0.0.1:41234/Cust12345/api/v1 */
  readonly url: string;
  readonly tenant: string;
  readonly clock: SimulatorClock;
  readonly faults: FaultInjector;
  readonly calls: CallCounter;
  readonly data: TenantData;
  close(): Promise<void>;
}

export const defaultCredentials = {
  bearerTokens: ['sim-token'],
  tickets: [{ ticket: '7T:sim-ticket', appToken: 'sim-app-token' }],
} as const;

class MutableContext implements SimulatorContext {
  apiBase = '';
  constructor(
    readonly data: TenantData,
    readonly tenant: string,
    readonly timeZone: string,
    readonly archive: ArchiveSettings,
  ) {}
}

export async function startSuperOfficeSimulator(
  options: SuperOfficeSimulatorOptions = {},
): Promise<SuperOfficeSimulator> {
  const tenant = options.tenant ?? 'Cust12345';
  const clock = options.clock ?? new SimulatorClock();
  const data = new TenantData({ clock, emailOnlyEditBumpsUpdated: options.emailOnlyEditBumpsUpdated ?? false });
  generateTenant(
    data,
    {
      contacts: options.contacts ?? 0,
      persons: options.persons ?? 0,
      tickets: options.tickets ?? 0,
      users: options.users ?? 0,
    },
    options.seed ?? 1,
  );
  const context = new MutableContext(data, tenant, options.timeZone ?? 'UTC', {
    ...defaultArchiveSettings,
    entitiesDefault: options.entitiesDefault ?? 'first',
    lenientOperators: options.lenientOperators ?? false,
  });
  const faults = new FaultInjector();
  const calls = new CallCounter();
  const app = buildServer(
    context,
    faults,
    calls,
    options.credentials ?? defaultCredentials,
    options.maxQueryStringLength ?? 2048,
  );

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const url = `http://127.0.0.1:${port}/${tenant}/api/v1`;
  context.apiBase = url;

  return {
    url,
    tenant,
    clock,
    faults,
    calls,
    data,
    close: () => app.close(),
  };
}

interface Credentials {
  readonly bearerTokens?: readonly string[];
  readonly tickets?: readonly { readonly ticket: string; readonly appToken: string }[];
}

function isAuthorized(request: FastifyRequest, credentials: Credentials): boolean {
  const authorization = request.headers.authorization ?? '';
  const [scheme = '', ...rest] = authorization.split(' ');
  const value = rest.join(' ').trim();
  if (scheme.toLowerCase() === 'bearer') return (credentials.bearerTokens ?? []).includes(value);
  if (scheme.toLowerCase() === 'soticket') {
    // In Online the SO-AppToken header is mandatory with SOTicket (§1.2).
    const appToken = request.headers['so-apptoken'];
    return (credentials.tickets ?? []).some((entry) => entry.ticket === value && entry.appToken === appToken);
  }
  return false;
}

const faultDelay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function buildServer(
  context: MutableContext,
  faults: FaultInjector,
  calls: CallCounter,
  credentials: Credentials,
  maxQueryStringLength: number,
): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  const apiPrefix = `/${context.tenant}/api/v1`;
  const dropped = new WeakSet<FastifyRequest>();

  // PATCH bodies come as JSON Patch or merge patch; both are JSON.
  app.addContentTypeParser(
    ['application/json-patch+json', 'application/merge-patch+json'],
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, JSON.parse(String(body)));
      } catch (error) {
        done(error instanceof Error ? error : new Error(String(error)), undefined);
      }
    },
  );

  app.addHook('onRequest', async (request, reply) => {
    const pattern = request.routeOptions.url ?? '(unknown)';
    const endpoint = pattern.startsWith(apiPrefix)
      ? pattern.slice(apiPrefix.length).replace(/:(\w+)/g, '{$1}')
      : pattern;
    calls.record(request.method, endpoint);

    const queryString = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    if (queryString.length > maxQueryStringLength) {
      return reply
        .code(414)
        .send(
          new ApiError(414, 'Exception', `The query string is longer than ${maxQueryStringLength} characters`).body(),
        );
    }
    const fault = faults.draw(
      request.url.startsWith(apiPrefix) ? request.url.slice(apiPrefix.length).split('?')[0] : undefined,
    );
    if (fault === 'slow') await faultDelay(faults.slowMs);
    if (fault === 'drop') dropped.add(request);
    if (fault === '502-html') {
      // A proxy in front of the service answering for it: an HTML page, not SuperOffice's error body.
      return reply
        .code(502)
        .header('content-type', 'text/html')
        .send('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>');
    }
    if (fault === '5xx') {
      return reply.code(500).send(new ApiError(500, 'Exception', 'Simulated server failure').body());
    }
    if (fault === '429' || fault === '503') {
      const retryAfter = faults.retryAfterSeconds;
      if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
      const message = fault === '429' ? 'Too many requests' : 'Service unavailable';
      return reply.code(Number(fault)).send(new ApiError(Number(fault), 'Exception', message).body());
    }
    if (!pattern.startsWith('/api/state') && !isAuthorized(request, credentials)) {
      return reply
        .code(401)
        .send(new ApiError(401, 'SoAuthenticationException', 'Missing or invalid credentials').body());
    }
    return undefined;
  });

  // A dropped connection: the work is done, the answer never arrives.
  app.addHook('onSend', async (request, _reply, payload) => {
    if (dropped.has(request)) request.raw.socket.destroy();
    return payload;
  });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(error.body());
    const status = (error as { statusCode?: number } | null)?.statusCode;
    const message = error instanceof Error ? error.message : String(error);
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send(new ApiError(status, 'SoBadRequestException', message).body());
    }
    return reply.code(500).send(new ApiError(500, 'Exception', message).body());
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(new ApiError(404, 'SoNotFoundException', `No endpoint ${request.method} ${request.url}`).body()),
  );

  app.get('/api/state/:tenant', async (request) => {
    const { tenant } = request.params as { tenant: string };
    if (tenant !== context.tenant) throw new ApiError(404, 'SoNotFoundException', `Tenant ${tenant} not found`);
    const origin = context.apiBase.slice(0, context.apiBase.indexOf(apiPrefix));
    return {
      ContextIdentifier: context.tenant,
      Endpoint: `${origin}/${context.tenant}`,
      State: 'Running',
      IsRunning: true,
      ValidUntil: `${formatWireDate(context.data.clock.now() + 3_600_000)}Z`,
      Api: `${origin}/${context.tenant}/api`,
      Version: 'simulator',
    };
  });

  void app.register(
    async (api) => {
      registerPersonRoutes(api, context);
      registerContactRoutes(api, context);
      registerTicketRoutes(api, context);
      registerUserRoutes(api, context);
      registerArchiveRoutes(api, context);
    },
    { prefix: apiPrefix },
  );
  return app;
}
