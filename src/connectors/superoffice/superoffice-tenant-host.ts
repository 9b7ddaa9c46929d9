/**
 * Where a SuperOffice Online tenant lives right now (superoffice-api.md §1.1, D-STATE): SuperOffice
 * moves tenants between numbered hosts "routinely to balance the load" and answers 421 Misdirected
 * Request on the old one, so integrations "cannot rely on stored or hard-coded URLs". The Tenant
 * Status API, `GET https://{env}.superoffice.com/api/state/{CustNNNNN}`, answers
 * `{ContextIdentifier, Endpoint, State, IsRunning, ValidUntil, Api, Version}`; `Api` is the tenant's
 * Web API root (`https://online2.superoffice.com/Cust12345/api`) and `ValidUntil` says when to ask
 * again. The host is looked up on first use, kept until `ValidUntil`, and looked up again on a 421.
 */
import { z } from 'zod';
import { SyncError } from '../../core/sync-error.js';
import { callEnvironment } from './superoffice-environment.js';

const tenantStatusSchema = z.looseObject({
  ContextIdentifier: z.string().optional(),
  Endpoint: z.string().nullish(),
  State: z.union([z.string(), z.number()]).nullish(),
  IsRunning: z.boolean().nullish(),
  ValidUntil: z.string().nullish(),
  Api: z.string().nullish(),
});

const minimumValidityMs = 60_000;

export interface TenantHostOptions {
  /** `https://{env}.superoffice.com`. */
  readonly environmentUrl: string;
  /** `CustNNNNN`. */
  readonly customerId: string;
  readonly now?: () => number;
  /** Used when an answer carries no readable ValidUntil (default 5 minutes). */
  readonly fallbackValidityMs?: number;
}

export class TenantHost {
  readonly #options: TenantHostOptions;
  readonly #now: () => number;
  #known: { readonly baseUrl: string; readonly validUntil: number } | undefined;
  #looking: Promise<string> | undefined;

  constructor(options: TenantHostOptions) {
    this.#options = { ...options, environmentUrl: options.environmentUrl.replace(/\/+$/, '') };
    this.#now = options.now ?? Date.now;
  }

  /** The tenant's Web API base (`…/CustNNNNN/api/v1`), looked up when unknown or past its ValidUntil. */
  async baseUrl(): Promise<string> {
    const known = this.#known;
    if (known !== undefined && this.#now() < known.validUntil) return known.baseUrl;
    return this.#lookUp();
  }

  /** After a 421: looks the host up again; true when it moved (so the request is worth sending again). */
  async relocate(): Promise<boolean> {
    const before = this.#known?.baseUrl;
    this.#known = undefined;
    return (await this.#lookUp()) !== before;
  }

  #lookUp(): Promise<string> {
    this.#looking ??= this.#fetch().finally(() => {
      this.#looking = undefined;
    });
    return this.#looking;
  }

  async #fetch(): Promise<string> {
    const { environmentUrl, customerId } = this.#options;
    const path = `/api/state/${encodeURIComponent(customerId)}`;
    const { status, json } = await callEnvironment(environmentUrl, 'GET', path, `the tenant status of ${customerId}`);
    if (status === 404) {
      throw new SyncError(
        'config',
        `SuperOffice does not know the tenant ${customerId} at ${environmentUrl}: check TANDEM_SUPEROFFICE_CUSTOMER_ID and TANDEM_SUPEROFFICE_ENVIRONMENT`,
        { status },
      );
    }
    if (status >= 300) {
      throw new SyncError('transient', `SuperOffice answered ${status} to the tenant status of ${customerId}`, {
        status,
      });
    }
    const parsed = tenantStatusSchema.safeParse(json);
    if (!parsed.success || !parsed.data.Api) {
      throw new SyncError('malformed', `SuperOffice's tenant status for ${customerId} has no Api address`);
    }
    if (parsed.data.IsRunning === false) {
      // Suspended, in offline maintenance, being provisioned...: the API is not there now (D-STATE).
      throw new SyncError(
        'transient',
        `SuperOffice tenant ${customerId} is not running (state ${String(parsed.data.State ?? 'unknown')}); trying again later`,
      );
    }
    const validUntil = parsed.data.ValidUntil ? Date.parse(parsed.data.ValidUntil) : Number.NaN;
    const baseUrl = `${parsed.data.Api.replace(/\/+$/, '')}/v1`;
    // A ValidUntil already past (a skewed clock) would mean a lookup per request: keep it a minute at least.
    const now = this.#now();
    this.#known = {
      baseUrl,
      validUntil: Number.isNaN(validUntil)
        ? now + (this.#options.fallbackValidityMs ?? 300_000)
        : Math.max(validUntil, now + minimumValidityMs),
    };
    return baseUrl;
  }
}
