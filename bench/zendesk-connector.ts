/**
 * Benchmark of the Zendesk connector against the Zendesk simulator (run: npm run bench:zendesk).
 * 1. Creates 10,000 users and prints the API calls spent against the lower bound of 100 bulk
 *    calls (100 users per call), the wall time and the peak memory. Rate limits are off, so the
 *    figure shows the connector's own overhead, not waiting.
 * 2. Creates 2,000 users, 500 organizations and 2,000 tickets with 10% injected faults (5xx, 429,
 *    dropped connections) and checks the simulator holds every record exactly once.
 * The simulator runs in the same process, so the memory figures include it.
 */
import { startZendeskSimulator } from '../simulators/zendesk/index.js';
import type { CreateOperation } from '../src/connectors/connector.js';
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

async function createTenThousandUsers(): Promise<void> {
  const simulator = await startZendeskSimulator({ rateLimits: false, seed: 1 });
  let calls = 0;
  const connector = new ZendeskConnector({
    url: simulator.url,
    auth: { kind: 'oauth', accessToken: 'sim-token' },
    onResponse: () => {
      calls++;
    },
  });
  const operations = Array.from({ length: 10_000 }, (_, index) => userOperation(index));
  const memory = memorySampler();
  const started = performance.now();
  const outcomes = await connector.write('user', operations);
  const elapsed = performance.now() - started;
  const { peakRss, peakHeap } = memory.stop();
  const created = outcomes.filter((outcome) => outcome.status === 'created').length;
  const lowerBound = Math.ceil(operations.length / 100);
  process.stdout.write(
    [
      'Zendesk connector: create 10,000 users (rate limits off, no faults)',
      `  created:            ${created} of ${operations.length} (simulator holds ${simulator.data.users().length - 1})`,
      `  API calls:          ${calls} (lower bound ${lowerBound} bulk calls; goal at most 110)`,
      `    by endpoint:      ${JSON.stringify(simulator.calls.byEndpoint())}`,
      `  wall time:          ${(elapsed / 1000).toFixed(2)} s (${Math.round(operations.length / (elapsed / 1000))} users/s)`,
      `  peak memory:        rss ${megabytes(peakRss)}, heap ${megabytes(peakHeap)} (simulator included)`,
      '',
    ].join('\n'),
  );
  await connector.close();
  await simulator.close();
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
await createWithFaults();
