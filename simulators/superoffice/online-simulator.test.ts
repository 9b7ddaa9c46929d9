/**
 * The simulator's SuperOffice Online behaviour against the documentation (superoffice-api.md §1,
 * D-OIDC, D-CODE, D-SYSU, D-SYST, D-STATE, D-TZ, SO-REF): credentials that expire, the system-user
 * exchange, tenants that move, SO-TimeZone, and the readings it takes where the docs are silent.
 */
import { createPublicKey, createSign, generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SimulatorClock,
  type SuperOfficeSimulator,
  type SuperOfficeSimulatorOptions,
  startSuperOfficeSimulator,
} from './index.js';
import { ticketClaim } from './online-auth.js';

const appKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const systemUser = {
  systemUserToken: 'Tandem Test-k3Jd82hs',
  clientSecret: 'app-secret-1',
  publicKey: appKeys.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
};
const oauthClient = { clientId: 'client-1', clientSecret: 'client-secret-1', refreshToken: 'refresh-1' };
const start = '2025-01-15T12:00:00Z';

const started: SuperOfficeSimulator[] = [];
afterEach(async () => {
  await Promise.allSettled(started.splice(0).map((simulator) => simulator.close()));
});

async function simulator(options: SuperOfficeSimulatorOptions = {}) {
  const clock = new SimulatorClock({ frozenAt: start });
  const started1 = await startSuperOfficeSimulator({
    clock,
    contacts: 2,
    online: {
      systemUsers: [systemUser],
      oauthClients: [oauthClient],
      accessTokenTtlSeconds: 60,
      ticketIdleSeconds: 60,
    },
    ...options,
  });
  started.push(started1);
  return { sim: started1, clock };
}

async function get(url: string, headers: Record<string, string>) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? {} : JSON.parse(text) };
}

function signed(token: string, at: string, key = appKeys.privateKey): string {
  const data = `${token}.${at}`;
  return `${data}.${createSign('SHA256').update(data).sign(key, 'base64')}`;
}

