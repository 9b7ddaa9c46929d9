/** The scale-out state store: PostgreSQL through node-postgres, one pool per store. */
import pg from 'pg';
import { migrate } from './migration-runner.js';
import { PostgresDriver } from './postgres-driver.js';
import { SqlStateStore } from './sql-state-store.js';
import type { StateStore } from './state-store.js';
import { describePostgresUrl, postgresSetupError, StoreSetupError } from './store-setup-error.js';

function newDriver(connectionString: string): PostgresDriver {
  // A server that does not answer is a setup problem to report, not a wait without end.
  const pool = new pg.Pool({ connectionString, max: 4, connectionTimeoutMillis: 10_000 });
  // An idle pooled connection the server ends (a restart, an administrator) is dropped by the pool
  // and the next query opens another; unheard, the pool's 'error' event would end the process.
  pool.on('error', () => undefined);
  // Likewise a connection lost while a transaction holds it: the query in flight rejects with the
  // cause, and that is how it is reported; the client's own 'error' event must not end the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return new PostgresDriver(pool);
}

async function migrated(driver: PostgresDriver, connectionString: string): Promise<StateStore> {
  try {
    await migrate(driver);
  } catch (error) {
    await driver.close();
    throw postgresSetupError(connectionString, error) ?? error;
  }
  return new SqlStateStore(driver) satisfies StateStore;
}

export async function openPostgresStore(connectionString: string): Promise<StateStore> {
  return migrated(newDriver(connectionString), connectionString);
}

/** Opens the PostgreSQL state only if Tandem has made one in that database and schema; creates nothing. */
export async function openExistingPostgresStore(connectionString: string): Promise<StateStore> {
  const driver = newDriver(connectionString);
  let exists: boolean;
  try {
    const rows = await driver.all("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
    exists = rows[0]?.present === true;
  } catch (error) {
    await driver.close();
    throw postgresSetupError(connectionString, error) ?? error;
  }
  if (!exists) {
    await driver.close();
    const { host, port, database } = describePostgresUrl(connectionString);
    throw new StoreSetupError(
      'no-state',
      `there is no state yet in database "${database}" at ${host}:${port}: Tandem has no tables there. Run \`tandem sync\` to make one, or point Tandem at the database you mean`,
    );
  }
  return migrated(driver, connectionString);
}
