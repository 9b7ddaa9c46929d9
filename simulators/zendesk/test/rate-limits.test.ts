import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock, startZendeskSimulator, type ZendeskSimulator } from '../index.js';
import { call, member } from './simulator-client.js';

const limits = { perMinute: 5, incrementalPerMinute: 2, perUserUpdatesPerMinute: 3 };

describe('Zendesk simulator: rate limits (zendesk-api.md §5)', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  it('counts the account budget down in X-Rate-Limit-Remaining and ratelimit-* headers', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock(), rateLimits: limits });
    const answer = await call(simulator, 'GET', '/api/v2/users');
    expect(answer.headers.get('x-rate-limit')).toBe('5');
    expect(answer.headers.get('x-rate-limit-remaining')).toBe('4');
    expect(answer.headers.get('ratelimit-limit')).toBe('5');
    expect(answer.headers.get('ratelimit-remaining')).toBe('4');
    expect(Number(answer.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
  });

  it('spells the headers rate-limit-* as the 2023 recordings do, when asked', async () => {
    simulator = await startZendeskSimulator({ rateLimits: limits, rateLimitHeaderSpelling: '2023' });
    const answer = await call(simulator, 'GET', '/api/v2/users');
    expect(answer.headers.get('rate-limit')).toBe('5');
    expect(answer.headers.get('rate-limit-remaining')).toBe('4');
  });

  it('answers 429 with Retry-After once the minute is spent, and serves again when the clock moves on', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock(), rateLimits: limits });
    for (let index = 0; index < 5; index++) expect((await call(simulator, 'GET', '/api/v2/users')).status).toBe(200);
    const refused = await call(simulator, 'GET', '/api/v2/users');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    simulator.clock.advance(retryAfter * 1000);
    expect((await call(simulator, 'GET', '/api/v2/users')).status).toBe(200);
  });

  it('keeps a separate 10-per-minute style bucket for incremental exports, with its own header', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock(), rateLimits: { ...limits, perMinute: 100 } });
    const first = await call(simulator, 'GET', '/api/v2/incremental/users/cursor?start_time=0');
    expect(first.headers.get('zendesk-ratelimit-incremental-exports')).toMatch(/^total=2; remaining=1; resets=\d+$/);
    await call(simulator, 'GET', '/api/v2/incremental/users/cursor?start_time=0');
    expect((await call(simulator, 'GET', '/api/v2/incremental/users/cursor?start_time=0')).status).toBe(429);
    expect((await call(simulator, 'GET', '/api/v2/users')).status).toBe(200);
  });

  it('limits updates of one user with a plain-text 429 while the account budget remains (trap 4)', async () => {
    simulator = await startZendeskSimulator({ clock: createManualClock(), rateLimits: { ...limits, perMinute: 100 } });
    const created = await call(simulator, 'POST', '/api/v2/users', { user: { name: 'Busy' } });
    const id = member(created.json, 'user', 'id');
    for (let index = 0; index < 3; index++) {
      expect((await call(simulator, 'PUT', `/api/v2/users/${id}`, { user: { phone: `${index}` } })).status).toBe(200);
    }
    const refused = await call(simulator, 'PUT', `/api/v2/users/${id}`, { user: { phone: 'x' } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(refused.text).toMatch(/^You have exceeded the rate limit for updating a single unique user/);
    expect(Number(refused.headers.get('x-rate-limit-remaining'))).toBeGreaterThan(50);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('can switch every limit off for benchmarks', async () => {
    simulator = await startZendeskSimulator({ rateLimits: false });
    for (let index = 0; index < 20; index++) {
      const answer = await call(simulator, 'GET', '/api/v2/incremental/users/cursor?start_time=0');
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-rate-limit')).toBeNull();
    }
  });
});
