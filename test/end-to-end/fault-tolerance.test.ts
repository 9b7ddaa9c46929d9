/**
 * Faults on the wire (design invariants 1, 2 and 5): the same tenant is synced twice, once cleanly
 * and once with 10% of the requests to each simulator answered with a 5xx, a 429 (or SuperOffice's
 * 503), or a dropped connection (before or after the server did the work). After an initial sync
 * and edits on both sides, both runs must reach the same state in both systems, ids aside, with no
 * duplicate and a last cycle that writes nothing.
 *
 * Failed writes wait for their back-off (at most an hour) before they are tried again; the shared
 * clock of each run is moved an hour between cycles so the test never waits for real.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { entityElement } from '../../simulators/superoffice/index.js';
import { isSyncError } from '../../src/core/sync-error.js';
import type { CycleReport } from '../../src/engine/cycle-report.js';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

const tenant = { seed: 23, contacts: 150, persons: 90, tickets: 160, users: 3 } as const;
const hourMs = 3_600_000;

/** Runs cycles until one completes with no write and no failure; a cycle that fails as a whole is tried again. */
async function syncUntilQuiet(
  harness: SyncHarness,
  limit = 12,
): Promise<{ cycles: number; wholeCycleFailures: number }> {
  let wholeCycleFailures = 0;
  for (let cycle = 1; cycle <= limit; cycle++) {
    harness.clock.advance(hourMs + 1000); // past any write's back-off
    let report: CycleReport;
    try {
      report = await harness.sync();
    } catch (error) {
      if (!isSyncError(error) || !error.retryable) throw error;
      wholeCycleFailures++;
      continue;
    }
    if (report.status === 'completed' && report.writes.calls === 0 && report.failures.length === 0) {
      return { cycles: cycle, wholeCycleFailures };
    }
  }
  throw new Error(`no quiet cycle after ${limit} cycles`);
}

function makeContactNamesUnique(harness: SyncHarness): void {
  const names = new Set<string>();
  for (const contact of harness.superoffice.data.contacts.values()) {
    if (names.has(contact.name.toLowerCase())) contact.name = `${contact.name} ${contact.contactId}`;
    names.add(contact.name.toLowerCase());
  }
}

/** The same edits in either run, on records chosen by SuperOffice id, so both runs edit the same things. */
function editBothSides(harness: SyncHarness): void {
  const so = harness.superoffice.data;
  const zd = harness.zendesk.data;
  const contacts = [...so.contacts.values()]
    .filter((row) => !row.isOwnerContact)
    .sort((a, b) => a.contactId - b.contactId);
  const onTickets = [...new Set([...so.tickets.values()].map((row) => row.personId))].sort((a, b) => a - b);
  const tickets = [...so.tickets.values()].sort((a, b) => a.ticketId - b.ticketId);

  for (const contact of contacts.slice(0, 3)) so.editContact(contact.contactId, { name: `${contact.name} Holding` });
  for (const personId of onTickets.slice(0, 3)) {
    so.editPerson(personId, { title: 'Buyer', privatePhones: [entityElement(`+47 911 00 ${personId % 100}`)] });
  }
  for (const ticket of tickets.slice(0, 3)) so.editTicket(ticket.ticketId, { title: `${ticket.title} (urgent)` });

  // Zendesk agents edit other records than SuperOffice users did, so no edit is a conflict.
  for (const contact of contacts.slice(5, 8)) {
    const organization = zd.organizationByExternalId(`superoffice:contact:${contact.contactId}`);
    if (organization === undefined) throw new Error(`contact ${contact.contactId} has no organization`);
    zd.editOrganization(organization.id, { name: `${organization.name} Group` });
  }
  for (const personId of onTickets.slice(5, 8)) {
    const user = zd.userByExternalId(`superoffice:person:${personId}`);
    if (user === undefined) throw new Error(`person ${personId} has no Zendesk user`);
    zd.editUser(user.id, { phone: `+47 922 00 ${personId % 100}` });
  }
  for (const ticket of tickets.slice(5, 8)) {
    const [zendeskTicket] = zd.ticketsByExternalId(`superoffice:ticket:${ticket.ticketId}`);
    if (zendeskTicket === undefined) throw new Error(`ticket ${ticket.ticketId} has no Zendesk ticket`);
    zd.editTicket(zendeskTicket.id, { subject: `${zendeskTicket.subject ?? ''} (called back)` });
  }
}

