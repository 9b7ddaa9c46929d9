/**
 * One tenant wired end to end for tests: both simulators on loopback ports, a SQLite state file in
 * a fresh temporary directory, and the real connectors and engine built the way the CLI builds them
 * (`openConnectors`). A cycle therefore goes through real HTTP, real wire parsing and a real store.
 * The harness does not take the state's lock as `tandem sync` does: tests alternate in-process
 * cycles with `tandem` child processes on the same state, never running two at once.
 *
 * Time: both simulators share one clock (real time plus whatever a test advances), and the engine
 * reads the same clock, so `harness.clock.advance(ms)` moves all three together; a test that needs
 * one side's edit to be later than the other's advances the clock between the two edits.
 *
 * Defaults are tuned for fast tests: no generated records, Zendesk rate limits off, incremental
 * exports withholding nothing, bulk jobs polled after 5 ms, and connector budgets far above what a
 * test spends. Any simulator option can be overridden.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  SimulatorClock,
  type SuperOfficeSimulator,
  type SuperOfficeSimulatorOptions,
  startSuperOfficeSimulator,
} from '../../simulators/superoffice/index.js';
import {
  startZendeskSimulator,
  type ZendeskSimulator,
  type ZendeskSimulatorOptions,
} from '../../simulators/zendesk/index.js';
import { openConnectors } from '../../src/cli/tenant.js';
import type { TandemConfig } from '../../src/config/config.js';
import type { Connector } from '../../src/connectors/connector.js';
import type { SuperOfficeRecordType, ZendeskRecordType } from '../../src/core/model.js';
import type { CycleReport } from '../../src/engine/cycle-report.js';
import { SyncEngine } from '../../src/engine/sync-engine.js';
import { openStore } from '../../src/store/open-store.js';
import type { StateStore } from '../../src/store/state-store.js';

export interface SyncHarnessOptions {
  superoffice?: SuperOfficeSimulatorOptions;
  zendesk?: ZendeskSimulatorOptions;
  /** The SQLite file; default `tandem.db` in a fresh temporary directory (removed on close). */
  dbPath?: string;
  /** The SuperOffice tenant's base time zone as configured (TANDEM_SUPEROFFICE_TIME_ZONE); default unset. */
  superofficeTimeZone?: string;
  /** Start the Zendesk account with one ticket, as a new real account does (its sample ticket). Default false. */
  zendeskSampleTicket?: boolean;
}

/** A state store with its engine and connectors. */
export interface HarnessState {
  readonly store: StateStore;
  readonly engine: SyncEngine;
  readonly connectors: { readonly superoffice: Connector; readonly zendesk: Connector };
  close(): Promise<void>;
}

export interface SyncHarness {
  readonly superoffice: SuperOfficeSimulator;
  readonly zendesk: ZendeskSimulator;
  readonly store: StateStore;
  readonly engine: SyncEngine;
  /** The real connectors the engine uses (a test may build its own engine around them). */
  readonly connectors: { readonly superoffice: Connector; readonly zendesk: Connector };
  /** The clock both simulators and the engine read (unless a test passed its own simulator clocks). */
  readonly clock: SimulatorClock;
  /** The SQLite file the store uses. */
  readonly dbPath: string;
  /**
   * The id of the Zendesk record linked (through the store's global entity) to a SuperOffice record:
   * contact -> organization, user or person -> user, ticket -> ticket. Undefined when not linked.
   */
  zendeskIdOf(type: SuperOfficeRecordType, id: number | string): Promise<number | undefined>;
  /** One cycle through the real connectors over HTTP. */
  sync(options?: { sweep?: boolean }): Promise<CycleReport>;
  /** Another state against the same simulators, in its own file (a lost or moved state); close it yourself. */
  openState(dbPath: string): Promise<HarnessState>;
  /** TANDEM_* variables pointing a `tandem` child process at these simulators and the same database. */
  readonly env: Record<string, string>;
  /** Closes the tenant (connectors, store), both simulators, and removes the temporary directory. */
  close(): Promise<void>;
}

