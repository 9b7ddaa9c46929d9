/**
 * SuperOffice Online's moving parts against the simulator over real HTTP: credentials that expire
 * (system-user tickets, OAuth access tokens), tenants that move between hosts, ticket dates in the
 * tenant's base time zone, and the guard on a person's first e-mail.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  entityElement,
  type OnlineAuthOptions,
  SimulatorClock,
  type SuperOfficeSimulator,
  type SuperOfficeSimulatorOptions,
  startSuperOfficeSimulator,
} from '../../../simulators/superoffice/index.js';
import type { ResponseInfo } from '../../../src/connectors/http-client.js';
import {
  type SuperOfficeAuth,
  SuperOfficeConnector,
  type SuperOfficeConnectorOptions,
} from '../../../src/connectors/superoffice/superoffice-connector.js';
import { isSyncError } from '../../../src/core/sync-error.js';

const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = appKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const publicKeyPem = appKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const systemUser = { systemUserToken: 'Tandem Test-k3Jd82hs', clientSecret: 'app-secret-1', publicKey: publicKeyPem };
const systemUserAuth: SuperOfficeAuth = {
  kind: 'system-user',
  systemUserToken: systemUser.systemUserToken,
  privateKey: privateKeyPem,
  clientSecret: systemUser.clientSecret,
  customerId: 'Cust12345',
};
const oauthClient = { clientId: 'client-1', clientSecret: 'client-secret-1', refreshToken: 'refresh-1' };

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((item) => item.close()));
});

async function simulatorWith(options: SuperOfficeSimulatorOptions, online: OnlineAuthOptions = {}) {
  const clock = options.clock ?? new SimulatorClock({ frozenAt: '2025-03-10T12:00:00Z' });
  const simulator = await startSuperOfficeSimulator({
    seed: 3,
    contacts: 3,
    persons: 5,
    users: 2,
    ...options,
    clock,
    online: { systemUsers: [systemUser], oauthClients: [oauthClient], ...online },
  });
  open.push(simulator);
  return { simulator, clock };
}

function connectorFor(
  simulator: SuperOfficeSimulator,
  clock: SimulatorClock,
  extra: Partial<SuperOfficeConnectorOptions> = {},
): SuperOfficeConnector {
  const connector = new SuperOfficeConnector({
    customerId: simulator.tenant,
    environmentUrl: simulator.environmentUrl,
    auth: systemUserAuth,
    now: () => clock.now(),
    retries: 3,
    minRetryDelayMs: 1,
    maxRetryDelayMs: 4,
    ...extra,
  });
  open.push(connector);
  return connector;
}

async function readIds(connector: SuperOfficeConnector, type: 'contact' | 'person'): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of connector.readAll(type)) ids.push(...page.records.map((record) => record.ref.id));
  return ids.sort();
}

describe('SuperOffice credentials that renew themselves', () => {
  it('obtains a system-user ticket with the signed token, caches it, and fetches a new one after a 401', async () => {
    const { simulator, clock } = await simulatorWith({}, { ticketIdleSeconds: 5 });
    const statuses: number[] = [];
    // The connector believes tickets live 6 hours: only the 401 can tell it this one is gone.
    const connector = connectorFor(simulator, clock, {
      onResponse: (info: ResponseInfo) => statuses.push(info.status),
    });

    expect(await readIds(connector, 'contact')).toHaveLength(3);
    expect(await readIds(connector, 'person')).toHaveLength(simulator.data.persons.size);
    expect(simulator.auth.counts.ticketsIssued).toBe(1);

    clock.advance(6_000); // idle longer than the ticket lives
    expect(await readIds(connector, 'contact')).toHaveLength(3);
    expect(simulator.auth.counts.ticketsIssued).toBe(2);
    expect(simulator.auth.counts.expiredRefused).toBe(1);
    expect(statuses.filter((status) => status === 401)).toHaveLength(1);
  });

  it('renews a ticket a little before it would go stale, so no request meets an expired one', async () => {
    const { simulator, clock } = await simulatorWith({}, { ticketIdleSeconds: 10 });
    const connector = connectorFor(simulator, clock, { ticketLifetimeMs: 10_000 });
    await readIds(connector, 'contact');
    clock.advance(9_500); // within the last tenth of its idle lifetime
    await readIds(connector, 'contact');
    expect(simulator.auth.counts.ticketsIssued).toBe(2);
    expect(simulator.auth.counts.expiredRefused).toBe(0);
  });

  it('renews an OAuth access token with the refresh-token grant before expires_in runs out, and after a 401', async () => {
    const { simulator, clock } = await simulatorWith({}, { accessTokenTtlSeconds: 60 });
    const connector = connectorFor(simulator, clock, {
      auth: { kind: 'oauth', ...oauthClient, accessToken: 'an-old-token-from-the-config' },
    });
    expect(await readIds(connector, 'contact')).toHaveLength(3); // the old token: 401, refresh, retried
    expect(simulator.auth.counts.accessTokensIssued).toBe(1);
    clock.advance(55_000);
    await readIds(connector, 'contact'); // inside the last tenth of 60 s: renewed first
    expect(simulator.auth.counts.accessTokensIssued).toBe(2);
    expect(simulator.auth.counts.expiredRefused).toBe(0);
  });

  it('says the system-user sign-in was refused when the key is not the application key, without any secret', async () => {
    const { simulator, clock } = await simulatorWith({});
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    const connector = connectorFor(simulator, clock, { auth: { ...systemUserAuth, privateKey: otherKey } });
    const failure = await connector.verify().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isSyncError(failure) && failure.code).toBe('auth');
    const message = String((failure as Error).message);
    expect(message).toContain('refused the system-user sign-in');
    for (const secret of [systemUser.clientSecret, systemUser.systemUserToken, 'PRIVATE KEY']) {
      expect(message).not.toContain(secret);
    }
  });

  it('rejects a write call (instead of failing its records) when the credentials cannot be renewed', async () => {
    const systemUsers = [systemUser];
    const { simulator, clock } = await simulatorWith({}, { ticketIdleSeconds: 5, systemUsers });
    const connector = connectorFor(simulator, clock);
    const person = simulator.data.createPerson({ contactId: 1, emails: [entityElement('a@example.com')] });
    await connector.verify();
    systemUsers.length = 0; // the consent is withdrawn
    clock.advance(6_000);
    const write = connector.write('person', [
      { kind: 'update', key: 'k', id: String(person.personId), values: { 'Emails.Value': 'b@example.com' } },
    ]);
    await expect(write).rejects.toMatchObject({ code: 'auth' });
  });

  it('renews a ticket that expired between a read and its write, and the write goes through', async () => {
    const { simulator, clock } = await simulatorWith({}, { ticketIdleSeconds: 5 });
    const person = simulator.data.createPerson({ contactId: 1, emails: [entityElement('a@example.com')] });
    let expired = false;
    const connector = connectorFor(simulator, clock, {
      onResponse: (info: ResponseInfo) => {
        if (!expired && info.method === 'GET' && info.path === `/Person/${person.personId}`) {
          expired = true;
          clock.advance(6_000);
        }
      },
    });
    const [outcome] = await connector.write('person', [
      { kind: 'update', key: 'k', id: String(person.personId), values: { 'Emails.Value': 'b@example.com' } },
    ]);
    expect(outcome?.status).toBe('updated');
    expect(simulator.data.persons.get(person.personId)?.emails[0]?.value).toBe('b@example.com');
    expect(simulator.auth.counts.expiredRefused).toBe(1);
  });
});

describe('SuperOffice tenants that move', () => {
  it('looks the host up in the tenant status API and follows the tenant after a 421', async () => {
    const { simulator, clock } = await simulatorWith({});
    const connector = connectorFor(simulator, clock);
    expect(await readIds(connector, 'contact')).toHaveLength(3);
    const statusLookups = () => simulator.calls.count('GET /api/state/:tenant');
    expect(statusLookups()).toBe(1);

    const movedTo = await simulator.moveTenant();
    expect(movedTo).not.toBe(simulator.url);
    expect(await readIds(connector, 'contact')).toHaveLength(3);
    expect(statusLookups()).toBe(2);
    // Contacts are listed through the Dynamic archive (superoffice-feeds.ts).
    expect(simulator.calls.snapshot()['GET /Archive/{provider}'] ?? 0).toBeGreaterThan(0);
  });

  it('keeps the host until ValidUntil, then looks it up again', async () => {
    const { simulator, clock } = await simulatorWith({});
    const connector = connectorFor(simulator, clock);
    await readIds(connector, 'contact');
    await readIds(connector, 'contact');
    expect(simulator.calls.count('GET /api/state/:tenant')).toBe(1);
    clock.advance(3_600_000 + 1000); // the simulator's ValidUntil is an hour ahead
    await readIds(connector, 'contact');
    expect(simulator.calls.count('GET /api/state/:tenant')).toBe(2);
  });

  it('with a fixed URL (on-site), a 421 is a configuration error that names the status', async () => {
    const { simulator, clock } = await simulatorWith({});
    const connector = connectorFor(simulator, clock, {
      url: simulator.url,
      auth: { kind: 'bearer', token: 'sim-token' },
    });
    await simulator.moveTenant();
    await expect(connector.verify()).rejects.toMatchObject({ code: 'config', status: 421 });
  });
});

const zones = ['Europe/Oslo', 'UTC', 'America/New_York'] as const;
const createdAt = Date.parse('2025-01-15T09:30:00Z');

describe('SuperOffice ticket dates in the tenant base time zone', () => {
  for (const header of ['honoured', 'ignored'] as const) {
    for (const zone of zones) {
      it(`reads a ticket's creation as the same instant for a tenant in ${zone} (SO-TimeZone ${header})`, async () => {
        const clock = new SimulatorClock({ frozenAt: new Date(createdAt) });
        const { simulator } = await simulatorWith({
          clock,
          timeZone: zone,
          honourTimeZoneHeader: header === 'honoured',
        });
        const ticket = simulator.data.createTicket({ title: 'Printer on fire' });
        clock.advance(60_000);
        // Honoured: the operator left the zone unset, SO-TimeZone alone makes it right.
        const connector = connectorFor(simulator, clock, header === 'ignored' ? { tenantTimeZone: zone } : {});
        const [record] = await connector.readByIds('ticket', [String(ticket.ticketId)]);
        expect(record?.facts?.createdAt).toBe('2025-01-15T09:30:00Z');
      });

      it(`guards a ticket write in ${zone} (SO-TimeZone ${header}): passes alone, 412 after a concurrent edit`, async () => {
        const clock = new SimulatorClock({ frozenAt: new Date(createdAt) });
        const { simulator } = await simulatorWith({
          clock,
          timeZone: zone,
          honourTimeZoneHeader: header === 'honoured',
        });
        const quiet = simulator.data.createTicket({ title: 'Quiet' });
        const raced = simulator.data.createTicket({ title: 'Raced' });
        clock.advance(60_000);
        const patches: number[] = [];
        let interfered = false;
        const connector = connectorFor(simulator, clock, {
          ...(header === 'ignored' ? { tenantTimeZone: zone } : {}),
          onResponse: (info: ResponseInfo) => {
            if (info.method === 'PATCH') patches.push(info.status);
            if (!interfered && info.method === 'GET' && info.path === `/Ticket/${raced.ticketId}`) {
              interfered = true;
              clock.advance(1000);
              simulator.data.editTicket(raced.ticketId, { title: 'Edited in SuperOffice meanwhile' });
            }
          },
        });
        const [alone] = await connector.write('ticket', [
          { kind: 'update', key: 'q', id: String(quiet.ticketId), values: { Title: 'From Zendesk' } },
        ]);
        expect(alone?.status).toBe('updated');
        expect(patches).toEqual([200]);
        await connector.write('ticket', [
          { kind: 'update', key: 'r', id: String(raced.ticketId), values: { Title: 'From Zendesk' } },
        ]);
        expect(patches[1]).toBe(412);
        expect(simulator.data.tickets.get(raced.ticketId)?.title).toBe('Edited in SuperOffice meanwhile');
      });
    }
  }
});

describe("SuperOffice person's first e-mail", () => {
  it('gives a person without e-mail one, though the server refuses a test on an array', async () => {
    const { simulator, clock } = await simulatorWith({ patchTestOnArrays: 'refuse' });
    const person = simulator.data.createPerson({ contactId: 1, emails: [] });
    const connector = connectorFor(simulator, clock);
    simulator.calls.reset();
    const [outcome] = await connector.write('person', [
      { kind: 'update', key: 'k', id: String(person.personId), values: { 'Emails.Value': 'first@example.com' } },
    ]);
    expect(outcome?.status).toBe('updated');
    expect(simulator.calls.count('PATCH /Person/{id}')).toBe(1);
    expect(simulator.data.persons.get(person.personId)?.emails.map((email) => email.value)).toEqual([
      'first@example.com',
    ]);
  });

  it('never overwrites an e-mail added meanwhile (an edit that leaves UpdatedDate alone): it stays first', async () => {
    const { simulator, clock } = await simulatorWith({});
    const person = simulator.data.createPerson({ contactId: 1, emails: [] });
    let interfered = false;
    const connector = connectorFor(simulator, clock, {
      onResponse: (info: ResponseInfo) => {
        if (!interfered && info.method === 'GET' && info.path === `/Person/${person.personId}`) {
          interfered = true;
          simulator.data.editPerson(person.personId, { emails: [entityElement('theirs@example.com')] });
        }
      },
    });
    const [outcome] = await connector.write('person', [
      { kind: 'update', key: 'k', id: String(person.personId), values: { 'Emails.Value': 'ours@example.com' } },
    ]);
    expect(simulator.data.persons.get(person.personId)?.emails.map((email) => email.value)).toEqual([
      'theirs@example.com',
      'ours@example.com',
    ]);
    // The record read back tells the engine the truth: the first e-mail is theirs.
    expect(outcome?.record?.values['Emails.Value']).toBe('theirs@example.com');
  });
});
