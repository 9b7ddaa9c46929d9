/**
 * Benchmark of the Zendesk connector against the Zendesk simulator (run: npm run bench:zendesk).
 * 1. Creates 10,000 users with rate limits off: write calls against the lower bound of 100 bulk
 *    calls (100 users per call), reads apart (the read-back by external id that links each created
 *    user, issue 12.1, and job polls), wall time and peak memory.
 * 2. A mixed first sync in rate-limit mode (issue 12.14): the simulator enforces a Team plan's 200
 *    requests a minute and the exports' 10 a minute, on a clock 60 times faster than real time, and
 *    the connector runs with its default budgets scaled to that clock. 7,500 new users and updates of
 *    2,500 users already in Zendesk, sent as the engine sends them (outbox batches of 100), and the
 *    whole user export read alongside. Prints the 429s provoked (goal 0) beside the write calls
 *    against the bound ceil((new + updated) / 100) (goal at most 1.05x) and the reads by kind.
 * 3. Creates 2,000 users, 500 organizations and 2,000 tickets with 10% injected faults (5xx, 429,
 *    dropped connections) and checks the simulator holds every record exactly once.
 * The simulator runs in the same process, so the memory figures include it.
 */
import { createFastClock, startZendeskSimulator, type ZendeskSimulator } from '../simulators/zendesk/index.js';
import type { CreateOperation, WriteOperation } from '../src/connectors/connector.js';
import { ZendeskConnector } from '../src/connectors/zendesk/zendesk-connector.js';

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function memorySampler() {
  let peakRss = process.memoryUsage().rss;
  let peakHeap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return { peakRss, peakHeap };
    },
  };
}

const userOperation = (index: number, organizationId: string | null = null): CreateOperation => ({
  kind: 'create',
  key: `user-${index}`,
  externalId: `superoffice:user:${index}`,
  mayExist: false,
  label: `Bench User ${index}`,
  values: { email: `bench.user.${index}@example.com`, phone: null, organization_id: organizationId },
});

/** The simulator's calls split into writes and reads by kind (every request counts, 429s included). */
function callsByKind(simulator: ZendeskSimulator) {
  const kinds = { writes: 0, readBack: 0, jobPolls: 0, exports: 0, otherReads: 0 };
  for (const [endpoint, count] of Object.entries(simulator.calls.byEndpoint())) {
    const [method, route = ''] = endpoint.split(' ');
    if (method !== 'GET') kinds.writes += count;
    else if (route.endsWith('/show_many') && !route.startsWith('/api/v2/job_statuses')) kinds.readBack += count;
    else if (route.startsWith('/api/v2/job_statuses')) kinds.jobPolls += count;
    else if (route.startsWith('/api/v2/incremental/')) kinds.exports += count;
    else kinds.otherReads += count;
  }
  return kinds;
}

async function createTenThousandUsers(): Promise<void> {
  const simulator = await startZendeskSimulator({ rateLimits: false, seed: 1 });
  // The account has no limits here: lift the connector's budget too, so the figure is its own overhead.
  const connector = new ZendeskConnector({
    url: simulator.url,
    auth: { kind: 'oauth', accessToken: 'sim-token' },
    rateLimitPerMinute: 100_000,
  });
  const operations = Array.from({ length: 10_000 }, (_, index) => userOperation(index));
  const memory = memorySampler();
  const started = performance.now();
  const outcomes = await connector.write('user', operations);
  const elapsed = performance.now() - started;
  const { peakRss, peakHeap } = memory.stop();
  const created = outcomes.filter((outcome) => outcome.status === 'created').length;
  const lowerBound = Math.ceil(operations.length / 100);
  const kinds = callsByKind(simulator);
  process.stdout.write(
    [
      'Zendesk connector: create 10,000 users (rate limits off, no faults)',
      `  created:            ${created} of ${operations.length} (simulator holds ${simulator.data.users().length - 1})`,
      `  write calls:        ${kinds.writes} (lower bound ${lowerBound} bulk calls, ${(kinds.writes / lowerBound).toFixed(2)}x)`,
      `  reads:              ${kinds.readBack} read-backs by external id, ${kinds.jobPolls} job polls, ${kinds.otherReads} other`,
      `    by endpoint:      ${JSON.stringify(simulator.calls.byEndpoint())}`,
      `  wall time:          ${(elapsed / 1000).toFixed(2)} s (${Math.round(operations.length / (elapsed / 1000))} users/s)`,
      `  peak memory:        rss ${megabytes(peakRss)}, heap ${megabytes(peakHeap)} (simulator included)`,
      '',
    ].join('\n'),
  );
  await connector.close();
  await simulator.close();
  if (created !== operations.length || kinds.writes > lowerBound * 1.05) process.exitCode = 1;
}

