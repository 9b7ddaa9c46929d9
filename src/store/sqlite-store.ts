/** The embedded state store: SQLite through better-sqlite3, a file per tenant (or `:memory:`). */
import { migrate } from './migration-runner.js';
import { SqlStateStore } from './sql-state-store.js';
import { SqliteDriver } from './sqlite-driver.js';
import type { StateStore } from './state-store.js';

export async function openSqliteStore(location: string): Promise<StateStore> {
  const driver = new SqliteDriver(location);
  try {
    await migrate(driver);
  } catch (error) {
    await driver.close();
    throw error;
  }
  return new SqlStateStore(driver) satisfies StateStore;
}