/** What Zendesk holds, with ids replaced by what they point at, sorted. */
function zendeskState(harness: SyncHarness) {
  const zd = harness.zendesk.data;
  const organizationName = (id: number | null) => (id === null ? null : (zd.organization(id)?.name ?? `missing ${id}`));
  const email = (id: number | null) => (id === null ? null : zd.primaryEmail(id));
  const byKey = <T extends { key: string }>(rows: T[]) => rows.sort((a, b) => a.key.localeCompare(b.key));
  // Each run's SuperOffice made its tickets relative to its own "now": compare the due date as the
  // time after the ticket's creation.
  const dueAfterCreation = (externalId: string | null, due: number | null) => {
    const ticketId = /^superoffice:ticket:(\d+)$/.exec(externalId ?? '')?.[1];
    const created =
      ticketId === undefined ? undefined : harness.superoffice.data.tickets.get(Number(ticketId))?.createdAt;
    return due === null || created === undefined ? due : due - created;
  };
  return {
    organizations: byKey(zd.organizations().map((row) => ({ key: row.external_id ?? row.name, name: row.name }))),
    users: byKey(
      zd.users().map((row) => ({
        key: row.external_id ?? email(row.id) ?? String(row.id),
        email: email(row.id),
        phone: row.phone,
        organization: organizationName(row.organization_id),
        role: row.role,
      })),
    ),
    tickets: byKey(
      zd.tickets().map((row) => ({
        key: row.external_id ?? row.subject ?? '',
        subject: row.subject,
        due: dueAfterCreation(row.external_id, row.due_at),
        requester: email(row.requester_id),
        assignee: email(row.assignee_id),
      })),
    ),
  };
}

/** The mapped SuperOffice values, by id (the same in both runs: same seed, no SuperOffice creates). */
function superofficeState(harness: SyncHarness) {
  const so = harness.superoffice.data;
  return {
    contacts: [...so.contacts.values()].map((row) => [row.contactId, row.name]),
    persons: [...so.persons.values()].map((row) => [
      row.personId,
      row.contactId,
      row.emails[0]?.value ?? null,
      row.privatePhones[0]?.value ?? null,
    ]),
    tickets: [...so.tickets.values()].map((row) => [row.ticketId, row.title, row.ownedBy, row.personId]),
  };
}

/** What one run ends with: the state after the initial sync, and after edits on both sides. */
interface Outcome {
  readonly afterInitialSync: ReturnType<typeof zendeskState>;
  readonly zendesk: ReturnType<typeof zendeskState>;
  readonly superoffice: ReturnType<typeof superofficeState>;
}

async function syncWithEdits(harness: SyncHarness): Promise<Outcome> {
  makeContactNamesUnique(harness);
  await syncUntilQuiet(harness);
  const afterInitialSync = zendeskState(harness);
  editBothSides(harness);
  await syncUntilQuiet(harness);
  return { afterInitialSync, zendesk: zendeskState(harness), superoffice: superofficeState(harness) };
}

describe('sync with 10% of requests failing on both APIs', () => {
  let expected: Outcome;

  beforeAll(async () => {
    const clean = await startSyncHarness({ superoffice: { ...tenant } });
    try {
      expected = await syncWithEdits(clean);
    } finally {
      await clean.close();
    }
    expect(expected.zendesk.organizations).toHaveLength(tenant.contacts);
    expect(expected.zendesk.tickets).toHaveLength(tenant.tickets);
  });

  it.each([1, 2, 3, 4])(
    'ends in the same state as a sync without faults, with no duplicate and a quiet last cycle (fault seed %i)',
    async (seed) => {
      const faulty = await startSyncHarness({ superoffice: { ...tenant } });
      try {
        faulty.superoffice.faults.set({ probability: 0.1, kinds: ['5xx', '429', '503', 'drop'], seed });
        faulty.zendesk.faults.set({ probability: 0.1, kinds: ['5xx', '429', 'drop'], seed, retryAfterSeconds: 0 });

        const outcome = await syncWithEdits(faulty);
        const injected = `SuperOffice ${JSON.stringify(faulty.superoffice.faults.injected)}, Zendesk ${JSON.stringify(faulty.zendesk.faults.injected)}`;
        expect(outcome.afterInitialSync, injected).toEqual(expected.afterInitialSync);
        expect(outcome.zendesk, injected).toEqual(expected.zendesk);
        expect(outcome.superoffice, injected).toEqual(expected.superoffice);

        // The faults really happened, on both sides.
        const count = (kinds: Readonly<Record<string, number>>) => Object.values(kinds).reduce((sum, n) => sum + n, 0);
        expect(count(faulty.superoffice.faults.injected), injected).toBeGreaterThan(10);
        expect(count(faulty.zendesk.faults.injected), injected).toBeGreaterThan(0);

        faulty.superoffice.faults.off();
        faulty.zendesk.faults.off();
        const writesBefore = faulty.superoffice.calls.writes + faulty.zendesk.calls.writes;
        const last = await faulty.sync();
        expect(last.writes.calls).toBe(0);
        expect(faulty.superoffice.calls.writes + faulty.zendesk.calls.writes).toBe(writesBefore);
      } finally {
        await faulty.close();
      }
    },
  );
});
