import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startSyncHarness } from './sync-harness.js';

describe('sync harness', () => {
  it('runs a cycle over HTTP that creates a Zendesk organization for a SuperOffice contact', async () => {
    const harness = await startSyncHarness();
    try {
      harness.superoffice.data.createContact({ name: 'Harness AS' });
      const report = await harness.sync();
      expect(report.status).toBe('completed');
      expect(harness.zendesk.data.organizations().map((organization) => organization.name)).toEqual(['Harness AS']);
      expect(harness.env.TANDEM_DB).toBe(harness.dbPath);
    } finally {
      await harness.close();
    }
  });

  it('points a tandem child process at the same simulators and database through env', async () => {
    const harness = await startSyncHarness();
    try {
      harness.superoffice.data.createContact({ name: 'Child Process AS' });
      const { stdout } = await promisify(execFile)(process.execPath, ['bin/tandem', 'sync', '--json'], {
        env: { ...process.env, ...harness.env },
      });
      const report: unknown = JSON.parse(stdout);
      expect(report).toMatchObject({ status: 'completed', writes: { created: 1 } });
      expect(harness.zendesk.data.organizations().map((organization) => organization.name)).toEqual([
        'Child Process AS',
      ]);
      const cycles = await harness.store.listCycles(5);
      expect(cycles).toHaveLength(1);
    } finally {
      await harness.close();
    }
  });
});
