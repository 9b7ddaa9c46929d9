/**
 * Two real `tandem` processes on one state, against the simulators: while `tandem run` syncs, a
 * second `sync` is refused with exit 4 and the holder's pid, `status` still works, and Ctrl-C ends
 * the run with exit 130. An interrupted `sync` is not a success: SIGTERM ends it with exit 143.
 * SQLite always; PostgreSQL as in test/store/postgres-store.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SuperOfficeSimulator, startSuperOfficeSimulator } from '../../simulators/superoffice/index.js';
import { startZendeskSimulator, type ZendeskSimulator } from '../../simulators/zendesk/index.js';
import { runTandem, startTandem } from './tandem-process.js';

let superoffice: SuperOfficeSimulator;
let zendesk: ZendeskSimulator;
const directory = mkdtempSync(join(tmpdir(), 'tandem-one-instance-'));

beforeAll(async () => {
  superoffice = await startSuperOfficeSimulator({ port: 0, seed: 3, contacts: 5, persons: 10, tickets: 5, users: 2 });
  zendesk = await startZendeskSimulator({ port: 0, seed: 3, users: 3, rateLimits: false });
});
afterAll(async () => {
  await Promise.all([superoffice.close(), zendesk.close()]);
  rmSync(directory, { recursive: true, force: true });
});

function environment(db: string): Record<string, string> {
  return {
    TANDEM_DB: db,
    TANDEM_SUPEROFFICE_URL: superoffice.url,
    TANDEM_SUPEROFFICE_TOKEN: 'sim-token',
    TANDEM_ZENDESK_URL: zendesk.url,
    TANDEM_ZENDESK_OAUTH_TOKEN: 'sim-token',
    TANDEM_ZENDESK_TOKEN_FILE: join(directory, `tokens-${process.pid}.json`),
  };
}

function oneInstance(name: string, db: () => string) {
  it(`${name}: a second sync is refused with exit 4 while \`run\` syncs; status works; Ctrl-C ends the run with 130`, async () => {
    const env = environment(db());
    const run = startTandem(['run', '--interval', '1'], env);
    await run.waitForStderr(/"msg":"syncing"/);

    const second = await runTandem(['sync'], env);
    expect(second.code).toBe(4);
    expect(second.stderr).toMatch(
      new RegExp(`another tandem \\(pid ${run.child.pid} on .+, since .+\\) is syncing this state`),
    );
    expect(second.stderr).toContain('status, explain and plan work meanwhile');

    await run.waitForStderr(/"msg":"cycle finished"/);
    const status = await runTandem(['status'], env);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);

    run.child.kill('SIGINT');
    const ended = await run.done;
    expect(ended.code).toBe(130);
    expect(ended.stderr).toContain('stopped by Ctrl-C (SIGINT)');

    // The lock went with the process: a sync runs now.
    const after = await runTandem(['sync'], env);
    expect(after.stderr).not.toContain('another tandem');
    expect(after.code).toBe(0);
  });
}

oneInstance('SQLite', () => join(directory, 'state.db'));

describe('an interrupted sync', () => {
  it('exits 143 on SIGTERM and says the cycle did not finish', async () => {
    const env = { ...environment(join(directory, 'interrupted.db')), TANDEM_LOG_LEVEL: 'debug' };
    // SuperOffice answers slowly, so the signal comes while the sync is at work.
    superoffice.faults.set({ probability: 1, kinds: ['slow'], slowMs: 1500 });
    try {
      const sync = startTandem(['sync'], env);
      // A Zendesk call logged means the sync is past its start and listens for signals.
      await sync.waitForStderr(/"system":"zendesk","method":"GET"/);
      sync.child.kill('SIGTERM');
      const ended = await sync.done;
      expect(ended.code).toBe(143);
      expect(ended.stderr).toContain('stopped by SIGTERM: the cycle did not finish');
      // Debug logging: each API call with method, path, status and time; never a credential.
      expect(ended.stderr).toMatch(
        /"level":20,.*"system":"zendesk","method":"GET","path":"\/organizations\.json","status":200,"ms":\d+/,
      );
      expect(ended.stderr).not.toContain('sim-token');
    } finally {
      superoffice.faults.off();
    }
  });
});

const adminUrl = process.env.TANDEM_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `tandem_one_instance_${process.pid}`;
async function admin(sql: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(sql);
    return true;
  } catch (error) {
    if (process.env.CI !== undefined) throw error;
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
const postgresAnswers = await admin('SELECT 1');
if (!postgresAnswers && process.env.CI === undefined) {
  describe('one instance on PostgreSQL', () => {
    it.skip(`skipped: no PostgreSQL answers at ${adminUrl} and CI is not set (in CI these tests must run)`, () => {});
  });
} else {
  describe('one instance on PostgreSQL', () => {
    beforeAll(async () => {
      await admin(`DROP DATABASE IF EXISTS ${database}`);
      await admin(`CREATE DATABASE ${database}`);
    });
    afterAll(async () => {
      await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    });
    oneInstance('PostgreSQL', () => adminUrl.replace(/\/[^/]*$/, `/${database}`));

    it('a database connection lost during a sync is exit 3 with what to do, not a bug', async () => {
      const url = adminUrl.replace(/\/[^/]*$/, `/${database}`);
      expect((await runTandem(['sync'], environment(url))).code).toBe(0); // the state exists
      // Another session holds the cycles table, so the next sync's first write waits on it ...
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE cycles IN ACCESS EXCLUSIVE MODE');
      const sync = startTandem(['sync'], environment(url));
      // (Watched from a session of its own: within a transaction pg_stat_activity stays as first read.)
      const observer = new pg.Client({ connectionString: url });
      await observer.connect();
      try {
        // ... and while it waits, the server ends its connection (as a restart would).
        for (;;) {
          const waiting = await observer.query<{ pid: number }>(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
            [database],
          );
          const pid = waiting.rows[0]?.pid;
          if (pid !== undefined) {
            await observer.query('SELECT pg_terminate_backend($1)', [pid]);
            break;
          }
        }
      } finally {
        await observer.end();
        await blocker.query('ROLLBACK');
        await blocker.end();
      }
      const ended = await sync.done;
      expect(ended.stderr).toMatch(
        /the connection to the database failed while Tandem worked \((57P01|Connection terminated unexpectedly)\): what was done is saved/,
      );
      expect(ended.stderr).not.toContain('unexpected failure');
      expect(ended.code).toBe(3);
    });

    it('`run` stops with exit 4 when the connection that holds the lock is lost', async () => {
      const run = startTandem(['run', '--interval', '1'], environment(adminUrl.replace(/\/[^/]*$/, `/${database}`)));
      await run.waitForStderr(/"msg":"syncing"/);
      // The server ends the lock's session, as a restart or an administrator would.
      await admin(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'tandem-sync ${run.child.pid} %'`,
      );
      const ended = await run.done;
      expect(ended.code).toBe(4);
      expect(ended.stderr).toContain('the PostgreSQL connection that held the state lock was lost');
    });
  });
}
