/**
 * node-postgres behind the SqlDriver port. A transaction holds one pooled client; calls made
 * inside it (found through AsyncLocalStorage) use that client, calls outside use the pool.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { SqlDriver, SqlParam, SqlRow } from './sql-driver.js';
import { TransactionQueue } from './sql-driver.js';

interface TransactionScope {
  readonly client: pg.PoolClient;
  depth: number;
}

const numbered = new Map<string, string>();

/** `?` placeholders to `$1, $2, …` (our queries hold no literal question marks). */
function numberPlaceholders(sql: string): string {
  let converted = numbered.get(sql);
  if (converted === undefined) {
    let index = 0;
    converted = sql.replace(/\?/g, () => `$${++index}`);
    numbered.set(sql, converted);
  }
  return converted;
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  private readonly scope = new AsyncLocalStorage<TransactionScope>();
  private readonly queue = new TransactionQueue();
  private savepointCounter = 0;

  constructor(private readonly pool: pg.Pool) {}

  private executor(): pg.Pool | pg.PoolClient {
    return this.scope.getStore()?.client ?? this.pool;
  }

  async all(sql: string, params: readonly SqlParam[] = []): Promise<readonly SqlRow[]> {
    const result = await this.executor().query(numberPlaceholders(sql), [...params]);
    return result.rows as SqlRow[];
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    const result = await this.executor().query(numberPlaceholders(sql), [...params]);
    return result.rowCount ?? 0;
  }

  async exec(script: string): Promise<void> {
    await this.executor().query(script);
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
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        try {
          const result = await this.scope.run({ client, depth: 1 }, work);
          await client.query(alwaysRollBack ? 'ROLLBACK' : 'COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        }
      } finally {
        client.release();
      }
    });
  }

  private async nested<T>(current: TransactionScope, work: () => Promise<T>, alwaysRollBack: boolean): Promise<T> {
    const name = `sp_${++this.savepointCounter}`;
    await current.client.query(`SAVEPOINT ${name}`);
    try {
      const result = await this.scope.run({ client: current.client, depth: current.depth + 1 }, work);
      if (alwaysRollBack) await current.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await current.client.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await current.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      await current.client.query(`RELEASE SAVEPOINT ${name}`);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
