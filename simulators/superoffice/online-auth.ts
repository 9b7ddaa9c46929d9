/**
 * SuperOffice Online's credentials as they age (superoffice-api.md §1.2):
 * - OAuth access tokens live `expires_in` = 3600 s (D-OIDC, D-CODE) and are renewed with the
 *   refresh-token grant at `POST /login/common/oauth/tokens` (form or query parameters
 *   `grant_type=refresh_token`, `client_id`, `client_secret`, `refresh_token`); the refresh token
 *   stays valid and is not sent again (the documented refresh answer has none).
 * - System-user tickets are obtained at `POST /Login/api/PartnerSystemUser/Authenticate` with a
 *   `SignedSystemToken` = `{system user token}.{yyyyMMddHHmm UTC}.{base64 RSA-SHA256 signature}`
 *   made with the application's private key (D-SYST), checked here with the application's public
 *   key. The answer `{IsSuccessful, Token, ErrorMessage}` carries a JWT (RS256, signed with this
 *   simulator's key, published at `GET /login/.well-known/jwks`) whose claim
 *   `http://schemes.superoffice.net/identity/ticket` is the ticket. A ticket lives 6 hours after its
 *   last use (sliding, D-SYSU).
 * Lifetimes are knobs (seconds in tests) measured on the simulator clock. How old a signed token's
 * timestamp may be is not documented: the harsher reading refuses one more than
 * `signedTokenMaxSkewMinutes` (default 5) from the clock.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, sign, verify } from 'node:crypto';
import type { SimulatorClock } from './clock.js';

export interface OnlineAuthOptions {
  /** Default 3600 (D-OIDC). */
  readonly accessTokenTtlSeconds?: number;
  /** Default 6 hours after last use (D-SYSU). */
  readonly ticketIdleSeconds?: number;
  readonly oauthClients?: readonly { clientId: string; clientSecret: string; refreshToken: string }[];
  /** Applications allowed the system-user flow: the token the tenant's consent gave, and the app's public key (PEM). */
  readonly systemUsers?: readonly { systemUserToken: string; clientSecret: string; publicKey: string }[];
  readonly signedTokenMaxSkewMinutes?: number;
}

export const ticketClaim = 'http://schemes.superoffice.net/identity/ticket';

export type ExchangeAnswer = { IsSuccessful: boolean; Token: string | null; ErrorMessage: string };
export type TokenAnswer =
  | { status: 200; body: { token_type: 'Bearer'; access_token: string; expires_in: number } }
  | { status: 400; body: { error: string; error_description: string } };

export class OnlineAuth {
  readonly #options: OnlineAuthOptions;
  readonly #clock: SimulatorClock;
  readonly #tenant: string;
  readonly #accessTokens = new Map<string, number>(); // token -> expires at (ms)
  readonly #tickets = new Map<string, { lastUsed: number; appToken: string }>();
  #signingKey: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
  /** What happened, for tests: credentials issued, and requests refused because one had expired. */
  readonly counts = { accessTokensIssued: 0, ticketsIssued: 0, expiredRefused: 0 };

  constructor(options: OnlineAuthOptions, clock: SimulatorClock, tenant: string) {
    this.#options = options;
    this.#clock = clock;
    this.#tenant = tenant;
  }

  /** Whether a bearer token or ticket this simulator issued is still good; a ticket's use extends it. */
  accepts(scheme: string, value: string, appToken: string | undefined): boolean {
    const now = this.#clock.now();
    if (scheme === 'bearer') {
      const expiresAt = this.#accessTokens.get(value);
      if (expiresAt === undefined) return false;
      if (now < expiresAt) return true;
      this.counts.expiredRefused++;
      return false;
    }
    const ticket = this.#tickets.get(value);
    // In Online the SO-AppToken header is mandatory with SOTicket (§1.2).
    if (ticket === undefined || ticket.appToken !== appToken) return false;
    if (now >= ticket.lastUsed + this.#ticketIdleMs) {
      this.counts.expiredRefused++;
      return false;
    }
    ticket.lastUsed = now;
    return true;
  }

