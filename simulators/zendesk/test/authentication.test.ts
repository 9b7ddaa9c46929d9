import { afterEach, describe, expect, it } from 'vitest';
import { startZendeskSimulator, type ZendeskSimulator } from '../index.js';
import { call, member } from './simulator-client.js';

const basic = (email: string, token: string) => ({
  authorization: `Basic ${Buffer.from(`${email}/token:${token}`).toString('base64')}`,
});

describe('Zendesk simulator: authentication and transport (zendesk-api.md §1)', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  it('accepts the default OAuth token and the default API token in Basic email/token form', async () => {
    simulator = await startZendeskSimulator();
    expect((await call(simulator, 'GET', '/api/v2/users')).status).toBe(200);
    expect(
      (await call(simulator, 'GET', '/api/v2/users', undefined, basic('agent@example.com', 'sim-api-token'))).status,
    ).toBe(200);
  });

  it('answers 401 with the bare-string body to a wrong token, a wrong API token and no credentials', async () => {
    simulator = await startZendeskSimulator();
    for (const headers of [{ authorization: 'Bearer nope' }, basic('agent@example.com', 'wrong'), {}]) {
      const answer = await call(simulator, 'GET', '/api/v2/organizations', undefined, headers);
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ error: "Couldn't authenticate you" });
    }
  });

  it('answers users/me with 200 "Anonymous user" without credentials (§1 quirk)', async () => {
    simulator = await startZendeskSimulator();
    const answer = await call(simulator, 'GET', '/api/v2/users/me', undefined, {});
    expect(answer.status).toBe(200);
    expect(member(answer.json, 'user', 'name')).toBe('Anonymous user');
  });

  it('serves every path with and without the .json suffix (§1 "Path suffix")', async () => {
    simulator = await startZendeskSimulator({ users: 2 });
    const plain = await call(simulator, 'GET', '/api/v2/users?per_page=5');
    const suffixed = await call(simulator, 'GET', '/api/v2/users.json?per_page=5');
    expect(suffixed.status).toBe(200);
    expect(suffixed.json).toEqual(plain.json);
  });

  it('sends the Zendesk response headers and a Date read from the simulator clock', async () => {
    simulator = await startZendeskSimulator();
    simulator.clock.advance(3_600_000);
    const answer = await call(simulator, 'GET', '/api/v2/users');
    expect(answer.headers.get('x-zendesk-api-version')).toBe('v2');
    expect(answer.headers.get('x-request-id')).toMatch(/^sim-/);
    expect(Math.abs(Date.parse(answer.headers.get('date') ?? '') - simulator.clock.now())).toBeLessThan(2000);
  });

  it('rotates OAuth tokens on a refresh and refuses the previous refresh token and access token (OEXP)', async () => {
    simulator = await startZendeskSimulator({ credentials: { oauthTokens: [] } });
    const grant = { grant_type: 'refresh_token', client_id: 'tandem', client_secret: 'sim-secret' };
    const first = await call(simulator, 'POST', '/oauth/tokens', { ...grant, refresh_token: 'sim-refresh-token' }, {});
    expect(first.status).toBe(200);
    const accessToken = String(member(first.json, 'access_token'));
    const refreshToken = String(member(first.json, 'refresh_token'));
    expect(
      (await call(simulator, 'GET', '/api/v2/users', undefined, { authorization: `Bearer ${accessToken}` })).status,
    ).toBe(200);
    const reused = await call(simulator, 'POST', '/oauth/tokens', { ...grant, refresh_token: 'sim-refresh-token' }, {});
    expect(reused.status).toBe(401);
    const second = await call(simulator, 'POST', '/oauth/tokens', { ...grant, refresh_token: refreshToken }, {});
    expect(second.status).toBe(200);
    expect(
      (await call(simulator, 'GET', '/api/v2/users', undefined, { authorization: `Bearer ${accessToken}` })).status,
    ).toBe(401);
  });

  it('lets an issued access token expire with the simulator clock', async () => {
    simulator = await startZendeskSimulator({ credentials: { accessTokenTtlSeconds: 300 } });
    const grant = {
      grant_type: 'refresh_token',
      client_id: 'tandem',
      client_secret: 'sim-secret',
      refresh_token: 'sim-refresh-token',
    };
    const token = String(member((await call(simulator, 'POST', '/oauth/tokens', grant, {})).json, 'access_token'));
    const auth = { authorization: `Bearer ${token}` };
    expect((await call(simulator, 'GET', '/api/v2/users', undefined, auth)).status).toBe(200);
    simulator.clock.advance(301_000);
    expect((await call(simulator, 'GET', '/api/v2/users', undefined, auth)).status).toBe(401);
  });

  it('answers an unknown endpoint with 404 InvalidEndpoint', async () => {
    simulator = await startZendeskSimulator();
    const answer = await call(simulator, 'GET', '/api/v2/nothing_here');
    expect(answer.status).toBe(404);
    expect(member(answer.json, 'error')).toBe('InvalidEndpoint');
  });
});
