/**
 * A local SuperOffice CRM Web API (REST v1) for tests, benchmarks and demos: an independent
 * witness of how SuperOffice behaves, written from ../shared/docs/superoffice-api.md and importing
 * nothing from src/.
 *
 * Serves `/{tenant}/api/v1/...` on 127.0.0.1: Person, Contact, Ticket, User entities and their
 * OData archive lists, `/Archive/{provider}` (including RecyclePerson/RecycleContact), and
 * `GET /api/state/{tenant}` (tenant status).
 *
 * Default credentials (SuperOfficeSimulatorOptions.credentials overrides them), which never expire:
 * - `Authorization: Bearer sim-token`
 * - `Authorization: SOTicket 7T:sim-ticket` with `SO-AppToken: sim-app-token`
 * Credentials that age as Online's do come from the environment endpoints on the same port
 * (`online`: OAuth clients and system users; online-auth.ts): `POST /login/common/oauth/tokens`,
 * `POST /Login/api/PartnerSystemUser/Authenticate`, `GET /login/.well-known/jwks`.
 *
 * Hosts: the tenant answers on its current host only; `moveTenant()` moves it to a new port (a new
 * "numbered host") and the old one answers 421 "Wrong subdomain used to access tenant" (D-STATE);
 * `GET /api/state/{tenant}` (on `environmentUrl`) names the current one.
 *
 * Time zones: ticket dates are in the base zone (`timeZone`) unless `SO-TimeZone` asks otherwise
 * (request-time-zone.ts; `honourTimeZoneHeader: false` ignores the header).
 *
 * Test handles on the returned simulator:
 * - `faults`: FaultInjector, `set({ probability, kinds?, seed?, slowMs?, retryAfterSeconds? })`,
 *   `script(['none', '503', 'drop', ...])` for the next requests in order, `failPath('/Ticket/7', '502-html')`
 *   for every request to one path until `healPath`, `off()`, `injected` counts per kind;
 * - `calls`: CallCounter, `count('PATCH /Person/{id}')`, `snapshot()`, `total`, `writes`, `reset()`;
 * - `data`: TenantData, the rows behind the API: `contacts`, `persons`, `associates` (users),
 *   `tickets` maps; `createContact/createPerson/createAssociate/createTicket`;
 *   `editPerson/editContact/editTicket` (edit "as a SuperOffice user would", moving the dates the
 *   way SuperOffice does), `replyToTicket`, `softDeletePerson/softDeleteContact`, `restorePerson`,
 *   `mergePersons/mergeContacts` (the source is removed, `mergeMoveLog` says so);
 * - `clock`: SimulatorClock, `now()`, `advance(ms)`, `set(instant)`;
 * - `auth`: OnlineAuth, `counts` of access tokens and tickets issued and of expired ones refused;
 * - `moveTenant()`: the tenant moves to a new host (old one: 421); `environmentUrl`: tenant status and login.
 */
import { createServer, type Server } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ApiError } from './api-error.js';
import { type ArchiveSettings, defaultArchiveSettings } from './archive-query.js';
import { CallCounter } from './call-counter.js';
import { SimulatorClock } from './clock.js';
import { FaultInjector } from './fault-injector.js';
import { OnlineAuth, type OnlineAuthOptions } from './online-auth.js';
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
export { OnlineAuth, type OnlineAuthOptions } from './online-auth.js';
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
  /** Whether a merge moves the dates of the rows it repoints (tickets, persons); default false (harsher). */
  mergeMovesStamps?: boolean;
  /** What an archive query without `$entities` lists: the provider's first entity (default, §9 item 5) or all. */
  entitiesDefault?: 'first' | 'all';
  /** Accept undocumented filter operators on `associate` columns (e.g. `in`); default false: 400. */
  lenientOperators?: boolean;
  /** Whether the Dynamic provider lists soft-deleted persons and contacts; default true (harsher). */
  dynamicListsDeleted?: boolean;
  /**
   * The longest query string answered (default 2048, IIS's default `maxQueryString`); a longer one is
   * refused with 414. SuperOffice offers POST for archive queries too long for a URL (§4.1).
   */
  maxQueryStringLength?: number;
  /** Whether SO-TimeZone is honoured (documented, default true); false models a tenant that ignores it. */
  honourTimeZoneHeader?: boolean;
  /** JSON Patch `test` on an array value: 'refuse' (default, harsher: 409) or 'compare'. */
  patchTestOnArrays?: 'refuse' | 'compare';
  /** Online credentials that expire (token and ticket lifetimes, OAuth clients, system users). */
  online?: OnlineAuthOptions;
  /** Called for every request before anything else answers it (tests move the clock from here). */
  onRequest?: (call: { readonly method: string; readonly endpoint: string }) => void;
}

export interface SuperOfficeSimulator {
  /** Tenant Web API base at start, e.g. http://127.0.0.1:41234/Cust12345/api/v1 */
  readonly url: string;
  /** The environment (`https://{env}.superoffice.com`): tenant status, tokens, tickets, keys. */
  readonly environmentUrl: string;
  /** Moves the tenant to a new host; the old one answers 421. Resolves the new Web API base. */
  moveTenant(): Promise<string>;
  readonly auth: OnlineAuth;
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
  /** The local port of the tenant's current host. */
  currentPort = 0;
  constructor(
    readonly data: TenantData,
    readonly tenant: string,
    readonly timeZone: string,
    readonly honourTimeZoneHeader: boolean,
    readonly patchTestOnArrays: 'refuse' | 'compare',
    readonly archive: ArchiveSettings,
  ) {}
}

