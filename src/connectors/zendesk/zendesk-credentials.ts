/**
 * How the connector proves who it is (zendesk-api.md §1 "Authentication"):
 * - OAuth: `Authorization: Bearer <access token>`; with a client id, secret and refresh token, a
 *   401 triggers the refresh-token grant at `POST /oauth/tokens`. Zendesk then deletes the previous
 *   access and refresh tokens (OEXP), so the new refresh token must be stored: see `onTokens`.
 * - API token: `Authorization: Basic base64("{email}/token:{token}")`. Zendesk retires API tokens:
 *   no new ones from 2026-10-27, every token dead on 2027-04-30 (trap 1, MIG). Prefer OAuth.
 */
import { type Dispatcher, request } from 'undici';
import { SyncError } from '../../core/sync-error.js';
import { tokenGrant } from './zendesk-wire.js';

export type ZendeskAuth =
  | {
      kind: 'oauth';
      accessToken: string;
      refresh?: { clientId: string; clientSecret: string; refreshToken: string };
    }
  | { kind: 'api-token'; email: string; token: string };

export interface ZendeskTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

/** A refresh this recent covers every 401 that raced it: the request is retried with the new token. */
const recentRefreshMs = 10_000;

export class ZendeskCredentials {
  readonly #baseUrl: string;
  readonly #auth: ZendeskAuth;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #onTokens: ((tokens: ZendeskTokens) => void) | undefined;
  #accessToken: string | undefined;
  #refreshToken: string | undefined;
  #refreshing: Promise<boolean> | undefined;
  #refreshedAt = Number.NEGATIVE_INFINITY;

  constructor(
    baseUrl: string,
    auth: ZendeskAuth,
    options: { dispatcher?: Dispatcher; onTokens?: (tokens: ZendeskTokens) => void } = {},
  ) {
    this.#baseUrl = baseUrl;
    this.#auth = auth;
    this.#dispatcher = options.dispatcher;
    this.#onTokens = options.onTokens;
    if (auth.kind === 'oauth') {
      this.#accessToken = auth.accessToken;
      this.#refreshToken = auth.refresh?.refreshToken;
    }
  }

  async headers(): Promise<Readonly<Record<string, string>>> {
    if (this.#auth.kind === 'api-token') {
      const basic = Buffer.from(`${this.#auth.email}/token:${this.#auth.token}`).toString('base64');
      return { authorization: `Basic ${basic}` };
    }
    return { authorization: `Bearer ${this.#accessToken}` };
  }

  /** Obtains a new access token; false when no refresh is configured or Zendesk refused it. */
  refresh(): Promise<boolean> {
    if (this.#auth.kind !== 'oauth' || this.#auth.refresh === undefined) return Promise.resolve(false);
    if (Date.now() - this.#refreshedAt < recentRefreshMs) return Promise.resolve(true);
    this.#refreshing ??= this.#refresh(this.#auth.refresh).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(client: { clientId: string; clientSecret: string }): Promise<boolean> {
    const refreshToken = this.#refreshToken;
    if (refreshToken === undefined) return false;
    let status: number;
    let text: string;
    try {
      const response = await request(`${this.#baseUrl}/oauth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }),
        ...(this.#dispatcher === undefined ? {} : { dispatcher: this.#dispatcher }),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw new SyncError('transient', `Zendesk did not answer the token refresh: ${String(error)}`, { cause: error });
    }
    if (status === 400 || status === 401) return false;
    if (status >= 300) throw new SyncError('transient', `Zendesk answered ${status} to the token refresh`, { status });
    const parsed = tokenGrant.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new SyncError('malformed', 'Zendesk answered the token refresh with an unexpected shape');
    this.#accessToken = parsed.data.access_token;
    this.#refreshToken = parsed.data.refresh_token ?? refreshToken;
    this.#refreshedAt = Date.now();
    this.#onTokens?.({ accessToken: this.#accessToken, refreshToken: this.#refreshToken });
    return true;
  }
}