async function exchange(sim: SuperOfficeSimulator, signedToken: string) {
  const response = await fetch(`${sim.environmentUrl}/Login/api/PartnerSystemUser/Authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      SignedSystemToken: signedToken,
      ApplicationToken: systemUser.clientSecret,
      ContextIdentifier: sim.tenant,
      ReturnTokenType: 'JWT',
    }),
  });
  return (await response.json()) as { IsSuccessful: boolean; Token: string | null; ErrorMessage: string };
}

describe('SuperOffice simulator: Online credentials', () => {
  it('renews an access token with the refresh-token grant (form parameters); the token expires after expires_in', async () => {
    const { sim, clock } = await simulator();
    const form = new URLSearchParams({ grant_type: 'refresh_token', ...renamed(oauthClient) });
    const response = await fetch(`${sim.environmentUrl}/login/common/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const answer = (await response.json()) as { access_token: string; expires_in: number; token_type: string };
    expect(answer).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    const auth = { authorization: `Bearer ${answer.access_token}` };
    expect((await get(`${sim.url}/Contact/1`, auth)).status).toBe(200);
    clock.advance(60_000);
    expect((await get(`${sim.url}/Contact/1`, auth)).status).toBe(401);

    const refused = await fetch(`${sim.environmentUrl}/login/common/oauth/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...Object.fromEntries(form), refresh_token: 'revoked' }).toString(),
    });
    expect(refused.status).toBe(400);
  });

  it('exchanges a system-user token signed with the application key for a JWT whose ticket claim works with SO-AppToken', async () => {
    const { sim, clock } = await simulator();
    const answer = await exchange(sim, signed(systemUser.systemUserToken, '202501151200'));
    expect(answer.IsSuccessful).toBe(true);
    const [header = '', payload = '', signature = ''] = (answer.Token ?? '').split('.');
    const keys = (await get(`${sim.environmentUrl}/login/.well-known/jwks`, {})).json as { keys: object[] };
    const publicKey = createPublicKey({ key: keys.keys[0] as never, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, 'base64url'))).toBe(
      true,
    );
    const ticket = JSON.parse(Buffer.from(payload, 'base64url').toString())[ticketClaim] as string;
    const withTicket = { authorization: `SOTicket ${ticket}`, 'so-apptoken': systemUser.clientSecret };
    expect((await get(`${sim.url}/Contact/1`, withTicket)).status).toBe(200);
    expect((await get(`${sim.url}/Contact/1`, { authorization: `SOTicket ${ticket}` })).status).toBe(401);
    // Sliding: each use starts the idle lifetime again.
    clock.advance(50_000);
    expect((await get(`${sim.url}/Contact/1`, withTicket)).status).toBe(200);
    clock.advance(50_000);
    expect((await get(`${sim.url}/Contact/1`, withTicket)).status).toBe(200);
    clock.advance(60_000);
    expect((await get(`${sim.url}/Contact/1`, withTicket)).status).toBe(401);
  });

  it('refuses a signed token made with another key, or with a stale timestamp', async () => {
    const { sim } = await simulator();
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect((await exchange(sim, signed(systemUser.systemUserToken, '202501151200', otherKey))).IsSuccessful).toBe(
      false,
    );
    expect((await exchange(sim, signed(systemUser.systemUserToken, '202501151100'))).IsSuccessful).toBe(false);
  });
});

describe('SuperOffice simulator: tenants that move', () => {
  it('answers 421 on the old host after a move, and the tenant status names the new one', async () => {
    const { sim } = await simulator();
    const bearer = { authorization: 'Bearer sim-token' };
    const movedTo = await sim.moveTenant();
    const old = await get(`${sim.url}/Contact/1`, bearer);
    expect(old.status).toBe(421);
    expect(old.json.ErrorMessage).toBe('Wrong subdomain used to access tenant');
    const state = (await get(`${sim.environmentUrl}/api/state/${sim.tenant}`, {})).json;
    expect(`${state.Api}/v1`).toBe(movedTo);
    expect(state).toMatchObject({ ContextIdentifier: sim.tenant, State: 'Running', IsRunning: true });
    expect((await get(`${movedTo}/Contact/1`, bearer)).status).toBe(200);
  });
});

describe('SuperOffice simulator: SO-TimeZone and ticket headers', () => {
  const bearer = { authorization: 'Bearer sim-token' };

  it('writes ticket dates in the base zone by default, converts them on SO-TimeZone, tags offsets on includeTZOffset', async () => {
    const { sim } = await simulator({ timeZone: 'Europe/Oslo' });
    const ticket = sim.data.createTicket({ title: 'Zones' });
    const plain = await get(`${sim.url}/Ticket/${ticket.ticketId}`, bearer);
    expect(plain.json.CreatedAt).toBe('2025-01-15T13:00:00');
    const newYork = await get(`${sim.url}/Ticket/${ticket.ticketId}`, {
      ...bearer,
      'so-timezone': 'US-NY, includeTZOffset',
    });
    expect(newYork.json.CreatedAt).toBe('2025-01-15T07:00:00-0500');
    const utc = await get(`${sim.url}/Ticket/${ticket.ticketId}`, { ...bearer, 'so-timezone': 'UTC' });
    expect(utc.json.CreatedAt).toBe('2025-01-15T12:00:00');
    const person = sim.data.createPerson({ contactId: 1 });
    const tagged = await get(`${sim.url}/Person/${person.personId}`, {
      ...bearer,
      'so-timezone': 'US-NY, includeTZOffset',
    });
    expect(tagged.json.UpdatedDate).toBe('2025-01-15T12:00:00Z'); // Created/Updated: always UTC, tagged as such
  });

  it('ignores SO-TimeZone when told to (a tenant without multiple time zones)', async () => {
    const { sim } = await simulator({ timeZone: 'Europe/Oslo', honourTimeZoneHeader: false });
    const ticket = sim.data.createTicket({ title: 'Zones' });
    const asked = await get(`${sim.url}/Ticket/${ticket.ticketId}`, {
      ...bearer,
      'so-timezone': 'UTC, includeTZOffset',
    });
    expect(asked.json.CreatedAt).toBe('2025-01-15T13:00:00');
  });

  it('sends no Last-Modified on a ticket (documented for Person and Contact only)', async () => {
    const { sim } = await simulator();
    const ticket = sim.data.createTicket({ title: 'Headers' });
    const person = sim.data.createPerson({ contactId: 1 });
    expect((await get(`${sim.url}/Ticket/${ticket.ticketId}`, bearer)).headers.get('last-modified')).toBeNull();
    expect((await get(`${sim.url}/Person/${person.personId}`, bearer)).headers.get('last-modified')).not.toBeNull();
  });
});

describe('SuperOffice simulator: JSON Patch test on an array (not documented)', () => {
  const patchEmails = async (sim: SuperOfficeSimulator, personId: number) =>
    fetch(`${sim.url}/Person/${personId}`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer sim-token', 'content-type': 'application/json' },
      body: JSON.stringify([
        { op: 'test', path: '/Emails', value: [] },
        { op: 'add', path: '/Emails/-', value: { Value: 'a@example.com' } },
      ]),
    });

  it('refuses it by default (409), and compares arrays when told to', async () => {
    const harsh = (await simulator()).sim;
    expect((await patchEmails(harsh, harsh.data.createPerson({ contactId: 1 }).personId)).status).toBe(409);
    const kind = (await simulator({ patchTestOnArrays: 'compare' })).sim;
    expect((await patchEmails(kind, kind.data.createPerson({ contactId: 1 }).personId)).status).toBe(200);
  });
});

function renamed(client: typeof oauthClient): Record<string, string> {
  return { client_id: client.clientId, client_secret: client.clientSecret, refresh_token: client.refreshToken };
}
