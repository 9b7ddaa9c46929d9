/**
 * The store contract on PostgreSQL at 127.0.0.1:5432 (CI starts it). Each run creates its own
 * database and drops it afterwards; each test gets a fresh schema by dropping the tables.
 * Outside CI, when no server answers, the suite is skipped and says why.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { openStore } from '../../src/store/open-store.js';
import { stateStoreContract } from './state-store-contract.js';

const adminUrl = process.env.TANDEM_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `tandem_store_test_${process.pid}`;
const databaseUrl = adminUrl.replace(/\/[^/]*$/, `/${database}`);

async function serverAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    await client.end().catch(() => undefined);
    return false;
  }
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function resetSchema(): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
  } finally {
    await client.end();
  }
}

const available = await serverAnswers();

if (!available && process.env.CI === undefined) {
  describe('PostgreSQL state store contract', () => {
    it.skip(`skipped: no PostgreSQL answers at ${adminUrl} and CI is not set (in CI these tests must run)`, () => {});
  });
} else {
  beforeAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${database}`);
    await admin(`CREATE DATABASE ${database}`);
  });
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });
  stateStoreContract('PostgreSQL', {
    open: async () => {
      await resetSchema();
      return openStore(databaseUrl);
    },
    reopen: () => openStore(databaseUrl),
  });
}
