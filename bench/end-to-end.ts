/**
 * The whole sync at the issue's scale: an initial sync of a generated SuperOffice tenant
 * (10,000 contacts, 50,000 persons, 20,000 tickets, 200 users; tickets pick their person at
 * random, so about a third of the persons end up on a ticket) into an empty Zendesk account, a
 * settling cycle that reads back the records just created, then an incremental cycle after 100
 * edits on each side.
 *
 * The simulators run in a child process (this file again, with `--role simulators`), so the
 * memory figures are the sync's own and the simulators get the second core, as real services
 * would. The sync runs here, wired exactly as `tandem sync` wires it (openTenant), with Zendesk's
 * client-side budgets lifted because the simulated account has its rate limits off.
 *
 * Prints wall time, records per second, API calls per endpoint against a lower bound (bulk writes
 * of 100, reads of the largest page: 1,000 rows for SuperOffice lists and Zendesk exports), and peak
 * RSS and heap sampled every 25 ms. Goals: write calls at most 1.1x the lower bound; the
 * incremental cycle's calls follow the 200 edits, not the data size; peak memory under 512 MB.
 *
 * Run: npm run bench [-- --scale 0.1] [--seed 7] [--db path]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { SeededRandom } from '../simulators/seeded-random.js';
import {
  entityElement,
  type SuperOfficeSimulator,
  startSuperOfficeSimulator,
} from '../simulators/superoffice/index.js';
import { startZendeskSimulator, type ZendeskSimulator } from '../simulators/zendesk/index.js';
import { openTenant } from '../src/cli/tenant.js';
import { loadConfig } from '../src/config/config.js';
import type { CycleReport } from '../src/engine/cycle-report.js';
import type { StateStore } from '../src/store/state-store.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    seed: { type: 'string', default: '7' },
    db: { type: 'string' },
    role: { type: 'string', default: 'sync' },
  },
});
const scale = Number(args.scale);
const seed = Number(args.seed);
if (!Number.isFinite(scale) || scale <= 0) throw new Error(`--scale must be a positive number, not ${args.scale}`);

const counts = {
  contacts: Math.max(2, Math.round(10_000 * scale)),
  persons: Math.max(3, Math.round(50_000 * scale)),
  tickets: Math.max(1, Math.round(20_000 * scale)),
  users: Math.max(1, Math.round(200 * scale)),
};
const editsPerSide = 100;

// --- the simulators' process ----------------------------------------------------------------

/** What the sync process asks the simulators' process for. */
type HostRequest =
  | { readonly id: number; readonly command: 'calls' }
  | { readonly id: number; readonly command: 'reset-calls' }
  | { readonly id: number; readonly command: 'edit' }
  | { readonly id: number; readonly command: 'census' }
  | { readonly id: number; readonly command: 'cpu' };

interface CallCounts {
  readonly superoffice: Record<string, number>;
  readonly zendesk: Record<string, number>;
}

interface Census {
  /** Records in SuperOffice that must have a Zendesk counterpart. */
  readonly expected: { readonly organizations: number; readonly users: number; readonly tickets: number };
  /** Zendesk records other than the account owner, and how many share an external id. */
  readonly zendesk: { readonly organizations: number; readonly users: number; readonly tickets: number };
  readonly duplicateExternalIds: number;
  readonly withoutExternalId: number;
}

interface EditSummary {
  readonly superoffice: Record<string, number>;
  readonly zendesk: Record<string, number>;
}

type HostAnswer =
  | {
      readonly type: 'ready';
      readonly superofficeUrl: string;
      readonly zendeskUrl: string;
      readonly generatedMs: number;
    }
  | { readonly type: 'answer'; readonly id: number; readonly result: unknown };

function pickDistinct<T>(items: readonly T[], count: number, random: () => number): T[] {
  const pool = [...items];
  const picked: T[] = [];
  while (picked.length < count && pool.length > 0) {
    const index = Math.floor(random() * pool.length);
    picked.push(pool[index] as T);
    pool[index] = pool[pool.length - 1] as T;
    pool.pop();
  }
  return picked;
}

/**
 * 100 edits as SuperOffice users would make them: contact names, person phones, ticket titles.
 * A phone is changed together with the person's title, as someone editing the person card does:
 * a phone-only edit does not move UpdatedDate (superoffice-api.md §9 item 2), so only a sweep
 * would see it.
 */
