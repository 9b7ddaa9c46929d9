/**
 * The `tandem run` command itself, in a child process, with a system-user ticket that expires three
 * times, each while Tandem writes. Everything is driven from the SuperOffice simulator's request
 * hook, so nothing waits on timing: when Tandem's PATCH of round r arrives, the hook moves the clock
 * past the ticket's lifetime (that PATCH is refused with 401) and renames the organization in
 * Zendesk for round r+1, which the next cycle reads and writes. At round 3's PATCH the child is told
 * to stop; it finishes the batch in flight. Three cycles stay within Zendesk's real export budget
 * (10 calls a minute), which a child process keeps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

const tandemBin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/tandem');
const lifetimeSeconds = 3;
const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const systemUser = {
  systemUserToken: 'Tandem Test-k3Jd82hs',
  clientSecret: 'app-secret-1',
  publicKey: appKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
};

let harness: SyncHarness | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await harness?.close();
  harness = undefined;
});

function runTandem(args: string[], env: Record<string, string>, cwd: string) {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TANDEM_')));
  const child = spawn(process.execPath, [tandemBin, ...args], {
    cwd,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; output: string }>((done) =>
    child.once('close', (code) => done({ code, output })),
  );
  return { child, exited };
}

describe('tandem run (child process) with a SuperOffice system-user ticket that expires', () => {
  it('keeps syncing across three expiries, each during writes, with no failed cycle and no failed write', async () => {
    const roundName = (round: number) => `Fjord Logistics AS (renamed ${round})`;
    let round = 1;
    let armed = false;
    let running: ChildProcess | undefined;
    let organizationId = 0;
    let contactId = 0;
    const h = await startSyncHarness({
      superoffice: {
        online: { ticketIdleSeconds: lifetimeSeconds, systemUsers: [systemUser] },
        onRequest: (call) => {
          const name = h.superoffice.data.contacts.get(contactId)?.name;
          if (!armed && round < 3 && name === roundName(round)) {
            round++; // round r was written: the next PATCH belongs to round r+1
            armed = true;
          }
          if (armed && call.method === 'PATCH') {
            armed = false;
            h.clock.advance((lifetimeSeconds + 1) * 1000); // the ticket Tandem holds has just expired
            if (round < 3) h.zendesk.data.editOrganization(organizationId, { name: roundName(round + 1) });
            else running?.kill('SIGTERM'); // the batch in flight (this PATCH) still finishes
          }
        },
      },
    });
    harness = h;
    contactId = h.superoffice.data.createContact({ name: 'Fjord Logistics AS' }).contactId;
    const cwd = dirname(h.dbPath);
    const keyFile = join(cwd, 'superoffice-key.pem');
    await writeFile(keyFile, appKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
    const { TANDEM_SUPEROFFICE_URL: _url, TANDEM_SUPEROFFICE_TOKEN: _token, ...zendeskAndDb } = h.env;
    const env = {
      ...zendeskAndDb,
      TANDEM_SUPEROFFICE_CUSTOMER_ID: h.superoffice.tenant,
      TANDEM_SUPEROFFICE_ENVIRONMENT_URL: h.superoffice.environmentUrl,
      TANDEM_SUPEROFFICE_SYSTEM_USER_TOKEN: systemUser.systemUserToken,
      TANDEM_SUPEROFFICE_PRIVATE_KEY_FILE: keyFile,
      TANDEM_SUPEROFFICE_CLIENT_SECRET: systemUser.clientSecret,
      TANDEM_LOG_LEVEL: 'info',
    };

    // The first sync links the company to a new Zendesk organization.
    const first = await runTandem(['sync'], env, cwd).exited;
    expect(first.code).toBe(0);
    organizationId = (await h.zendeskIdOf('contact', contactId)) ?? 0;
    expect(organizationId).toBeGreaterThan(0);

    h.clock.advance(1000);
    h.zendesk.data.editOrganization(organizationId, { name: roundName(1) });
    armed = true;
    const run = runTandem(['run', '--interval', '0.2'], env, cwd);
    running = run.child;
    const { code, output } = await run.exited;

    expect(round).toBe(3);
    expect(h.superoffice.data.contacts.get(contactId)?.name).toBe(roundName(3));
    expect(h.superoffice.auth.counts.expiredRefused).toBeGreaterThanOrEqual(3);
    expect(output).not.toContain('cycle failed');
    expect(await h.store.listFailedOutbox(100)).toEqual([]);
    const cycles = await h.store.listCycles(100);
    expect(cycles.filter((cycle) => cycle.status === 'failed')).toEqual([]);
    for (const secret of [systemUser.clientSecret, systemUser.systemUserToken, 'PRIVATE KEY']) {
      expect(output).not.toContain(secret);
    }
    expect([0, 130, 143]).toContain(code);
  }, 60_000);
});
