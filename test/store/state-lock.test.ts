/**
 * One Tandem per state, with two real processes: a helper process (./hold-state-lock.ts) takes the
 * lock, the test process is then refused and told who holds it; killing the holder releases it.
 * SQLite always; PostgreSQL at 127.0.0.1:5432 as in ./postgres-store.test.ts (skipped, saying so,
 * only where CI is unset and no server answers).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockState, openExistingStore, openStore } from '../../src/store/open-store.js';
import { StateLockedError } from '../../src/store/state-lock.js';

const helper = resolve(dirname(fileURLToPath(import.meta.url)), 'hold-state-lock.ts');

interface Holder {
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
}

/** Starts a process that takes the lock; resolves once it says it holds it. */
async function holdInAnotherProcess(location: string): Promise<Holder> {
  const child = spawn(process.execPath, ['--import', 'tsx', helper, location], { stdio: 'pipe' });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((done, fail) => {
    lines.once('line', done);
    child.once('exit', (code) => fail(new Error(`the lock holder exited (${code}) before taking the lock`)));
  });
  expect(first).toBe(`held ${child.pid}`);
  return { child, exited };
}

async function refusal(location: string): Promise<StateLockedError> {
  try {
    const lock = await lockState(location);
    await lock.release();
  } catch (error) {
    if (error instanceof StateLockedError) return error;
    throw error;
  }
  throw new Error('the second lock was granted');
}

function lockContract(name: string, location: () => string) {
  describe(`the state lock on ${name}`, () => {
    it('refuses a second process while the first holds the lock, naming its pid, host and start time', async () => {
      const holder = await holdInAnotherProcess(location());
      try {
        const refused = await refusal(location());
        expect(refused.holder?.pid).toBe(holder.child.pid);
        expect(refused.holder?.host).not.toBe('');
        expect(hostname().startsWith(refused.holder?.host ?? '-')).toBe(true);
        expect(Date.parse(refused.holder?.since ?? '')).toBeLessThanOrEqual(Date.now());
        expect(refused.message).toMatch(
          new RegExp(`^another tandem \\(pid ${holder.child.pid} on .+, since .+\\) is syncing this state$`),
        );
      } finally {
        holder.child.stdin.end();
        await holder.exited;
      }
      // Released on a clean exit: the lock can be taken again.
      await (await lockState(location())).release();
    });

    it('is released by the database when its holder is killed', async () => {
      const holder = await holdInAnotherProcess(location());
      await refusal(location());
      holder.child.kill('SIGKILL');
      await holder.exited;
      const lock = await lockState(location());
      expect(lock.holder.pid).toBe(process.pid);
      await lock.release();
    });

    it('lets a reading command open the state while a sync holds the lock', async () => {
      await (await openStore(location())).close();
      const holder = await holdInAnotherProcess(location());
      try {
        const store = await openExistingStore(location());
        expect(await store.listCycles(5)).toEqual([]);
        await store.close();
      } finally {
        holder.child.stdin.end();
        await holder.exited;
      }
    });
  });
}

const directory = mkdtempSync(join(tmpdir(), 'tandem-lock-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
lockContract('SQLite', () => join(directory, 'state.db'));

describe('reading a SQLite state while a sync writes', () => {
  it('opens without waiting for the write lock (an up-to-date schema is found by reading)', async () => {
    const location = join(directory, 'busy.db');
    await (await openStore(location)).close();
    const writer = new Database(location);
    writer.exec('BEGIN IMMEDIATE'); // a sync in the middle of a transaction
    try {
      const store = await openExistingStore(location);
      expect(await store.listCycles(5)).toEqual([]);
      await store.close();
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });
});

const adminUrl = process.env.TANDEM_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `tandem_lock_test_${process.pid}`;
const databaseUrl = adminUrl.replace(/\/[^/]*$/, `/${database}`);

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const available = await withClient(adminUrl, async () => true).catch(() => false);

if (!available && process.env.CI === undefined) {
  describe('the state lock on PostgreSQL', () => {
    it.skip(`skipped: no PostgreSQL answers at ${adminUrl} and CI is not set (in CI these tests must run)`, () => {});
  });
} else {
  beforeAll(async () => {
    await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database}`));
    await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${database}`));
  });
  afterAll(async () => {
    await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  });
  lockContract('PostgreSQL', () => databaseUrl);

  describe('the PostgreSQL state lock of a process that has just ended', () => {
    it('is waited for while the server has not yet closed that process’s session', async () => {
      // A pid on this machine that no longer runs.
      const ended = spawn(process.execPath, ['-e', '']);
      const deadPid = await new Promise<number>((done) => ended.on('exit', () => done(ended.pid ?? 0)));
      // Its session still holds the lock: the server has not noticed yet.
      const stale = new pg.Client({
        connectionString: databaseUrl,
        application_name: `tandem-sync ${deadPid} 2026-01-01T00:00:00.000Z ${hostname()}`.slice(0, 63),
      });
      await stale.connect();
      await stale.query('SELECT pg_advisory_lock(7451002, hashtext(current_schema()))');
      const taking = lockState(databaseUrl);
      // Once the new process has been refused and has read who holds the lock, the session ends.
      await withClient(databaseUrl, async (observer) => {
        for (;;) {
          const seen = await observer.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name LIKE $1 AND query LIKE '%pg_stat_activity%'",
            [`tandem-sync ${process.pid} %`],
          );
          if (seen.rowCount !== 0) break;
        }
      });
      await stale.end();
      const lock = await taking;
      expect(lock.holder.pid).toBe(process.pid);
      await lock.release();
    });
  });

  describe('PostgreSQL migrations', () => {
    it('take their lock before creating the first table, so processes starting together cannot collide', async () => {
      await withClient(databaseUrl, (client) => client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public'));
      await withClient(databaseUrl, async (holder) => {
        // Another process is migrating: it holds the migration lock.
        await holder.query('SELECT pg_advisory_lock(7451001)');
        const opening = openStore(databaseUrl);
        // Wait until the new opener queues for the lock (polling a condition, not a sleep).
        for (;;) {
          const waiting = await holder.query(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 7451001 AND NOT granted",
          );
          if (waiting.rowCount !== 0) break;
          const ready = await Promise.race([opening.then(() => true), Promise.resolve(false)]);
          if (ready) break;
        }
        const table = await holder.query("SELECT to_regclass('schema_migrations') AS name");
        expect(table.rows[0]?.name).toBeNull();
        await holder.query('SELECT pg_advisory_unlock(7451001)');
        await (await opening).close();
      });
    });
  });
}
