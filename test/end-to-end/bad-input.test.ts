/**
 * Bad input from outside (design invariant 5, isolation): malformed answers from either API, a
 * record the other system refuses, and a bad configuration. Each must give a clear error naming what
 * is wrong, keep the rest syncing, and lose nothing: a refused record is listed with its reason and
 * tried again once it changes; a record that cannot be read is listed as rejected while the rest of
 * its page is stored; a feed whose page cannot be read fails only that type's read, which starts
 * again from its last good page every cycle.
 *
 * Malformed answers come from a small loopback proxy in front of a simulator that rewrites the
 * answers a test picks. Configuration problems are checked through `tandem sync` run as a child
 * process, so the test sees the message and exit code a person would.
 */
import { execFile } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { entityElement } from '../../simulators/superoffice/index.js';
import { cycleLines } from '../../src/cli/report-text.js';
import { openTenant, type Tenant } from '../../src/cli/tenant.js';
import type { TandemConfig } from '../../src/config/config.js';
import type { CycleReport } from '../../src/engine/cycle-report.js';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

const tandemBin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/tandem');

interface TandemRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runTandemSync(env: Record<string, string>, cwd: string): Promise<TandemRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TANDEM_')));
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [tandemBin, 'sync', '--json'],
      { cwd, env: { ...inherited, ...env }, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/** Replaces one answer: the status and body the proxy sends instead of the real one. */
interface Rewrite {
  readonly status: number;
  readonly contentType: string;
  readonly body: (original: string) => string;
}

/**
 * A loopback proxy that forwards every request to `target` and rewrites the answers `rule` picks
 * (by method and path, before the query). The real request still reaches the simulator.
 */
async function startRewritingProxy(
  target: string,
  rule: (method: string, path: string) => Rewrite | undefined,
): Promise<{ url: string; rewritten: string[]; close(): Promise<void> }> {
  const origin = new URL(target);
  const rewritten: string[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const upstream = httpRequest(
      {
        host: origin.hostname,
        port: origin.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: origin.host },
      },
      (answer: IncomingMessage) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const original = Buffer.concat(chunks).toString('utf8');
          const path = (incoming.url ?? '/').split('?')[0] ?? '/';
          const rewrite = rule(incoming.method ?? 'GET', path);
          if (rewrite === undefined) {
            const headers = { ...answer.headers };
            delete headers['transfer-encoding'];
            delete headers['content-length'];
            outgoing.writeHead(answer.statusCode ?? 502, headers);
            outgoing.end(original);
            return;
          }
          rewritten.push(`${incoming.method} ${path}`);
          outgoing.writeHead(rewrite.status, { 'content-type': rewrite.contentType });
          outgoing.end(rewrite.body(original));
        });
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  // Keep the target's path: SuperOffice's base carries the tenant and /api/v1.
  const url = `http://127.0.0.1:${port}${origin.pathname === '/' ? '' : origin.pathname}`;
  return {
    url,
    rewritten,
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
}

/**
 * The harness's tenant again, with one system reached through `urls` (a proxy): same database,
 * connector settings as the harness's. In this process rather than a `tandem sync` child, because
 * after a failed cycle the child stays alive until its connector's per-minute request budget timer
 * runs out (about half a minute; see the report of this test file).
 */
async function openTenantThrough(
  harness: SyncHarness,
  urls: { superoffice?: string; zendesk?: string },
): Promise<Tenant> {
  const config: TandemConfig = {
    db: harness.dbPath,
    superoffice: { url: urls.superoffice ?? harness.superoffice.url, auth: { kind: 'bearer', token: 'sim-token' } },
    zendesk: { url: urls.zendesk ?? harness.zendesk.url, auth: { kind: 'oauth', accessToken: 'sim-token' } },
    intervalSeconds: 60,
    sweepMinutes: 360,
    logLevel: 'error',
  };
  return openTenant(config, pino({ level: 'silent' }), {
    superoffice: { minRetryDelayMs: 5, maxRetryDelayMs: 50 },
    zendesk: {
      rateLimitPerMinute: 100_000,
      incrementalPerMinute: 100_000,
      perUserUpdatesPerMinute: 100_000,
      jobPollDelayMs: 5,
      jobPollMaxDelayMs: 20,
    },
  });
}

const smallTenant = { seed: 31, contacts: 6, persons: 10, tickets: 8, users: 2 } as const;

/** SuperOffice records that must reach Zendesk and have not: contacts and tickets by external id. */
function missingInZendesk(harness: SyncHarness): string[] {
  const so = harness.superoffice.data;
  const zd = harness.zendesk.data;
  const missing: string[] = [];
  for (const contact of so.contacts.values()) {
    const externalId = `superoffice:contact:${contact.contactId}`;
    if (zd.organizationByExternalId(externalId) === undefined) missing.push(externalId);
  }
  for (const ticket of so.tickets.values()) {
    const externalId = `superoffice:ticket:${ticket.ticketId}`;
    if (zd.ticketsByExternalId(externalId).length !== 1) missing.push(externalId);
  }
  for (const personId of new Set([...so.tickets.values()].map((ticket) => ticket.personId))) {
    const email = so.livePerson(personId)?.emails[0]?.value;
    if (email !== undefined && zd.userByEmail(email) === undefined) missing.push(`superoffice:person:${personId}`);
  }
  return missing;
}

function makeContactNamesUnique(harness: SyncHarness): void {
  const names = new Set<string>();
  for (const contact of harness.superoffice.data.contacts.values()) {
    if (names.has(contact.name.toLowerCase())) contact.name = `${contact.name} ${contact.contactId}`;
    names.add(contact.name.toLowerCase());
  }
}

describe('malformed answers', () => {
  let harness: SyncHarness | undefined;
  let proxy: { close(): Promise<void> } | undefined;
  let tenant: Tenant | undefined;

  afterEach(async () => {
    await tenant?.close();
    await proxy?.close();
    await harness?.close();
    tenant = undefined;
    proxy = undefined;
    harness = undefined;
  });

  it('lists a SuperOffice ticket that lacks its id and title as rejected, syncs every other record, and syncs the ticket once it reads properly and changes', async () => {
    harness = await startSyncHarness({ superoffice: { ...smallTenant } });
    makeContactNamesUnique(harness);
    const so = harness.superoffice.data;
    const [broken] = so.tickets.values();
    if (broken === undefined) throw new Error('the generated tenant has no ticket');
    let answersBroken = true;
    const superofficeProxy = await startRewritingProxy(harness.superoffice.url, (method, path) =>
      answersBroken && method === 'GET' && path.endsWith(`/Ticket/${broken.ticketId}`)
        ? {
            status: 200,
            contentType: 'application/json',
            // The ticket without its id and title, as a broken gateway or an API change might send it.
            body: (original) => {
              const { TicketId: _id, Title: _title, ...rest } = JSON.parse(original) as Record<string, unknown>;
              return JSON.stringify(rest);
            },
          }
        : undefined,
    );
    proxy = superofficeProxy;
    tenant = await openTenantThrough(harness, { superoffice: superofficeProxy.url });

    const first = await tenant.engine.runCycle();
    expect(first.status).toBe('completed');
    expect(superofficeProxy.rewritten.length).toBeGreaterThanOrEqual(1);
    expect(first.readFailures).toEqual([]);
    expect(first.counts.rejectedRecords).toBe(1);
    expect(first.rejectedRecords).toHaveLength(1);
    const [rejected] = first.rejectedRecords;
    expect(rejected).toMatchObject({ system: 'superoffice', type: 'ticket', id: String(broken.ticketId) });
    expect(rejected?.error.code).toBe('malformed');
    expect(rejected?.error.message).toMatch(
      new RegExp(`^SuperOffice answered GET \\S*/Ticket/${broken.ticketId} with an unexpected shape at TicketId`),
    );
    const text = cycleLines(first).join('\n');
    expect(text).toMatch(/records that could not be read \(1\):/);
    expect(text).toContain(`superoffice:ticket:${broken.ticketId}:`);
    expect(text).toMatch(/correct the record in SuperOffice/);
    // Everything else reached Zendesk; the ticket's person waits only when no other synced ticket names them.
    const personOnlyOnBroken = ![...so.tickets.values()].some(
      (ticket) => ticket.ticketId !== broken.ticketId && ticket.personId === broken.personId,
    );
    expect(missingInZendesk(harness)).toEqual([
      `superoffice:ticket:${broken.ticketId}`,
      ...(personOnlyOnBroken ? [`superoffice:person:${broken.personId}`] : []),
    ]);

    // The answer is whole again and someone corrects the ticket: the feed reports it as changed.
    answersBroken = false;
    harness.clock.advance(1000);
    so.editTicket(broken.ticketId, { title: 'Printer jammed (corrected)' });
    const fixed = await tenant.engine.runCycle();
    expect(fixed.rejectedRecords).toEqual([]);
    expect(fixed.readFailures).toEqual([]);
    expect(fixed.failures).toEqual([]);
    expect(missingInZendesk(harness)).toEqual([]);
    const [created] = harness.zendesk.data.ticketsByExternalId(`superoffice:ticket:${broken.ticketId}`);
    expect(created?.subject).toBe('Printer jammed (corrected)');
    const quiet = await tenant.engine.runCycle();
    expect(quiet.writes.calls).toBe(0);
  });

  it('keeps syncing SuperOffice and the other Zendesk types while the Zendesk ticket export answers HTML, lists the failure every cycle, and catches up once it answers JSON', async () => {
    harness = await startSyncHarness({ superoffice: { ...smallTenant } });
    makeContactNamesUnique(harness);
    const so = harness.superoffice.data;
    const zd = harness.zendesk.data;
    let outage = true;
    const zendeskProxy = await startRewritingProxy(harness.zendesk.url, (method, path) =>
      outage && method === 'GET' && path.startsWith('/api/v2/incremental/tickets')
        ? {
            status: 200,
            contentType: 'text/html',
            body: () => '<html><body>Zendesk is down for maintenance</body></html>',
          }
        : undefined,
    );
    proxy = zendeskProxy;
    tenant = await openTenantThrough(harness, { zendesk: zendeskProxy.url });

    const expectTicketExportFailure = (report: CycleReport): void => {
      expect(report.status).toBe('completed');
      expect(report.readFailures).toHaveLength(1);
      const [failure] = report.readFailures;
      expect(failure).toMatchObject({ system: 'zendesk', type: 'ticket', error: { code: 'malformed' } });
      expect(failure?.error.message).toMatch(
        /^Zendesk answered GET \/api\/v2\/incremental\/tickets\S* with a body that is not JSON$/,
      );
      expect(cycleLines(report).join('\n')).toMatch(/reads that failed[^\n]*\n {2}- zendesk ticket: Zendesk answered/);
      // The other types of both systems were read.
      expect(report.reads.map((read) => `${read.system}:${read.type}`).sort()).toEqual(
        [
          'superoffice:contact',
          'superoffice:person',
          'superoffice:ticket',
          'superoffice:user',
          'zendesk:organization',
          'zendesk:user',
        ].sort(),
      );
    };

    const first = await tenant.engine.runCycle();
    expectTicketExportFailure(first);
    // Creates carry their idempotency handle, so SuperOffice's records reach Zendesk regardless.
    expect(missingInZendesk(harness)).toEqual([]);

    // During the outage a Zendesk agent renames an organization and a ticket, and SuperOffice renames another ticket.
    const tickets = [...so.tickets.values()];
    const [editedInZendesk, editedInSuperOffice] = tickets;
    const [contact] = so.contacts.values();
    if (editedInZendesk === undefined || editedInSuperOffice === undefined || contact === undefined)
      throw new Error('the generated tenant has too few tickets or contacts');
    const organizationId = await harness.zendeskIdOf('contact', contact.contactId);
    const zendeskTicketId = await harness.zendeskIdOf('ticket', editedInZendesk.ticketId);
    const otherZendeskTicketId = await harness.zendeskIdOf('ticket', editedInSuperOffice.ticketId);
    if (organizationId === undefined || zendeskTicketId === undefined || otherZendeskTicketId === undefined)
      throw new Error('the first cycle did not link the records');
    harness.clock.advance(1000);
    zd.editOrganization(organizationId, { name: 'Renamed in Zendesk AS' });
    zd.editTicket(zendeskTicketId, { subject: 'Renamed in Zendesk' });
    so.editTicket(editedInSuperOffice.ticketId, { title: 'Renamed in SuperOffice' });
    harness.clock.advance(1000);

    const during = await tenant.engine.runCycle();
    expectTicketExportFailure(during);
    expect(so.contacts.get(contact.contactId)?.name).toBe('Renamed in Zendesk AS');
    // The ticket edit waits for its feed; the update to the unread Zendesk ticket is held back, not written blind.
    expect(so.tickets.get(editedInZendesk.ticketId)?.title).not.toBe('Renamed in Zendesk');
    expect(during.writes.deferred).toBe(1);
    expect(zd.ticket(otherZendeskTicketId)?.subject).not.toBe('Renamed in SuperOffice');

    outage = false;
    const recovered = await tenant.engine.runCycle();
    expect(recovered.readFailures).toEqual([]);
    expect(recovered.failures).toEqual([]);
    expect(so.tickets.get(editedInZendesk.ticketId)?.title).toBe('Renamed in Zendesk');
    expect(zd.ticket(otherZendeskTicketId)?.subject).toBe('Renamed in SuperOffice');
    expect(zd.ticket(zendeskTicketId)?.subject).toBe('Renamed in Zendesk');
    expect(missingInZendesk(harness)).toEqual([]);
    const settled = await tenant.engine.runCycle();
    expect(settled.readFailures).toEqual([]);
    const quiet = await tenant.engine.runCycle();
    expect(quiet.writes.calls).toBe(0);
  });
});

describe('a record the other system refuses', () => {
  it('lists the refused person with its reason, syncs everything else, and creates the person once it is corrected', async () => {
    const harness = await startSyncHarness({ superoffice: { ...smallTenant } });
    try {
      makeContactNamesUnique(harness);
      const so = harness.superoffice.data;
      const [owner] = so.associates.values();
      const [contact] = [...so.contacts.values()].filter((row) => !row.isOwnerContact);
      if (owner === undefined || contact === undefined) throw new Error('the generated tenant has no user or customer');
      // Typed by hand into SuperOffice, which does not check e-mail addresses; Zendesk does (422).
      const person = so.createPerson({
        contactId: contact.contactId,
        firstname: 'Kari',
        lastname: 'Nordmann',
        emails: [entityElement('kari.nordmann(at)example.com', 'Job')],
      });
      const ticket = so.createTicket({
        title: 'Printer on fire',
        ownedBy: owner.associateId,
        personId: person.personId,
      });

      const first = await harness.sync();
      expect(first.status).toBe('completed');
      expect(first.failures).toHaveLength(1);
      const [failure] = first.failures;
      expect(failure?.target).toBe('zendesk:user:');
      expect(failure?.error.code).toBe('validation');
      expect(failure?.error.message).toMatch(/kari\.nordmann\(at\)example\.com/);
      expect(failure?.error.fields?.email?.join(' ')).toMatch(/not properly formatted/);
      expect(failure?.retryAt).toBeNull(); // refused for its values: tried again when they change
      expect(failure?.advice).toMatch(/Correct the record/);
      // The rest is synced, the ticket about that person included.
      expect(missingInZendesk(harness)).toEqual([`superoffice:person:${person.personId}`]);
      expect(harness.zendesk.data.ticketsByExternalId(`superoffice:ticket:${ticket.ticketId}`)).toHaveLength(1);
      const stored = await harness.store.listFailedOutbox(10);
      expect(stored.map((row) => [row.state, row.lastError?.code])).toEqual([['failed', 'validation']]);

      // Nothing changed: the refused create is not sent again.
      const quiet = await harness.sync();
      expect(quiet.writes.calls).toBe(0);
      expect(quiet.failures).toEqual([]);

      // Someone corrects the person card in SuperOffice: the create goes out again and succeeds.
      harness.clock.advance(1000);
      so.editPerson(person.personId, {
        title: 'Office manager',
        emails: [entityElement('kari.nordmann@example.com', 'Job')],
      });
      const corrected = await harness.sync();
      expect(corrected.failures).toEqual([]);
      expect(corrected.writes.created).toBe(1);
      expect(missingInZendesk(harness)).toEqual([]);
      expect(harness.zendesk.data.userByEmail('kari.nordmann@example.com')?.external_id).toBe(
        `superoffice:person:${person.personId}`,
      );
      expect(await harness.store.listFailedOutbox(10)).toEqual([]);
      const last = await harness.sync();
      expect(last.writes.calls).toBe(0);
    } finally {
      await harness.close();
    }
  });
});

describe('a bad configuration', () => {
  let harness: SyncHarness | undefined;

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('exits 2 naming TANDEM_ZENDESK_URL when it is not a URL, before touching either system', async () => {
    harness = await startSyncHarness({ superoffice: { ...smallTenant } });
    const run = await runTandemSync({ ...harness.env, TANDEM_ZENDESK_URL: 'acme.zendesk' }, dirname(harness.dbPath));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/TANDEM_ZENDESK_URL is not a URL: 'acme\.zendesk'/);
    expect(harness.superoffice.calls.total + harness.zendesk.calls.total).toBe(0);
  });

  it('exits 3 with a message about the credentials when Zendesk refuses the token, and writes nothing', async () => {
    harness = await startSyncHarness({ superoffice: { ...smallTenant } });
    const run = await runTandemSync(
      { ...harness.env, TANDEM_ZENDESK_OAUTH_TOKEN: 'expired-token' },
      dirname(harness.dbPath),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/Zendesk/);
    expect(run.stderr).toMatch(/Check the credentials/);
    expect(run.stderr).not.toMatch(/expired-token/);
    expect(harness.superoffice.calls.writes + harness.zendesk.calls.writes).toBe(0);
  });

  it('exits 3 saying an admin is needed when the Zendesk credentials are an agent’s (issue 12.8)', async () => {
    const agent = { email: 'helpdesk.agent@example.com', token: 'agent-api-token' };
    harness = await startSyncHarness({
      superoffice: { ...smallTenant },
      zendesk: { credentials: { apiTokens: [{ email: 'agent@example.com', token: 'sim-api-token' }, agent] } },
    });
    harness.zendesk.data.createUser({ name: 'Help Desk Agent', email: agent.email, role: 'agent' });
    const run = await runTandemSync(
      {
        ...harness.env,
        TANDEM_ZENDESK_OAUTH_TOKEN: '',
        TANDEM_ZENDESK_EMAIL: agent.email,
        TANDEM_ZENDESK_API_TOKEN: agent.token,
      },
      dirname(harness.dbPath),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/admins only/);
    expect(harness.superoffice.calls.writes + harness.zendesk.calls.writes).toBe(0);
  });

  it('exits 3 with a message about the credentials when SuperOffice refuses the token, and writes nothing', async () => {
    harness = await startSyncHarness({ superoffice: { ...smallTenant } });
    const run = await runTandemSync(
      { ...harness.env, TANDEM_SUPEROFFICE_TOKEN: 'expired-token' },
      dirname(harness.dbPath),
    );
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/SuperOffice/);
    expect(run.stderr).toMatch(/Check the credentials/);
    expect(harness.superoffice.calls.writes + harness.zendesk.calls.writes).toBe(0);
  });
});