function editSuperOffice(simulator: SuperOfficeSimulator, random: () => number): Record<string, number> {
  const { data } = simulator;
  const onTickets = new Set([...data.tickets.values()].map((ticket) => ticket.personId));
  const contacts = [...data.contacts.values()].filter((row) => row.deletedDate === null && !row.isOwnerContact);
  const persons = [...data.persons.values()].filter((row) => row.deletedDate === null && onTickets.has(row.personId));
  const tickets = [...data.tickets.values()];
  const third = Math.floor(editsPerSide / 3);
  const done = { contactName: 0, personPhone: 0, ticketTitle: 0 };
  for (const contact of pickDistinct(contacts, third, random)) {
    data.editContact(contact.contactId, { name: `${contact.name} (renamed in SuperOffice)` });
    done.contactName++;
  }
  for (const person of pickDistinct(persons, third, random)) {
    const phone = `+47 ${900 + (person.personId % 100)} 11 ${String(person.personId % 1000).padStart(3, '0')}`;
    data.editPerson(person.personId, {
      title: person.title === 'Buyer' ? 'Head buyer' : 'Buyer',
      privatePhones: [entityElement(phone), ...person.privatePhones.slice(1)],
    });
    done.personPhone++;
  }
  for (const ticket of pickDistinct(tickets, editsPerSide - 2 * third, random)) {
    data.editTicket(ticket.ticketId, { title: `${ticket.title} - edited in SuperOffice` });
    done.ticketTitle++;
  }
  return done;
}

/** 100 edits as Zendesk agents would make them, on records the sync created. */
function editZendesk(simulator: ZendeskSimulator, random: () => number): Record<string, number> {
  const { data } = simulator;
  const organizations = data.organizations().filter((row) => row.external_id !== null);
  const users = data.users().filter((row) => row.external_id !== null && row.role === 'end-user');
  const tickets = data.tickets().filter((row) => row.external_id !== null);
  const third = Math.floor(editsPerSide / 3);
  const done = { organizationName: 0, userPhone: 0, ticketSubject: 0 };
  for (const organization of pickDistinct(organizations, third, random)) {
    data.editOrganization(organization.id, { name: `${organization.name} (renamed in Zendesk)` });
    done.organizationName++;
  }
  for (const user of pickDistinct(users, third, random)) {
    data.editUser(user.id, { phone: `+47 800 ${String(user.id % 100).padStart(2, '0')} 222` });
    done.userPhone++;
  }
  for (const ticket of pickDistinct(tickets, editsPerSide - 2 * third, random)) {
    data.editTicket(ticket.id, { subject: `${ticket.subject ?? ''} - edited in Zendesk` });
    done.ticketSubject++;
  }
  return done;
}

function census(superoffice: SuperOfficeSimulator, zendesk: ZendeskSimulator): Census {
  const so = superoffice.data;
  const onTickets = new Set([...so.tickets.values()].map((ticket) => ticket.personId));
  const userEmails = new Set<string>();
  for (const associate of so.associates.values()) {
    const email = so.persons.get(associate.personId)?.emails[0]?.value.toLowerCase();
    if (email !== undefined) userEmails.add(email);
  }
  // A person on a ticket whose e-mail is a user's joins that user's Zendesk user.
  const ticketPersons = [...onTickets].filter((id) => {
    const person = so.livePerson(id);
    const email = person?.emails[0]?.value.toLowerCase();
    return person !== undefined && (email === undefined || !userEmails.has(email));
  });
  const zd = zendesk.data;
  const records = [
    ...zd.organizations().map((row) => row.external_id),
    ...zd
      .users()
      .filter((row) => row.id !== zd.ownerId)
      .map((row) => row.external_id),
    ...zd.tickets().map((row) => row.external_id),
  ];
  const seen = new Set<string>();
  let duplicates = 0;
  let without = 0;
  for (const externalId of records) {
    if (externalId === null) without++;
    else if (seen.has(externalId)) duplicates++;
    else seen.add(externalId);
  }
  return {
    expected: {
      organizations: [...so.contacts.values()].filter((row) => row.deletedDate === null).length,
      users: userEmails.size + ticketPersons.length,
      tickets: so.tickets.size,
    },
    zendesk: {
      organizations: zd.organizations().length,
      users: zd.users().length - 1,
      tickets: zd.tickets().length,
    },
    duplicateExternalIds: duplicates,
    withoutExternalId: without,
  };
}

