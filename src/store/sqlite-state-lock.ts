/**
 * The state lock on SQLite: an open write transaction (a RESERVED lock) on the sidecar file
 * `<state>.lock`. Only one connection can hold RESERVED on a file, other processes can still read
 * it, and SQLite holds it as a POSIX advisory lock, which the operating system releases when the
 * process ends, however it ends (https://www.sqlite.org/lockingv3.html). The state file itself is
 * not locked, so `status` and `explain` read it while a sync runs.
 *
 * The holder's pid, host and start time sit in the sidecar's one row. They are written in a short
 * first transaction and the lock is then taken again at once; the rare process that slips in
 * between wins, and the first is refused as any second process is.
 */
import Database from 'better-sqlite3';
import { type LockHolder, type StateLock, StateLockedError } from './state-lock.js';
import { sqliteSetupError } from './store-setup-error.js';

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** The holder recorded in the sidecar, read without taking its lock. */
function readHolder(lockPath: string): LockHolder | undefined {
  let database: Database.Database | undefined;
  try {
    database = new Database(lockPath, { readonly: true, fileMustExist: true, timeout: 1000 });
    const row = database.prepare('SELECT pid, host, since FROM holder LIMIT 1').get() as
      | { pid: number; host: string; since: string }
      | undefined;
    return row === undefined ? undefined : { pid: row.pid, host: row.host, since: row.since };
  } catch {
    return undefined; // created a moment ago and not written yet
  } finally {
    database?.close();
  }
}

export function lockSqliteState(location: string, holder: LockHolder): StateLock {
  const lockPath = `${location}.lock`;
  let database: Database.Database;
  try {
    database = new Database(lockPath, { timeout: 0 });
  } catch (error) {
    throw sqliteSetupError(location, error) ?? error;
  }
  const refuse = (): never => {
    database.close();
    const current = readHolder(lockPath);
    // Our own row: the winner slipped in between our two transactions and has not written its own yet.
    throw new StateLockedError(current?.pid === holder.pid && current.since === holder.since ? undefined : current);
  };
  try {
    // A rollback journal (not WAL): readers then need no shared-memory file and never wait on the holder.
    database.pragma('journal_mode = DELETE');
    database.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, host TEXT NOT NULL, since TEXT NOT NULL)');
    database.exec('BEGIN IMMEDIATE');
    database.exec('DELETE FROM holder');
    database
      .prepare('INSERT INTO holder (pid, host, since) VALUES (?, ?, ?)')
      .run(holder.pid, holder.host, holder.since);
    // Committing waits briefly for a refused process that is reading the row.
    database.pragma('busy_timeout = 2000');
    database.exec('COMMIT');
    database.pragma('busy_timeout = 0');
    database.exec('BEGIN IMMEDIATE');
  } catch (error) {
    if (isBusy(error)) return refuse();
    database.close();
    throw sqliteSetupError(location, error) ?? error;
  }
  return {
    holder,
    lost: new AbortController().signal, // a file lock is lost only with the process
    async release() {
      if (!database.open) return;
      if (database.inTransaction) database.exec('ROLLBACK');
      database.close();
    },
  };
}
