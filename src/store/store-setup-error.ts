/**
 * Why a state could not be opened, when the cause is the setup and not a bug: a path that cannot
 * be written, a PostgreSQL server that does not answer, a database or role that does not exist, a
 * password refused, or no state yet where a reading command looked. Each message says what to do.
 * The CLI turns `problem` into an exit code (2 for a setting to fix, 3 for a server that refused
 * or did not answer); anything not recognised here stays an unexpected failure.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export type StoreSetupProblem =
  /** A reading command found no state (no file, or no Tandem tables): nothing has been synced there. */
  | 'no-state'
  /** The SQLite path cannot be used: a missing directory, no write permission, not a database. */
  | 'path'
  /** The PostgreSQL database named does not exist. */
  | 'database'
  /** PostgreSQL refused the role or the password. */
  | 'credentials'
  /** PostgreSQL did not answer. */
  | 'unreachable';

export class StoreSetupError extends Error {
  readonly problem: StoreSetupProblem;
  constructor(problem: StoreSetupProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreSetupError';
    this.problem = problem;
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The SQLite state at `location` could not be opened or created: why, when the setup is the cause. */
export function sqliteSetupError(location: string, error: unknown): StoreSetupError | undefined {
  const path = resolve(location);
  const directory = dirname(path);
  const message = messageOf(error);
  if (!existsSync(directory) || /directory does not exist/i.test(message)) {
    return new StoreSetupError(
      'path',
      `the state cannot be created at ${path}: the directory ${directory} does not exist. Create it (mkdir -p ${directory}) or choose another path`,
      { cause: error },
    );
  }
  const code = codeOf(error);
  if (code === 'SQLITE_NOTADB' || (existsSync(path) && statSync(path).isDirectory())) {
    return new StoreSetupError(
      'path',
      `${path} is not a Tandem state (not an SQLite database file). Choose another path, or move that file away`,
      { cause: error },
    );
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'SQLITE_PERM' || code === 'EACCES') {
    const what = existsSync(path) && !writable(path) ? `the file ${path}` : `the directory ${directory}`;
    return new StoreSetupError(
      'path',
      `the state at ${path} cannot be opened for writing (${message}): Tandem needs to write ${what} and the journal files beside it. Give this user write access there, or choose a path in a directory it can write`,
      { cause: error },
    );
  }
  return undefined;
}

/** Where a postgres:// URL points, without its password. */
export function describePostgresUrl(connectionString: string): {
  host: string;
  port: string;
  database: string;
  user: string;
} {
  try {
    const url = new URL(connectionString);
    return {
      host: url.hostname || 'localhost',
      port: url.port || '5432',
      database: decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username) || 'postgres',
      user: decodeURIComponent(url.username) || 'the current system user',
    };
  } catch {
    return { host: '?', port: '?', database: '?', user: '?' };
  }
}

/**
 * A PostgreSQL connection or first query failed: why, when the setup is the cause. SQLSTATEs from
 * https://www.postgresql.org/docs/current/errcodes-appendix.html (3D000 invalid_catalog_name,
 * 28000 invalid_authorization_specification, 28P01 invalid_password).
 */
export function postgresSetupError(connectionString: string, error: unknown): StoreSetupError | undefined {
  const { host, port, database, user } = describePostgresUrl(connectionString);
  const code = codeOf(error);
  const message = messageOf(error);
  if (code === '3D000') {
    return new StoreSetupError(
      'database',
      `PostgreSQL at ${host}:${port} has no database "${database}". Create it (createdb -h ${host} -p ${port} ${database}, or CREATE DATABASE ${database}) or fix the database name in the URL`,
      { cause: error },
    );
  }
  if (code === '28000' || code === '28P01') {
    const fix =
      code === '28P01'
        ? `check the password in the URL (postgres://${user === 'the current system user' ? 'user' : user}:password@${host}:${port}/${database}; special characters percent-encoded)`
        : `create the role (CREATE ROLE ... LOGIN) or fix the user name in the URL`;
    return new StoreSetupError(
      'credentials',
      `PostgreSQL at ${host}:${port} refused ${user}: ${message}. To fix: ${fix}`,
      {
        cause: error,
      },
    );
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'ETIMEDOUT' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' ||
    code === 'ECONNRESET' ||
    /timeout expired|Connection terminated/i.test(message)
  ) {
    return new StoreSetupError(
      'unreachable',
      `PostgreSQL at ${host}:${port} did not answer (${code ?? message}). Check that the server runs and that host and port in the URL are right, then try again`,
      { cause: error },
    );
  }
  return undefined;
}

const lostConnectionCodes = new Set([
  // https://www.postgresql.org/docs/current/errcodes-appendix.html: class 08 (connection exception)
  // and 57P01-57P03 (the server shut down or is not accepting connections yet).
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * A failure of the database while Tandem was working (the connection lost, the server shut down,
 * the disk full), found anywhere in an error's cause chain: the setup's trouble, not a bug. What the
 * cycle stored stays stored; the next run goes on from there.
 */
export function databaseFailureOf(error: unknown): StoreSetupError | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 8; depth++) {
    const code = codeOf(current);
    const message = messageOf(current);
    if ((code !== undefined && lostConnectionCodes.has(code)) || /Connection terminated unexpectedly/i.test(message)) {
      return new StoreSetupError(
        'unreachable',
        `the connection to the database failed while Tandem worked (${code ?? message}): what was done is saved. Check that the database runs and answers, then run Tandem again`,
        { cause: error },
      );
    }
    if (code === 'SQLITE_FULL') {
      return new StoreSetupError(
        'path',
        'the disk that holds the state is full: what was done is saved. Free some space, then run Tandem again',
        { cause: error },
      );
    }
    current = current instanceof Error ? current.cause : undefined;
  }
  return undefined;
}
