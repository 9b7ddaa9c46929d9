/**
 * Builds what one tenant's commands run on: the state store and both connectors, from the validated
 * configuration. The only place (with the demo) where concrete stores and connectors are constructed.
 */
import type { Logger } from 'pino';
import { requireConnections, type TandemConfig } from '../config/config.js';
import type { ResponseInfo } from '../connectors/http-client.js';
import {
  SuperOfficeConnector,
  type SuperOfficeConnectorOptions,
} from '../connectors/superoffice/superoffice-connector.js';
import { ZendeskConnector, type ZendeskConnectorOptions } from '../connectors/zendesk/zendesk-connector.js';
import { SyncEngine, type SyncEngineOptions } from '../engine/sync-engine.js';
import { openStore } from '../store/open-store.js';
import type { StateStore } from '../store/state-store.js';
import { storeZendeskTokens, zendeskAuthWithStoredTokens } from './zendesk-token-file.js';

export interface TenantTuning {
  readonly superoffice?: Partial<SuperOfficeConnectorOptions>;
  readonly zendesk?: Partial<ZendeskConnectorOptions>;
  readonly onResponse?: (system: 'superoffice' | 'zendesk', info: ResponseInfo) => void;
  readonly engine?: Partial<Omit<SyncEngineOptions, 'store' | 'superoffice' | 'zendesk'>>;
}

export interface Tenant {
  readonly store: StateStore;
  readonly superoffice: SuperOfficeConnector;
  readonly zendesk: ZendeskConnector;
  readonly engine: SyncEngine;
  close(): Promise<void>;
}

export async function openTenant(config: TandemConfig, logger: Logger, tuning: TenantTuning = {}): Promise<Tenant> {
  const connections = requireConnections(config);
  const zendeskAuth = connections.zendesk.auth;
  const tokenFile = zendeskAuth.kind === 'oauth' ? zendeskAuth.tokenFile : undefined;
  const zendeskStartAuth = zendeskAuthWithStoredTokens(zendeskAuth);
  const store = await openStore(config.db);
  const superofficeConnection = connections.superoffice;
  const superoffice = new SuperOfficeConnector({
    ...(superofficeConnection.url === undefined ? {} : { url: superofficeConnection.url }),
    ...(superofficeConnection.customerId === undefined ? {} : { customerId: superofficeConnection.customerId }),
    ...(superofficeConnection.environmentUrl === undefined
      ? {}
      : { environmentUrl: superofficeConnection.environmentUrl }),
    ...(superofficeConnection.timeZone === undefined ? {} : { tenantTimeZone: superofficeConnection.timeZone }),
    auth: superofficeConnection.auth,
    onResponse: (info) => tuning.onResponse?.('superoffice', info),
    ...tuning.superoffice,
  });
  const zendesk = new ZendeskConnector({
    url: connections.zendesk.url,
    auth: zendeskStartAuth,
    ...(tokenFile === undefined ? {} : { onTokens: (tokens) => storeZendeskTokens(tokenFile, tokens) }),
    onResponse: (info) => tuning.onResponse?.('zendesk', info),
    log: (event) => logger[event.level]({ system: 'zendesk' }, event.message),
    ...tuning.zendesk,
  });
  const engine = new SyncEngine({ store, superoffice, zendesk, log: logger, ...tuning.engine });
  return {
    store,
    superoffice,
    zendesk,
    engine,
    async close() {
      await Promise.allSettled([superoffice.close(), zendesk.close()]);
      await store.close();
    },
  };
}

/** Opens only the state store, for commands that read state (status, explain). */
export async function openStateStore(config: TandemConfig): Promise<StateStore> {
  return openStore(config.db);
}
