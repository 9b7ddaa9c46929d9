/**
 * How the SuperOffice connector proves who it is, and keeps proving it (superoffice-api.md §1.2):
 * - `bearer`, `ticket`: a fixed access token or system-user ticket; nothing renews them.
 * - `oauth`: the refresh-token grant at `POST https://{env}.superoffice.com/login/common/oauth/tokens`
 *   (form body `grant_type=refresh_token`, `client_id`, `client_secret`, `refresh_token`; D-CODE).
 *   Access tokens live 3600 s (`expires_in`, D-OIDC); the refresh token is reusable as long as the
 *   consent exists, so it needs no file. Renewed a little before `expires_in` runs out, and on 401.
 * - `system-user`: the system-user token signed with the application's private key, exchanged at
 *   `POST https://{env}.superoffice.com/Login/api/PartnerSystemUser/Authenticate` for a JWT whose
 *   `ticket` claim is sent as `Authorization: SOTicket …` with `SO-AppToken: {client secret}`. The
 *   ticket lives 6 hours after its last use (sliding) and must be fetched again after a 401 (D-SYSU):
 *   cached, renewed a little before it would go stale, and on 401.
 * Renewals are shared: concurrent requests that meet an expired credential wait for one renewal.
 * A refused renewal is an `auth` error that names what to fix; a service that did not answer is
 * `transient`. No token, ticket, secret or key appears in any message.
 */
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { SyncError } from '../../core/sync-error.js';
import { callEnvironment } from './superoffice-environment.js';
import {
  type JsonWebKeySet,
  parseJwks,
  readPrivateKey,
  signSystemUserToken,
  ticketClaim,
  verifiedClaims,
} from './superoffice-signing.js';

export type SuperOfficeAuth =
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'system-user-ticket'; readonly ticket: string; readonly appToken: string }
  | {
      readonly kind: 'oauth';
      readonly clientId: string;
      readonly clientSecret: string;
      readonly refreshToken: string;
      /** A current access token, if one is at hand; otherwise the first request obtains one. */
      readonly accessToken?: string;
    }
  | {
      readonly kind: 'system-user';
      /** The `system_token` claim the tenant's administrator's consent produced (`AppName-…`). */
      readonly systemUserToken: string;
      /** The application's RSA private key, PEM or RSA XML. */
      readonly privateKey: string;
      readonly clientSecret: string;
      /** The tenant, `CustNNNNN` (the exchange's ContextIdentifier). */
      readonly customerId: string;
    };

export interface SuperOfficeCredentialOptions {
  /** `https://{env}.superoffice.com`, where tokens, tickets and keys come from (oauth, system-user). */
  readonly environmentUrl?: string;
  readonly now?: () => number;
  /** How long a system-user ticket lives after its last use (default 6 h, D-SYSU). */
  readonly ticketLifetimeMs?: number;
  /** Renew this long before a credential would go stale (default 5 minutes, at most a tenth of its lifetime). */
  readonly renewalMarginMs?: number;
}

const sixHoursMs = 6 * 3_600_000;

const tokenAnswer = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
  refresh_token: z.string().min(1).optional(),
});
const systemUserAnswer = z.looseObject({
  IsSuccessful: z.boolean(),
  Token: z.string().nullish(),
  ErrorMessage: z.string().nullish(),
});

interface Held {
  readonly headers: Readonly<Record<string, string>>;
  /** When the credential stops working (ms), as far as we know; Infinity when unknown. */
  staleAt: number;
  readonly lifetimeMs: number;
}

export class SuperOfficeCredentials {
  readonly #auth: SuperOfficeAuth;
  readonly #environmentUrl: string | undefined;
  readonly #now: () => number;
  readonly #ticketLifetimeMs: number;
  readonly #marginMs: number;
  readonly #privateKey: KeyObject | undefined;
  #held: Held | undefined;
  #renewing: Promise<Held> | undefined;
  #refreshToken: string | undefined;
  #keys: JsonWebKeySet | undefined;

