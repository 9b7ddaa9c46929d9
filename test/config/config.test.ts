import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireConnections } from '../../src/config/config.js';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'tandem-config-'));

function problemsOf(env: Record<string, string>, cwd = emptyDir()): readonly string[] {
  try {
    loadConfig({ env, cwd });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const complete = {
  TANDEM_SUPEROFFICE_URL: 'https://online3.superoffice.com/Cust12345/api/v1',
  TANDEM_SUPEROFFICE_TOKEN: 'so-secret-token',
  TANDEM_ZENDESK_URL: 'https://acme.zendesk.com',
  TANDEM_ZENDESK_OAUTH_TOKEN: 'zd-secret-token',
};

describe('configuration', () => {
  it('defaults to a SQLite file in the working directory and no connections', () => {
    const config = loadConfig({ env: {}, cwd: emptyDir() });
    expect(config.db).toBe('./tandem.db');
    expect(config.superoffice).toBeUndefined();
    expect(config.intervalSeconds).toBe(60);
  });

  it('reads both connections from the environment', () => {
    const config = loadConfig({ env: complete, cwd: emptyDir() });
    expect(config.superoffice).toEqual({
      url: 'https://online3.superoffice.com/Cust12345/api/v1',
      auth: { kind: 'bearer', token: 'so-secret-token' },
    });
    expect(config.zendesk?.auth).toEqual({ kind: 'oauth', accessToken: 'zd-secret-token' });
  });

  it('takes a system-user ticket with its application token, and an API token with its e-mail', () => {
    const config = loadConfig({
      env: {
        TANDEM_SUPEROFFICE_URL: complete.TANDEM_SUPEROFFICE_URL,
        TANDEM_SUPEROFFICE_TICKET: '7T:abc',
        TANDEM_SUPEROFFICE_APP_TOKEN: 'app',
        TANDEM_ZENDESK_URL: 'https://acme.zendesk.com/',
        TANDEM_ZENDESK_EMAIL: 'agent@acme.com',
        TANDEM_ZENDESK_API_TOKEN: 'tok',
      },
      cwd: emptyDir(),
    });
    expect(config.superoffice?.auth).toEqual({ kind: 'system-user-ticket', ticket: '7T:abc', appToken: 'app' });
    expect(config.zendesk).toEqual({
      url: 'https://acme.zendesk.com',
      auth: { kind: 'api-token', email: 'agent@acme.com', token: 'tok' },
    });
  });

  it('names the variable and an example when TANDEM_ZENDESK_URL is not a URL', () => {
    const problems = problemsOf({ ...complete, TANDEM_ZENDESK_URL: 'acme' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('TANDEM_ZENDESK_URL');
    expect(problems[0]).toContain('https://acme.zendesk.com');
  });

  it('refuses a Zendesk URL that already has /api/v2 and a SuperOffice URL without /api/v1', () => {
    const problems = problemsOf({
      ...complete,
      TANDEM_ZENDESK_URL: 'https://acme.zendesk.com/api/v2',
      TANDEM_SUPEROFFICE_URL: 'https://online3.superoffice.com/Cust12345',
    });
    expect(problems.some((p) => p.startsWith('TANDEM_ZENDESK_URL') && p.includes('/api/v2 itself'))).toBe(true);
    expect(problems.some((p) => p.startsWith('TANDEM_SUPEROFFICE_URL') && p.includes('/api/v1'))).toBe(true);
  });

  it('refuses plain http except on this machine', () => {
    expect(problemsOf({ ...complete, TANDEM_ZENDESK_URL: 'http://acme.zendesk.com' })[0]).toContain('https://');
    expect(problemsOf({ ...complete, TANDEM_ZENDESK_URL: 'http://127.0.0.1:4100' })).toEqual([]);
  });

  it('never shows a secret in an error message', () => {
    const problems = problemsOf({
      ...complete,
      TANDEM_ZENDESK_URL: 'not a url',
      TANDEM_SUPEROFFICE_TICKET: 'ticket-secret',
      TANDEM_SUPEROFFICE_TOKEN: '',
    });
    const text = problems.join('\n');
    expect(text).not.toContain('zd-secret-token');
    expect(text).not.toContain('ticket-secret');
    expect(text).toContain('TANDEM_SUPEROFFICE_APP_TOKEN');
  });

  it('reads tandem.config.yaml and lets the environment win', () => {
    const dir = emptyDir();
    writeFileSync(
      join(dir, 'tandem.config.yaml'),
      'db: ./state.db\nintervalSeconds: 15\nzendesk:\n  url: https://file.zendesk.com\n  oauthToken: from-file\n',
    );
    const config = loadConfig({ env: { TANDEM_ZENDESK_URL: 'https://env.zendesk.com' }, cwd: dir });
    expect(config.db).toBe('./state.db');
    expect(config.intervalSeconds).toBe(15);
    expect(config.zendesk).toEqual({
      url: 'https://env.zendesk.com',
      auth: { kind: 'oauth', accessToken: 'from-file' },
    });
  });

  it('reports a broken YAML file with its line', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'tandem.config.yaml'), 'db: ok\nzendesk: [unclosed\n');
    const problems = problemsOf({}, dir);
    expect(problems[0]).toMatch(/not valid YAML at line \d/);
  });

  it('says which connection a sync still needs', () => {
    const config = loadConfig({
      env: { TANDEM_ZENDESK_URL: 'https://acme.zendesk.com', TANDEM_ZENDESK_OAUTH_TOKEN: 't' },
      cwd: emptyDir(),
    });
    expect(() => requireConnections(config)).toThrow(
      /TANDEM_SUPEROFFICE_CUSTOMER_ID .*or TANDEM_SUPEROFFICE_URL \(on-site\) is not set/,
    );
  });

  it('wants all three refresh settings or none', () => {
    const problems = problemsOf({ ...complete, TANDEM_ZENDESK_CLIENT_ID: 'id' });
    expect(problems[0]).toContain('TANDEM_ZENDESK_REFRESH_TOKEN');
  });

  it('refuses an unknown YAML key, naming the nearest valid key', () => {
    const dir = emptyDir();
    writeFileSync(
      join(dir, 'tandem.config.yaml'),
      'db: ./state.db\nsweepMinute: 30\nzendesk:\n  url: https://acme.zendesk.com\n  oauthTokn: t\n',
    );
    const problems = problemsOf({}, dir);
    expect(problems).toContain(
      `${join(dir, 'tandem.config.yaml')}: unknown key 'sweepMinute'; did you mean 'sweepMinutes'? (known keys: db, intervalSeconds, sweepMinutes, logLevel, superoffice, zendesk)`,
    );
    expect(
      problems.some((p) => p.includes("unknown key 'zendesk.oauthTokn'; did you mean 'zendesk.oauthToken'?")),
    ).toBe(true);
  });

  it('refuses a section that is not a mapping', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'tandem.config.yaml'), 'superoffice: https://x.superoffice.com\n');
    expect(problemsOf({}, dir)[0]).toMatch(/superoffice should be a mapping of .*superoffice\.url/);
  });

  it('names a bad value by the YAML key when it came from the file, by the variable when from the environment', () => {
    const dir = emptyDir();
    const file = join(dir, 'tandem.config.yaml');
    writeFileSync(file, 'logLevel: loud\nzendesk:\n  url: acme\n  oauthToken: t\n');
    const problems = problemsOf({ TANDEM_INTERVAL_SECONDS: '-5' }, dir);
    expect(problems).toContain(`logLevel in ${file} should be debug, info, warn or error, not 'loud'`);
    expect(problems.some((p) => p.startsWith(`zendesk.url in ${file} is not a URL`))).toBe(true);
    expect(problems).toContain("TANDEM_INTERVAL_SECONDS should be a positive number like 60, not '-5'");
    expect(problems.join('\n')).not.toContain('TANDEM_LOG_LEVEL');
  });

  it('with a YAML file in use, names a missing setting by its YAML key and its variable', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'tandem.config.yaml'), 'superoffice:\n  url: https://x.superoffice.com/Cust1/api/v1\n');
    const problems = problemsOf({}, dir);
    expect(problems[0]).toContain('superoffice.token (or TANDEM_SUPEROFFICE_TOKEN)');
  });

  it('records where each setting came from', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'tandem.config.yaml'), 'db: ./state.db\n');
    const config = loadConfig({ env: { TANDEM_LOG_LEVEL: 'debug' }, cwd: dir });
    expect(config.origins).toEqual({ db: `db in ${join(dir, 'tandem.config.yaml')}`, logLevel: 'TANDEM_LOG_LEVEL' });
  });

  it('says which connection a sync still needs by its YAML key when a YAML file is in use', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'tandem.config.yaml'), 'zendesk:\n  url: https://acme.zendesk.com\n  oauthToken: t\n');
    const config = loadConfig({ env: {}, cwd: dir });
    expect(() => requireConnections(config)).toThrow(/superoffice\.url \(or TANDEM_SUPEROFFICE_URL\)/);
  });
});
