/**
 * A local Zendesk Support account that behaves like the real API as zendesk-api.md records it:
 * shapes, validation and error bodies, paging, asynchronous bulk jobs, incremental exports with
 * their withheld window, rate limits with their headers, and faults on demand. Tests, benchmarks
 * and the demo run against it; it imports nothing from `src/`, so it cannot share a connector's
 * misunderstanding of Zendesk.
 *
 * Defaults a test can rely on:
 * - credentials: OAuth token `sim-token`; API token `agent@example.com` / `sim-api-token`; OAuth
 *   client `tandem` / `sim-secret` with refresh token `sim-refresh-token`;
 * - the account owner `agent@example.com` (an admin) always exists, besides the generated users;
 * - rate limits on, at 400 requests/minute, 10 incremental exports/minute, 5 updates per user/minute;
 * - incremental exports withhold the last 60 seconds (§4.1). To make a fresh edit visible to an
 *   export, advance the clock past the window (`simulator.clock.advance(61_000)`) or start with
 *   `incrementalWithholdSeconds: 0` (or set `simulator.settings.incrementalWithholdSeconds = 0`);
 * - bulk jobs finish on real-time timers `jobDelayMs` (default 5 ms) apart, whatever the clock says.
 *
 * `faults`: `set({ probability, kinds, seed, slowMs, retryAfterSeconds, only })` draws faults at
 * random; `script([{ kind, match, phase, status }])` queues faults for the next matching requests;
 * `off()` stops both; `injected` counts them by kind.
 * `calls`: `count('POST /api/v2/users/create_many')`, `byEndpoint()`, `total`, `writes`, `reset()`.
 * `data`: see SimulatorData (read records, edit them as an agent would).
 * `jobs`: `hold()` keeps new jobs queued, `release()` lets them run, `drain()` runs them now.
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { SeededRandom } from '../seeded-random.js';
import { Authenticator, type SimulatorCredentials } from './authentication.js';
import { CallCounter } from './call-counter.js';
import { SimulatorData } from './data-access.js';
import { accountRateLimitText, couldNotAuthenticate, invalidEndpoint } from './error-bodies.js';
import { type Fault, FaultInjector } from './fault-injector.js';
import { generateAccount } from './generated-data.js';
import { JobQueue } from './job-queue.js';
import { type BucketState, defaultRateLimits, RateLimiter, type RateLimits } from './rate-limiter.js';
import { registerGroupRoutes } from './routes/groups-routes.js';
import { registerIdentityRoutes } from './routes/identities-routes.js';
import { registerIncrementalRoutes } from './routes/incremental-routes.js';
import { registerJobStatusRoutes } from './routes/job-statuses-routes.js';
import { registerOAuthRoutes } from './routes/oauth-routes.js';
import { registerOrganizationRoutes } from './routes/organizations-routes.js';
import { registerTicketRoutes } from './routes/tickets-routes.js';
import { registerUserRoutes } from './routes/users-routes.js';
import { createSystemClock, type SimulatorClock } from './simulator-clock.js';
import type { SimulatorContext, SimulatorSettings } from './simulator-context.js';
import { ZendeskState } from './zendesk-state.js';

export type { OAuthClient, SimulatorCredentials } from './authentication.js';
export { defaultCredentials } from './authentication.js';
export type { SimulatorData } from './data-access.js';
export type { FaultKind, RandomFaultSettings, ScriptedFault } from './fault-injector.js';
export type { RateLimits } from './rate-limiter.js';
export { createFastClock, createManualClock, createSystemClock, type SimulatorClock } from './simulator-clock.js';
export type { SimulatorSettings } from './simulator-context.js';

export interface ZendeskSimulatorOptions {
  /** 0 = any free port (default); the host is always 127.0.0.1. */
  port?: number;
  /** Seeds generated data, job ids and result order. Default 1. */
  seed?: number;
  /** Generated counts (default 0). */
  users?: number;
  organizations?: number;
  tickets?: number;
  /** How many of the generated users are agents (default: 3, or fewer when there are fewer users). */
  agents?: number;
  /** false switches every limit off (benchmarks); default: 400 / 10 / 5 per minute. */
  rateLimits?: false | RateLimits;
  /** Which credentials are accepted; everything else gets 401. */
  credentials?: SimulatorCredentials;
  /** Controllable clock; default real time. */
  clock?: SimulatorClock;
  /** Seconds the incremental exports withhold (§4.1: one minute). Default 60. */
  incrementalWithholdSeconds?: number;
  /** Seconds before a changed user is found by `users/search?query=` (trap 7). Default 60. */
  searchLagSeconds?: number;
  /** Whether bulk user import is switched on (off: 403 on users/create_many). Default true. */
  bulkUserImport?: boolean;
  /** Real milliseconds before a queued job runs. Default 5. */
  jobDelayMs?: number;
  /** Jobs that may be queued or running at once (§3.1: 30). Default 30. */
  maxActiveJobs?: number;
  /** Order of user/organization bulk results (default 'shuffled': Zendesk documents none, §3.1). */
  bulkResultOrder?: 'request' | 'shuffled' | 'reversed';
  /** `create_or_update_many` results carry `email` (default false: not documented in the OAS). */
  bulkResultEmails?: boolean;
  /**
   * Other integrations' jobs in the job list (§3.1): one that stays `working` and one completed
   * with object `results`. Default true.
   */
  foreignJobs?: boolean;
  /** Rate-limit header spelling: '2024' `ratelimit-*` (default) or '2023' `rate-limit-*` (§5.3). */
  rateLimitHeaderSpelling?: '2023' | '2024';
}

