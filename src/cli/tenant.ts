/**
 * Builds what one tenant's commands run on: the state store and both connectors, from the validated
 * configuration. The only place (with the demo) where concrete stores and connectors are constructed.
 * A syncing command takes the state's lock before anything else; reading commands take none and
 * never create a state.
 */
import type { Logger } from 'pino';
import { requireConnections, type TandemConfig } from '../config/config.js';
import type { ResponseInfo, WaitInfo } from '../connectors/http-client.js';
import {
  SuperOfficeConnector,
  type SuperOfficeConnectorOptions,
} from '../connectors/superoffice/superoffice-connector.js';
import { ZendeskConnector, type ZendeskConnectorOptions } from '../connectors/zendesk/zendesk-connector.js';
import { SyncEngine, type SyncEngineOptions } from '../engine/sync-engine.js';
import { lockState, openDryRunStore, openExistingStore, openStore } from '../store/open-store.js';
import { type LockHolder, type StateLock, StateLockedError } from '../store/state-lock.js';
import type { StateStore } from '../store/state-store.js';
import { StoreSetupError } from '../store/store-setup-error.js';
import { storeZendeskTokens, zendeskAuthWithStoredTokens } from './zendesk-token-file.js';

export interface TenantTuning {
  readonly superoffice?: Partial<SuperOfficeConnectorOptions>;
  readonly zendesk?: Partial<ZendeskConnectorOptions>;
  readonly onResponse?: (system: 'superoffice' | 'zendesk', info: ResponseInfo) => void;
  readonly engine?: Partial<Omit<SyncEngineOptions, 'store' | 'superoffice' | 'zendesk'>>;
}

/**
 * `sync`: take the state's lock, then open (and create or upgrade) the state.
 * `dry-run`: no lock; the state as openDryRunStore gives it (a private copy on SQLite), and where
 * there is none yet an empty one in memory, so a first sync can be planned without creating anything.
 */
export type TenantAccess = 'sync' | 'dry-run';

export interface Tenant {
  readonly store: StateStore;
  readonly superoffice: SuperOfficeConnector;
  readonly zendesk: ZendeskConnector;
  readonly engine: SyncEngine;
  /** Held while syncing; undefined for a dry run. */
  readonly lock: StateLock | undefined;
  /** False when a dry run found no state and plans against an empty one. */
  readonly stateExists: boolean;
  close(): Promise<void>;
}

/** Where the state's location was set, for messages about it. */
function dbOrigin(config: TandemConfig): string {
  const origin = config.origins?.db;
  return origin === undefined
    ? 'the default location; choose another with TANDEM_DB or db in tandem.config.yaml'
    : `location set by ${origin}`;
}

/** Adds to a setup error where the state's location comes from, so the user knows what to change. */
async function withDbOrigin<T>(config: TandemConfig, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    if (!(error instanceof StoreSetupError)) throw error;
    throw new StoreSetupError(error.problem, `${error.message} (${dbOrigin(config)})`, {
      cause: error.cause,
    });
  }
}

/** Logs every API call at debug level and every wait at info; never a header or a body. */
function httpObservers(system: 'superoffice' | 'zendesk', logger: Logger, tuning: TenantTuning) {
  return {
    onResponse: (info: ResponseInfo) => {
      logger.debug(
        { system, method: info.method, path: info.path, status: info.status, ms: info.durationMs },
        `${info.method} ${info.path} ${info.status} ${info.durationMs ?? '?'} ms`,
      );
      tuning.onResponse?.(system, info);
    },
    onWait: (wait: WaitInfo) => {
      const level = wait.ms >= 1000 ? 'info' : 'debug';
      logger[level]({ system, wait: wait.reason, ms: wait.ms }, `waiting: ${wait.message}`);
    },
  };
}

export interface Connectors {
  readonly superoffice: SuperOfficeConnector;
  readonly zendesk: ZendeskConnector;
}