export async function startSuperOfficeSimulator(
  options: SuperOfficeSimulatorOptions = {},
): Promise<SuperOfficeSimulator> {
  const tenant = options.tenant ?? 'Cust12345';
  const clock = options.clock ?? new SimulatorClock();
  const data = new TenantData({
    clock,
    emailOnlyEditBumpsUpdated: options.emailOnlyEditBumpsUpdated ?? false,
    mergeMovesStamps: options.mergeMovesStamps ?? false,
  });
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
  const context = new MutableContext(
    data,
    tenant,
    options.timeZone ?? 'UTC',
    options.honourTimeZoneHeader ?? true,
    options.patchTestOnArrays ?? 'refuse',
    {
      ...defaultArchiveSettings,
      entitiesDefault: options.entitiesDefault ?? 'first',
      lenientOperators: options.lenientOperators ?? false,
      dynamicListsDeleted: options.dynamicListsDeleted ?? true,
    },
  );
  const faults = new FaultInjector();
  const calls = new CallCounter();
  const auth = new OnlineAuth(options.online ?? {}, clock, tenant);
  const app = buildServer(
    context,
    faults,
    calls,
    {
      credentials: options.credentials ?? defaultCredentials,
      auth,
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    },
    options.maxQueryStringLength ?? 2048,
  );

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const port = portOf(app.server);
  const url = `http://127.0.0.1:${port}/${tenant}/api/v1`;
  context.apiBase = url;
  context.currentPort = port;
  const otherHosts: Server[] = [];

  return {
    url,
    environmentUrl: `http://127.0.0.1:${port}`,
    tenant,
    clock,
    faults,
    calls,
    data,
    auth,
    async moveTenant() {
      // Another "numbered host": a second listener handing its requests to the same server.
      const host = createServer((request, response) => app.server.emit('request', request, response));
      await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
      otherHosts.push(host);
      context.currentPort = portOf(host);
      context.apiBase = `http://127.0.0.1:${context.currentPort}/${tenant}/api/v1`;
      return context.apiBase;
    },
    async close() {
      await Promise.all(otherHosts.map((host) => new Promise<void>((resolve) => host.close(() => resolve()))));
      await app.close();
    },
  };
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

interface Credentials {
  readonly bearerTokens?: readonly string[];
  readonly tickets?: readonly { readonly ticket: string; readonly appToken: string }[];
}

function isAuthorized(request: FastifyRequest, credentials: Credentials, auth: OnlineAuth): boolean {
  const authorization = request.headers.authorization ?? '';
  const [scheme = '', ...rest] = authorization.split(' ');
  const value = rest.join(' ').trim();
  const header = request.headers['so-apptoken'];
  const appToken = Array.isArray(header) ? header[0] : header;
  if (scheme.toLowerCase() === 'bearer') {
    return (credentials.bearerTokens ?? []).includes(value) || auth.accepts('bearer', value, undefined);
  }
  if (scheme.toLowerCase() === 'soticket') {
    // In Online the SO-AppToken header is mandatory with SOTicket (§1.2).
    return (
      (credentials.tickets ?? []).some((entry) => entry.ticket === value && entry.appToken === appToken) ||
      auth.accepts('soticket', value, appToken)
    );
  }
  return false;
}

/** Routes of the environment host (`https://{env}.superoffice.com`), not of the tenant. */
const environmentRoute = /^\/(api\/state|login|Login)\//;

const faultDelay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Gatekeeping {
  readonly credentials: Credentials;
  readonly auth: OnlineAuth;
  readonly onRequest?: (call: { readonly method: string; readonly endpoint: string }) => void;
}

function buildServer(
  context: MutableContext,
  faults: FaultInjector,
  calls: CallCounter,
  gate: Gatekeeping,
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
    gate.onRequest?.({ method: request.method, endpoint });

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
    if (environmentRoute.test(pattern)) return undefined;
    // The tenant answers on its current host only (D-STATE).
    if (request.socket.localPort !== context.currentPort) {
      return reply
        .code(421)
        .send(new ApiError(421, 'SoMisdirectedRequestException', 'Wrong subdomain used to access tenant').body());
    }
    if (!isAuthorized(request, gate.credentials, gate.auth)) {
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
    const origin = `http://127.0.0.1:${context.currentPort}`;
    return {
      ContextIdentifier: context.tenant,
      Endpoint: `${origin}/${context.tenant}`,
      State: 'Running',
      IsRunning: true,
      ValidUntil: `${formatWireDate(context.data.clock.now() + 3_600_000)}.0000000Z`,
      Api: `${origin}/${context.tenant}/api`,
      Version: 'simulator',
    };
  });

  // The token endpoint takes form parameters (D-CODE shows them in the query string too).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.post('/login/common/oauth/tokens', async (request, reply) => {
    const parameters = { ...(request.query as Record<string, string>), ...(request.body as Record<string, string>) };
    const answer = gate.auth.refreshGrant(parameters);
    return reply.code(answer.status).send(answer.body);
  });
  app.post('/Login/api/PartnerSystemUser/Authenticate', async (request) =>
    gate.auth.exchange((request.body ?? {}) as Record<string, unknown>),
  );
  app.get('/login/.well-known/jwks', async () => gate.auth.jwks());

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
