/**
 * The little the state store needs from a SQL database, so one set of queries serves SQLite and
 * PostgreSQL. Queries use `?` placeholders; the PostgreSQL driver numbers them. Booleans are
 * stored as integers and JSON as text in both dialects, so results have the same shapes.
 */
export type SqlParam = string | number | null;
export type SqlRow = Readonly<Record<string, unknown>>;

/** Runs queries: the database itself, or one transaction. */
export interface SqlExecutor {
  /** Rows of a query. */
  all(sql: string, params?: readonly SqlParam[]): Promise<readonly SqlRow[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
  /** Runs a script of statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/**
 * Transactions hand their work an executor instead of tracking the caller's async context
 * (AsyncLocalStorage costs every promise in the process). They do not nest, and are run one
 * at a time. Inside `rollbackAfter` (a dry run) every query, and every transaction as a
 * savepoint, runs in the dry run's transaction, so the work sees its own changes.
 */
export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` in a transaction, committed when it resolves and rolled back when it rejects. */
  transaction<T>(work: (transaction: SqlExecutor) => Promise<T>): Promise<T>;
  /** Runs `work` in a transaction that is always rolled back. */
  rollbackAfter<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A chain that runs one top-level transaction at a time. */
export class TransactionQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(work, work);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

const placeholderLists = new Map<number, string>();

/** `?, ?, ?` for a list of parameters. */
export function placeholders(count: number): string {
  let list = placeholderLists.get(count);
  if (list === undefined) {
    list = new Array<string>(count).fill('?').join(', ');
    if (placeholderLists.size < 1000) placeholderLists.set(count, list);
  }
  return list;
}

/** Splits a list into chunks that stay under both dialects' parameter limits. */
export function chunked<T>(items: readonly T[], size = 400): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Splits rows for multi-row statements into chunks of a few fixed sizes (`maxRows`, then halves
 * down to one), so a statement cache keyed by SQL text holds at most ~log2(maxRows) shapes per
 * statement however the row counts vary.
 */
export function statementChunks<T>(items: readonly T[], maxRows: number): T[][] {
  const chunks: T[][] = [];
  let start = 0;
  let size = maxRows;
  while (start < items.length) {
    while (size > 1 && items.length - start < size) size >>= 1;
    chunks.push(items.slice(start, start + size));
    start += size;
  }
  return chunks;
}