  constructor(auth: SuperOfficeAuth, options: SuperOfficeCredentialOptions = {}) {
    this.#auth = auth;
    this.#now = options.now ?? Date.now;
    this.#ticketLifetimeMs = options.ticketLifetimeMs ?? sixHoursMs;
    this.#marginMs = options.renewalMarginMs ?? 300_000;
    this.#environmentUrl = options.environmentUrl?.replace(/\/+$/, '');
    if ((auth.kind === 'oauth' || auth.kind === 'system-user') && this.#environmentUrl === undefined) {
      throw new SyncError('config', `SuperOffice ${auth.kind} credentials need the environment (sod, stage or online)`);
    }
    if (auth.kind === 'bearer') this.#held = fixed({ authorization: `Bearer ${auth.token}` });
    // In Online the SO-AppToken header is mandatory with SOTicket (§1.2).
    if (auth.kind === 'system-user-ticket') {
      this.#held = fixed({ authorization: `SOTicket ${auth.ticket}`, 'so-apptoken': auth.appToken });
    }
    if (auth.kind === 'oauth') {
      this.#refreshToken = auth.refreshToken;
      if (auth.accessToken !== undefined) this.#held = fixed({ authorization: `Bearer ${auth.accessToken}` });
    }
    if (auth.kind === 'system-user') this.#privateKey = readPrivateKey(auth.privateKey);
  }

  /** Whether the credentials can renew themselves. */
  get renewable(): boolean {
    return this.#auth.kind === 'oauth' || this.#auth.kind === 'system-user';
  }

