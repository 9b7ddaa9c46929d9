/**
 * The SuperOffice connector at the scale, against the in-process simulator with 10%
 * injected faults (5xx, 429, 503, dropped connections, slow answers):
 *   1. read 20,000 persons, 5,000 contacts, 5,000 tickets and 100 users from scratch: every record
 *      exactly once;
 *   2. edit a few records as SuperOffice users would (including e-mail-only and phone-only edits)
 *      and check that the next feed plus a sweep report exactly those;
 *   3. update a person's phone and check no other e-mail or phone was lost.
 * Prints calls, wall time and peak memory (the simulator runs in the same process, so the memory
 * figure covers both). Run: npm run bench:superoffice [-- --persons N --contacts N --tickets N --users N]
 */
import { parseArgs } from 'node:util';
import {
  entityElement,
  SimulatorClock,
  type SuperOfficeSimulator,
  startSuperOfficeSimulator,
} from '../simulators/superoffice/index.js';
import type { ChangePage } from '../src/connectors/connector.js';
import { SuperOfficeConnector } from '../src/connectors/superoffice/superoffice-connector.js';
import type { SourceRecord, SuperOfficeRecordType } from '../src/core/model.js';
import { applyEditScenario } from '../test/connectors/superoffice/edit-scenario.js';

const { values: args } = parseArgs({
  options: {
    persons: { type: 'string', default: '20000' },
    contacts: { type: 'string', default: '5000' },
    tickets: { type: 'string', default: '5000' },
    users: { type: 'string', default: '100' },
    faults: { type: 'string', default: '0.1' },
  },
});
const counts = {
  persons: Number(args.persons),
  contacts: Number(args.contacts),
  tickets: Number(args.tickets),
  users: Number(args.users),
};
const faultRate = Number(args.faults);
const types: readonly SuperOfficeRecordType[] = ['contact', 'person', 'ticket', 'user'];

let peakRss = 0;
let peakHeap = 0;
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakHeap = Math.max(peakHeap, usage.heapUsed);
}, 50);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const failures: string[] = [];
const check = (ok: boolean, message: string) => {
  if (!ok) failures.push(message);
};

async function drain(
  pages: AsyncIterable<ChangePage>,
): Promise<{ records: SourceRecord[]; cursor: string | null; pages: number }> {
  const records: SourceRecord[] = [];
  let cursor: string | null = null;
  let count = 0;
  for await (const page of pages) {
    records.push(...page.records);
    cursor = page.cursor;
    count++;
  }
  return { records, cursor, pages: count };
}

function liveIds(simulator: SuperOfficeSimulator, type: SuperOfficeRecordType): Set<string> {
  const { data } = simulator;
  const rows =
    type === 'contact'
      ? [...data.contacts.values()].filter((row) => row.deletedDate === null).map((row) => row.contactId)
      : type === 'person'
        ? [...data.persons.values()].filter((row) => row.deletedDate === null).map((row) => row.personId)
        : type === 'ticket'
          ? [...data.tickets.keys()]
          : [...data.associates.keys()];
  return new Set(rows.map(String));
}

