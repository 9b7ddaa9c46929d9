import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { statementChunks } from '../../src/store/sql-driver.js';
import { SqliteDriver } from '../../src/store/sqlite-driver.js';

const directory = mkdtempSync(join(tmpdir(), 'tandem-driver-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('SQLite driver', () => {
  it('opens a database file in WAL mode with NORMAL synchronisation and foreign keys on', async () => {
    const driver = new SqliteDriver(join(directory, 'pragmas.db'));
    try {
      expect(await driver.all('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(await driver.all('PRAGMA synchronous')).toEqual([{ synchronous: 1 }]); // 1 = NORMAL
      expect(await driver.all('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
      expect(await driver.all('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 10000 }]);
    } finally {
      await driver.close();
    }
  });

  it('keeps working past its statement cache, re-preparing statements it dropped', async () => {
    const driver = new SqliteDriver(':memory:');
    try {
      await driver.exec('CREATE TABLE t (n INTEGER)');
      for (let n = 0; n < 600; n++) await driver.run(`INSERT INTO t (n) VALUES (${n})`);
      await driver.run('INSERT INTO t (n) VALUES (0)');
      expect(await driver.all('SELECT COUNT(*) AS count FROM t WHERE n = 0')).toEqual([{ count: 2 }]);
    } finally {
      await driver.close();
    }
  });
});

describe('statement chunks', () => {
  it('splits rows into a few fixed sizes, in order, losing none', () => {
    const rows = Array.from({ length: 1000 }, (_, index) => index);
    const chunks = statementChunks(rows, 128);
    expect(chunks.flat()).toEqual(rows);
    expect(chunks.map((chunk) => chunk.length)).toEqual([128, 128, 128, 128, 128, 128, 128, 64, 32, 8]);
    expect(statementChunks([], 128)).toEqual([]);
  });
});
