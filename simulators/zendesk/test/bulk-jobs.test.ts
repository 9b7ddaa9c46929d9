import { afterEach, describe, expect, it } from 'vitest';
import { startZendeskSimulator, type ZendeskSimulator } from '../index.js';
import { bulk, call, member } from './simulator-client.js';

const users = (count: number, prefix = 'u') =>
  Array.from({ length: count }, (_, index) => ({ name: `User ${index}`, email: `${prefix}${index}@example.com` }));

describe('Zendesk simulator: bulk writes and job statuses (zendesk-api.md trap 2, §3.1)', () => {
  let simulator: ZendeskSimulator;
  afterEach(async () => simulator.close());

  it('refuses more than 100 items synchronously: 400 TooManyValues, worded per endpoint', async () => {
    simulator = await startZendeskSimulator();
    const usersAnswer = await call(simulator, 'POST', '/api/v2/users/create_many', { users: users(101) });
    expect(usersAnswer.status).toBe(400);
    expect(usersAnswer.json).toEqual({
      error: 'TooManyValues',
      description: 'Maximum 100 users may be created per call',
    });
    const tickets = Array.from({ length: 101 }, () => ({ subject: 's', comment: { body: 'b' } }));
    const ticketsAnswer = await call(simulator, 'POST', '/api/v2/tickets/create_many', { tickets });
    expect(ticketsAnswer.status).toBe(400);
    expect(member(ticketsAnswer.json, 'max_count')).toBe(100);
  });

  it('answers 200 with a queued job (results null) that completes asynchronously without the clock moving', async () => {
    simulator = await startZendeskSimulator();
    const answer = await call(simulator, 'POST', '/api/v2/organizations/create_many', {
      organizations: [{ name: 'One AS' }, { name: 'Two AS' }],
    });
    expect(answer.status).toBe(200);
    const job = member(answer.json, 'job_status') as { id: string; status: string; results: unknown };
    expect(job).toMatchObject({ status: 'queued', results: null, total: 2 });
    expect(job.id).toMatch(/^V3-[0-9a-f]{32}$/);
    let status = 'queued';
    for (let poll = 0; poll < 500 && (status === 'queued' || status === 'working'); poll++) {
      status = String(
        member((await call(simulator, 'GET', `/api/v2/job_statuses/${job.id}`)).json, 'job_status', 'status'),
      );
    }
    expect(status).toBe('completed');
  });

  it('reports user and organization creates as {id, status:"Created"} without an index', async () => {
    simulator = await startZendeskSimulator();
    const job = await bulk(simulator, 'POST', '/api/v2/users/create_many', { users: users(5) });
    const results = member(job, 'results') as Record<string, unknown>[];
    expect(results).toHaveLength(5);
    for (const result of results) {
      expect(Object.keys(result).sort()).toEqual(['id', 'status']);
      expect(result.status).toBe('Created');
    }
  });

  it('reports ticket creates with their index and account id, and a failed item with its details', async () => {
    simulator = await startZendeskSimulator();
    const job = await bulk(simulator, 'POST', '/api/v2/tickets/create_many', {
      tickets: [{ subject: 'ok', comment: { body: 'b' } }, { subject: 'no comment' }],
    });
    expect(member(job, 'status')).toBe('completed');
    expect(member(job, 'results')).toEqual([
      { index: 0, id: 1, account_id: expect.any(Number) },
      { index: 1, error: 'TicketCreateFailed', details: 'Description: cannot be blank' },
    ]);
  });

  it('ends a job "failed" when its only item failed (cloudbees#98)', async () => {
    simulator = await startZendeskSimulator();
    const job = await bulk(simulator, 'POST', '/api/v2/tickets/create_many', { tickets: [{ subject: 'x' }] });
    expect(member(job, 'status')).toBe('failed');
    expect(member(job, 'message')).toMatch(/^Failed at /);
  });

  it('keeps create_or_update_many results in request order, with e-mail, only when asked; marks failures "Failed"', async () => {
    simulator = await startZendeskSimulator({ bulkResultOrder: 'request', bulkResultEmails: true });
    await call(simulator, 'POST', '/api/v2/users', { user: { name: 'Old', email: 'u1@example.com' } });
    const job = await bulk(simulator, 'POST', '/api/v2/users/create_or_update_many', {
      users: [...users(2), { name: 'Bad', email: 'error@example.com_' }],
    });
    const results = member(job, 'results') as Record<string, unknown>[];
    expect(results.map((result) => result.status)).toEqual(['Created', 'Updated', 'Failed']);
    expect(results[0]?.email).toBe('u0@example.com');
    expect(results[2]).toMatchObject({ id: 2, details: 'Email: error@example.com_ is not properly formatted' });
  });

  it('by default answers create_or_update_many without e-mails and reverses on demand (no documented order, §3.1)', async () => {
    simulator = await startZendeskSimulator({ bulkResultOrder: 'reversed' });
    const job = await bulk(simulator, 'POST', '/api/v2/users/create_or_update_many', { users: users(3) });
    const results = member(job, 'results') as Record<string, unknown>[];
    expect(results.every((result) => !('email' in result))).toBe(true);
    const ids = results.map((result) => result.id as number);
    expect(ids.map((id) => simulator?.data.primaryEmail(id))).toEqual([
      'u2@example.com',
      'u1@example.com',
      'u0@example.com',
    ]);
  });

  it('updates many records with per-item values and reports {id, action, status, success}', async () => {
    simulator = await startZendeskSimulator();
    const created = await bulk(simulator, 'POST', '/api/v2/users/create_many', { users: users(2) });
    const ids = (member(created, 'results') as { id: number }[]).map((result) => result.id);
    const job = await bulk(simulator, 'PUT', '/api/v2/users/update_many', {
      users: ids.map((id, index) => ({ id, phone: `+47 ${index}` })),
    });
    expect(member(job, 'results')).toEqual(
      ids.map((id) => ({ id, action: 'update', status: 'Updated', success: true })),
    );
    expect(simulator.data.user(ids[1] ?? 0)?.phone).toBe('+47 1');
  });

  it('answers 403 to bulk user imports when the account owner has not switched them on', async () => {
    simulator = await startZendeskSimulator({ bulkUserImport: false });
    expect((await call(simulator, 'POST', '/api/v2/users/create_many', { users: users(1) })).status).toBe(403);
    expect((await call(simulator, 'POST', '/api/v2/users/create_or_update_many', { users: users(1) })).status).toBe(
      403,
    );
    expect((await call(simulator, 'POST', '/api/v2/users', { user: users(1)[0] })).status).toBe(201);
  });

  it('shows many job statuses at once and lists recent jobs newest first', async () => {
    simulator = await startZendeskSimulator();
    simulator.jobs.hold();
    const first = await call(simulator, 'POST', '/api/v2/users/create_many', { users: users(1, 'a') });
    const second = await call(simulator, 'POST', '/api/v2/users/create_many', { users: users(1, 'b') });
    const ids = [member(first.json, 'job_status', 'id'), member(second.json, 'job_status', 'id')];
    const many = await call(simulator, 'GET', `/api/v2/job_statuses/show_many?ids=${ids.join(',')}`);
    expect((member(many.json, 'job_statuses') as { status: string }[]).map((job) => job.status)).toEqual([
      'queued',
      'queued',
    ]);
    const listed = await call(simulator, 'GET', '/api/v2/job_statuses');
    expect((member(listed.json, 'job_statuses') as { id: string }[]).map((job) => job.id).slice(0, 2)).toEqual([
      ids[1],
      ids[0],
    ]);
    simulator.jobs.release();
  });

  it("lists other integrations' jobs too: one that keeps working, one whose results are an object (§3.1)", async () => {
    simulator = await startZendeskSimulator();
    const listed = await call(simulator, 'GET', '/api/v2/job_statuses');
    const jobs = member(listed.json, 'job_statuses') as { status: string; results: unknown }[];
    expect(jobs.map((job) => job.status)).toEqual(['completed', 'working']);
    expect(jobs[0]?.results).toEqual({ success: true });
    const off = await startZendeskSimulator({ foreignJobs: false });
    expect(member((await call(off, 'GET', '/api/v2/job_statuses')).json, 'job_statuses')).toEqual([]);
    await off.close();
  });

  it('refuses a new job while 30 are queued or running (assumed 429, §10)', async () => {
    simulator = await startZendeskSimulator({ maxActiveJobs: 2 });
    simulator.jobs.hold();
    await call(simulator, 'POST', '/api/v2/users/create_many', { users: users(1, 'a') });
    await call(simulator, 'POST', '/api/v2/users/create_many', { users: users(1, 'b') });
    const refused = await call(simulator, 'POST', '/api/v2/users/create_many', { users: users(1, 'c') });
    expect(refused.status).toBe(429);
    expect(member(refused.json, 'error')).toBe('TooManyJobs');
    simulator.jobs.drain();
  });
});
