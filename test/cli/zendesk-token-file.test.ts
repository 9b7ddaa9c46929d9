import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startZendeskSimulator, type ZendeskSimulator } from '../../simulators/zendesk/index.js';
import { openTenant } from '../../src/cli/tenant.js';
import { storeZendeskTokens, zendeskAuthWithStoredTokens } from '../../src/cli/zendesk-token-file.js';
import { loadConfig } from '../../src/config/config.js';
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

  it('are kept in the file the configuration names (or the default one): refresh, stop, start again, still authorised', async () => {
    simulator = await startZendeskSimulator({ rateLimits: false });
    const directory = mkdtempSync(join(tmpdir(), 'tandem-tokens-'));
    const env = {
      TANDEM_DB: join(directory, 'tandem.db'),
      TANDEM_SUPEROFFICE_URL: 'http://127.0.0.1:9/Cust12345/api/v1',
      TANDEM_SUPEROFFICE_TOKEN: 'unused',
      TANDEM_ZENDESK_URL: simulator.url,
      TANDEM_ZENDESK_OAUTH_TOKEN: 'sim-token',
      TANDEM_ZENDESK_CLIENT_ID: 'tandem',
      TANDEM_ZENDESK_CLIENT_SECRET: 'sim-secret',
      TANDEM_ZENDESK_REFRESH_TOKEN: 'sim-refresh-token',
    };
    const start = async () => {
      const tenant = await openTenant(loadConfig({ env, cwd: directory }), pino({ level: 'silent' }));
      try {
        await tenant.zendesk.verify();
      } finally {
        await tenant.close();
      }
    };
    simulator.revokeAccessTokens(); // the configured access token has expired: the first call refreshes
    await start();
    const defaultFile = join(directory, 'tandem-zendesk-tokens.json');
    expect(JSON.parse(readFileSync(defaultFile, 'utf8'))).toMatchObject({ refreshToken: expect.any(String) });

    simulator.revokeAccessTokens(); // the configured refresh token is dead now; only the stored one works
    await expect(start()).resolves.toBeUndefined();

    const named = join(directory, 'elsewhere.json');
    expect(
      loadConfig({ env: { ...env, TANDEM_ZENDESK_TOKEN_FILE: named }, cwd: directory }).zendesk?.auth,
    ).toMatchObject({
      tokenFile: named,
    });
  });
});
