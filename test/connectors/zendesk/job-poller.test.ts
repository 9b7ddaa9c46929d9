import { describe, expect, it } from 'vitest';
import { JobPoller } from '../../../src/connectors/zendesk/job-poller.js';
import type { WireJobStatus } from '../../../src/connectors/zendesk/zendesk-wire.js';

/** A poller on a fake clock: sleeping advances the clock at once. */
function harness(finishAfterPolls: Record<string, number>) {
  let now = 0;
  const requests: string[][] = [];
  const poller = new JobPoller({
    fetchStatuses: async (ids) => {
      requests.push([...ids]);
      return ids
        .filter((id) => id in finishAfterPolls)
        .map(
          (id): WireJobStatus => ({
            id,
            status: requests.length >= (finishAfterPolls[id] ?? 0) ? 'completed' : 'working',
            results: [],
          }),
        );
    },
    initialDelayMs: 100,
    maxDelayMs: 1_000,
    timeoutMs: 60_000,
    now: () => now,
    sleep: async (ms) => {
      await Promise.resolve(); // let callers in the same tick submit first, as real time would
      now += ms;
    },
  });
  return { poller, requests, now: () => now };
}

describe('Zendesk job poller (zendesk-api.md §3.1: every poll costs a request)', () => {
  it('asks for every job of a burst in one show_many call', async () => {
    const { poller, requests } = harness({ a: 1, b: 1, c: 1 });
    const statuses = await Promise.all(['a', 'b', 'c'].map((id) => poller.wait(id)));
    expect(statuses.map((status) => status?.status)).toEqual(['completed', 'completed', 'completed']);
    expect(requests).toEqual([['a', 'b', 'c']]);
  });

  it('backs off while nothing finishes and polls only the unfinished jobs', async () => {
    const { poller, requests, now } = harness({ a: 1, b: 4 });
    const [a, b] = await Promise.all([poller.wait('a'), poller.wait('b')]);
    expect(a?.status).toBe('completed');
    expect(b?.status).toBe('completed');
    expect(requests).toEqual([['a', 'b'], ['b'], ['b'], ['b']]);
    // 100 before the first poll, 100 after a poll that finished something, then 200, 400.
    expect(now()).toBe(800);
  });

  it('gives up on a job Zendesk no longer shows: its outcome is unknown', async () => {
    const { poller, requests } = harness({});
    expect(await poller.wait('expired')).toBeUndefined();
    expect(requests).toHaveLength(3);
  });

  it('answers every wait for one job, a bounded one as well as the submitter’s (a lost create’s candidate)', async () => {
    const { poller, requests } = harness({ a: 30 });
    const [bounded, submitter] = await Promise.all([poller.wait('a', 500), poller.wait('a')]);
    expect(bounded).toBeUndefined(); // gave up after 500 ms
    expect(submitter?.status).toBe('completed');
    expect(requests.every((ids) => ids.length === 1)).toBe(true);
  });
});
