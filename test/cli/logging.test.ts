/**
 * Logs a person can use: one line per event in a terminal (a finished cycle is one line, not a
 * block of counts), a line whenever requests wait and for how long, and each API call at debug
 * level with method, path, status and time, never a credential.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../src/cli/logger.js';
import { HttpClient, type ResponseInfo, type WaitInfo } from '../../src/connectors/http-client.js';

/** A stream that says it is a terminal and keeps what is written. */
function terminal(): Writable & { isTTY: boolean; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return Object.assign(stream, { isTTY: true, text: () => text });
}

describe('the log on a terminal', () => {
  it('shows a finished cycle as one line with what it wrote', () => {
    const out = terminal();
    const logger = createLogger('info', out);
    logger.info(
      {
        cycleId: 'c1',
        status: 'completed',
        counts: { links: 3, creates: 2, updates: 1, conflicts: 1, decisions: 9, waits: 0, holds: 0 },
        writes: { created: 2, updated: 1, unchanged: 0, failed: 0, calls: 3, deferred: 0 },
      },
      'cycle finished',
    );
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('cycle completed: 2 created, 1 updated, 0 failed, 1 conflicts');
  });
});

interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: unknown;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((closed) => (server === undefined ? closed() : server.close(() => closed())));
  server = undefined;
});

/** A loopback server answering from a script, one answer per request, the last repeated. */
async function scripted(answers: readonly Answer[]): Promise<string> {
  let next = 0;
  server = createServer((_request, response) => {
    const answer = answers[Math.min(next++, answers.length - 1)] as Answer;
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((listening) => server?.listen(0, '127.0.0.1', listening));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(baseUrl: string, waits: WaitInfo[], responses: ResponseInfo[] = []) {
  return new HttpClient({
    baseUrl,
    serviceName: 'Zendesk',
    authorize: async () => ({ authorization: 'Bearer secret-token-123' }),
    describeError: (status) => ({ message: `status ${status}` }),
    minRetryDelayMs: 10,
    maxRetryDelayMs: 20,
    onWait: (wait) => waits.push(wait),
    onResponse: (info) => responses.push(info),
  });
}

describe('waiting is announced', () => {
  it('says for what and how long when the service asks for a pause with Retry-After', async () => {
    const url = await scripted([
      // Two seconds: the notice says what is left of the pause, which a loaded machine may shorten by a good part of a second.
      { status: 429, headers: { 'retry-after': '2' }, body: { error: 'slow down' } },
      { status: 200, body: { ok: true } },
    ]);
    const waits: WaitInfo[] = [];
    const http = client(url, waits);
    await http.request('GET', '/users.json', { schema: z.object({ ok: z.boolean() }) });
    await http.close();
    expect(waits).toHaveLength(1);
    expect(waits[0]?.reason).toBe('retry-after');
    expect(waits[0]?.ms).toBeGreaterThan(1000);
    expect(waits[0]?.ms).toBeLessThanOrEqual(2000);
    expect(waits[0]?.message).toContain('Zendesk answered 429 to GET /users.json');
    expect(waits[0]?.message).toMatch(/asked for a pause \(Retry-After\); trying GET \/users\.json again in [12] s/);
  });

  it('says when a failed request is tried again after a back-off', async () => {
    const url = await scripted([
      { status: 500, body: {} },
      { status: 200, body: { ok: true } },
    ]);
    const waits: WaitInfo[] = [];
    const http = client(url, waits);
    await http.request('GET', '/tickets.json', { schema: z.object({ ok: z.boolean() }) });
    await http.close();
    expect(waits.map((wait) => wait.reason)).toEqual(['backoff']);
    expect(waits[0]?.message).toMatch(/trying GET \/tickets\.json again in \d+ ms \(attempt 2 of 7\)/);
  });

  it('says when the rate-limit headers pause all requests', async () => {
    const url = await scripted([{ status: 200, body: { ok: true } }]);
    const waits: WaitInfo[] = [];
    const http = new HttpClient({
      baseUrl: url,
      serviceName: 'Zendesk',
      authorize: async () => ({}),
      describeError: () => ({ message: '' }),
      pauseAfter: () => 5_000,
      onWait: (wait) => waits.push(wait),
    });
    await http.request('GET', '/organizations.json', { schema: z.object({ ok: z.boolean() }) });
    await http.close();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ reason: 'rate-limit', ms: 5_000 });
    expect(waits[0]?.message).toContain('pausing Zendesk requests for 5 s');
  });
});

describe('an endpoint pausing on its own rate limit', () => {
  it('says so once, for what and how long', async () => {
    const url = await scripted([{ status: 200, body: { ok: true } }]);
    const waits: WaitInfo[] = [];
    const http = new HttpClient({
      baseUrl: url,
      serviceName: 'Zendesk',
      authorize: async () => ({}),
      describeError: () => ({ message: '' }),
      pauseOwnAfter: () => 4_000,
      onWait: (wait) => waits.push(wait),
    });
    await http.request('GET', '/incremental/tickets.json', { schema: z.object({ ok: z.boolean() }) });
    await http.close();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ reason: 'rate-limit', ms: 4_000 });
    expect(waits[0]?.message).toContain("Zendesk's /incremental endpoints is nearly used up");
    expect(waits[0]?.message).toContain('pausing them for 4 s');
  });
});

describe('what the client tells about each API call (logged at debug level by src/cli/tenant.ts)', () => {
  it('gives each call its method, path without the query, status and time', async () => {
    const url = await scripted([{ status: 200, body: { ok: true } }]);
    const responses: ResponseInfo[] = [];
    const http = client(url, [], responses);
    await http.request('GET', '/users/me.json', { schema: z.object({ ok: z.boolean() }), query: { page: 2 } });
    await http.close();
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ method: 'GET', path: '/users/me.json', status: 200 });
    expect(responses[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });
});