  /** Headers for one request; renews first when the credential is about to go stale. */
  async headers(): Promise<Readonly<Record<string, string>>> {
    let held = this.#held;
    if (held === undefined || (this.renewable && this.#now() >= held.staleAt - this.#margin(held))) {
      held = await this.#renew();
    }
    // A ticket's six hours start again with every use (sliding expiry, D-SYSU).
    if (this.#auth.kind === 'system-user') held.staleAt = this.#now() + held.lifetimeMs;
    return held.headers;
  }

  /**
   * After a 401: renews, unless a renewal already replaced the refused credential. Resolves false
   * when the credentials cannot renew themselves; rejects with `auth` when SuperOffice refused.
   */
  async refresh(refused: Readonly<Record<string, string>>): Promise<boolean> {
    if (!this.renewable) return false;
    const current = this.#held;
    if (current !== undefined && current.headers.authorization !== refused.authorization) return true;
    await this.#renew();
    return true;
  }

  #margin(held: Held): number {
    return Math.min(this.#marginMs, held.lifetimeMs / 10);
  }

  #renew(): Promise<Held> {
    this.#renewing ??= (this.#auth.kind === 'system-user' ? this.#exchangeTicket(this.#auth) : this.#refreshGrant())
      .then((held) => {
        this.#held = held;
        return held;
      })
      .finally(() => {
        this.#renewing = undefined;
      });
    return this.#renewing;
  }

  async #refreshGrant(): Promise<Held> {
    const auth = this.#auth;
    if (auth.kind !== 'oauth' || this.#refreshToken === undefined) throw new SyncError('bug', 'no refresh token');
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: auth.clientId,
      client_secret: auth.clientSecret,
      refresh_token: this.#refreshToken,
    });
    const answer = await this.#post('/login/common/oauth/tokens', 'the refresh-token grant', {
      type: 'application/x-www-form-urlencoded',
      body: form.toString(),
    });
    if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
      throw new SyncError(
        'auth',
        `SuperOffice refused the refresh-token grant (HTTP ${answer.status}): check TANDEM_SUPEROFFICE_CLIENT_ID, TANDEM_SUPEROFFICE_CLIENT_SECRET and TANDEM_SUPEROFFICE_REFRESH_TOKEN, or renew the consent`,
        { status: answer.status },
      );
    }
    const parsed = tokenAnswer.safeParse(answer.json);
    if (!parsed.success)
      throw new SyncError('malformed', 'SuperOffice answered the refresh-token grant in an unexpected shape');
    if (parsed.data.refresh_token !== undefined) this.#refreshToken = parsed.data.refresh_token;
    const lifetimeMs = (parsed.data.expires_in ?? 3600) * 1000;
    return {
      headers: { authorization: `Bearer ${parsed.data.access_token}` },
      staleAt: this.#now() + lifetimeMs,
      lifetimeMs,
    };
  }

  async #exchangeTicket(auth: Extract<SuperOfficeAuth, { kind: 'system-user' }>): Promise<Held> {
    if (this.#privateKey === undefined) throw new SyncError('bug', 'no private key');
    const body = {
      SignedSystemToken: signSystemUserToken(auth.systemUserToken, this.#privateKey, this.#now()),
      ApplicationToken: auth.clientSecret,
      ContextIdentifier: auth.customerId,
      ReturnTokenType: 'JWT',
    };
    const answer = await this.#post('/Login/api/PartnerSystemUser/Authenticate', 'the system-user sign-in', {
      type: 'application/json',
      body: JSON.stringify(body),
    });
    const parsed = systemUserAnswer.safeParse(answer.json);
    if (!parsed.success) {
      if (answer.status >= 400 && answer.status < 500) {
        throw new SyncError('auth', `SuperOffice refused the system-user sign-in (HTTP ${answer.status})`, {
          status: answer.status,
        });
      }
      throw new SyncError('malformed', 'SuperOffice answered the system-user sign-in in an unexpected shape');
    }
    if (!parsed.data.IsSuccessful || parsed.data.Token === undefined || parsed.data.Token === null) {
      throw new SyncError(
        'auth',
        `SuperOffice refused the system-user sign-in: ${parsed.data.ErrorMessage ?? 'no reason given'}. Check TANDEM_SUPEROFFICE_SYSTEM_USER_TOKEN, the private key, TANDEM_SUPEROFFICE_CLIENT_SECRET and TANDEM_SUPEROFFICE_CUSTOMER_ID`,
      );
    }
    const claims = await this.#verified(parsed.data.Token);
    const ticket = claims[ticketClaim];
    if (typeof ticket !== 'string' || ticket === '') {
      throw new SyncError('malformed', 'SuperOffice signed a system-user answer without a ticket claim');
    }
    return {
      headers: { authorization: `SOTicket ${ticket}`, 'so-apptoken': auth.clientSecret },
      staleAt: this.#now() + this.#ticketLifetimeMs,
      lifetimeMs: this.#ticketLifetimeMs,
    };
  }

  /** The JWT's claims once SuperOffice's keys verify it; the key set is fetched again once when none does (a key rotation). */
  async #verified(token: string): Promise<Record<string, unknown>> {
    for (const fresh of [false, true]) {
      if (fresh || this.#keys === undefined) this.#keys = await this.#fetchKeys();
      const claims = verifiedClaims(token, this.#keys);
      if (claims !== null) return claims;
      if (fresh) break;
    }
    throw new SyncError(
      'auth',
      'The system-user answer is not signed by a key SuperOffice publishes; the ticket is not used',
    );
  }

  async #fetchKeys(): Promise<JsonWebKeySet> {
    const answer = await callEnvironment(
      this.#environmentUrl ?? '',
      'GET',
      '/login/.well-known/jwks',
      'its key set (JWKS)',
    );
    if (answer.status >= 300) {
      throw new SyncError('transient', `SuperOffice answered ${answer.status} to the key set (JWKS) request`, {
        status: answer.status,
      });
    }
    return parseJwks(answer.json);
  }

  #post(path: string, what: string, content: { type: string; body: string }) {
    return callEnvironment(this.#environmentUrl ?? '', 'POST', path, what, content);
  }
}

function fixed(headers: Readonly<Record<string, string>>): Held {
  return { headers, staleAt: Number.POSITIVE_INFINITY, lifetimeMs: Number.POSITIVE_INFINITY };
}