  get #ticketIdleMs(): number {
    return (this.#options.ticketIdleSeconds ?? 6 * 3600) * 1000;
  }

  refreshGrant(parameters: Readonly<Record<string, string | undefined>>): TokenAnswer {
    if (parameters.grant_type !== 'refresh_token') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'only refresh_token here' } };
    }
    const client = (this.#options.oauthClients ?? []).find(
      (candidate) =>
        candidate.clientId === parameters.client_id &&
        candidate.clientSecret === parameters.client_secret &&
        candidate.refreshToken === parameters.refresh_token,
    );
    if (client === undefined) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'unknown client or refresh token' } };
    }
    const ttlSeconds = this.#options.accessTokenTtlSeconds ?? 3600;
    const token = `8A:${this.#tenant}.${randomBytes(24).toString('base64')}`;
    this.#accessTokens.set(token, this.#clock.now() + ttlSeconds * 1000);
    this.counts.accessTokensIssued++;
    return { status: 200, body: { token_type: 'Bearer', access_token: token, expires_in: ttlSeconds } };
  }

  exchange(body: Readonly<Record<string, unknown>>): ExchangeAnswer {
    const refuse = (message: string): ExchangeAnswer => ({ IsSuccessful: false, Token: null, ErrorMessage: message });
    const signed = typeof body.SignedSystemToken === 'string' ? body.SignedSystemToken : '';
    if (body.ContextIdentifier !== this.#tenant) return refuse('Unknown ContextIdentifier');
    const lastDot = signed.lastIndexOf('.');
    const data = signed.slice(0, lastDot);
    const timestampDot = data.lastIndexOf('.');
    if (lastDot < 0 || timestampDot < 0) return refuse('SignedSystemToken is not token.timestamp.signature');
    const systemUserToken = data.slice(0, timestampDot);
    const timestamp = data.slice(timestampDot + 1);
    const user = (this.#options.systemUsers ?? []).find(
      (candidate) => candidate.systemUserToken === systemUserToken && candidate.clientSecret === body.ApplicationToken,
    );
    if (user === undefined) return refuse('Unknown system user token or application token');
    const signature = Buffer.from(signed.slice(lastDot + 1), 'base64');
    if (!verify('sha256', Buffer.from(data, 'utf8'), createPublicKey(user.publicKey), signature)) {
      return refuse('The signature does not match the application public key');
    }
    const signedAt = timestampMillis(timestamp);
    const skewMs = (this.#options.signedTokenMaxSkewMinutes ?? 5) * 60_000;
    if (signedAt === null || Math.abs(this.#clock.now() - signedAt) > skewMs) {
      return refuse('The signed token timestamp is too old or in the future');
    }
    const ticket = `7T:${randomBytes(24).toString('base64')}`;
    this.#tickets.set(ticket, { lastUsed: this.#clock.now(), appToken: user.clientSecret });
    this.counts.ticketsIssued++;
    return { IsSuccessful: true, Token: this.#jwt({ [ticketClaim]: ticket }), ErrorMessage: '' };
  }

  /** The simulator's public signing key as a JWKS (`/login/.well-known/jwks`). */
  jwks(): { keys: Record<string, unknown>[] } {
    const jwk = this.#key().publicKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: 'simulator-1', use: 'sig', alg: 'RS256' }] };
  }

  #key(): { privateKey: KeyObject; publicKey: KeyObject } {
    // Made on first use: a key pair costs tens of milliseconds and most simulators never sign.
    this.#signingKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
    return this.#signingKey;
  }

  #jwt(claims: Record<string, unknown>): string {
    const now = Math.floor(this.#clock.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', kid: 'simulator-1' };
    const payload = { iss: 'SuperOffice AS', aud: 'spn:simulator', nbf: now, exp: now + 300, ...claims };
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const data = `${encode(header)}.${encode(payload)}`;
    return `${data}.${sign('sha256', Buffer.from(data), this.#key().privateKey).toString('base64url')}`;
  }
}

function timestampMillis(text: string): number | null {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (match === null) return null;
  const [, year, month, day, hour, minute] = match.map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0);
}
