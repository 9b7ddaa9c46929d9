/**
 * `status`, `explain`, `retry`, `relink` and `unlink` as a person runs them: the real command in a
 * child process, on a SQLite state that the engine harness filled with one of each problem.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SyncError } from '../../src/core/sync-error.js';
import { lockState, openStore } from '../../src/store/open-store.js';
import { openHarness } from '../engine/harness.js';

const tandem = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/tandem');

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function tandemRun(args: string[], db: string, input?: string): Promise<Ran> {
  return new Promise((done) => {
    const child = execFile(
      tandem,
      args,
      { env: { PATH: process.env.PATH ?? '', TANDEM_DB: db } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        done({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? '');
  });
}

let db: string;
const ids = { fjordContact: '', fjordOrg: '', refused: '', acme: '', acmeOrg: '', acmeEntity: '' };

beforeAll(async () => {
  db = join(mkdtempSync(join(tmpdir(), 'tandem-records-')), 'state.db');
  const h = await openHarness({ store: await openStore(db) });
  ids.fjordOrg = h.zendesk.add('organization', { name: 'Fjord Logistics AS' });
  ids.fjordContact = h.superoffice.add('contact', { Name: 'Fjord Logistics AS' });
  ids.refused = h.superoffice.add('contact', { Name: 'Refused' });
  ids.acme = h.superoffice.add('contact', { Name: 'Acme' });
  h.zendesk.failureRule = (_type, operation) =>
    operation.values.name === 'Refused' ? new SyncError('validation', 'Name: is invalid') : undefined;
  await h.cycle();
  ids.acmeOrg = h.zendesk.all('organization').find((org) => org.values.name === 'Acme')?.ref.id ?? '';
  ids.acmeEntity = (await h.store.getRecord({ system: 'superoffice', type: 'contact', id: ids.acme }))?.entityId ?? '';
  await h.close();
});

describe('status and explain on the command line', () => {
  it('lists the taken name and the refused write with their commands, and pages with --limit/--offset', async () => {
    const text = await tandemRun(['status'], db);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('needs attention (2: 1 failed-write validation, 1 hold duplicate-name):');
    expect(text.stdout).toContain(
      `command: tandem relink superoffice:contact:${ids.fjordContact} zendesk:organization:${ids.fjordOrg}`,
    );
    expect(text.stdout).toContain(`command: tandem retry superoffice:contact:${ids.refused}`);
    const json = JSON.parse((await tandemRun(['status', '--json', '--limit', '1', '--offset', '1'], db)).stdout);
    expect(json.attention.total).toBe(2);
    expect(json.attention.items).toHaveLength(1);
    expect(json.attention.items[0].kind).toBe('hold');
  });

  it('explains by entity id, naming the record it stands for', async () => {
    const byEntity = await tandemRun(['explain', ids.acmeEntity], db);
    expect(byEntity.code).toBe(0);
    expect(byEntity.stdout.split('\n')[0]).toBe(`superoffice:contact:${ids.acme}`);
    expect(byEntity.stdout).toContain(`zendesk:organization:${ids.acmeOrg}`);
    const unknown = await tandemRun(['explain', 'no-such-entity'], db);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no entity no-such-entity in the state');
  });
});

describe('retry, relink and unlink on the command line', () => {
  it('retries a refused write', async () => {
    const result = await tandemRun(['retry', `superoffice:contact:${ids.refused}`], db);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 failed write of superoffice:contact');
    expect((await tandemRun(['retry'], db)).code).toBe(2);
  });

  it('asks before it relinks: no answer changes nothing, yes links', async () => {
    const args = ['relink', `superoffice:contact:${ids.fjordContact}`, `zendesk:organization:${ids.fjordOrg}`];
    const declined = await tandemRun(args, db, '');
    expect(declined.code).toBe(2);
    expect(declined.stdout).toContain('joins zendesk:organization');
    expect(declined.stderr).toContain('not confirmed: nothing changed');
    const accepted = await tandemRun(args, db, 'y\n');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain('linked;');
    const store = await openStore(db);
    try {
      const contact = await store.getRecord({ system: 'superoffice', type: 'contact', id: ids.fjordContact });
      const org = await store.getRecord({ system: 'zendesk', type: 'organization', id: ids.fjordOrg });
      expect(contact?.entityId).toBe(org?.entityId);
      const history = await store.historyOf(contact?.entityId ?? '');
      expect(history.at(-1)).toMatchObject({ event: 'linked', rule: 'relink', cycleId: 'by-hand' });
    } finally {
      await store.close();
    }
  });

  it('unlinks with --yes, and refuses a record it cannot unlink with exit 2', async () => {
    const result = await tandemRun(['unlink', '--yes', `zendesk:organization:${ids.acmeOrg}`], db);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('unlinked;');
    const again = await tandemRun(['unlink', '--yes', `zendesk:organization:${ids.acmeOrg}`], db);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('is the only record of its entity');
  });
});

describe('the state lock', () => {
  it('refuses a change by hand while a tandem syncs, and status names the sync or the abandoned cycle', async () => {
    const store = await openStore(db);
    await store.beginCycle('stuck-cycle', '2024-03-26T09:00:00.000Z');
    await store.close();
    const lock = await lockState(db);
    try {
      const refused = await tandemRun(['retry', '--failed'], db);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain(`another tandem (pid ${process.pid}`);
      const status = await tandemRun(['status'], db);
      expect(status.stdout).toContain(`a tandem is syncing this state now (pid ${process.pid}`);
      expect(status.stdout).not.toContain('[cycle');
    } finally {
      await lock.release();
    }
    const abandoned = await tandemRun(['status'], db);
    expect(abandoned.stdout).toContain('[cycle abandoned] the last cycle (stuck-cycle');
    expect(abandoned.stdout).toContain('no tandem is syncing: the process stopped during it');
  });

  it('changes nothing and leaves no lock file where there is no state', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'tandem-none-')), 'state.db');
    const result = await tandemRun(['unlink', '--yes', 'zendesk:organization:1'], missing);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('there is no state yet');
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(`${missing}.lock`)).toBe(false);
  });
});
