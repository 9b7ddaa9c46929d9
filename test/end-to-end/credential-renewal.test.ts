/**
 * `tandem run`'s loop (the configuration loader, `openTenant` and `runSyncLoop`, as the command
 * wires them) against a SuperOffice whose credentials expire every few seconds of its clock: the
 * system-user ticket, or the OAuth access token, runs out three times, each time while Tandem is
 * writing, and the sync goes on with no failed cycle and no write failed for good.
 *
 * In process, so both flows run with fast budgets and step from one cycle to the next through the
 * loop's `onCycle` (no sleeping); the test moves the simulators' clock past the lifetime when a write
 * arrives. credential-renewal-cli.test.ts runs the `tandem run` command itself in a child process.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runSyncLoop } from '../../src/cli/sync-loop.js';
import { openTenant, type Tenant } from '../../src/cli/tenant.js';
import { loadConfig } from '../../src/config/config.js';
import type { CycleReport } from '../../src/engine/cycle-report.js';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

const lifetimeSeconds = 3;
const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const systemUser = {
  systemUserToken: 'Tandem Test-k3Jd82hs',
  clientSecret: 'app-secret-1',
  publicKey: appKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
};
const oauthClient = { clientId: 'client-1', clientSecret: 'client-secret-1', refreshToken: 'refresh-1' };

let harness: SyncHarness | undefined;
let tenant: Tenant | undefined;
afterEach(async () => {
  await tenant?.close();
  tenant = undefined;
  await harness?.close();
  harness = undefined;
});

describe("tandem run's loop with SuperOffice credentials that expire", () => {
  for (const flow of ['system-user', 'oauth'] as const) {
    const what = flow === 'oauth' ? 'OAuth access token' : 'system-user ticket';
    it(`keeps syncing across three expiries of the ${what}, each during writes`, async () => {
      let expireOnNextWrite = false;
      const h = await startSyncHarness({
        superoffice: {
          online: {
            ticketIdleSeconds: lifetimeSeconds,
            accessTokenTtlSeconds: lifetimeSeconds,
            systemUsers: [systemUser],
            oauthClients: [oauthClient],
          },
          onRequest: (call) => {
            if (expireOnNextWrite && call.method === 'PATCH') {
              expireOnNextWrite = false;
              h.clock.advance((lifetimeSeconds + 1) * 1000); // whatever Tandem holds has just expired
            }
          },
        },
      });
      harness = h;
      const contact = h.superoffice.data.createContact({ name: 'Fjord Logistics AS' });
      const keyFile = join(dirname(h.dbPath), 'superoffice-key.pem');
      await writeFile(keyFile, appKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), {
        mode: 0o600,
      });
      const { TANDEM_SUPEROFFICE_URL: _url, TANDEM_SUPEROFFICE_TOKEN: _token, ...zendeskAndDb } = h.env;
      const credentials =
        flow === 'oauth'
          ? {
              TANDEM_SUPEROFFICE_CLIENT_ID: oauthClient.clientId,
              TANDEM_SUPEROFFICE_CLIENT_SECRET: oauthClient.clientSecret,
              TANDEM_SUPEROFFICE_REFRESH_TOKEN: oauthClient.refreshToken,
            }
          : {
              TANDEM_SUPEROFFICE_SYSTEM_USER_TOKEN: systemUser.systemUserToken,
              TANDEM_SUPEROFFICE_PRIVATE_KEY_FILE: keyFile,
              TANDEM_SUPEROFFICE_CLIENT_SECRET: systemUser.clientSecret,
            };
      const config = loadConfig({
        env: {
          ...zendeskAndDb,
          ...credentials,
          TANDEM_SUPEROFFICE_CUSTOMER_ID: h.superoffice.tenant,
          TANDEM_SUPEROFFICE_ENVIRONMENT_URL: h.superoffice.environmentUrl,
        },
        cwd: dirname(h.dbPath),
      });
      const logged: unknown[] = [];
      const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(line) });
      tenant = await openTenant(config, logger, {
        superoffice: { now: () => h.clock.now(), minRetryDelayMs: 1, maxRetryDelayMs: 5 },
        zendesk: { rateLimitPerMinute: 100_000, incrementalPerMinute: 100_000, jobPollDelayMs: 5 },
        engine: { clock: () => new Date(h.clock.now()) },
      });
      await Promise.all([tenant.superoffice.verify(), tenant.zendesk.verify()]);

      const reports: CycleReport[] = [];
      const failures: unknown[] = [];
      const stop = new AbortController();
      let round = 0;
      let renamedTo: string | undefined;
      const organizationId = async () => (await h.zendeskIdOf('contact', contact.contactId)) ?? 0;
      await runSyncLoop({
        engine: tenant.engine,
        intervalMs: 1,
        sweepIntervalMs: 3_600_000,
        signal: stop.signal,
        maxCycles: 30, // a bound, far above the rounds' need
        onCycleFailure: (error) => failures.push(error),
        onCycle: async (report) => {
          reports.push(report);
          if (renamedTo !== undefined && h.superoffice.data.contacts.get(contact.contactId)?.name !== renamedTo) return;
          if (round === 3) return stop.abort();
          round++;
          renamedTo = `Fjord Logistics AS (renamed ${round})`;
          h.clock.advance(1000);
          h.zendesk.data.editOrganization(await organizationId(), { name: renamedTo });
          expireOnNextWrite = true;
        },
      });

      expect(round).toBe(3);
      expect(h.superoffice.data.contacts.get(contact.contactId)?.name).toBe('Fjord Logistics AS (renamed 3)');
      expect(h.superoffice.auth.counts.expiredRefused).toBeGreaterThanOrEqual(3);
      expect(failures).toEqual([]);
      expect(reports.filter((report) => report.status !== 'completed')).toEqual([]);
      expect(reports.reduce((sum, report) => sum + report.writes.failed, 0)).toBe(0);
      expect(await tenant.store.listFailedOutbox(100)).toEqual([]);
      const text = JSON.stringify(logged);
      for (const secret of [systemUser.clientSecret, systemUser.systemUserToken, oauthClient.refreshToken]) {
        expect(text).not.toContain(secret);
      }
    }, 30_000);
  }
});