export interface SimulatorJobs {
  hold(): void;
  release(): void;
  drain(): void;
  readonly active: number;
}

export interface ZendeskSimulator {
  /** e.g. http://127.0.0.1:41234 (a connector appends /api/v2). */
  readonly url: string;
  readonly clock: SimulatorClock;
  readonly faults: FaultInjector;
  readonly calls: CallCounter;
  readonly data: SimulatorData;
  readonly jobs: SimulatorJobs;
  readonly settings: SimulatorSettings;
  /** Refuses every access token issued so far, so the next call needs a refresh. */
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function startZendeskSimulator(options: ZendeskSimulatorOptions = {}): Promise<ZendeskSimulator> {
  const clock = options.clock ?? createSystemClock();
  const random = new SeededRandom(options.seed ?? 1);
  const state = new ZendeskState(clock, random);
  const authenticator = new Authenticator(options.credentials ?? {}, clock, random);
  const owner = state.createUser(
    { name: 'Account Owner', email: authenticator.ownerEmail, role: 'admin', verified: true },
    clock.now() - 400 * 24 * 3600 * 1000,
  );
  if (owner.kind !== 'ok') throw new Error('could not create the account owner');
  const ownerId = owner.record.id;
  const userCount = options.users ?? 0;
  generateAccount(
    state,
    random,
    {
      users: userCount,
      organizations: options.organizations ?? 0,
      tickets: options.tickets ?? 0,
      agents: Math.min(options.agents ?? 3, userCount),
    },
    ownerId,
  );

  const settings: SimulatorSettings = {
    bulkUserImport: options.bulkUserImport ?? true,
    incrementalWithholdSeconds: options.incrementalWithholdSeconds ?? 60,
    searchLagSeconds: options.searchLagSeconds ?? 60,
    bulkResultOrder: options.bulkResultOrder ?? 'shuffled',
    bulkResultEmails: options.bulkResultEmails ?? false,
    ticketExternalIdFilter: true,
    futureStartTimeStatus: 400,
  };
  const limiter =
    options.rateLimits === false ? undefined : new RateLimiter(clock, options.rateLimits ?? defaultRateLimits);
  const jobs = new JobQueue(clock, random, {
    delayMs: options.jobDelayMs ?? 5,
    maxActive: options.maxActiveJobs ?? 30,
  });
  if (options.foreignJobs ?? true) jobs.addForeignJobs();
  const faults = new FaultInjector();
  const calls = new CallCounter();
  const callers = new WeakMap<FastifyRequest, number>();
  const faultsAfter = new WeakMap<FastifyRequest, Fault>();
  const spelling = options.rateLimitHeaderSpelling ?? '2024';
  let requestCounter = 0;

  const context: SimulatorContext = {
    state,
    jobs,
    limiter,
    random,
    settings,
    callerOf: (request) => callers.get(request) ?? -1,
  };

  const app = Fastify({
    logger: false,
    // §1: paths are served with and without the `.json` suffix.
    rewriteUrl: (request) => (request.url ?? '/').replace(/\.json(?=\?|$)/, ''),
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      const error = Object.assign(new Error('Body is not valid JSON'), { statusCode: 400 });
      done(error, undefined);
    }
  });

