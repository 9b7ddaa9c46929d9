/**
 * Keeps renewed Zendesk OAuth tokens across restarts. Zendesk retires the previous access and
 * refresh tokens on every refresh, so the refresh token in the configuration works once; after
 * that, the newest pair lives in this file (readable by its owner only).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { ZendeskConnection } from '../config/config.js';
import type { ZendeskAuth, ZendeskTokens } from '../connectors/zendesk/zendesk-connector.js';
import { CliFailure } from './failure.js';

const tokenFileSchema = z.object({ accessToken: z.string().min(1), refreshToken: z.string().min(1) });

/** The auth to start with: the configured one, with the newest stored tokens when there are any. */
export function zendeskAuthWithStoredTokens(auth: ZendeskConnection['auth']): ZendeskAuth {
  if (auth.kind !== 'oauth') return auth;
  const { tokenFile, refresh, accessToken } = auth;
  if (refresh === undefined) return { kind: 'oauth', accessToken };
  if (tokenFile === undefined || !existsSync(tokenFile)) return { kind: 'oauth', accessToken, refresh };
  let parsed: ReturnType<typeof tokenFileSchema.safeParse>;
  try {
    parsed = tokenFileSchema.safeParse(JSON.parse(readFileSync(tokenFile, 'utf8')));
  } catch {
    parsed = tokenFileSchema.safeParse(undefined);
  }
  if (!parsed.success) {
    throw new CliFailure(
      `${tokenFile} holds no valid Zendesk tokens; delete it to start again from the tokens in your configuration`,
    );
  }
  return {
    kind: 'oauth',
    accessToken: parsed.data.accessToken,
    refresh: { ...refresh, refreshToken: parsed.data.refreshToken },
  };
}

/** Writes the new pair atomically (a crash leaves the old file or the new one, never half of one). */
export function storeZendeskTokens(tokenFile: string, tokens: ZendeskTokens): void {
  const temporary = `${tokenFile}.${process.pid}.tmp`;
  writeFileSync(
    temporary,
    `${JSON.stringify({ accessToken: tokens.accessToken, refreshToken: tokens.refreshToken })}\n`,
    {
      mode: 0o600,
    },
  );
  renameSync(temporary, tokenFile);
}
