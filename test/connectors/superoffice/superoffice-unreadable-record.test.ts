/**
 * One record SuperOffice cannot answer for blocks nothing else (issue 13 item 8): a GET that keeps
 * answering a proxy's HTML 502 page or dropping the connection rejects that record, with its
 * error; the rest of its type is read, and the record is read again after a back-off.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SimulatorClock,
  type SuperOfficeSimulator,
  startSuperOfficeSimulator,
} from '../../../simulators/superoffice/index.js';
import type { ChangePage } from '../../../src/connectors/connector.js';
import { SuperOfficeConnector } from '../../../src/connectors/superoffice/superoffice-connector.js';
import type { RecordType } from '../../../src/core/model.js';

async function drain(pages: AsyncIterable<ChangePage>) {
  const ids: string[] = [];
  const rejected: { id: string | null; code: string; message: string }[] = [];
  let cursor: string | null = null;
  for await (const page of pages) {
    ids.push(...page.records.map((record) => record.ref.id));
    rejected.push(
      ...(page.rejected ?? []).map((entry) => ({ id: entry.id, code: entry.error.code, message: entry.error.message })),
    );
    cursor = page.cursor;
  }
  return { ids: ids.sort((a, b) => Number(a) - Number(b)), rejected, cursor };
}

describe('SuperOffice connector: one record that cannot be read', () => {
  const clock = new SimulatorClock({ frozenAt: '2025-03-10T12:00:00Z' });
  let now = Date.parse('2025-03-10T12:00:00Z');
  let simulator: SuperOfficeSimulator;
  let connector: SuperOfficeConnector;

  beforeEach(async () => {
    simulator = await startSuperOfficeSimulator({ seed: 4, contacts: 8, persons: 10, tickets: 6, users: 2, clock });
    connector = new SuperOfficeConnector({
      url: simulator.url,
      auth: { kind: 'bearer', token: 'sim-token' },
      retries: 2,
      minRetryDelayMs: 1,
      maxRetryDelayMs: 2,
      now: () => now,
    });
  });
  afterEach(async () => {
    await connector.close();
    await simulator.close();
  });

  const read = (type: RecordType, cursor: string | null) => drain(connector.readChanges(type, cursor));

  it('sets aside a ticket whose GET keeps answering an HTML 502, syncs the other tickets, and reads it again after its back-off', async () => {
    simulator.faults.failPath('/Ticket/3', '502-html');
    const first = await read('ticket', null);
    expect(first.ids).toEqual(['1', '2', '4', '5', '6']);
    expect(first.rejected).toEqual([
      {
        id: '3',
        code: 'transient',
        message: expect.stringMatching(/502 to GET .*\/Ticket\/3: an HTML page \("502 Bad Gateway"\)/),
      },
    ]);

    // Inside its back-off it is not asked for again, and nothing else is re-read.
    simulator.calls.reset();
    const early = await read('ticket', first.cursor);
    expect(early).toMatchObject({ ids: [], rejected: [] });
    expect(simulator.calls.count('GET /Ticket/{id}')).toBe(0);

    // Still failing after the back-off: rejected again, with a longer back-off.
    now += 31_000;
    const again = await read('ticket', early.cursor);
    expect(again.rejected.map((entry) => entry.id)).toEqual(['3']);
    now += 31_000;
    expect((await read('ticket', again.cursor)).rejected).toEqual([]);

    simulator.faults.healPath('/Ticket/3');
    now += 60_000;
    const healed = await read('ticket', again.cursor);
    expect(healed).toMatchObject({ ids: ['3'], rejected: [] });
    const after = await read('ticket', healed.cursor);
    expect(after).toMatchObject({ ids: [], rejected: [] });
  });

  it('sets aside a ticket whose GET keeps dropping the connection, and the rest of the tickets are read', async () => {
    simulator.faults.failPath('/Ticket/5', 'drop');
    const first = await read('ticket', null);
    expect(first.ids).toEqual(['1', '2', '3', '4', '6']);
    expect(first.rejected).toEqual([{ id: '5', code: 'transient', message: expect.any(String) }]);
    simulator.faults.healPath('/Ticket/5');
    now += 31_000;
    expect(await read('ticket', first.cursor)).toMatchObject({ ids: ['5'], rejected: [] });
  });

  it('reads contacts and persons from their list rows: an unreadable GET does not matter to those feeds', async () => {
    simulator.faults.failPath('/Contact/5', '502-html');
    simulator.faults.failPath('/Person/5', '502-html');
    const contacts = await read('contact', null);
    expect(contacts.ids).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
    const persons = await read('person', null);
    expect(persons.ids).toContain('5');
    expect(simulator.calls.count('GET /Contact/{id}') + simulator.calls.count('GET /Person/{id}')).toBe(0);
  });

  it('still fails the whole read when the list itself cannot be read', async () => {
    simulator.faults.failPath('/Ticket', '502-html');
    await expect(read('ticket', null)).rejects.toMatchObject({ code: 'transient' });
  });
});