async function hostSimulators(): Promise<void> {
  const started = performance.now();
  const superoffice = await startSuperOfficeSimulator({ seed, ...counts });
  // The generator draws company names from about 900 combinations, so most of 10,000 contacts
  // would share a name, and Zendesk refuses a second organization with a taken name (they are
  // reported, never merged). Real tenants have few such clashes: number the repeats.
  const names = new Set<string>();
  for (const contact of superoffice.data.contacts.values()) {
    if (names.has(contact.name.toLowerCase())) contact.name = `${contact.name} ${contact.contactId}`;
    names.add(contact.name.toLowerCase());
  }
  const zendesk = await startZendeskSimulator({
    seed,
    rateLimits: false,
    incrementalWithholdSeconds: 0,
    searchLagSeconds: 0,
    jobDelayMs: 1,
  });
  const generator = new SeededRandom(seed);
  const random = () => generator.next();
  const send = (answer: HostAnswer) => process.send?.(answer);
  process.on('message', (message: HostRequest) => {
    const answer = (result: unknown) => send({ type: 'answer', id: message.id, result });
    switch (message.command) {
      case 'calls':
        return answer({ superoffice: superoffice.calls.snapshot(), zendesk: zendesk.calls.byEndpoint() });
      case 'reset-calls':
        superoffice.calls.reset();
        zendesk.calls.reset();
        return answer(null);
      case 'edit':
        return answer({
          superoffice: editSuperOffice(superoffice, random),
          zendesk: editZendesk(zendesk, random),
        } satisfies EditSummary);
      case 'census':
        return answer(census(superoffice, zendesk));
      case 'cpu': {
        const usage = process.cpuUsage();
        return answer((usage.user + usage.system) / 1000);
      }
    }
  });
  process.on('disconnect', () => {
    void Promise.all([superoffice.close(), zendesk.close()]).then(() => process.exit(0));
  });
  send({
    type: 'ready',
    superofficeUrl: superoffice.url,
    zendeskUrl: zendesk.url,
    generatedMs: performance.now() - started,
  });
}

// --- the sync's process -----------------------------------------------------------------------

class SimulatorHost {
  #next = 0;
  readonly #waiting = new Map<number, (result: unknown) => void>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: HostAnswer) => {
      if (message.type !== 'answer') return;
      this.#waiting.get(message.id)?.(message.result);
      this.#waiting.delete(message.id);
    });
  }

  ask<T>(command: HostRequest['command']): Promise<T> {
    const id = ++this.#next;
    return new Promise<T>((resolve) => {
      this.#waiting.set(id, (result) => resolve(result as T));
      this.child.send({ id, command } satisfies HostRequest);
    });
  }
}

async function startHost(): Promise<{ host: SimulatorHost; superofficeUrl: string; zendeskUrl: string }> {
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--role', 'simulators', '--scale', String(scale), '--seed', String(seed)],
    {
      execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const ready = await new Promise<Extract<HostAnswer, { type: 'ready' }>>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the simulators' process exited with ${code}`)));
    child.on('message', (message: HostAnswer) => {
      if (message.type === 'ready') resolve(message);
    });
  });
  console.log(`simulators ready in ${(ready.generatedMs / 1000).toFixed(1)} s (separate process)`);
  return { host: new SimulatorHost(child), superofficeUrl: ready.superofficeUrl, zendeskUrl: ready.zendeskUrl };
}

/**
 * Time spent in each state-store method, to tell the store's share of a cycle from the rest
 * (HTTP, parsing, planning). Wraps the methods of the store object the engine holds.
 */
class StoreTimer {
  readonly #totals = new Map<string, { calls: number; ms: number }>();

