/**
 * better-sqlite3 behind the SqlDriver port. better-sqlite3 is synchronous; the async surface only
 * lets the store share its code with PostgreSQL. Transactions are plain BEGIN/COMMIT statements
 * (savepoints when nested) because the work inside them awaits.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import type { SqlDriver, SqlParam, SqlRow } from './sql-driver.js';
import { TransactionQueue } from './sql-driver.js';

interface TransactionScope {
  depth: number;
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly database: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly scope = new AsyncLocalStorage<TransactionScope>();
  private readonly queue = new TransactionQueue();
  private savepointCounter = 0;

  constructor(location: string) {
    this.database = new Database(location);
    // WAL keeps readers (status, explain) from blocking the cycle's writer; NORMAL sync is
    // durable across process crashes, which is the failure the outbox is built for.
    if (location !== ':memory:') this.database.pragma('journal_mode = WAL');
    this.database.pragma('synchronous = NORMAL');
    this.database.pragma('foreign_keys = ON');
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.database.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async all(sql: string, params: readonly SqlParam[] = []): Promise<readonly SqlRow[]> {
    return this.statement(sql).all(...params) as SqlRow[];
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return this.statement(sql).run(...params).changes;
  }

  async exec(script: string): Promise<void> {
    this.database.exec(script);
  }

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.scoped(work, false);
  }

  rollbackAfter<T>(work: () => Promise<T>): Promise<T> {
    return this.scoped(work, true);
  }

  private scoped<T>(work: () => Promise<T>, alwaysRollBack: boolean): Promise<T> {
    const current = this.scope.getStore();
    if (current !== undefined) return this.nested(current, work, alwaysRollBack);
    return this.queue.run(async () => {
      this.database.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.scope.run({ depth: 1 }, work);
        this.database.exec(alwaysRollBack ? 'ROLLBACK' : 'COMMIT');
        return result;
      } catch (error) {
        if (this.database.inTransaction) this.database.exec('ROLLBACK');
        throw error;
      }
    });
  }

  private async nested<T>(current: TransactionScope, work: () => Promise<T>, alwaysRollBack: boolean): Promise<T> {
    const name = `sp_${++this.savepointCounter}`;
    this.database.exec(`SAVEPOINT ${name}`);
    try {
      const result = await this.scope.run({ depth: current.depth + 1 }, work);
      if (alwaysRollBack) this.database.exec(`ROLLBACK TO ${name}`);
      this.database.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      this.database.exec(`ROLLBACK TO ${name}`);
      this.database.exec(`RELEASE ${name}`);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.database.close();
  }
}
