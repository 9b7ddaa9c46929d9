/**
 * Issue 12.14: against the simulator's rate-limit mode (the plan's per-minute budget and the
 * exports' 10 a minute, enforced with 429s) on a fast clock, the connector provokes no 429: its own
 * budgets stay under the plan's, and it pauses when the headers say the minute is spent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createFastClock } from '../../../simulators/zendesk/index.js';
import { type Harness, readFeed, startHarness } from './connector-harness.js';

/**
 * One simulated minute per 4 real seconds. At 40x (1.5 s a minute) a loaded machine (the full suite
 * on two cores) delayed requests enough to bunch a minute's worth into the next and provoke 429s.
 */
const speed = 15;

async function busyMinutes(harness: Harness): Promise<void> {
  const ids = harness.simulator.data.users().map((user) => String(user.id));
  await Promise.all([
    ...Array.from({ length: 40 }, (_, index) =>
      harness.connector.readByIds('user', ids.slice(index % 5, (index % 5) + 2)),
    ),
    readFeed(harness.connector, 'user', null),
  ]);
}

describe('Zendesk connector: politeness in rate-limit mode (issue 12.14)', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  const start = (budget: { perMinute: number; exportsPerMinute: number }, statuses: number[]) =>
    startHarness(
      {
        clock: createFastClock(speed),
        users: 40,
        incrementalWithholdSeconds: 0,
        rateLimits: { perMinute: 30, incrementalPerMinute: 10, perUserUpdatesPerMinute: 5 },
      },
      {
        secondMs: 1000 / speed,
        rateLimitPerMinute: budget.perMinute,
        incrementalPerMinute: budget.exportsPerMinute,
        exportPageSize: 3,
        retries: 10,
        onResponse: (info) => {
          statuses.push(info.status);
        },
      },
    );

  it('provokes no 429 when its budgets are under the plan’s (30 a minute, exports 10)', async () => {
    const statuses: number[] = [];
    harness = await start({ perMinute: 20, exportsPerMinute: 7 }, statuses);
    await busyMinutes(harness);
    expect(statuses.filter((status) => status === 429)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(50); // more than a minute and a half of the plan
  });

  it('is answered 429 by the simulator when a budget is set above the plan (the mode enforces it)', async () => {
    const statuses: number[] = [];
    harness = await start({ perMinute: 200, exportsPerMinute: 50 }, statuses);
    await busyMinutes(harness);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
  });
});