  constructor(store: StateStore) {
    const target = store as unknown as Record<string, unknown>;
    const prototype = Object.getPrototypeOf(store) as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = prototype[name];
      if (name === 'constructor' || name === 'dryRun' || typeof method !== 'function') continue;
      target[name] = async (...parameters: unknown[]) => {
        const started = performance.now();
        try {
          return await (method as (...values: unknown[]) => Promise<unknown>).apply(store, parameters);
        } finally {
          const total = this.#totals.get(name) ?? { calls: 0, ms: 0 };
          total.calls++;
          total.ms += performance.now() - started;
          this.#totals.set(name, total);
        }
      };
    }
  }

  /** The slowest methods since the last call, and the total. */
  take(top: number): { totalMs: number; slowest: string } {
    const entries = [...this.#totals.entries()].sort(([, a], [, b]) => b.ms - a.ms);
    this.#totals.clear();
    return {
      totalMs: entries.reduce((sum, [, total]) => sum + total.ms, 0),
      slowest: entries
        .slice(0, top)
        .map(([name, total]) => `${name} ${(total.ms / 1000).toFixed(1)} s/${total.calls}`)
        .join(', '),
    };
  }
}

/** Peak RSS and heap of this process, sampled. */
class MemorySampler {
  peakRss = 0;
  peakHeap = 0;
  readonly #timer: NodeJS.Timeout;
  constructor() {
    this.#timer = setInterval(() => this.sample(), 25);
  }
  sample(): void {
    const usage = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, usage.rss);
    this.peakHeap = Math.max(this.peakHeap, usage.heapUsed);
  }
  reset(): void {
    this.peakRss = 0;
    this.peakHeap = 0;
    this.sample();
  }
  stop(): void {
    clearInterval(this.#timer);
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const ratio = (calls: number, bound: number) =>
  bound === 0 ? (calls === 0 ? '-' : 'inf') : `${(calls / bound).toFixed(2)}x`;

/** Lower bounds of the calls for one phase, per endpoint; endpoints left out have no bound. */
type Bounds = Record<string, number>;

function printCalls(label: string, calls: CallCounts, bounds: Bounds): { writes: number; writeBound: number } {
  let writes = 0;
  let writeBound = 0;
  console.log(`  ${label} calls per endpoint (lower bound, ratio):`);
  for (const system of ['superoffice', 'zendesk'] as const) {
    const endpoints = new Set([
      ...Object.keys(calls[system]),
      ...Object.keys(bounds)
        .filter((key) => key.startsWith(`${system} `))
        .map((key) => key.slice(system.length + 1)),
    ]);
    for (const endpoint of [...endpoints].sort()) {
      const count = calls[system][endpoint] ?? 0;
      const bound = bounds[`${system} ${endpoint}`];
      const isWrite = !endpoint.startsWith('GET ');
      if (isWrite) {
        writes += count;
        writeBound += bound ?? 0;
      }
      console.log(
        `    ${system} ${endpoint}: ${count}${bound === undefined ? '' : ` (${bound}, ${ratio(count, bound)})`}`,
      );
    }
  }
  console.log(`  write calls: ${writes} against a lower bound of ${writeBound} (${ratio(writes, writeBound)})`);
  return { writes, writeBound };
}

function printCycle(report: CycleReport, seconds: number): void {
  const read = report.reads.reduce((sum, item) => sum + item.records, 0);
  const changed = report.reads.reduce((sum, item) => sum + item.changed, 0);
  const written = report.writes.created + report.writes.updated + report.writes.unchanged;
  console.log(
    `  ${seconds.toFixed(1)} s wall; ${read} records read (${changed} new or changed), ${(read / seconds).toFixed(0)} read/s; ` +
      `${report.counts.entitiesPlanned} entities planned; writes: ${JSON.stringify(report.writes)}; ` +
      `${written > 0 ? `${(written / seconds).toFixed(0)} written/s; ` : ''}failures ${report.failures.length}, waits ${report.counts.waits}, holds ${report.counts.holds}, conflicts ${report.counts.conflicts}, ambiguities ${report.counts.ambiguities}`,
  );
  for (const item of report.reads) {
    console.log(
      `    read ${item.system} ${item.type}: ${item.records} records in ${item.pages} pages, ${item.changed} changed`,
    );
  }
  for (const failure of report.failures.slice(0, 5)) {
    console.log(`    failure ${failure.target}: ${failure.error.code} ${failure.error.message}`);
  }
}

function peakRssOfChild(pid: number | undefined): string {
  if (pid === undefined) return 'unknown';
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match === null ? 'unknown' : mb(Number(match[1]) * 1024);
  } catch {
    return 'unknown';
  }
}

async function runBenchmark(): Promise<void> {
  console.log(
    `end-to-end benchmark, scale ${scale}: ${counts.contacts} contacts, ${counts.persons} persons, ${counts.tickets} tickets, ${counts.users} users (seed ${seed})`,
  );
  const { host, superofficeUrl, zendeskUrl } = await startHost();
  const directory = args.db === undefined ? mkdtempSync(join(tmpdir(), 'tandem-bench-')) : undefined;
  const db = args.db ?? join(directory ?? '.', 'tandem.db');
  const config = loadConfig({
    env: {
      TANDEM_DB: db,
      TANDEM_SUPEROFFICE_URL: superofficeUrl,
      TANDEM_SUPEROFFICE_TOKEN: 'sim-token',
      TANDEM_ZENDESK_URL: zendeskUrl,
      TANDEM_ZENDESK_OAUTH_TOKEN: 'sim-token',
    },
    cwd: directory ?? process.cwd(),
  });
  const tenant = await openTenant(config, pino({ level: 'warn' }), {
    // The simulated account has its limits off; keep the client from pacing itself to a real one.
    zendesk: {
      rateLimitPerMinute: 1_000_000,
      incrementalPerMinute: 1_000_000,
      perUserUpdatesPerMinute: 1_000_000,
      jobPollDelayMs: 20,
      jobPollMaxDelayMs: 200,
    },
  });
  const storeTimer = new StoreTimer(tenant.store);
  const memory = new MemorySampler();
  const failures: string[] = [];
  try {
    await Promise.all([tenant.superoffice.verify(), tenant.zendesk.verify()]);

    const cycle = async (label: string, boundsOf: Bounds | ((report: CycleReport) => Bounds)) => {
      await host.ask('reset-calls');
      memory.reset();
      storeTimer.take(0);
      const simulatorCpuBefore = await host.ask<number>('cpu');
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const report = await tenant.engine.runCycle();
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const simulatorCpu = (await host.ask<number>('cpu')) - simulatorCpuBefore;
      memory.sample();
      console.log(`\n${label}:`);
      printCycle(report, seconds);
      const store = storeTimer.take(4);
      console.log(
        `  where the time went: sync process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, simulators' CPU ${(simulatorCpu / 1000).toFixed(1)} s; ` +
          `in the store ${(store.totalMs / 1000).toFixed(1)} s (${store.slowest})`,
      );
      const calls = await host.ask<CallCounts>('calls');
      const writes = printCalls(label, calls, typeof boundsOf === 'function' ? boundsOf(report) : boundsOf);
      console.log(`  peak memory of the sync process: RSS ${mb(memory.peakRss)}, heap ${mb(memory.peakHeap)}`);
      if (memory.peakRss > 512 * 1024 * 1024) failures.push(`${label}: peak RSS ${mb(memory.peakRss)} is over 512 MB`);
      return { report, seconds, calls, writes };
    };

    // Lower bounds of the initial sync: every SuperOffice list read once in pages of 1,000, every
    // create in batches of 100 with at least one job-status poll per 100 jobs (show_many takes 100 ids).
    const before = await host.ask<Census>('census');
    const pages = (rows: number) => Math.max(1, Math.ceil(rows / 1000));
    const batches = (rows: number) => Math.ceil(rows / 100);
    const createJobs =
      batches(before.expected.organizations) + batches(before.expected.users) + batches(before.expected.tickets);
    const initialBounds: Bounds = {
      'superoffice GET /Contact': pages(counts.contacts),
      'superoffice GET /Person': pages(counts.persons + counts.users),
      'superoffice GET /Ticket': pages(counts.tickets),
      'superoffice GET /User': pages(counts.users),
      'zendesk POST /api/v2/organizations/create_many': batches(before.expected.organizations),
      'zendesk POST /api/v2/users/create_many': batches(before.expected.users),
      'zendesk POST /api/v2/tickets/create_many': batches(before.expected.tickets),
      'zendesk GET /api/v2/job_statuses/show_many': Math.ceil(createJobs / 100),
    };
    console.log(
      `to create in Zendesk: ${before.expected.organizations} organizations, ${before.expected.users} users, ${before.expected.tickets} tickets`,
    );
    const initial = await cycle('initial sync', initialBounds);
    const createdTotal = initial.report.writes.created;
    console.log(`  ${(createdTotal / initial.seconds).toFixed(0)} Zendesk records created per second`);
    if (initial.writes.writes > 1.1 * initial.writes.writeBound) {
      failures.push(
        `initial sync: ${initial.writes.writes} write calls, over 1.1x the bound ${initial.writes.writeBound}`,
      );
    }

    const created = await host.ask<Census>('census');
    console.log(`census after the initial sync: ${JSON.stringify(created)}`);
    for (const kind of ['organizations', 'users', 'tickets'] as const) {
      if (created.zendesk[kind] !== created.expected[kind]) {
        failures.push(`${kind}: ${created.zendesk[kind]} in Zendesk, ${created.expected[kind]} expected`);
      }
    }
    if (created.duplicateExternalIds > 0) failures.push(`${created.duplicateExternalIds} duplicate external ids`);

    // The records just created come back through Zendesk's exports once: reading them is the
    // price of the first sync, and none of them may cause a write.
    const settle = await cycle('settling cycle (reads back what the initial sync created)', {
      'zendesk GET /api/v2/incremental/organizations': pages(created.zendesk.organizations),
      'zendesk GET /api/v2/incremental/users/cursor': pages(created.zendesk.users + 1),
      'zendesk GET /api/v2/incremental/tickets/cursor': pages(created.zendesk.tickets),
    });
    if (settle.writes.writes > 0) failures.push(`settling cycle: ${settle.writes.writes} write calls, expected none`);

    const edits = await host.ask<EditSummary>('edit');
    console.log(`\nedits: SuperOffice ${JSON.stringify(edits.superoffice)}, Zendesk ${JSON.stringify(edits.zendesk)}`);
    // SuperOffice has no bulk write: one PATCH per record; Zendesk takes 100 per update_many, except
    // for tickets: an update guarded by safe_update (so an edit made meanwhile is not overwritten) is
    // documented for Update Ticket only, one request per ticket (docs/connectors.md).
    const updateBounds = (report: CycleReport): Bounds => {
      const perTarget = new Map<string, number>();
      for (const update of report.updates) {
        const [system, type] = update.target.split(':');
        const key = `${system}:${type}`;
        perTarget.set(key, (perTarget.get(key) ?? 0) + 1);
      }
      const soPaths = { contact: '/Contact/{id}', person: '/Person/{id}', ticket: '/Ticket/{id}', user: '/User/{id}' };
      const zdPaths = { organization: 'organizations', user: 'users', ticket: 'tickets' };
      const bounds: Bounds = {};
      for (const [key, count] of perTarget) {
        const [system, type] = key.split(':') as [string, string];
        if (system === 'superoffice') bounds[`superoffice PATCH ${soPaths[type as keyof typeof soPaths]}`] = count;
        else if (type === 'ticket') bounds['zendesk PUT /api/v2/tickets/:id'] = count;
        else bounds[`zendesk PUT /api/v2/${zdPaths[type as keyof typeof zdPaths]}/update_many`] = batches(count);
      }
      return bounds;
    };
    const incremental = await cycle(`incremental cycle after ${editsPerSide} edits on each side`, updateBounds);
    if (incremental.writes.writes > 1.1 * incremental.writes.writeBound) {
      failures.push(
        `incremental cycle: ${incremental.writes.writes} write calls, over 1.1x the bound ${incremental.writes.writeBound}`,
      );
    }
    const totalCalls =
      Object.values(incremental.calls.superoffice).reduce((sum, value) => sum + value, 0) +
      Object.values(incremental.calls.zendesk).reduce((sum, value) => sum + value, 0);
    console.log(
      `  ${totalCalls} calls for ${2 * editsPerSide} edits (${(totalCalls / (2 * editsPerSide)).toFixed(2)} per edit); the data holds ${counts.contacts + counts.persons + counts.tickets + counts.users} SuperOffice records`,
    );
    const quiet = await cycle('quiet cycle (nothing changed)', {});
    if (quiet.writes.writes > 0) failures.push(`quiet cycle: ${quiet.writes.writes} write calls, expected none`);

    console.log(
      `\npeak RSS of the simulators' process: ${peakRssOfChild(host.child.pid)} (not part of the goal; they hold both systems' data)`,
    );
    console.log(
      failures.length === 0
        ? '\nall goals met'
        : `\ngoals missed:\n${failures.map((line) => `  - ${line}`).join('\n')}`,
    );
  } finally {
    memory.stop();
    await tenant.close();
    host.child.disconnect();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  }
}

if (args.role === 'simulators') await hostSimulators();
else await runBenchmark();
