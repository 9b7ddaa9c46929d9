/**
 * Crash safety of `tandem sync` (design invariant 1, no duplicates, and 2, convergence): the CLI runs
 * as a child process against both simulators in this process and is killed with SIGKILL at 20
 * points of an initial sync, then run to the end. Afterwards every SuperOffice record that must have
 * a Zendesk counterpart has exactly one (counted by external id and by content), and one more cycle
 * makes no write call.
 *
 * Kill points are drawn from a seeded generator and fire on observed progress, never on a timer: the
 * child is killed the moment the k-th request of a chosen kind (a SuperOffice read, a Zendesk export
 * read, a Zendesk bulk write, a job-status poll) reaches a simulator. A write killed that way is
 * carried out by the simulator while its sender is already gone: the crash the idempotency handles
 * exist for.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../../simulators/seeded-random.js';
import type { SuperOfficeSimulator } from '../../simulators/superoffice/index.js';
import type { ZendeskSimulator } from '../../simulators/zendesk/index.js';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

const tandemBin = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/tandem');

/**
 * Kinds of request a kill can wait for, with the chance that one request of that kind is the last
 * the run gets to make. SuperOffice reads are many (one per record) and a kill loses the page in
 * flight, so they get a small chance; bulk writes and their job polls are few and matter most.
 */
const killHazards = {
  'superoffice-read': 1 / 1500,
  'superoffice-write': 1 / 3,
  'zendesk-export': 1 / 6, // every run's verify() reads one export page too (issue 12.8)
  'zendesk-lookup': 1 / 8,
  'zendesk-write': 1 / 2,
  'zendesk-job-poll': 1 / 3,
} as const;
type KillKind = keyof typeof killHazards;
const killKinds = Object.keys(killHazards) as KillKind[];

function kindOfRequest(system: 'superoffice' | 'zendesk', method: string, route: string): KillKind {
  if (system === 'superoffice') return method === 'GET' ? 'superoffice-read' : 'superoffice-write';
  if (route.startsWith('/api/v2/incremental/')) return 'zendesk-export';
  if (route.startsWith('/api/v2/job_statuses')) return 'zendesk-job-poll';
  return method === 'GET' ? 'zendesk-lookup' : 'zendesk-write';
}

/**
 * The kill point of one run: for each kind, the occurrence at which it strikes (drawn from the
 * geometric distribution of its hazard). The run dies at whichever comes first.
 */
function killPointOf(run: number, seed: number): Readonly<Record<KillKind, number>> {
  const generator = new SeededRandom(seed * 1_000 + run);
  const random = () => generator.next();
  const occurrence = (hazard: number) => 1 + Math.floor(Math.log(1 - random()) / Math.log(1 - hazard));
  return Object.fromEntries(killKinds.map((kind) => [kind, occurrence(killHazards[kind])])) as Record<KillKind, number>;
}

type RequestListener = (system: 'superoffice' | 'zendesk', method: string, route: string) => void;

/**
 * Calls `listener` for every request either simulator receives, as it arrives. The simulators
 * expose no request event, but both count every request through `calls.record` before handling it.
 */
function observeRequests(
  superoffice: SuperOfficeSimulator,
  zendesk: ZendeskSimulator,
): (listener?: RequestListener) => void {
  let current: RequestListener | undefined;
  for (const [system, counter] of [
    ['superoffice', superoffice.calls],
    ['zendesk', zendesk.calls],
  ] as const) {
    const record = counter.record.bind(counter);
    counter.record = (method: string, route: string) => {
      record(method, route);
      current?.(system, method, route);
    };
  }
  return (listener) => {
    current = listener;
  };
}

interface RunResult {
  readonly killed: boolean;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runTandemSync(
  env: Record<string, string>,
  cwd: string,
  onStart: (child: ChildProcess) => void,
): Promise<RunResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TANDEM_')));
  const child = spawn(process.execPath, [tandemBin, 'sync', '--json'], {
    cwd,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  onStart(child);
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ killed: signal === 'SIGKILL', code, stdout, stderr }));
  });
}

/** Names company names apart: Zendesk refuses a second organization with a taken name (reported, never merged). */
function makeContactNamesUnique(superoffice: SuperOfficeSimulator): void {
  const names = new Set<string>();
  for (const contact of superoffice.data.contacts.values()) {
    if (names.has(contact.name.toLowerCase())) contact.name = `${contact.name} ${contact.contactId}`;
    names.add(contact.name.toLowerCase());
  }
}

interface Counterparts {
  /** `superoffice:<type>:<id>` -> how many Zendesk records carry it as external id, and match it by content. */
  readonly byExternalId: Map<string, number>;
  readonly byContent: Map<string, number>;
  readonly expected: readonly string[];
}