async function mixedFirstSyncInRateLimitMode(): Promise<void> {
  const speed = 60;
  const existing = 2_500;
  const fresh = 7_500;
  const simulator = await startZendeskSimulator({
    seed: 4,
    users: existing,
    clock: createFastClock(speed),
    incrementalWithholdSeconds: 0,
    rateLimits: { perMinute: 200, incrementalPerMinute: 10, perUserUpdatesPerMinute: 5 },
  });
  const organization = simulator.data.createOrganization({ name: 'Bench Holding AS' });
  const matched = simulator.data
    .users()
    .filter((user) => user.role === 'end-user')
    .slice(0, existing);
  let tooManyRequests = 0;
  const connector = new ZendeskConnector({
    url: simulator.url,
    auth: { kind: 'oauth', accessToken: 'sim-token' },
    // The default budgets (160 a minute, exports 10) and job poll delays, on the simulator's clock.
    secondMs: 1000 / speed,
    jobPollDelayMs: 500 / speed,
    jobPollMaxDelayMs: 8_000 / speed,
    onResponse: (info) => {
      if (info.status === 429) tooManyRequests++;
    },
  });
  // As the engine sends them: outbox rows by key, creates before updates, 100 per call.
  const operations: WriteOperation[] = [
    ...Array.from({ length: fresh }, (_, index) => userOperation(index)),
    ...matched.map(
      (user, index): WriteOperation => ({
        kind: 'update',
        key: `update-${index}`,
        id: String(user.id),
        values: { phone: `+47 900 ${String(index).padStart(5, '0')}`, organization_id: String(organization.id) },
      }),
    ),
  ];
  const started = performance.now();
  const exportRead = (async () => {
    let records = 0;
    for await (const page of connector.readChanges('user', null)) records += page.records.length;
    return records;
  })();
  const outcomes: string[] = [];
  for (let index = 0; index < operations.length; index += 100) {
    for (const outcome of await connector.write('user', operations.slice(index, index + 100)))
      outcomes.push(outcome.status);
  }
  const exported = await exportRead;
  const elapsed = performance.now() - started;
  const kinds = callsByKind(simulator);
  const bound = Math.ceil(operations.length / 100);
  const done = outcomes.filter((status) => status === 'created' || status === 'updated').length;
  process.stdout.write(
    [
      `Zendesk connector: mixed first sync in rate-limit mode (plan 200/min, exports 10/min, clock ${speed}x)`,
      `  outcomes:           ${done} of ${operations.length} created or updated (${fresh} new, ${matched.length} matched); export read ${exported} users`,
      `  429s provoked:      ${tooManyRequests} (goal 0)`,
      `  write calls:        ${kinds.writes} against the bound ${bound} (new and updated together: ${(kinds.writes / bound).toFixed(2)}x, goal at most 1.05x)`,
      `  reads:              ${kinds.readBack} read-backs by external id, ${kinds.jobPolls} job polls, ${kinds.exports} export pages, ${kinds.otherReads} other`,
      `  simulated time:     ${((elapsed * speed) / 60_000).toFixed(1)} minutes (${(elapsed / 1000).toFixed(1)} s real)`,
      '',
    ].join('\n'),
  );
  await connector.close();
  await simulator.close();
  if (tooManyRequests > 0 || kinds.writes > bound * 1.05 || done !== operations.length) process.exitCode = 1;
}

async function createWithFaults(): Promise<void> {
  const simulator = await startZendeskSimulator({
    seed: 2,
    rateLimits: { perMinute: 2_500, incrementalPerMinute: 30, perUserUpdatesPerMinute: 5 },
  });
  simulator.faults.set({ probability: 0.1, kinds: ['5xx', '429', 'drop'], seed: 5, retryAfterSeconds: 1 });
  let calls = 0;
  const connector = new ZendeskConnector({
    url: simulator.url,
    auth: { kind: 'oauth', accessToken: 'sim-token' },
    rateLimitPerMinute: 2_000,
    retries: 8,
    onResponse: () => {
      calls++;
    },
  });
  const started = performance.now();
  const organizations = await connector.write(
    'organization',
    Array.from({ length: 500 }, (_, index) => ({
      kind: 'create' as const,
      key: `organization-${index}`,
      externalId: `superoffice:contact:${index}`,
      mayExist: false,
      values: { name: `Bench Contact ${index} AS` },
    })),
  );
  const users = await connector.write(
    'user',
    Array.from({ length: 2_000 }, (_, index) =>
      userOperation(index, organizations[index % 500]?.record?.ref.id ?? null),
    ),
  );
  const tickets = await connector.write(
    'ticket',
    Array.from({ length: 2_000 }, (_, index) => ({
      kind: 'create' as const,
      key: `ticket-${index}`,
      externalId: `superoffice:ticket:${index}`,
      mayExist: false,
      values: { subject: `Bench ticket ${index}`, requester_id: users[index]?.record?.ref.id ?? null },
    })),
  );
  const elapsed = performance.now() - started;
  const injected = simulator.faults.injected;
  simulator.faults.off();
  const data = simulator.data;
  const notCreated = [...organizations, ...users, ...tickets].filter((outcome) => outcome.status !== 'created');
  const ticketCounts = Array.from(
    { length: 2_000 },
    (_, index) => data.ticketsByExternalId(`superoffice:ticket:${index}`).length,
  );
  const organizationCounts = Array.from(
    { length: 500 },
    (_, index) =>
      data.organizations().filter((organization) => organization.external_id === `superoffice:contact:${index}`).length,
  );
  const userCounts = Array.from({ length: 2_000 }, (_, index) =>
    data.userByExternalId(`superoffice:user:${index}`) === undefined ? 0 : 1,
  );
  const exactlyOnce = [...ticketCounts, ...organizationCounts, ...userCounts].every((count) => count === 1);
  process.stdout.write(
    [
      'Zendesk connector: 2,000 users, 500 organizations, 2,000 tickets with 10% injected faults',
      `  faults injected:    ${JSON.stringify(injected)}`,
      `  outcomes not created: ${notCreated.length}`,
      `  simulator holds:    ${data.organizations().length} organizations, ${data.users().length - 1} users, ${data.tickets().length} tickets`,
      `  every record exactly once: ${exactlyOnce ? 'yes' : 'NO'}`,
      `  API calls:          ${calls}; wall time ${(elapsed / 1000).toFixed(2)} s`,
      '',
    ].join('\n'),
  );
  await connector.close();
  await simulator.close();
  if (!exactlyOnce || notCreated.length > 0) process.exitCode = 1;
}

await createTenThousandUsers();
await mixedFirstSyncInRateLimitMode();
await createWithFaults();
