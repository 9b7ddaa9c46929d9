/**
 * `tandem check` against the simulators, as a user runs it: one line per result with what to do,
 * an exit code that is the worst result's, and nothing written (no state created, no record changed).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SuperOfficeSimulator, startSuperOfficeSimulator } from '../../simulators/superoffice/index.js';
import { startZendeskSimulator, type ZendeskSimulator } from '../../simulators/zendesk/index.js';
import { openStore } from '../../src/store/open-store.js';
import { runTandem } from './tandem-process.js';

let superoffice: SuperOfficeSimulator;
let zendesk: ZendeskSimulator;
const directory = mkdtempSync(join(tmpdir(), 'tandem-check-'));

beforeAll(async () => {
  superoffice = await startSuperOfficeSimulator({ port: 0, seed: 5, contacts: 3, persons: 4, tickets: 2, users: 2 });
  zendesk = await startZendeskSimulator({ port: 0, seed: 5, users: 3, rateLimits: false });
});
afterAll(async () => {
  await Promise.all([superoffice.close(), zendesk.close()]);
  rmSync(directory, { recursive: true, force: true });
});

function environment(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TANDEM_DB: join(directory, 'state.db'),
    TANDEM_SUPEROFFICE_URL: superoffice.url,
    TANDEM_SUPEROFFICE_TOKEN: 'sim-token',
    TANDEM_ZENDESK_URL: zendesk.url,
    TANDEM_ZENDESK_OAUTH_TOKEN: 'sim-token',
    TANDEM_ZENDESK_TOKEN_FILE: join(directory, 'tokens.json'),
    ...overrides,
  };
}

describe('tandem check', () => {
  it('passes a working setup line by line, reads one small page of each SuperOffice list, and writes nothing', async () => {
    superoffice.calls.reset();
    zendesk.calls.reset();
    const result = await runTandem(['check'], environment());
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toContain(
      `ok    state (${join(directory, 'state.db')}): no state yet; the first \`tandem sync\` can create it there`,
    );
    for (const list of ['Contact (companies)', 'Person', 'Ticket (requests)', 'User (associates)']) {
      expect(lines).toContain(`ok    SuperOffice ${list}: readable`);
    }
    expect(lines.some((line) => line.startsWith('ok    SuperOffice credentials: accepted by'))).toBe(true);
    expect(lines.some((line) => line.startsWith('ok    Zendesk credentials: accepted by'))).toBe(true);
    expect(existsSync(join(directory, 'state.db'))).toBe(false);
    // One small page of each list (contacts, persons and users come from archive rows, tickets from
    // the Ticket list and one GET), the principal, and nothing written: a check costs a handful of calls.
    // (It reads like a sweep, which also asks for the last 14 days' merges and deletions of persons
    // and contacts: two calls each.)
    expect(superoffice.calls.count('GET /Ticket')).toBe(1);
    expect(superoffice.calls.count('GET /Ticket/{id}')).toBe(1);
    expect(superoffice.calls.total).toBeLessThanOrEqual(12);
    expect(superoffice.calls.writes).toBe(0);
    expect(zendesk.calls.writes).toBe(0);
  });

  it('fails on refused credentials with exit 3 and says what to check', async () => {
    const result = await runTandem(['check'], environment({ TANDEM_ZENDESK_OAUTH_TOKEN: 'wrong' }));
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/FAIL {2}Zendesk credentials: .*401/);
    expect(result.stdout).toContain('what to do: check the Zendesk URL and credentials');
    expect(result.stdout).toContain('ok    SuperOffice Person: readable');
  });

  it('fails Zendesk credentials without admin rights with exit 3 and says an admin is needed', async () => {
    // An agent with an API token: the account answers, but its incremental exports are for admins only.
    const agentOnly = await startZendeskSimulator({
      port: 0,
      rateLimits: false,
      credentials: { apiTokens: [{ email: 'agent.only@example.com', token: 'agent-token' }] },
    });
    const tokenUser = agentOnly.data.userByEmail('agent.only@example.com');
    if (tokenUser === undefined)
      agentOnly.data.createUser({ name: 'Agent Only', email: 'agent.only@example.com', role: 'agent' });
    else agentOnly.data.editUser(tokenUser.id, { role: 'agent' });
    try {
      const result = await runTandem(
        ['check'],
        environment({
          TANDEM_ZENDESK_URL: agentOnly.url,
          TANDEM_ZENDESK_OAUTH_TOKEN: '',
          TANDEM_ZENDESK_EMAIL: 'agent.only@example.com',
          TANDEM_ZENDESK_API_TOKEN: 'agent-token',
        }),
      );
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/FAIL {2}Zendesk credentials: .*allows them to admins only/);
    } finally {
      await agentOnly.close();
    }
  });

  it('names the one SuperOffice list it could not read', async () => {
    // The principal answers; the Contact list fails twice (the check's one retry included).
    superoffice.faults.script(['none', '5xx', '5xx']);
    try {
      const result = await runTandem(['check'], environment());
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/FAIL {2}SuperOffice Contact \(companies\): SuperOffice answered 5\d\d/);
      expect(result.stdout).toContain('ok    SuperOffice Person: readable');
    } finally {
      superoffice.faults.off();
    }
  });

  it('fails on a state that cannot be created with exit 2', async () => {
    const result = await runTandem(['check'], environment({ TANDEM_DB: join(directory, 'missing', 'state.db') }));
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('does not exist. Create it (mkdir -p');
  });
});

describe('tandem plan, the other command that proves a setup before the first sync', () => {
  it('plans a first sync where there is no state yet, and creates nothing', async () => {
    const db = join(directory, 'plan-only.db');
    const result = await runTandem(['plan'], environment({ TANDEM_DB: db }));
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('there is no state yet at');
    expect(result.stdout).toContain('would create in Zendesk');
    expect(existsSync(db)).toBe(false);
    expect(existsSync(`${db}.lock`)).toBe(false);
  });

  it('plans while another process holds the SQLite state’s write lock, and leaves the state as it was', async () => {
    const db = join(directory, 'busy.db');
    await (await openStore(db)).close();
    // A sync in the middle of a write transaction: SQLite has one writer at a time.
    const writer = new Database(db);
    writer.exec('BEGIN IMMEDIATE');
    try {
      const result = await runTandem(['plan'], environment({ TANDEM_DB: db }));
      expect(result.stderr).not.toContain('database is locked');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('would create in Zendesk');
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
    const store = await openStore(db);
    expect(await store.listCycles(5)).toEqual([]);
    await store.close();
  });
});

describe('a service URL that names no such API', () => {
  it('is a setting to fix: `sync` exits 2 and says to check the URL', async () => {
    const db = join(directory, 'wrong-url.db');
    // The SuperOffice simulator's address given as the Zendesk account: it has no Zendesk API.
    const result = await runTandem(
      ['sync'],
      environment({ TANDEM_DB: db, TANDEM_ZENDESK_URL: new URL(superoffice.url).origin }),
    );
    expect(result.stderr).toContain('No Zendesk API at');
    expect(result.stderr).toContain('Check the URLs in your configuration');
    expect(result.code).toBe(2);
  });
});
