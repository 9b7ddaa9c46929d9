/** The embedded state store: SQLite through better-sqlite3, a file per tenant (or `:memory:`). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migration-runner.js';
import { SqlStateStore } from './sql-state-store.js';
import { SqliteDriver } from './sqlite-driver.js';
import type { StateStore } from './state-store.js';
import { StoreSetupError, sqliteSetupError } from './store-setup-error.js';

function openDriver(location: string): SqliteDriver {
  try {
    return new SqliteDriver(location);
  } catch (error) {
    throw sqliteSetupError(location, error) ?? error;
  }
}

async function migrated(driver: SqliteDriver, location: string): Promise<StateStore> {
  try {
    await migrate(driver);
  } catch (error) {
    await driver.close();
    throw sqliteSetupError(location, error) ?? error;
  }
  return new SqlStateStore(driver) satisfies StateStore;
}

export async function openSqliteStore(location: string): Promise<StateStore> {
  return migrated(openDriver(location), location);
}

/** Opens the SQLite state at `location` only if Tandem has made one there; creates nothing. */
export async function openExistingSqliteStore(location: string): Promise<StateStore> {
  const noState = () =>
    new StoreSetupError(
      'no-state',
      `there is no state yet at ${resolve(location)}: nothing has been synced there. Run \`tandem sync\` to make one, or point Tandem at the state you mean`,
    );
  if (location !== ':memory:' && !existsSync(location)) throw noState();
  const driver = openDriver(location);
  const tables = await driver.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (tables.length === 0 && location !== ':memory:') {
    await driver.close();
    throw noState();
  }
  return migrated(driver, location);
}

/**
 * A private copy of the SQLite state at `location`, for a dry run (`tandem plan`): a dry run writes
 * inside a transaction it rolls back, and on the state itself that transaction would hold SQLite's
 * one write lock for the whole plan, stalling a sync that runs meanwhile. The copy is a consistent
 * snapshot (VACUUM INTO reads within one read transaction); `remove` deletes it.
 */
export async function copySqliteState(location: string): Promise<{ readonly path: string; remove(): void }> {
  await (await openExistingSqliteStore(location)).close(); // says so where there is no state
  const directory = mkdtempSync(join(tmpdir(), 'tandem-plan-'));
  const remove = () => rmSync(directory, { recursive: true, force: true });
  const path = join(directory, 'state.db');
  const source = new Database(location, { fileMustExist: true });
  try {
    source.prepare('VACUUM INTO ?').run(path);
  } catch (error) {
    remove();
    throw sqliteSetupError(location, error) ?? error;
  } finally {
    source.close();
  }
  return { path, remove };
}
