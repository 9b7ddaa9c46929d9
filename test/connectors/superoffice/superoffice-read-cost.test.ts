/**
 * Reads follow change (issue 13 item 6): a quiet cycle makes a few list calls whatever the
 * tenant's size, and a cycle after k edits about k more; contacts and persons come from their list
 * rows (a person's e-mails and phones from two more queries per page of changed persons).
 * bench/superoffice-connector.ts prints the same figures at 50,000 persons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  entityElement,
  SimulatorClock,
  type SuperOfficeSimulator,
  startSuperOfficeSimulator,
} from '../../../simulators/superoffice/index.js';
import type { ChangePage } from '../../../src/connectors/connector.js';
import { SuperOfficeConnector } from '../../../src/connectors/superoffice/superoffice-connector.js';
import type { SourceRecord, SuperOfficeRecordType } from '../../../src/core/model.js';

const types: readonly SuperOfficeRecordType[] = ['contact', 'person', 'ticket', 'user'];
const getsById = (simulator: SuperOfficeSimulator) =>
  Object.entries(simulator.calls.snapshot())
    .filter(([endpoint]) => endpoint.endsWith('/{id}'))
    .reduce((sum, [, count]) => sum + count, 0);

describe('SuperOffice connector: what a read costs', () => {
  const clock = new SimulatorClock({ frozenAt: '2025-03-10T12:00:00Z' });
  let simulator: SuperOfficeSimulator;
  let connector: SuperOfficeConnector;
  const cursors = new Map<SuperOfficeRecordType, string | null>();

  const cycle = async (): Promise<Map<SuperOfficeRecordType, SourceRecord[]>> => {
    const reported = new Map<SuperOfficeRecordType, SourceRecord[]>();
    for (const type of types) {
      const records: SourceRecord[] = [];
      for await (const page of connector.readChanges(type, cursors.get(type) ?? null) as AsyncIterable<ChangePage>) {
        records.push(...page.records);
        cursors.set(type, page.cursor);
      }
      reported.set(type, records);
    }
    return reported;
  };

  beforeAll(async () => {
    simulator = await startSuperOfficeSimulator({
      seed: 5,
      contacts: 300,
      persons: 1500,
      tickets: 600,
      users: 5,
      clock,
    });
    connector = new SuperOfficeConnector({ url: simulator.url, auth: { kind: 'bearer', token: 'sim-token' } });
  });
  afterAll(async () => {
    await connector.close();
    await simulator.close();
  });

  it('reads contacts and persons from their list rows: the initial read GETs none of them', async () => {
    simulator.calls.reset();
    const first = await cycle();
    expect(first.get('contact')).toHaveLength(300);
    expect(first.get('person')?.length).toBeGreaterThan(1000);
    expect(simulator.calls.count('GET /Contact/{id}') + simulator.calls.count('GET /Person/{id}')).toBe(0);
    // Persons in 3 pages, each with its e-mail and phone query; contacts 1 page; tickets: list and GETs.
    expect(simulator.calls.total - simulator.calls.count('GET /Ticket/{id}')).toBeLessThanOrEqual(20);
  });

  it('makes a few list calls and no GET in a quiet cycle, after importing 1,000 persons', async () => {
    clock.advance(15 * 60_000);
    simulator.calls.reset();
    const quiet = await cycle();
    expect([...quiet.values()].flat()).toEqual([]);
    expect(getsById(simulator)).toBe(0);
    // Per person and contact feed: merge log, recycle bin, changes; tickets: changes; users: one scan.
    expect(simulator.calls.total).toBeLessThanOrEqual(8);
  });

  it('makes one GET more per edited ticket, two queries more for edited persons, and none for an edited contact', async () => {
    clock.advance(60_000);
    for (const id of [11, 12, 13]) simulator.data.editPerson(id, { lastname: `Edited ${id}` });
    simulator.data.editTicket(4, { title: 'Edited subject' });
    simulator.data.editContact(6, { name: 'Edited AS' });
    simulator.calls.reset();
    const edited = await cycle();
    expect(
      edited
        .get('person')
        ?.map((record) => record.ref.id)
        .sort(),
    ).toEqual(['11', '12', '13']);
    expect(edited.get('ticket')?.map((record) => record.ref.id)).toEqual(['4']);
    expect(edited.get('contact')?.map((record) => record.values.Name)).toEqual(['Edited AS']);
    expect(getsById(simulator)).toBe(1);
    expect(simulator.calls.total).toBeLessThanOrEqual(8 + 2 + 1);
  });

  it('reads the e-mails and phones of many edited persons in queries short enough for a URL', async () => {
    clock.advance(60_000);
    const edited = [...simulator.data.persons.values()].filter((row) => row.deletedDate === null).slice(0, 450);
    for (const row of edited) simulator.data.editPerson(row.personId, { title: 'Edited' });
    simulator.calls.reset();
    const reported = await cycle();
    expect(reported.get('person')).toHaveLength(450);
    // 450 ids in chunks of 100: 5 e-mail and 5 phone queries, each under the simulator's 2048-character limit.
    expect(simulator.calls.total).toBeLessThanOrEqual(8 + 10);
  });

  it("catches an e-mail-only edit in the feed when SuperOffice moves the person's stamp for it", async () => {
    const bumping = await startSuperOfficeSimulator({ seed: 5, persons: 20, emailOnlyEditBumpsUpdated: true, clock });
    const reader = new SuperOfficeConnector({ url: bumping.url, auth: { kind: 'bearer', token: 'sim-token' } });
    try {
      let cursor: string | null = null;
      for await (const page of reader.readChanges('person', null)) cursor = page.cursor;
      clock.advance(60_000);
      bumping.data.editPerson(7, { emails: [entityElement('moved@example.net')] });
      const ids: string[] = [];
      for await (const page of reader.readChanges('person', cursor))
        ids.push(...page.records.map((record) => record.ref.id));
      expect(ids).toEqual(['7']);
    } finally {
      await reader.close();
      await bumping.close();
    }
  });
});
