/**
 * Every setup mistake ends with exit 2 (a setting to fix) or 3 (a server refused or did not
 * answer) and a message that says what to do; never "unexpected failure" (exit 1), which is kept
 * for bugs. Reading commands never create a state. Runs the real `tandem` command.
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { runTandem } from './tandem-process.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'tandem-setup-'));

/** Connections that are never called: these mistakes are found before any request. */
const connections = {
  TANDEM_SUPEROFFICE_URL: 'http://127.0.0.1:9/api/v1',
  TANDEM_SUPEROFFICE_TOKEN: 'so-token',
  TANDEM_ZENDESK_URL: 'http://127.0.0.1:9',
  TANDEM_ZENDESK_OAUTH_TOKEN: 'zd-token',
};

const adminUrl = process.env.TANDEM_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const postgresAnswers = await (async () => {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
})();
const withPostgres = postgresAnswers || process.env.CI !== undefined ? it : it.skip;
const postgresAt = (database: string, user = 'postgres') =>
  adminUrl.replace(/\/\/[^@/]*@/, `//${user}@`).replace(/\/[^/]*$/, `/${database}`);

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const address = server.address();
  await new Promise<void>((closed) => server.close(() => closed()));
  return typeof address === 'object' && address !== null ? address.port : 1;
}

describe('setup mistakes', () => {
  it('`status` with nothing configured says there is no state yet and creates no ./tandem.db', async () => {
    const cwd = fresh();
    const result = await runTandem(['status'], {}, cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('there is no state yet at');
    expect(result.stderr).toContain('Run `tandem sync` to make one');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('`explain` on a missing state says so and creates nothing', async () => {
    const cwd = fresh();
    const result = await runTandem(['explain', 'superoffice:contact:1'], {}, cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('there is no state yet');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('`explain` of a record Tandem has not seen: exit 2 with what to do', async () => {
    const db = join(fresh(), 'state.db');
    await (await openStore(db)).close();
    const result = await runTandem(['explain', 'superoffice:contact:999'], { TANDEM_DB: db });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'Tandem has not seen superoffice:contact:999; run `tandem sync` first, or check the id',
    );
  });

  it('a state directory that does not exist: exit 2, naming the directory and the setting', async () => {
    const db = join(fresh(), 'missing', 'tandem.db');
    const result = await runTandem(['sync'], { ...connections, TANDEM_DB: db });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the directory ${join(db, '..')} does not exist. Create it (mkdir -p`);
    expect(result.stderr).toContain('location set by TANDEM_DB');
    expect(result.stderr).not.toContain('unexpected failure');
  });

  it('a state directory Tandem cannot write: exit 2 with what to do', async () => {
    // /proc refuses new files to every user, root included (a chmod would not stop root).
    const result = await runTandem(['sync'], { ...connections, TANDEM_DB: '/proc/tandem.db' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot be opened for writing');
    expect(result.stderr).toContain('Give this user write access there, or choose a path');
  });

  it('the state location from the YAML file is named as the YAML key', async () => {
    const cwd = fresh();
    writeFileSync(join(cwd, 'tandem.config.yaml'), 'db: ./nowhere/state.db\n');
    const result = await runTandem(['sync'], connections, cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`location set by db in ${join(cwd, 'tandem.config.yaml')}`);
  });

  it('an unknown key in the YAML file: exit 2 naming the nearest valid key', async () => {
    const cwd = fresh();
    writeFileSync(join(cwd, 'tandem.config.yaml'), 'superoffice:\n  tokne: abc\n');
    const result = await runTandem(['status'], {}, cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown key 'superoffice.tokne'; did you mean 'superoffice.token'?");
  });

  it('PostgreSQL that does not answer: exit 3, naming host and port', async () => {
    const port = await closedPort();
    const result = await runTandem(['status'], { TANDEM_DB: `postgres://postgres@127.0.0.1:${port}/tandem` });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`PostgreSQL at 127.0.0.1:${port} did not answer (ECONNREFUSED)`);
  });

  withPostgres('a PostgreSQL database that does not exist: exit 2 with the command that creates it', async () => {
    const result = await runTandem(['sync'], { ...connections, TANDEM_DB: postgresAt('tandem_no_such_db') });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('has no database "tandem_no_such_db". Create it (createdb');
  });

  withPostgres('a PostgreSQL role that does not exist: exit 3 with what to do', async () => {
    const result = await runTandem(['status'], { TANDEM_DB: postgresAt('postgres', 'tandem_no_such_role') });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('role "tandem_no_such_role" does not exist');
    expect(result.stderr).toContain('create the role');
  });

  withPostgres('`status` on a PostgreSQL database without a state creates no table there', async () => {
    const database = `tandem_empty_${process.pid}`;
    const admin = async (sql: string) => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    await admin(`DROP DATABASE IF EXISTS ${database}`);
    await admin(`CREATE DATABASE ${database}`);
    try {
      const result = await runTandem(['status'], { TANDEM_DB: postgresAt(database) });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`there is no state yet in database "${database}"`);
      const client = new pg.Client({ connectionString: postgresAt(database) });
      await client.connect();
      const tables = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
      await client.end();
      expect(tables.rows[0]?.n).toBe(0);
    } finally {
      await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  });

  it('a wrong PostgreSQL password: exit 3 with what to do, and the password nowhere', async () => {
    // The local server trusts every connection, so a loopback listener plays a server that asks
    // for a password and refuses it, as PostgreSQL does (SQLSTATE 28P01, invalid_password).
    const server = createServer((socket: Socket) => {
      let asked = false;
      socket.on('data', () => {
        if (!asked) {
          asked = true; // the startup message: ask for a cleartext password
          socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
          return;
        }
        const fields = ['SFATAL', 'VFATAL', 'C28P01', 'Mpassword authentication failed for user "tandem"'];
        const body = Buffer.concat([...fields.map((field) => Buffer.from(`${field}\0`)), Buffer.from([0])]);
        const header = Buffer.alloc(5);
        header.write('E', 0);
        header.writeInt32BE(body.length + 4, 1);
        socket.end(Buffer.concat([header, body]));
      });
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const result = await runTandem(['status'], {
        TANDEM_DB: `postgres://tandem:wrong-secret@127.0.0.1:${port}/tandem`,
      });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain(`PostgreSQL at 127.0.0.1:${port} refused tandem: password authentication failed`);
      expect(result.stderr).toContain('check the password in the URL');
      expect(result.stderr).not.toContain('wrong-secret');
    } finally {
      await new Promise<void>((closed) => server.close(() => closed()));
    }
  });

  it('a busy simulator port: exit 2 naming the option that changes it', async () => {
    const server = createServer();
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const result = await runTandem(['simulate', 'zendesk', '--port', String(port)], {});
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`port ${port} is already in use`);
      expect(result.stderr).toContain('choose another with --port <port>, or --port 0 for a free one');
      const cwd = fresh();
      const demo = await runTandem(['demo', '--zendesk-port', String(port), '--superoffice-port', '0'], {}, cwd);
      expect(demo.code).toBe(2);
      expect(demo.stderr).toContain('choose another with --zendesk-port <port>');
    } finally {
      await new Promise<void>((closed) => server.close(() => closed()));
    }
  });

  it('`status` does not create ./tandem.db even when it finds nothing', async () => {
    const cwd = fresh();
    await runTandem(['status', '--json'], {}, cwd);
    expect(existsSync(join(cwd, 'tandem.db'))).toBe(false);
  });
});
