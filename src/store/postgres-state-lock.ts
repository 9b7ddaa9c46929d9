/**
 * The state lock on PostgreSQL: a session-level advisory lock held by a dedicated connection for
 * as long as the process syncs. The server releases it when that session ends, so a crashed or
 * killed holder leaves nothing behind
 * (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
 *
 * The key is (stateLockClass, hash of the current schema): one lock per schema, so tenants kept in
 * separate schemas of one database do not exclude each other. The holder's pid, host and start
 * time travel in the connection's application_name, which pg_stat_activity shows to every role,
 * so a refused process can name the holder (application_name is cut at 63 bytes; the host goes last).
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { type LockHolder, type StateLock, StateLockedError } from './state-lock.js';
import { postgresSetupError } from './store-setup-error.js';

/** First half of the advisory lock key; the migration lock (src/store/migration-runner.ts) is another key. */
const stateLockClass = 7451002;
const applicationPrefix = 'tandem-sync';

function applicationName(holder: LockHolder): string {
  return `${applicationPrefix} ${holder.pid} ${holder.since} ${holder.host}`.slice(0, 63);
}

function holderOf(application: string): LockHolder | undefined {
  const match = /^tandem-sync (\d+) (\S+) (.*)$/.exec(application);
  if (match === null) return undefined;
  return { pid: Number(match[1]), since: match[2] ?? '', host: match[3] ?? '' };
}

/** How long to wait for the lock of a holder on this machine whose process has ended. */
const endedHolderWaitMs = 5_000;

/** Whether the holder is a process on this machine that no longer runs. */
function hasEnded(holder: LockHolder): boolean {
  if (holder.host !== hostname().slice(0, holder.host.length) || holder.host === '') return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: unknown }).code === 'ESRCH';
  }
}

const holderQuery = `
  SELECT activity.application_name
  FROM pg_locks AS lock JOIN pg_stat_activity AS activity ON activity.pid = lock.pid
  WHERE lock.locktype = 'advisory' AND lock.granted AND lock.objsubid = 2
    AND lock.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND lock.classid = $1::oid AND lock.objid = hashtext(current_schema())::oid`;

export async function lockPostgresState(connectionString: string, holder: LockHolder): Promise<StateLock> {
  const client = new pg.Client({
    connectionString,
    application_name: applicationName(holder),
    connectionTimeoutMillis: 10_000,
  });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw postgresSetupError(connectionString, error) ?? error;
  }
  const lost = new AbortController();
  let releasing = false;
  const onLost = () => {
    if (!releasing) lost.abort(new Error('the PostgreSQL connection that held the state lock was lost'));
  };
  // A dropped connection ends the session and with it the lock: the holder has to know.
  client.on('error', onLost);
  client.on('end', onLost);
  try {
    // The server notices a vanished client (its machine lost, say) only by TCP keepalive, by default
    // after two hours; these settings make it about a minute. Ignored on a Unix socket.
    await client.query('SET tcp_keepalives_idle = 30; SET tcp_keepalives_interval = 10; SET tcp_keepalives_count = 3');
    const deadline = Date.now() + endedHolderWaitMs;
    for (;;) {
      const result = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1, hashtext(current_schema())) AS locked',
        [stateLockClass],
      );
      if (result.rows[0]?.locked === true) break;
      const rows = await client.query<{ application_name: string }>(holderQuery, [stateLockClass]);
      const application = rows.rows[0]?.application_name;
      const current = application === undefined ? undefined : holderOf(application);
      // A holder on this machine that has just ended: its session closes a moment after the process.
      if (current !== undefined && hasEnded(current) && Date.now() < deadline) {
        await new Promise((resume) => setTimeout(resume, 100));
        continue;
      }
      throw new StateLockedError(current);
    }
  } catch (error) {
    releasing = true;
    await client.end().catch(() => undefined);
    throw error instanceof StateLockedError ? error : (postgresSetupError(connectionString, error) ?? error);
  }
  return {
    holder,
    lost: lost.signal,
    async release() {
      if (releasing) return;
      releasing = true;
      await client.end().catch(() => undefined); // ending the session releases the lock
    },
  };
}
