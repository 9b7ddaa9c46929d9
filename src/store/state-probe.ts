/**
 * What `tandem check` learns about a state without changing it: whether it exists, how far its
 * schema is, and, where there is none yet, whether the first sync could create it. Nothing is
 * created and no migration runs; setup mistakes come out as StoreSetupError, as when opening.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { loadMigrations } from './migration-runner.js';
import { isPostgresLocation } from './open-store.js';
import { postgresSetupError, StoreSetupError, sqliteSetupError } from './store-setup-error.js';

export type StateProbe =
  /** A state is there; `behind` migrations will be applied by the next sync. */
  | { readonly kind: 'exists'; readonly schemaVersion: number; readonly behind: number }
  /** No state yet, and the first sync can create one there. */
  | { readonly kind: 'creatable' };

async function latestVersion(dialect: 'sqlite' | 'postgres'): Promise<number> {
  const migrations = await loadMigrations(dialect);
  return Math.max(0, ...migrations.map((migration) => migration.version));
}

async function probeSqlite(location: string): Promise<StateProbe> {
  const path = resolve(location);
  if (!existsSync(path)) {
    const directory = dirname(path);
    try {
      accessSync(directory, constants.W_OK);
    } catch (error) {
      throw (
        sqliteSetupError(location, Object.assign(new Error(String(error)), { code: 'SQLITE_CANTOPEN' })) ??
        new StoreSetupError('path', `Tandem cannot write the directory ${directory}`)
      );
    }
    return { kind: 'creatable' };
  }
  let database: Database.Database | undefined;
  try {
    database = new Database(path, { readonly: true, fileMustExist: true });
    const table = database
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    if (table === undefined) return { kind: 'creatable' };
    const row = database.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
      version: number | null;
    };
    const schemaVersion = row.version ?? 0;
    return { kind: 'exists', schemaVersion, behind: Math.max(0, (await latestVersion('sqlite')) - schemaVersion) };
  } catch (error) {
    throw sqliteSetupError(location, error) ?? error;
  } finally {
    database?.close();
  }
}

async function probePostgres(connectionString: string): Promise<StateProbe> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const present = await client.query<{ present: boolean }>(
      "SELECT to_regclass('schema_migrations') IS NOT NULL AS present",
    );
    if (present.rows[0]?.present !== true) {
      const rights = await client.query<{ create: boolean; schema: string | null }>(
        "SELECT current_schema() AS schema, COALESCE(has_schema_privilege(current_schema(), 'CREATE'), false) AS create",
      );
      if (rights.rows[0]?.create !== true) {
        const role = (await client.query<{ role: string }>('SELECT current_user AS role')).rows[0]?.role ?? '?';
        const schema = rights.rows[0]?.schema ?? 'public';
        throw new StoreSetupError(
          'credentials',
          `role ${role} may not create tables in schema ${schema}, so the first sync cannot make the state. Grant it (GRANT CREATE ON SCHEMA ${schema} TO ${role}) or use a role that may`,
        );
      }
      return { kind: 'creatable' };
    }
    const row = await client.query<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
    const schemaVersion = Number(row.rows[0]?.version ?? 0);
    return { kind: 'exists', schemaVersion, behind: Math.max(0, (await latestVersion('postgres')) - schemaVersion) };
  } catch (error) {
    throw error instanceof StoreSetupError ? error : (postgresSetupError(connectionString, error) ?? error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function probeState(location: string): Promise<StateProbe> {
  if (isPostgresLocation(location)) return probePostgres(location);
  if (location === ':memory:') return { kind: 'creatable' };
  return probeSqlite(location);
}
