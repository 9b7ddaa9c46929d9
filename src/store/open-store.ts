/**
 * Opens the state store a location names: `postgres://…` or `postgresql://…` -> PostgreSQL;
 * anything else is a SQLite file path (or `:memory:`). Syncing commands open it with `openStore`,
 * which creates the state and brings its schema up to date, after taking the state's lock with
 * `lockState`. Reading commands open it with `openExistingStore`, which never creates a state: where
 * there is none it says so. Setup mistakes come out as StoreSetupError (./store-setup-error.ts).
 */
import { hostname } from 'node:os';
import { lockPostgresState } from './postgres-state-lock.js';
import { openExistingPostgresStore, openPostgresStore } from './postgres-store.js';
import { lockSqliteState } from './sqlite-state-lock.js';
import { copySqliteState, openExistingSqliteStore, openSqliteStore } from './sqlite-store.js';
import type { LockHolder, StateLock } from './state-lock.js';
import type { StateStore } from './state-store.js';

export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** The location as a person may see it: a PostgreSQL URL without its password. */
export function describeStateLocation(location: string): string {
  if (!isPostgresLocation(location)) return location;
  try {
    const url = new URL(location);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return 'a PostgreSQL URL';
  }
}

export async function openStore(location: string): Promise<StateStore> {
  if (isPostgresLocation(location)) return openPostgresStore(location);
  return openSqliteStore(location);
}

/** Opens a state that exists, for reading; rejects with StoreSetupError 'no-state' where there is none. */
export async function openExistingStore(location: string): Promise<StateStore> {
  if (isPostgresLocation(location)) return openExistingPostgresStore(location);
  return openExistingSqliteStore(location);
}

/**
 * The state a dry run (`tandem plan`) works on, which it must not hold up: on SQLite a private copy
 * (a rolled-back transaction on the state itself would hold its one write lock for the whole plan),
 * on PostgreSQL the state itself, in a transaction that is rolled back. `close` also removes a copy.
 * Rejects with StoreSetupError 'no-state' where there is no state.
 */
export async function openDryRunStore(location: string): Promise<{ store: StateStore; close(): Promise<void> }> {
  if (isPostgresLocation(location) || location === ':memory:') {
    const store = await openExistingStore(location);
    return { store, close: () => store.close() };
  }
  const copy = await copySqliteState(location);
  try {
    const store = await openSqliteStore(copy.path);
    return {
      store,
      async close() {
        await store.close();
        copy.remove();
      },
    };
  } catch (error) {
    copy.remove();
    throw error;
  }
}

/** Takes the state's lock (see ./state-lock.ts), or rejects with StateLockedError at once. */
export async function lockState(location: string, now: Date = new Date()): Promise<StateLock> {
  const holder: LockHolder = { pid: process.pid, host: hostname(), since: now.toISOString() };
  if (isPostgresLocation(location)) return lockPostgresState(location, holder);
  // No other process can open an in-memory state.
  if (location === ':memory:') return { holder, lost: new AbortController().signal, release: async () => undefined };
  return lockSqliteState(location, holder);
}