function sameSet(left: Iterable<string>, right: Iterable<string>): boolean {
  const a = [...left].sort();
  const b = [...right].sort();
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

async function phase<T>(label: string, simulator: SuperOfficeSimulator, run: () => Promise<T>): Promise<T> {
  simulator.calls.reset();
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label}: ${seconds.toFixed(1)} s, ${simulator.calls.total} calls (${simulator.calls.writes} writes)`);
  for (const [endpoint, count] of Object.entries(simulator.calls.snapshot())) console.log(`    ${endpoint}: ${count}`);
  return result;
}

const clock = new SimulatorClock({ frozenAt: '2025-03-10T12:00:00Z' });
const generationStarted = performance.now();
const simulator = await startSuperOfficeSimulator({ seed: 42, ...counts, clock });
console.log(
  `tenant: ${counts.persons} persons (+${counts.users} users' persons), ${counts.contacts} contacts, ${counts.tickets} tickets, ${counts.users} users; generated in ${((performance.now() - generationStarted) / 1000).toFixed(1)} s`,
);
const connector = new SuperOfficeConnector({
  url: simulator.url,
  auth: { kind: 'bearer', token: 'sim-token' },
  pageSize: 500,
  retries: 10,
  minRetryDelayMs: 5,
  maxRetryDelayMs: 50,
});
const faultSettings = { probability: faultRate, kinds: ['5xx', '429', '503', 'drop', 'slow'] as const, slowMs: 20 };

try {
  // 1. Initial read.
  const cursors = new Map<SuperOfficeRecordType, string | null>();
  const known = new Map<string, string>();
  simulator.faults.set({ ...faultSettings, seed: 1 });
  await phase(`initial read with ${faultRate * 100}% faults`, simulator, async () => {
    for (const type of types) {
      const { records, cursor, pages } = await drain(connector.readChanges(type, null));
      const ids = records.map((record) => record.ref.id);
      const unique = new Set(ids);
      check(unique.size === ids.length, `${type}: ${ids.length - unique.size} records reported twice`);
      check(sameSet(unique, liveIds(simulator, type)), `${type}: the records read differ from the tenant's`);
      console.log(`  ${type}: ${records.length} records in ${pages} pages, cursor ${cursor?.length ?? 0} chars`);
      cursors.set(type, cursor);
      for (const record of records) known.set(`${type}:${record.ref.id}`, JSON.stringify(record));
    }
  });
  console.log(`  faults injected so far: ${JSON.stringify(simulator.faults.injected)}`);

  // 2. Edits, then feed + sweep.
  const { data } = simulator;
  clock.advance(2 * 3_600_000);
  const { edited: expected } = applyEditScenario(data, clock.now());

  simulator.faults.set({ ...faultSettings, seed: 2 });
  const feeds = new Map<SuperOfficeRecordType, SourceRecord[]>();
  await phase('feed after 9 edits', simulator, async () => {
    for (const type of types) {
      const { records } = await drain(connector.readChanges(type, cursors.get(type) ?? null));
      feeds.set(type, records);
      console.log(`  ${type}: ${records.length} reported (${records.map((record) => record.ref.id).join(', ')})`);
    }
  });
  await phase('sweep', simulator, async () => {
    for (const type of types) {
      const { records } = await drain(connector.readAll(type));
      const changed = records.filter((record) => known.get(`${type}:${record.ref.id}`) !== JSON.stringify(record));
      const reported = new Set([...(feeds.get(type) ?? []), ...changed].map((record) => record.ref.id));
      console.log(
        `  ${type}: ${records.length} swept, ${changed.length} changed; feed + sweep report ${[...reported].join(', ')}`,
      );
      check(
        sameSet(reported, expected[type]),
        `${type}: feed + sweep reported ${[...reported]} instead of ${expected[type]}`,
      );
    }
  });

  // 3. A phone update keeps the rest.
  const person = data.createPerson({
    contactId: 2,
    emails: [entityElement('one@example.com'), entityElement('two@example.com')],
    privatePhones: [entityElement('+47 111 11 111'), entityElement('+47 222 22 222')],
    mobilePhones: [entityElement('+47 900 00 000')],
  });
  await phase('phone update', simulator, async () => {
    const [outcome] = await connector.write('person', [
      {
        kind: 'update',
        key: 'phone',
        id: String(person.personId),
        values: { 'PrivatePhones.Value': '+47 333 33 333' },
      },
    ]);
    const after = data.persons.get(person.personId);
    check(outcome?.status === 'updated', `phone update: ${outcome?.status} ${outcome?.error?.message ?? ''}`);
    check(
      JSON.stringify(after?.privatePhones.map((phone) => phone.value)) ===
        JSON.stringify(['+47 333 33 333', '+47 222 22 222']) &&
        after?.emails.length === 2 &&
        after?.mobilePhones.length === 1,
      'phone update lost other entries',
    );
  });
  simulator.faults.off();
  console.log(`faults injected in total: ${JSON.stringify(simulator.faults.injected)}`);
} finally {
  clearInterval(sampler);
  await connector.close();
  await simulator.close();
}
console.log(`peak memory: rss ${mb(peakRss)}, heap ${mb(peakHeap)}`);
if (failures.length > 0) {
  console.log(`FAILED:\n  ${failures.join('\n  ')}`);
  process.exitCode = 1;
} else {
  console.log('all checks passed');
}
