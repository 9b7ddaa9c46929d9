/**
 * Opens the state store a location names and brings its schema up to date:
 * `postgres://…` or `postgresql://…` -> PostgreSQL; anything else is a SQLite file path (or `:memory:`).
 */
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { StateStore } from './state-store.js';

export async function openStore(location: string): Promise<StateStore> {
  if (/^postgres(ql)?:\/\//i.test(location)) return openPostgresStore(location);
  return openSqliteStore(location);
}