/** Both connectors from the configuration, with their logging; renewed Zendesk tokens are kept. */
export function openConnectors(config: TandemConfig, logger: Logger, tuning: TenantTuning = {}): Connectors {
  const connections = requireConnections(config);
  const zendeskAuth = connections.zendesk.auth;
  const tokenFile = zendeskAuth.kind === 'oauth' ? zendeskAuth.tokenFile : undefined;
  const superofficeConnection = connections.superoffice;
  const superoffice = new SuperOfficeConnector({
    ...(superofficeConnection.url === undefined ? {} : { url: superofficeConnection.url }),
    ...(superofficeConnection.customerId === undefined ? {} : { customerId: superofficeConnection.customerId }),
    ...(superofficeConnection.environmentUrl === undefined
      ? {}
      : { environmentUrl: superofficeConnection.environmentUrl }),
    ...(superofficeConnection.timeZone === undefined ? {} : { tenantTimeZone: superofficeConnection.timeZone }),
    auth: superofficeConnection.auth,
    ...httpObservers('superoffice', logger, tuning),
    ...tuning.superoffice,
  });
  const zendesk = new ZendeskConnector({
    url: connections.zendesk.url,
    auth: zendeskAuthWithStoredTokens(zendeskAuth),
    ...(tokenFile === undefined ? {} : { onTokens: (tokens) => storeZendeskTokens(tokenFile, tokens) }),
    ...httpObservers('zendesk', logger, tuning),
    log: (event) => logger[event.level]({ system: 'zendesk' }, event.message),
    ...tuning.zendesk,
  });
  return { superoffice, zendesk };
}

export async function openTenant(
  config: TandemConfig,
  logger: Logger,
  tuning: TenantTuning = {},
  access: TenantAccess = 'sync',
): Promise<Tenant> {
  requireConnections(config);
  const lock = access === 'sync' ? await withDbOrigin(config, () => lockState(config.db)) : undefined;
  let store: StateStore;
  let closeStore: () => Promise<void>;
  let stateExists = true;
  try {
    if (access === 'sync') {
      store = await withDbOrigin(config, () => openStore(config.db));
      closeStore = () => store.close();
    } else {
      const dryRun = await openDryRunState(config);
      stateExists = dryRun !== undefined;
      store = dryRun?.store ?? (await openStore(':memory:'));
      closeStore = dryRun?.close ?? (() => store.close());
    }
  } catch (error) {
    await lock?.release();
    throw error;
  }
  const { superoffice, zendesk } = openConnectors(config, logger, tuning);
  const engine = new SyncEngine({ store, superoffice, zendesk, log: logger, ...tuning.engine });
  return {
    store,
    superoffice,
    zendesk,
    engine,
    lock,
    stateExists,
    async close() {
      await Promise.allSettled([superoffice.close(), zendesk.close()]);
      await closeStore();
      await lock?.release();
    },
  };
}

/** The state a dry run works on (see openDryRunStore), or undefined where there is none yet. */
async function openDryRunState(
  config: TandemConfig,
): Promise<{ store: StateStore; close(): Promise<void> } | undefined> {
  try {
    return await withDbOrigin(config, () => openDryRunStore(config.db));
  } catch (error) {
    if (error instanceof StoreSetupError && error.problem === 'no-state') return undefined;
    throw error;
  }
}

/**
 * Opens the state for commands that read it (status, explain): never creates one; where there is
 * none it rejects with StoreSetupError 'no-state'.
 */
export async function openStateStore(config: TandemConfig): Promise<StateStore> {
  return withDbOrigin(config, () => openExistingStore(config.db));
}

/**
 * Opens the state for a change made by hand (retry, relink, unlink): the existing state (never a
 * new one, and no lock file beside a state that does not exist), then the state's lock, as a sync
 * takes it, so no cycle works on the records while they change.
 */
export async function openStateForChange(config: TandemConfig): Promise<{ store: StateStore; close(): Promise<void> }> {
  const store = await openStateStore(config);
  let lock: StateLock;
  try {
    lock = await withDbOrigin(config, () => lockState(config.db));
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    store,
    async close() {
      await store.close();
      await lock.release();
    },
  };
}

/**
 * Who syncs the state now: the lock's holder, null when nobody does, undefined when it cannot be
 * told (the lock cannot be reached). It tries the lock and gives it back at once, so it is asked
 * only when needed (the last cycle never finished); a sync starting in that instant is refused as
 * any second sync is, and can be started again.
 */
export async function activeSyncOf(config: TandemConfig): Promise<LockHolder | null | undefined> {
  try {
    const lock = await lockState(config.db);
    await lock.release();
    return null;
  } catch (error) {
    return error instanceof StateLockedError ? (error.holder ?? undefined) : undefined;
  }
}
