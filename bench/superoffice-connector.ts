/**
 * The SuperOffice connector at the issue's scale (50,000 persons, 10,000 contacts, 20,000 tickets,
 * 100 users), against the in-process simulator:
 *   1. initial sync: read every type from scratch, every record exactly once; the calls beside the
 *      list-page bound (one list call per page of 500 rows and nothing else);
 *   2. a quiet cycle (nothing changed): goal at most 10 calls whatever the tenant's size;
 *   3. a cycle after 10 edits as SuperOffice users make them (including e-mail-only and phone-only
 *      edits, which the stamps may not show): goal at most 10 + 2 per edit; then a sweep, and
 *      feed + sweep must report exactly the edited records;
 *   4. update a person's phone and check no other e-mail or phone was lost.
 * `--faults 0.1` injects 5xx, 429, 503, dropped connections and slow answers into every phase
 * (the counts then include the retries). Prints calls, wall time and peak memory (the simulator
 * runs in the same process). Run: npm run bench:superoffice [-- --scale 0.2 | --persons N ...]
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
    scale: { type: 'string', default: '1' },
    persons: { type: 'string', default: '50000' },
    contacts: { type: 'string', default: '10000' },
    tickets: { type: 'string', default: '20000' },
    users: { type: 'string', default: '100' },
    faults: { type: 'string', default: '0' },
  },
});
const scale = Number(args.scale);
const counts = {
  persons: Math.round(Number(args.persons) * scale),
  contacts: Math.round(Number(args.contacts) * scale),
  tickets: Math.round(Number(args.tickets) * scale),
  users: Number(args.users),
};
const pageSize = 500;
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
          : [...data.associates.values()]
              .filter((row) => row.type === 'InternalAssociate' && !row.deleted)
              .map((row) => row.associateId);
  return new Set(rows.map(String));
}

/** The least an initial read can cost: one list call per page of rows (a short last page included). */
function listPageBound(simulator: SuperOfficeSimulator): number {
  const pagesOf = (rows: number) => Math.floor(rows / pageSize) + 1;
  const { data } = simulator;
  return (
    pagesOf([...data.contacts.values()].filter((row) => row.deletedDate === null).length) +
    pagesOf(data.persons.size) +
    pagesOf(data.tickets.size) +
    pagesOf(data.associates.size)
  );
}

function sameSet(left: Iterable<string>, right: Iterable<string>): boolean {
  const a = [...left].sort();
  const b = [...right].sort();
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

async function phase(label: string, simulator: SuperOfficeSimulator, run: () => Promise<void>): Promise<number> {
  simulator.calls.reset();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const calls = simulator.calls.total;
  console.log(`${label}: ${seconds.toFixed(1)} s, ${calls} SuperOffice calls (${simulator.calls.writes} writes)`);
  for (const [endpoint, count] of Object.entries(simulator.calls.snapshot())) console.log(`    ${endpoint}: ${count}`);
  return calls;
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
  pageSize,
  retries: 10,
  minRetryDelayMs: 5,
  maxRetryDelayMs: 50,
});
const faultSettings = { probability: faultRate, kinds: ['5xx', '429', '503', 'drop', 'slow'] as const, slowMs: 20 };

try {
  // 1. Initial sync.
  const cursors = new Map<SuperOfficeRecordType, string | null>();
  const known = new Map<string, string>();
  if (faultRate > 0) simulator.faults.set({ ...faultSettings, seed: 1 });
  const initialCalls = await phase(
    `initial sync${faultRate > 0 ? ` with ${faultRate * 100}% faults` : ''}`,
    simulator,
    async () => {
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
    },
  );
  const bound = listPageBound(simulator);
  const getsById = Object.entries(simulator.calls.snapshot())
    .filter(([endpoint]) => endpoint.endsWith('/{id}'))
    .reduce((sum, [, count]) => sum + count, 0);
  console.log(
    `  initial sync: ${initialCalls} calls (${initialCalls - getsById} list calls, ${getsById} GETs of one record); list-page bound ${bound} (one call per ${pageSize} rows)`,
  );

  // 2. A quiet cycle.
  clock.advance(15 * 60_000);
  const readCycle = async (label: string) => {
    const reported = new Map<SuperOfficeRecordType, SourceRecord[]>();
    const calls = await phase(label, simulator, async () => {
      for (const type of types) {
        const { records, cursor } = await drain(connector.readChanges(type, cursors.get(type) ?? null));
        reported.set(type, records);
        cursors.set(type, cursor);
        console.log(`  ${type}: ${records.length} reported (${records.map((record) => record.ref.id).join(', ')})`);
      }
    });
    return { calls, reported };
  };
  const quiet = await readCycle('quiet cycle');
  console.log(`  quiet cycle: ${quiet.calls} calls (goal: at most 10)`);
  check(quiet.calls <= 10, `quiet cycle made ${quiet.calls} calls`);

  // 3. Ten edits, a cycle, then a sweep.
  const { data } = simulator;
  clock.advance(2 * 3_600_000);
  const { edited: scenario } = applyEditScenario(data, clock.now());
  data.editContact(8, { name: 'Tenth Edit AS' });
  const expected = { ...scenario, contact: [...scenario.contact, '8'].sort() };
  const edits = 10;

  if (faultRate > 0) simulator.faults.set({ ...faultSettings, seed: 2 });
  const edited = await readCycle(`cycle after ${edits} edits`);
  console.log(`  edit cycle: ${edited.calls} calls (goal: at most ${10 + 2 * edits})`);
  check(edited.calls <= 10 + 2 * edits, `edit cycle made ${edited.calls} calls`);
  await phase('sweep', simulator, async () => {
    for (const type of types) {
      const { records } = await drain(connector.readAll(type));
      const changed = records.filter((record) => known.get(`${type}:${record.ref.id}`) !== JSON.stringify(record));
      const reported = new Set([...(edited.reported.get(type) ?? []), ...changed].map((record) => record.ref.id));
      console.log(
        `  ${type}: ${records.length} swept, ${changed.length} changed; feed + sweep report ${[...reported].join(', ')}`,
      );
      check(
        sameSet(reported, expected[type]),
        `${type}: feed + sweep reported ${[...reported]} instead of ${expected[type]}`,
      );
    }
  });

  // 4. A phone update keeps the rest.
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
