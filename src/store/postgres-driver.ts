/**
 * node-postgres behind the SqlDriver port. A transaction holds one pooled client and hands the
 * work an executor bound to it; other calls use the pool. During a dry run every call uses the
 * dry run's client, so the work sees its own uncommitted changes.
 */
import type pg from 'pg';
import type { SqlDriver, SqlExecutor, SqlParam, SqlRow } from './sql-driver.js';
import { TransactionQueue } from './sql-driver.js';

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

function executorOf(queryable: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    async all(sql: string, params: readonly SqlParam[] = []): Promise<readonly SqlRow[]> {
      const result = await queryable.query(numberPlaceholders(sql), [...params]);
      return result.rows as SqlRow[];
    },
    async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
      const result = await queryable.query(numberPlaceholders(sql), [...params]);
      return result.rowCount ?? 0;
    },
    async exec(script: string): Promise<void> {
      await queryable.query(script);
    },
  };
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  private readonly queue = new TransactionQueue();
  private readonly savepoints = new TransactionQueue();
  private readonly poolExecutor: SqlExecutor;
  private savepointCounter = 0;
  private dryRun: { readonly client: pg.PoolClient; readonly executor: SqlExecutor } | undefined;

  constructor(private readonly pool: pg.Pool) {
    this.poolExecutor = executorOf(pool);
  }

  private current(): SqlExecutor {
    return this.dryRun?.executor ?? this.poolExecutor;
  }

  all(sql: string, params: readonly SqlParam[] = []): Promise<readonly SqlRow[]> {
    return this.current().all(sql, params);
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return this.current().run(sql, params);
  }

  async exec(script: string): Promise<void> {
    await (this.dryRun?.client ?? this.pool).query(script);
  }

  transaction<T>(work: (transaction: SqlExecutor) => Promise<T>): Promise<T> {
    const dryRun = this.dryRun;
    if (dryRun !== undefined) {
      return this.savepoints.run(async () => {
        const name = `sp_${++this.savepointCounter}`;
        await dryRun.client.query(`SAVEPOINT ${name}`);
        try {
          const result = await work(dryRun.executor);
          await dryRun.client.query(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (error) {
          await dryRun.client.query(`ROLLBACK TO SAVEPOINT ${name}`);
          await dryRun.client.query(`RELEASE SAVEPOINT ${name}`);
          throw error;
        }
      });
    }
    return this.queue.run(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        try {
          const result = await work(executorOf(client));
          await client.query('COMMIT');
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

  rollbackAfter<T>(work: () => Promise<T>): Promise<T> {
    return this.queue.run(async () => {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        this.dryRun = { client, executor: executorOf(client) };
        try {
          return await work();
        } finally {
          this.dryRun = undefined;
          await client.query('ROLLBACK');
        }
      } finally {
        client.release();
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
