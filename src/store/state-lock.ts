/**
 * One Tandem per state. A process that syncs (`run`, `sync`, `serve`) holds the state's lock for as
 * long as it runs; a second one is refused with the holder's pid, host and start time. The lock is
 * one the database itself releases when the holder dies, so a crash never leaves a stale lock:
 * - SQLite: a RESERVED lock on a sidecar file `<state>.lock` (an SQLite file too), which SQLite
 *   takes as a POSIX advisory lock that the operating system drops with the process.
 * - PostgreSQL: a session-level advisory lock on a dedicated connection, which the server drops
 *   when that session ends (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
 * Reading commands (status, explain, plan) take no lock: they only read, or roll back what they wrote.
 * src/store/open-store.ts picks the implementation from the state's location.
 */

/** Who holds a state's lock. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO-8601 UTC time the lock was taken. */
  readonly since: string;
}

export interface StateLock {
  readonly holder: LockHolder;
  /**
   * Fires when the lock is lost while held (the PostgreSQL connection that holds it dropped): the
   * holder must stop syncing, as another process may take the lock now.
   */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/** Another process holds the state's lock; `holder` is undefined when it could not be read. */
export class StateLockedError extends Error {
  readonly holder: LockHolder | undefined;
  constructor(holder: LockHolder | undefined) {
    const who =
      holder === undefined
        ? 'pid unknown, it has just started'
        : `pid ${holder.pid} on ${holder.host}, since ${holder.since}`;
    super(`another tandem (${who}) is syncing this state`);
    this.name = 'StateLockedError';
    this.holder = holder;
  }
}
