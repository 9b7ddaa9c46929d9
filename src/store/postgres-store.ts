/** The scale-out state store: PostgreSQL through node-postgres, one pool per store. */
import pg from 'pg';
import { migrate } from './migration-runner.js';
import { PostgresDriver } from './postgres-driver.js';
import { SqlStateStore } from './sql-state-store.js';
import type { StateStore } from './state-store.js';

export async function openPostgresStore(connectionString: string): Promise<StateStore> {
  const driver = new PostgresDriver(new pg.Pool({ connectionString, max: 4 }));
  try {
    await migrate(driver);
  } catch (error) {
    await driver.close();
    throw error;
  }
  return new SqlStateStore(driver) satisfies StateStore;
}
