import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startZendeskSimulator, type ZendeskSimulator } from '../../simulators/zendesk/index.js';
import { storeZendeskTokens, zendeskAuthWithStoredTokens } from '../../src/cli/zendesk-token-file.js';
import { ZendeskConnector } from '../../src/connectors/zendesk/zendesk-connector.js';

const refresh = { clientId: 'tandem', clientSecret: 'sim-secret', refreshToken: 'sim-refresh-token' };
let simulator: ZendeskSimulator | undefined;
afterEach(async () => simulator?.close());

describe('renewed Zendesk tokens', () => {
  it('are kept in the token file, so a restart after a refresh still authenticates', async () => {
    simulator = await startZendeskSimulator({ rateLimits: false });
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'tandem-tokens-')), 'tokens.json');
    const configured = { kind: 'oauth' as const, accessToken: 'sim-token', refresh, tokenFile };

    const first = new ZendeskConnector({
      url: simulator.url,
      auth: zendeskAuthWithStoredTokens(configured),
      onTokens: (tokens) => storeZendeskTokens(tokenFile, tokens),
    });
    simulator.revokeAccessTokens(); // the access token expires: the next call must refresh
    await first.verify();
    await first.close();

    expect(existsSync(tokenFile)).toBe(true);
    expect(statSync(tokenFile).mode & 0o077).toBe(0); // readable by its owner only
    const stored = JSON.parse(readFileSync(tokenFile, 'utf8')) as { refreshToken: string };
    expect(stored.refreshToken).not.toBe('sim-refresh-token');

    // After a restart the configured refresh token is dead; the stored one carries on.
    simulator.revokeAccessTokens();
    const restarted = new ZendeskConnector({
      url: simulator.url,
      auth: zendeskAuthWithStoredTokens(configured),
      onTokens: (tokens) => storeZendeskTokens(tokenFile, tokens),
    });
    await expect(restarted.verify()).resolves.toBeUndefined();
    await restarted.close();
  });

  it('says how to recover from a damaged token file', () => {
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'tandem-tokens-')), 'tokens.json');
    writeFileSync(tokenFile, '{"accessToken":');
    expect(() => zendeskAuthWithStoredTokens({ kind: 'oauth', accessToken: 'a', refresh, tokenFile })).toThrow(
      /holds no valid Zendesk tokens; delete it/,
    );
  });

  it('leaves an API token or an OAuth token without refresh settings as configured', () => {
    expect(zendeskAuthWithStoredTokens({ kind: 'api-token', email: 'a@b.example', token: 't' })).toEqual({
      kind: 'api-token',
      email: 'a@b.example',
      token: 't',
    });
    expect(zendeskAuthWithStoredTokens({ kind: 'oauth', accessToken: 'a' })).toEqual({
      kind: 'oauth',
      accessToken: 'a',
    });
  });
});
