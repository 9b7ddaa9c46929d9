/**
 * The cryptography of SuperOffice's system-user flow (superoffice-api.md §1.2, D-SYST):
 * - the application signs `"{system user token}.{yyyyMMddHHmm UTC}"` with its RSA private key
 *   (RSA-SHA256, base64) and sends `"{data}.{signature}"`;
 * - SuperOffice answers a JWT (RS256) whose claim `http://schemes.superoffice.net/identity/ticket`
 *   is the credential; the JWT must be validated against SuperOffice's published keys (JWKS,
 *   `https://{env}.superoffice.com/login/.well-known/jwks`) before it is trusted (D-CLAIMS).
 * Only node:crypto; no key material ever goes into an error message.
 */
import { createPrivateKey, createPublicKey, type JsonWebKey, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { SyncError } from '../../core/sync-error.js';

export const ticketClaim = 'http://schemes.superoffice.net/identity/ticket';

/** The partner's private key: PEM (PKCS#1 or PKCS#8), or the RSA XML (`<RSAKeyValue>`) the Developer Portal hands out. */
export function readPrivateKey(text: string): KeyObject {
  const trimmed = text.trim();
  try {
    if (trimmed.startsWith('<')) return createPrivateKey({ key: rsaXmlToJwk(trimmed), format: 'jwk' });
    return createPrivateKey(trimmed);
  } catch {
    throw new SyncError(
      'config',
      'The SuperOffice private key is neither a PEM RSA private key nor an RSA XML key (<RSAKeyValue>)',
    );
  }
}

const xmlParts = {
  n: 'Modulus',
  e: 'Exponent',
  d: 'D',
  p: 'P',
  q: 'Q',
  dp: 'DP',
  dq: 'DQ',
  qi: 'InverseQ',
} as const;

/** .NET's RSA XML carries the same numbers as a JWK, in base64 instead of base64url. */
function rsaXmlToJwk(xml: string): JsonWebKey {
  const jwk: JsonWebKey = { kty: 'RSA' };
  for (const [name, tag] of Object.entries(xmlParts)) {
    const match = new RegExp(`<${tag}>\\s*([A-Za-z0-9+/=\\s]+?)\\s*</${tag}>`).exec(xml);
    if (match?.[1] === undefined) throw new Error(`missing ${tag}`);
    jwk[name] = Buffer.from(match[1].replace(/\s+/g, ''), 'base64').toString('base64url');
  }
  return jwk;
}

/** `yyyyMMddHHmm` in UTC, with leading zeros (D-SYST). */
export function signingTimestamp(instantMs: number): string {
  return new Date(instantMs).toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

/** The SignedSystemToken: `{token}.{timestamp}.{base64 RSA-SHA256 signature of the first two}`. */
export function signSystemUserToken(systemUserToken: string, privateKey: KeyObject, instantMs: number): string {
  const data = `${systemUserToken}.${signingTimestamp(instantMs)}`;
  const signature = sign('sha256', Buffer.from(data, 'utf8'), privateKey).toString('base64');
  return `${data}.${signature}`;
}

const jwtHeaderSchema = z.object({ alg: z.string(), kid: z.string().optional(), x5t: z.string().optional() });
const jwksSchema = z.object({
  keys: z.array(
    z.looseObject({
      kty: z.string(),
      kid: z.string().optional(),
      x5t: z.string().optional(),
      use: z.string().optional(),
    }),
  ),
});
export type JsonWebKeySet = z.infer<typeof jwksSchema>;

export function parseJwks(json: unknown): JsonWebKeySet {
  const parsed = jwksSchema.safeParse(json);
  if (!parsed.success)
    throw new SyncError('malformed', 'SuperOffice answered its key set (JWKS) in an unexpected shape');
  return parsed.data;
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The claims of a JWT whose RS256 signature one of the keys verifies; null when none does. The key
 * named by the header's `kid`/`x5t` is tried first, then the others (SuperOffice's samples take the
 * set's first key).
 */
export function verifiedClaims(token: string, keys: JsonWebKeySet): Record<string, unknown> | null {
  const [header, payload, signature, ...rest] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined || rest.length > 0) return null;
  const parsedHeader = jwtHeaderSchema.safeParse(decodeJson(header));
  if (!parsedHeader.success || parsedHeader.data.alg !== 'RS256') return null;
  const { kid, x5t } = parsedHeader.data;
  const named = keys.keys.filter(
    (key) => (kid !== undefined && key.kid === kid) || (x5t !== undefined && key.x5t === x5t),
  );
  const candidates = [...named, ...keys.keys.filter((key) => !named.includes(key))];
  const signed = Buffer.from(`${header}.${payload}`, 'utf8');
  const signatureBytes = Buffer.from(signature, 'base64url');
  for (const key of candidates) {
    if (key.kty !== 'RSA' || (key.use !== undefined && key.use !== 'sig')) continue;
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
    } catch {
      continue;
    }
    if (verify('sha256', signed, publicKey, signatureBytes)) {
      const claims = decodeJson(payload);
      return claims !== null && typeof claims === 'object' && !Array.isArray(claims)
        ? (claims as Record<string, unknown>)
        : null;
    }
  }
  return null;
}
