import { describe, expect, it } from 'vitest';
import type { ResponseInfo } from '../../../src/connectors/http-client.js';
import {
  describeZendeskError,
  jobItemError,
  mayHaveTakenEffect,
} from '../../../src/connectors/zendesk/zendesk-errors.js';
import { accountPause, exportPause, PerUserLimiter } from '../../../src/connectors/zendesk/zendesk-rate-limits.js';
import { SyncError } from '../../../src/core/sync-error.js';

describe('Zendesk error envelopes (zendesk-api.md §6.1) -> message and field details', () => {
  it('keeps every field of a validation envelope, with its code when the entry has one', () => {
    const body = JSON.stringify({
      error: 'RecordInvalid',
      description: 'Record validation errors',
      details: {
        assignee: [
          { description: 'Assignee: is invalid', error: 'InvalidValue' },
          { description: 'Assignee: is not a member of the group' },
        ],
        email: [{ description: 'Email: badmail is not properly formatted' }],
      },
    });
    expect(describeZendeskError(422, body)).toEqual({
      message: 'RecordInvalid: Record validation errors',
      fields: {
        assignee: ['InvalidValue: Assignee: is invalid', 'Assignee: is not a member of the group'],
        email: ['Email: badmail is not properly formatted'],
      },
    });
  });

  it('reads the bare-string, nested-object and JSON:API envelopes', () => {
    expect(describeZendeskError(401, '{"error":"Couldn\'t authenticate you"}')).toEqual({
      message: "Couldn't authenticate you",
    });
    expect(describeZendeskError(403, '{"error":{"title":"Forbidden","message":"You do not have access"}}')).toEqual({
      message: 'Forbidden: You do not have access',
    });
    expect(
      describeZendeskError(400, '{"errors":[{"code":"InvalidPaginationDepth","title":"Invalid","detail":"Too deep"}]}'),
    ).toEqual({ message: 'InvalidPaginationDepth: Invalid: Too deep' });
  });

  it('keeps a plain-text body (the single-user 429, §5.3) as the message', () => {
    const text = 'You have exceeded the rate limit for updating a single unique user. user email:  id:  external_id: ';
    expect(describeZendeskError(429, text).message).toBe(text.trim());
  });

  it('files a failed job item under the field its text names, as a validation error', () => {
    const error = jobItemError(
      { index: 0, error: 'TicketCreateFailed', details: 'Description: cannot be blank' },
      'create the ticket',
    );
    expect(error.code).toBe('validation');
    expect(error.fields).toEqual({ description: ['Description: cannot be blank'] });
    expect(jobItemError({ id: 5, error: 'RecordNotFound', details: 'gone' }, 'update').code).toBe('not_found');
  });

  it('treats a lost answer or a gateway failure after a POST as possibly done, and 429/503 as not done', () => {
    expect(mayHaveTakenEffect(new SyncError('transient', 'socket closed'))).toBe(true);
    expect(mayHaveTakenEffect(new SyncError('transient', 'bad gateway', { status: 502 }))).toBe(true);
    expect(mayHaveTakenEffect(new SyncError('transient', 'maintenance', { status: 503 }))).toBe(false);
    expect(mayHaveTakenEffect(new SyncError('rate_limited', 'slow down', { status: 429 }))).toBe(false);
  });
});

const answer = (headers: Record<string, string>): ResponseInfo => ({ method: 'GET', path: '/x', status: 200, headers });

describe('Zendesk rate-limit headers (zendesk-api.md §5.3) -> pauses', () => {
  it('pauses the account budget until the reset once the remaining requests reach the reserve, in both spellings', () => {
    expect(accountPause(answer({ 'x-rate-limit-remaining': '120', 'ratelimit-reset': '30' }), 2)).toBe(0);
    expect(accountPause(answer({ 'x-rate-limit-remaining': '2', 'ratelimit-reset': '30' }), 2)).toBe(30_000);
    expect(accountPause(answer({ 'rate-limit-remaining': '0', 'rate-limit-reset': '12' }), 2)).toBe(12_000);
    expect(accountPause(answer({}), 2)).toBe(0);
  });

  it('pauses incremental exports on their own bucket header, in both spellings', () => {
    expect(exportPause(answer({ 'zendesk-ratelimit-incremental-exports': 'total=10; remaining=3; resets=40' }))).toBe(
      0,
    );
    expect(exportPause(answer({ 'zendesk-ratelimit-incremental-exports': 'total=10; remaining=0; resets=40' }))).toBe(
      40_000,
    );
    expect(exportPause(answer({ 'zendesk-rate-limit-incremental-exports': 'total=10; remaining=0; resets=7' }))).toBe(
      7_000,
    );
  });

  it('holds the sixth write to one user until the first is a minute old, leaving other users alone', async () => {
    let now = 0;
    const slept: number[] = [];
    const limiter = new PerUserLimiter(5, {
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    });
    for (let write = 0; write < 5; write++) {
      await limiter.acquire('42');
      now += 1_000;
    }
    await limiter.acquire('7');
    expect(slept).toEqual([]);
    await limiter.acquire('42');
    expect(slept).toEqual([55_001]);
  });
});
