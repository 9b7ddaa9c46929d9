/**
 * Who may call the simulated account (zendesk-api.md §1 "Authentication"): OAuth access tokens
 * (`Authorization: Bearer …`) and API tokens (`Authorization: Basic base64(email/token:TOKEN)`).
 * The OAuth refresh-token grant rotates both tokens and deletes the previous ones (OEXP).
 */
import type { SeededRandom } from '../seeded-random.js';
import type { SimulatorClock } from './simulator-clock.js';

export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The refresh token issued to this client at start. */
  readonly refreshToken: string;
}

export interface SimulatorCredentials {
  /** Access tokens accepted without expiry. Default `['sim-token']`. */
  readonly oauthTokens?: readonly string[];
  /** API tokens. Default one: `agent@example.com` / `sim-api-token`. */
  readonly apiTokens?: readonly { readonly email: string; readonly token: string }[];
  /** OAuth clients for the refresh grant. Default one: `tandem` / `sim-secret` / `sim-refresh-token`. */
  readonly oauthClients?: readonly OAuthClient[];
  /** Lifetime of access tokens issued by a refresh, in seconds of simulator time. Default 1800 (OEXP). */
  readonly accessTokenTtlSeconds?: number;
}

export const defaultCredentials = {
  oauthToken: 'sim-token',
  apiToken: { email: 'agent@example.com', token: 'sim-api-token' },
  oauthClient: { clientId: 'tandem', clientSecret: 'sim-secret', refreshToken: 'sim-refresh-token' },
} as const;

export type Caller = { readonly kind: 'oauth' } | { readonly kind: 'api-token'; readonly email: string };

export interface TokenGrant {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly token_type: 'bearer';
  readonly scope: string;
  readonly expires_in: number;
  readonly refresh_token_expires_in: number;
}

export class Authenticator {
  /** Access token -> expiry in simulator ms (Infinity: never). */
  readonly #accessTokens = new Map<string, number>();
  readonly #apiTokens: readonly { readonly email: string; readonly token: string }[];
  /** Refresh token -> client id. */
  readonly #refreshTokens = new Map<string, string>();
  /** Client id -> tokens issued to it, deleted together on the next refresh. */
  readonly #issued = new Map<string, { access: string; refresh: string }>();
  readonly #clients: readonly OAuthClient[];
  readonly #ttlSeconds: number;
  readonly #clock: SimulatorClock;
  readonly #random: SeededRandom;

  constructor(credentials: SimulatorCredentials, clock: SimulatorClock, random: SeededRandom) {
    this.#clock = clock;
    this.#random = random;
    for (const token of credentials.oauthTokens ?? [defaultCredentials.oauthToken]) {
      this.#accessTokens.set(token, Number.POSITIVE_INFINITY);
    }
    this.#apiTokens = credentials.apiTokens ?? [defaultCredentials.apiToken];
    this.#clients = credentials.oauthClients ?? [defaultCredentials.oauthClient];
    for (const client of this.#clients) this.#refreshTokens.set(client.refreshToken, client.clientId);
    this.#ttlSeconds = credentials.accessTokenTtlSeconds ?? 1800;
  }

  /** The e-mail of the account owner: the first API token's user. */
  get ownerEmail(): string {
    return this.#apiTokens[0]?.email ?? defaultCredentials.apiToken.email;
  }

  authenticate(authorization: string | undefined): Caller | undefined {
    if (authorization === undefined) return undefined;
    const [scheme, value] = authorization.split(' ', 2);
    if (value === undefined) return undefined;
    if (scheme?.toLowerCase() === 'bearer') {
      const expiry = this.#accessTokens.get(value);
      return expiry !== undefined && expiry > this.#clock.now() ? { kind: 'oauth' } : undefined;
    }
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const match = /^(.+)\/token:(.+)$/.exec(decoded);
      if (match === null) return undefined;
      const [, email, token] = match;
      const known = this.#apiTokens.find((entry) => entry.email.toLowerCase() === email?.toLowerCase());
      return known !== undefined && known.token === token ? { kind: 'api-token', email: known.email } : undefined;
    }
    return undefined;
  }

  /** Makes every access token refused from now on, as an expiry or a revocation would. */
  revokeAccessTokens(): void {
    this.#accessTokens.clear();
  }

  /** The refresh-token grant of `POST /oauth/tokens`; undefined when the client or token is wrong. */
  refresh(clientId: string, clientSecret: string, refreshToken: string): TokenGrant | undefined {
    const client = this.#clients.find((entry) => entry.clientId === clientId && entry.clientSecret === clientSecret);
    if (client === undefined || this.#refreshTokens.get(refreshToken) !== clientId) return undefined;
    // OEXP: a successful refresh deletes the previous access and refresh tokens.
    this.#refreshTokens.delete(refreshToken);
    const previous = this.#issued.get(clientId);
    if (previous !== undefined) this.#accessTokens.delete(previous.access);
    const access = `sim-access-${this.#random.hex(24)}`;
    const refresh = `sim-refresh-${this.#random.hex(24)}`;
    this.#accessTokens.set(access, this.#clock.now() + this.#ttlSeconds * 1000);
    this.#refreshTokens.set(refresh, clientId);
    this.#issued.set(clientId, { access, refresh });
    return {
      access_token: access,
      refresh_token: refresh,
      token_type: 'bearer',
      scope: 'read write',
      expires_in: this.#ttlSeconds,
      refresh_token_expires_in: 30 * 24 * 3600,
    };
  }
}
