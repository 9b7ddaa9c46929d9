import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'tandem-config-'));
const zendesk = { TANDEM_ZENDESK_URL: 'https://acme.zendesk.com', TANDEM_ZENDESK_OAUTH_TOKEN: 'zd-secret' };
const pem = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ format: 'pem', type: 'pkcs8' })
  .toString();

function problemsOf(env: Record<string, string>, cwd = emptyDir()): readonly string[] {
  try {
    loadConfig({ env, cwd });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('SuperOffice Online configuration', () => {
  it('reads the system-user flow with the customer id, the environment and the key file relative to the working directory', () => {
    const cwd = emptyDir();
    writeFileSync(join(cwd, 'key.pem'), pem);
    const config = loadConfig({
      env: {
        ...zendesk,
        TANDEM_SUPEROFFICE_CUSTOMER_ID: 'Cust12345',
        TANDEM_SUPEROFFICE_ENVIRONMENT: 'stage',
        TANDEM_SUPEROFFICE_SYSTEM_USER_TOKEN: 'App-k3Jd',
        TANDEM_SUPEROFFICE_PRIVATE_KEY_FILE: 'key.pem',
        TANDEM_SUPEROFFICE_CLIENT_SECRET: 'app-secret',
        TANDEM_SUPEROFFICE_TIME_ZONE: 'Europe/Oslo',
      },
      cwd,
    });
    expect(config.superoffice).toEqual({
      customerId: 'Cust12345',
      environmentUrl: 'https://qaonline.superoffice.com',
      timeZone: 'Europe/Oslo',
      auth: {
        kind: 'system-user',
        systemUserToken: 'App-k3Jd',
        privateKey: pem,
        clientSecret: 'app-secret',
        customerId: 'Cust12345',
      },
    });
  });

  it('reads the OAuth refresh flow, online by default', () => {
    const config = loadConfig({
      env: {
        ...zendesk,
        TANDEM_SUPEROFFICE_CUSTOMER_ID: 'Cust12345',
        TANDEM_SUPEROFFICE_CLIENT_ID: 'id',
        TANDEM_SUPEROFFICE_CLIENT_SECRET: 'secret',
        TANDEM_SUPEROFFICE_REFRESH_TOKEN: 'refresh',
      },
      cwd: emptyDir(),
    });
    expect(config.superoffice?.environmentUrl).toBe('https://online.superoffice.com');
    expect(config.superoffice?.auth).toEqual({
      kind: 'oauth',
      clientId: 'id',
      clientSecret: 'secret',
      refreshToken: 'refresh',
    });
  });

  it('names what the system-user flow still needs, and never prints a secret or the key', () => {
    const cwd = emptyDir();
    writeFileSync(join(cwd, 'not-a-key.txt'), '-----BEGIN PRIVATE KEY-----\nhello\n-----END PRIVATE KEY-----\n');
    const missing = problemsOf({
      ...zendesk,
      TANDEM_SUPEROFFICE_CUSTOMER_ID: 'Cust1',
      TANDEM_SUPEROFFICE_SYSTEM_USER_TOKEN: 'App-secret-token',
    });
    expect(missing.join('\n')).toContain('TANDEM_SUPEROFFICE_PRIVATE_KEY_FILE, TANDEM_SUPEROFFICE_CLIENT_SECRET');
    const badKey = problemsOf(
      {
        ...zendesk,
        TANDEM_SUPEROFFICE_CUSTOMER_ID: 'Cust1',
        TANDEM_SUPEROFFICE_SYSTEM_USER_TOKEN: 'App-secret-token',
        TANDEM_SUPEROFFICE_PRIVATE_KEY_FILE: 'not-a-key.txt',
        TANDEM_SUPEROFFICE_CLIENT_SECRET: 'client-secret-value',
      },
      cwd,
    ).join('\n');
    expect(badKey).toContain('holds no PEM private key');
    for (const secret of ['App-secret-token', 'client-secret-value', 'hello']) {
      expect(missing.join('\n') + badKey).not.toContain(secret);
    }
  });

  it('refuses an unknown environment, a malformed customer id and an unknown time zone', () => {
    const problems = problemsOf({
      ...zendesk,
      TANDEM_SUPEROFFICE_CUSTOMER_ID: '12345',
      TANDEM_SUPEROFFICE_ENVIRONMENT: 'production',
      TANDEM_SUPEROFFICE_TOKEN: 't',
      TANDEM_SUPEROFFICE_TIME_ZONE: 'Mars/Olympus',
    }).join('\n');
    expect(problems).toContain('TANDEM_SUPEROFFICE_CUSTOMER_ID should look like Cust12345');
    expect(problems).toContain('TANDEM_SUPEROFFICE_ENVIRONMENT should be online, stage or sod');
    expect(problems).toContain('TANDEM_SUPEROFFICE_TIME_ZONE should be an IANA time zone');
  });
});