/** Counts, for every SuperOffice record that must reach Zendesk, its Zendesk counterparts. */
function countCounterparts(superoffice: SuperOfficeSimulator, zendesk: ZendeskSimulator): Counterparts {
  const so = superoffice.data;
  const zd = zendesk.data;
  const byExternalId = new Map<string, number>();
  const byContent = new Map<string, number>();
  const expected: string[] = [];
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

  const externalIds = [
    ...zd.organizations().map((row) => row.external_id),
    ...zd.users().map((row) => row.external_id),
    ...zd.tickets().map((row) => row.external_id),
  ];
  for (const externalId of externalIds) if (externalId !== null) bump(byExternalId, externalId);

  for (const contact of so.contacts.values()) {
    if (contact.deletedDate !== null) continue;
    const key = `superoffice:contact:${contact.contactId}`;
    expected.push(key);
    const sameName = zd.organizations().filter((row) => row.name.toLowerCase() === contact.name.toLowerCase());
    byContent.set(key, sameName.length);
  }
  for (const ticket of so.tickets.values()) {
    const key = `superoffice:ticket:${ticket.ticketId}`;
    expected.push(key);
    byContent.set(key, zd.tickets().filter((row) => row.subject === ticket.title).length);
  }
  // A user and its own person are one person: one Zendesk user, created from either record.
  const people = new Map<string, string[]>();
  const addPerson = (personId: number, origins: string[]) => {
    const email = so.livePerson(personId)?.emails[0]?.value.toLowerCase();
    if (email === undefined) return;
    people.set(email, [...(people.get(email) ?? []), ...origins]);
  };
  // Only real people become Zendesk users: active internal associates (issue 13 item 3).
  for (const associate of so.associates.values()) {
    if (associate.type !== 'InternalAssociate' || associate.deleted) continue;
    addPerson(associate.personId, [
      `superoffice:user:${associate.associateId}`,
      `superoffice:person:${associate.personId}`,
    ]);
  }
  for (const personId of new Set([...so.tickets.values()].map((ticket) => ticket.personId))) {
    addPerson(personId, [`superoffice:person:${personId}`]);
  }
  for (const [email, origins] of people) {
    const key = origins[0] as string;
    expected.push(key);
    const withExternalId = origins.reduce((sum, origin) => sum + (byExternalId.get(origin) ?? 0), 0);
    byExternalId.set(key, withExternalId);
    byContent.set(
      key,
      zd.users().filter((user) => zd.identities(user.id).some((identity) => identity.value.toLowerCase() === email))
        .length,
    );
  }
  return { byExternalId, byContent, expected };
}

describe('tandem sync killed at random points of an initial sync', () => {
  let harness: SyncHarness;
  let listen: (listener?: RequestListener) => void;

  beforeAll(async () => {
    harness = await startSyncHarness({
      superoffice: { seed: 11, contacts: 400, persons: 150, tickets: 400, users: 3 },
    });
    makeContactNamesUnique(harness.superoffice);
    listen = observeRequests(harness.superoffice, harness.zendesk);
  });

  afterAll(async () => {
    listen?.();
    await harness?.close();
  });

  it('leaves every SuperOffice record exactly one Zendesk counterpart after 20 kills, and a last cycle writes nothing', async () => {
    const cwd = dirname(harness.dbPath);
    const landed: string[] = [];
    let killsBeforeFirstCompletedRun: number | undefined;
    for (let run = 1; landed.length < 20 && run <= 80; run++) {
      const killAt = killPointOf(run, 20_260_601);
      const seen = Object.fromEntries(killKinds.map((kind) => [kind, 0])) as Record<KillKind, number>;
      let child: ChildProcess | undefined;
      const result = runTandemSync(harness.env, cwd, (started) => {
        child = started;
      });
      listen((system, method, route) => {
        const kind = kindOfRequest(system, method, route);
        seen[kind]++;
        if (seen[kind] === killAt[kind] && child !== undefined && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          landed.push(`${kind} #${seen[kind]} (${method} ${route})`);
        }
      });
      const outcome = await result;
      listen();
      if (!outcome.killed) {
        // The run got to the end before its kill point: a finished cycle is fine, a failure is not.
        expect(outcome.code, `tandem sync failed:\n${outcome.stderr}`).toBe(0);
        killsBeforeFirstCompletedRun ??= landed.length;
      }
    }
    expect(landed).toHaveLength(20);
    // Most kills struck while the initial sync still had work to do (no run had completed yet),
    // and several of them while a bulk write, its job poll or a create's look-up was in flight.
    const duringInitialSync = landed.slice(0, killsBeforeFirstCompletedRun ?? landed.length);
    const summary = `kills: ${landed.join(', ')}; before the first completed run: ${duringInitialSync.length}`;
    expect(duringInitialSync.length, summary).toBeGreaterThanOrEqual(12);
    expect(
      duringInitialSync.filter((entry) => /^zendesk-(write|job-poll|lookup)/.test(entry)).length,
      summary,
    ).toBeGreaterThanOrEqual(4);

    const final = await runTandemSync(harness.env, cwd, () => {});
    expect(final.code, `the final tandem sync failed:\n${final.stderr}`).toBe(0);

    const counterparts = countCounterparts(harness.superoffice, harness.zendesk);
    const wrongByExternalId = counterparts.expected.filter((key) => counterparts.byExternalId.get(key) !== 1);
    const wrongByContent = counterparts.expected.filter((key) => counterparts.byContent.get(key) !== 1);
    expect(counterparts.expected.length).toBeGreaterThan(900);
    expect(wrongByExternalId, summary).toEqual([]);
    expect(wrongByContent).toEqual([]);

    const writesBefore = harness.superoffice.calls.writes + harness.zendesk.calls.writes;
    const report = await harness.sync();
    expect(report.writes.calls).toBe(0);
    expect(report.failures).toEqual([]);
    expect(harness.superoffice.calls.writes + harness.zendesk.calls.writes).toBe(writesBefore);
  }, 240_000);
});