const zendeskTypeOf = {
  contact: 'organization',
  user: 'user',
  person: 'user',
  ticket: 'ticket',
} as const satisfies Record<SuperOfficeRecordType, ZendeskRecordType>;

/** The Zendesk simulator's default OAuth access token and the SuperOffice simulator's default bearer token. */
const simulatorToken = 'sim-token';

export async function startSyncHarness(options: SyncHarnessOptions = {}): Promise<SyncHarness> {
  const clock = new SimulatorClock();
  const directory = await mkdtemp(join(tmpdir(), 'tandem-end-to-end-'));
  const dbPath = options.dbPath ?? join(directory, 'tandem.db');
  const started: { close(): Promise<void> }[] = [];
  try {
    const superoffice = await startSuperOfficeSimulator({ clock, ...options.superoffice });
    started.push(superoffice);
    const zendesk = await startZendeskSimulator({
      clock,
      rateLimits: false,
      incrementalWithholdSeconds: 0,
      ...options.zendesk,
    });
    started.push(zendesk);
    if (options.zendeskSampleTicket === true) {
      zendesk.data.createTicket({
        subject: 'Sample ticket: Meet the ticket',
        comment: { body: 'Hi there, this is the sample ticket every new account starts with.' },
        requester_id: zendesk.data.ownerId,
      });
    }

    const configFor = (db: string): TandemConfig => ({
      db,
      superoffice: {
        url: superoffice.url,
        auth: { kind: 'bearer', token: simulatorToken },
        ...(options.superofficeTimeZone === undefined ? {} : { timeZone: options.superofficeTimeZone }),
      },
      zendesk: { url: zendesk.url, auth: { kind: 'oauth', accessToken: simulatorToken } },
      intervalSeconds: 60,
      sweepMinutes: 360,
      logLevel: 'error',
    });
    const logger = pino({ level: 'silent' });
    const open = async (db: string): Promise<HarnessState> => {
      const connectors = openConnectors(configFor(db), logger, {
        superoffice: { minRetryDelayMs: 5, maxRetryDelayMs: 50 },
        zendesk: {
          rateLimitPerMinute: 100_000,
          incrementalPerMinute: 100_000,
          perUserUpdatesPerMinute: 100_000,
          jobPollDelayMs: 5,
          jobPollMaxDelayMs: 20,
        },
      });
      const store = await openStore(db);
      return {
        store,
        engine: new SyncEngine({ store, ...connectors, log: logger, clock: () => new Date(clock.now()) }),
        connectors,
        async close() {
          await Promise.allSettled([connectors.superoffice.close(), connectors.zendesk.close()]);
          await store.close();
        },
      };
    };
    const tenant = await open(dbPath);

    const env: Record<string, string> = {
      TANDEM_DB: dbPath,
      TANDEM_SUPEROFFICE_URL: superoffice.url,
      TANDEM_SUPEROFFICE_TOKEN: simulatorToken,
      TANDEM_ZENDESK_URL: zendesk.url,
      TANDEM_ZENDESK_OAUTH_TOKEN: simulatorToken,
      TANDEM_LOG_LEVEL: 'error',
    };

    return {
      superoffice,
      zendesk,
      store: tenant.store,
      engine: tenant.engine,
      connectors: tenant.connectors,
      clock,
      dbPath,
      env,
      async zendeskIdOf(type, id) {
        const entities = await tenant.store.entityIdsOf([{ system: 'superoffice', type, id: String(id) }]);
        const entityId = [...entities.values()][0];
        if (entityId === undefined) return undefined;
        const members = (await tenant.store.membersOf([entityId])).get(entityId) ?? [];
        const zendeskMember = members.find(
          (member) => member.ref.system === 'zendesk' && member.ref.type === zendeskTypeOf[type] && !member.deleted,
        );
        return zendeskMember === undefined ? undefined : Number(zendeskMember.ref.id);
      },
      sync: (syncOptions = {}) => tenant.engine.runCycle({ sweep: syncOptions.sweep ?? false }),
      openState: open,
      async close() {
        await tenant.close();
        await Promise.allSettled([superoffice.close(), zendesk.close()]);
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((server) => server.close()));
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}
