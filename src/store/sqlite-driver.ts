/**
 * better-sqlite3 behind the SqlDriver port. better-sqlite3 is synchronous; the async surface only
 * lets the store share its code with PostgreSQL. Transactions are plain BEGIN/COMMIT statements
 * because the work inside them awaits; one connection, so they run one at a time.
 */
import Database from 'better-sqlite3';
import type { SqlDriver, SqlExecutor, SqlParam, SqlRow } from './sql-driver.js';
import { TransactionQueue } from './sql-driver.js';

const statementCacheSize = 500;

interface CachedStatement {
  readonly prepared: Database.Statement;
  /** For statements that return rows: builds a row object from the raw column array. */
  readonly rowOf: ((values: readonly unknown[]) => SqlRow) | undefined;
}

/**
 * A row object builder for one statement's columns. better-sqlite3 builds row objects by setting
 * one property after another, which costs about as much as the query itself on wide rows; an
 * object literal over raw column arrays gets a fixed shape and halves the cost of every read.
 * Column names come from the prepared statement, never from data; as in better-sqlite3, a
 * repeated name keeps its last column.
 */
function rowBuilder(columns: readonly string[]): (values: readonly unknown[]) => SqlRow {
  const fields = columns.map((name, index) => `${JSON.stringify(name)}: values[${index}]`).join(', ');
  return new Function('values', `return { ${fields} };`) as (values: readonly unknown[]) => SqlRow;
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly database: Database.Database;
  private readonly statements = new Map<string, CachedStatement>();
  private readonly queue = new TransactionQueue();
  private readonly savepoints = new TransactionQueue();
  private savepointCounter = 0;
  private inDryRun = false;

  constructor(location: string) {
    this.database = new Database(location);
    // WAL keeps readers (status, explain) from blocking the cycle's writer; NORMAL sync is
    // durable across process crashes, which is the failure the outbox is built for.
    if (location !== ':memory:') this.database.pragma('journal_mode = WAL');
    this.database.pragma('synchronous = NORMAL');
    // A checkpoint copies the WAL into the database file and syncs it; at the default 1,000 pages a
    // large first sync checkpointed every few commits. 10,000 pages (~40 MB of WAL on disk) amortises it.
    this.database.pragma('wal_autocheckpoint = 10000');
    this.database.pragma('foreign_keys = ON');
  }

  private statement(sql: string): CachedStatement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      // Prepared statements are kept for reuse; the oldest goes when the cache is full, so
      // statements built for odd list lengths cannot grow it without bound.
      if (this.statements.size >= statementCacheSize) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
      const prepared = this.database.prepare(sql);
      statement = prepared.reader
        ? { prepared: prepared.raw(true), rowOf: rowBuilder(prepared.columns().map((column) => column.name)) }
        : { prepared, rowOf: undefined };
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async all(sql: string, params: readonly SqlParam[] = []): Promise<readonly SqlRow[]> {
    const { prepared, rowOf } = this.statement(sql);
    if (rowOf === undefined) throw new TypeError(`this statement returns no rows; run it instead: ${sql}`);
    return (prepared.all(...params) as unknown[][]).map(rowOf);
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return this.statement(sql).prepared.run(...params).changes;
  }

  async exec(script: string): Promise<void> {
    this.database.exec(script);
  }

  /** The connection is the transaction: there is only one. */
  private executor(): SqlExecutor {
    return this;
  }

  transaction<T>(work: (transaction: SqlExecutor) => Promise<T>): Promise<T> {
    if (this.inDryRun) {
      return this.savepoints.run(async () => {
        const name = `sp_${++this.savepointCounter}`;
        this.database.exec(`SAVEPOINT ${name}`);
        try {
          const result = await work(this.executor());
          this.database.exec(`RELEASE ${name}`);
          return result;
        } catch (error) {
          this.database.exec(`ROLLBACK TO ${name}`);
          this.database.exec(`RELEASE ${name}`);
          throw error;
        }
      });
    }
    return this.queue.run(async () => {
      this.database.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.executor());
        this.database.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.database.inTransaction) this.database.exec('ROLLBACK');
        throw error;
      }
    });
  }

  rollbackAfter<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      this.database.exec('BEGIN IMMEDIATE');
      this.inDryRun = true;
      try {
        return await work();
      } finally {
        this.inDryRun = false;
        if (this.database.inTransaction) this.database.exec('ROLLBACK');
      }
    });
  }

  async close(): Promise<void> {
    this.database.close();
  }
}
