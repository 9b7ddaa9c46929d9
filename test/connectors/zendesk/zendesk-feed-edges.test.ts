/**
 * Issue 12.10, the change feed's edges: an export start Zendesk would refuse is clamped by
 * Zendesk's own clock (its Date header), a refusal with 400 or 422 means "nothing yet", a user's
 * identities are read past the first page, and one pause holds every client of the account.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RequestPause } from '../../../src/connectors/http-client.js';
import { encodeCursor } from '../../../src/connectors/zendesk/zendesk-cursor.js';
import { type Harness, readFeed, startHarness } from './connector-harness.js';

describe('Zendesk connector: change feed edges (issue 12.10)', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  it.each([400, 422] as const)(
    'turns a start in Zendesk’s future (refused with %i) into one it accepts, and then misses no edit',
    async (status) => {
      harness = await startHarness(); // the simulator's clock is a fixed day in 2025, far behind ours
      harness.simulator.settings.futureStartTimeStatus = status;
      const now = Math.floor(harness.simulator.clock.now() / 1000);
      const future = encodeCursor('user', { kind: 'start', startTime: now + 600 });
      const first = await readFeed(harness.connector, 'user', future);
      expect(first.records).toEqual([]);

      harness.simulator.clock.advance(5_000);
      const user = harness.simulator.data.createUser({ name: 'Edited later', email: 'later@example.com' });
      harness.simulator.clock.advance(120_000);
      const second = await readFeed(harness.connector, 'user', first.cursor);
      expect(second.records.map((record) => record.ref.id)).toContain(String(user.id));
    },
  );

  it('clamps a start time to 61 seconds before Zendesk’s clock before asking, so the export is not refused', async () => {
    const exportStatuses: number[] = [];
    harness = await startHarness(
      {},
      { onResponse: (info) => info.path.startsWith('/incremental/') && exportStatuses.push(info.status) },
    );
    await harness.connector.verify(); // one answer is enough to know Zendesk's clock
    const now = Math.floor(harness.simulator.clock.now() / 1000);
    await readFeed(harness.connector, 'organization', encodeCursor('organization', { kind: 'start', startTime: now }));
    await readFeed(harness.connector, 'user', encodeCursor('user', { kind: 'start', startTime: now - 30 }));
    expect(exportStatuses).toEqual([200, 200, 200]); // verify's own export read, then the two feeds
  });

  it('finds an e-mail among identities past the first page instead of adding it again', async () => {
    harness = await startHarness();
    const data = harness.simulator.data;
    const identities = Array.from({ length: 120 }, (_, index) => ({
      type: 'email',
      value: `alias${index}@example.com`,
    }));
    const user = data.createUser({ name: 'Many Mails', email: 'main@example.com', identities });
    const outcomes = await harness.connector.write('user', [
      { kind: 'update', key: 'u', id: String(user.id), values: { email: 'alias115@example.com' } },
    ]);
    expect(outcomes[0]?.status).toBe('updated');
    expect(data.primaryEmail(user.id)).toBe('alias115@example.com');
    expect(harness.simulator.calls.count('POST /api/v2/users/:id/identities')).toBe(0);
  });

  it('holds export reads while the account client waits out a 429 (one pause per account)', async () => {
    let rateLimitedAt: number | undefined;
    let exportAt: number | undefined;
    harness = await startHarness(
      {},
      {
        onResponse: (info) => {
          if (info.status === 429) rateLimitedAt ??= performance.now();
          if (info.path.startsWith('/incremental/')) exportAt ??= performance.now();
        },
      },
    );
    harness.simulator.faults.script([{ kind: '429', match: 'GET /api/v2/organizations', retryAfterSeconds: 1 }]);
    const listing = harness.connector.verify(); // GET /organizations: answered 429, retried after 1 s
    while (rateLimitedAt === undefined) await new Promise((resolve) => setImmediate(resolve));
    await readFeed(harness.connector, 'organization', null);
    await listing;
    expect((exportAt ?? 0) - rateLimitedAt).toBeGreaterThanOrEqual(900);
  });
});

describe('RequestPause', () => {
  it('holds a request already waiting for as long as a later, longer Retry-After says', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const pause = new RequestPause({
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 1) pause.extend(2_000); // a longer Retry-After arrives while it sleeps
        now += ms;
      },
    });
    pause.extend(1_000);
    await pause.wait();
    expect(now).toBe(2_000);
    expect(sleeps).toEqual([1_000, 1_000]);
  });
});
