/**
 * Applies the numbered plain-SQL migrations of a dialect (`migrations/<dialect>/NNN_name.sql`)
 * that the database has not seen, each in its own transaction, in number order.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { SqlDriver, SqlExecutor } from './sql-driver.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export async function loadMigrations(dialect: 'sqlite' | 'postgres'): Promise<readonly Migration[]> {
  const directory = new URL(`./migrations/${dialect}/`, import.meta.url);
  const files = (await readdir(directory)).filter((file) => /^\d+_.+\.sql$/.test(file)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const version = Number.parseInt(file, 10);
    migrations.push({ version, name: file, sql: await readFile(new URL(file, directory), 'utf8') });
  }
  return migrations;
}

/** Whether every migration is recorded, found by reading only. */
async function upToDate(driver: SqlDriver, migrations: readonly Migration[]): Promise<boolean> {
  const table =
    driver.dialect === 'postgres'
      ? await driver.all("SELECT 1 AS present WHERE to_regclass('schema_migrations') IS NOT NULL")
      : await driver.all("SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (table.length === 0) return false;
  const applied = new Set(
    (await driver.all('SELECT version FROM schema_migrations')).map((row) => Number(row.version)),
  );
  return migrations.every((migration) => applied.has(migration.version));
}

/** Brings the schema up to date; returns the versions applied now. */
export async function migrate(driver: SqlDriver): Promise<readonly number[]> {
  const migrations = await loadMigrations(driver.dialect);
  // A schema that is up to date is found by reading: opening a state to read it (status, explain)
  // must not queue for SQLite's one write lock behind a sync's transaction.
  if (await upToDate(driver, migrations)) return [];
  // Several processes may start at once on one PostgreSQL database: one migrates, the others wait.
  // The lock comes first, even before the first table: two concurrent CREATE TABLE IF NOT EXISTS
  // can both find the table missing, and the second then fails on the catalog's unique index.
  const lockFirst = async (transaction: SqlExecutor) => {
    if (driver.dialect === 'postgres') await transaction.all('SELECT pg_advisory_xact_lock(7451001)');
  };
  await driver.transaction(async (transaction) => {
    await lockFirst(transaction);
    await transaction.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
  });
  const applied: number[] = [];
  for (const migration of migrations) {
    await driver.transaction(async (transaction) => {
      await lockFirst(transaction);
      const done = await transaction.all('SELECT version FROM schema_migrations WHERE version = ?', [
        migration.version,
      ]);
      if (done.length > 0) return;
      await transaction.exec(migration.sql);
      await transaction.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
      applied.push(migration.version);
    });
  }
  return applied;
}