  const setBucketHeaders = (reply: FastifyReply, bucket: BucketState) => {
    const prefix = spelling === '2024' ? 'ratelimit' : 'rate-limit';
    reply.header('x-rate-limit', String(bucket.limit));
    reply.header('x-rate-limit-remaining', String(bucket.remaining));
    reply.header(spelling === '2024' ? 'ratelimit-limit' : 'rate-limit', String(bucket.limit));
    reply.header(`${prefix}-remaining`, String(bucket.remaining));
    reply.header(`${prefix}-reset`, String(bucket.resetSeconds));
  };

  const applyFault = async (fault: Fault, request: FastifyRequest, reply: FastifyReply) => {
    switch (fault.kind) {
      case 'slow':
        await sleep(fault.ms);
        return undefined;
      case '429':
        return reply.code(429).header('retry-after', String(fault.retryAfterSeconds)).send({
          error: 'APIRateLimitExceeded',
          description: accountRateLimitText,
        });
      case '5xx':
        if (fault.phase === 'after') {
          faultsAfter.set(request, fault);
          return undefined;
        }
        if (fault.status === 503) reply.header('retry-after', String(fault.retryAfterSeconds));
        return reply.code(fault.status).send({ error: 'ServerError', description: 'Something went wrong' });
      case 'drop':
        if (fault.phase === 'after') {
          faultsAfter.set(request, fault);
          return undefined;
        }
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
    }
  };

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url ?? (request.url.split('?')[0] || '/');
    calls.record(request.method, route);
    requestCounter++;
    reply.header('x-zendesk-api-version', 'v2');
    reply.header('x-request-id', `sim-${requestCounter.toString(16).padStart(8, '0')}`);
    reply.header('date', new Date(clock.now()).toUTCString());
    if (!route.startsWith('/api/v2')) return;

    const caller = authenticator.authenticate(request.headers.authorization);
    if (caller === undefined) {
      if (route === '/api/v2/users/me') return; // §1: the anonymous-user quirk
      return reply.code(401).send(couldNotAuthenticate);
    }
    callers.set(request, caller.kind === 'oauth' ? ownerId : (state.findUserByEmail(caller.email)?.id ?? ownerId));

    const fault = faults.draw(`${request.method} ${route}`);
    if (fault !== undefined) {
      const answered = await applyFault(fault, request, reply);
      if (answered !== undefined) return answered;
    }

    if (limiter !== undefined) {
      const account = limiter.account();
      setBucketHeaders(reply, account);
      if (!account.allowed) {
        return reply.code(429).header('retry-after', String(account.resetSeconds)).send({
          error: 'APIRateLimitExceeded',
          description: accountRateLimitText,
        });
      }
      if (route.startsWith('/api/v2/incremental/')) {
        const incremental = limiter.incremental();
        const bucketHeader =
          spelling === '2024' ? 'zendesk-ratelimit-incremental-exports' : 'zendesk-rate-limit-incremental-exports';
        reply.header(
          bucketHeader,
          `total=${incremental.limit}; remaining=${incremental.remaining}; resets=${incremental.resetSeconds}`,
        );
        if (!incremental.allowed) {
          return reply.code(429).header('retry-after', String(incremental.resetSeconds)).send({
            error: 'APIRateLimitExceeded',
            description: 'Number of allowed incremental export API requests per minute exceeded',
          });
        }
      }
    }
    return undefined;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const fault = faultsAfter.get(request);
    if (fault === undefined) return payload;
    faultsAfter.delete(request);
    if (fault.kind === 'drop') {
      // The work is done; the client never hears of it.
      request.raw.socket.destroy();
      return payload;
    }
    if (fault.kind === '5xx') {
      reply.code(fault.status);
      reply.header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify({ error: 'ServerError', description: 'Bad gateway' });
    }
    return payload;
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send(invalidEndpoint));

  registerUserRoutes(app, context);
  registerIdentityRoutes(app, context);
  registerOrganizationRoutes(app, context);
  registerTicketRoutes(app, context);
  registerGroupRoutes(app, context);
  registerIncrementalRoutes(app, context);
  registerJobStatusRoutes(app, context);
  registerOAuthRoutes(app, authenticator);

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${address.port}`;
  state.baseUrl = url;

  return {
    url,
    clock,
    faults,
    calls,
    data: new SimulatorData(state, ownerId),
    jobs: {
      hold: () => jobs.hold(),
      release: () => jobs.release(),
      drain: () => jobs.drain(),
      get active() {
        return jobs.active;
      },
    },
    settings,
    revokeAccessTokens: () => authenticator.revokeAccessTokens(),
    close: async () => {
      jobs.close();
      await app.close();
    },
  };
}
