/**
 * Only real people become users, and every archive query names its entities (issue 13 item 3).
 * The simulator holds every kind of associate and answers an archive query without `$entities`
 * with the provider's first entity only (the harsher reading of an undocumented default), so a
 * query that leaves `$entities` out misses closed tickets and other users' deletions here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SimulatorClock,
  type SuperOfficeSimulator,
  startSuperOfficeSimulator,
} from '../../../simulators/superoffice/index.js';
import type { ChangePage } from '../../../src/connectors/connector.js';
import { SuperOfficeConnector } from '../../../src/connectors/superoffice/superoffice-connector.js';
import type { SourceRecord } from '../../../src/core/model.js';

async function drain(pages: AsyncIterable<ChangePage>): Promise<{ records: SourceRecord[]; cursor: string | null }> {
  const records: SourceRecord[] = [];
  let cursor: string | null = null;
  for await (const page of pages) {
    records.push(...page.records);
    cursor = page.cursor;
  }
  return { records, cursor };
}

describe('SuperOffice connector: users and entities', () => {
  const clock = new SimulatorClock({ frozenAt: '2025-03-10T12:00:00Z' });
  let simulator: SuperOfficeSimulator;
  let connector: SuperOfficeConnector;

  beforeAll(async () => {
    simulator = await startSuperOfficeSimulator({ seed: 3, contacts: 5, persons: 20, tickets: 10, users: 3, clock });
    connector = new SuperOfficeConnector({ url: simulator.url, auth: { kind: 'bearer', token: 'sim-token' } });
  });
  afterAll(async () => {
    await connector.close();
    await simulator.close();
  });

  const associateOfKind = (name: string) => {
    const found = [...simulator.data.associates.values()].find((row) => row.name === name);
    if (found === undefined) throw new Error(`no associate ${name}`);
    return found;
  };

  it('reads only active internal associates as users, and a user who retires is reported gone', async () => {
    const first = await drain(connector.readChanges('user', null));
    const salesOnly = associateOfKind('SALESONLY');
    expect(first.records.map((record) => record.ref.id)).toEqual(['1', '2', '3', String(salesOnly.associateId)]);
    for (const kind of ['SYSTEM', 'MEETINGROOM', 'PORTAL', 'ANON', 'RETIRED']) {
      expect(first.records.map((record) => record.ref.id)).not.toContain(String(associateOfKind(kind).associateId));
    }

    const retiring = simulator.data.associates.get(2);
    if (retiring === undefined) throw new Error('no user 2');
    retiring.deleted = true;
    const next = await drain(connector.readChanges('user', first.cursor));
    expect(next.records).toEqual([
      expect.objectContaining({ ref: expect.objectContaining({ id: '2' }), deleted: true }),
    ]);
    retiring.deleted = false;
  });

  it('marks Service users as able to own tickets, and a user without a Service user as not', async () => {
    const { records } = await drain(connector.readAll('user'));
    const byId = new Map(records.map((record) => [record.ref.id, record.facts?.isAgent]));
    expect(byId.get('1')).toBe(true);
    expect(byId.get(String(associateOfKind('SALESONLY').associateId))).toBe(false);
  });

  it('looks users up by id with the documented associateIsOneOf (an associate column refuses `in`)', async () => {
    const users = await connector.readByIds('user', ['1', '3', String(associateOfKind('SYSTEM').associateId)]);
    expect(users.map((record) => record.ref.id).sort()).toEqual(['1', '3']);
    const refused = await fetch(
      `${simulator.url}/Archive/InternalUsers?$select=associateDbId&$filter=associateDbId in (1,3)`,
      {
        headers: { authorization: 'Bearer sim-token' },
      },
    );
    expect(refused.status).toBe(400);
  });

  it('reads closed tickets too', async () => {
    const closed = [...simulator.data.tickets.values()].filter((ticket) => ticket.baseStatus === 'Closed');
    expect(closed.length).toBeGreaterThan(0);
    const { records } = await drain(connector.readAll('ticket'));
    expect(records.map((record) => record.ref.id).sort()).toEqual(
      [...simulator.data.tickets.keys()].map(String).sort(),
    );
  });

  it('reports a person another user deleted', async () => {
    const { cursor } = await drain(connector.readChanges('person', null));
    const victim = [...simulator.data.persons.values()].find((row) => row.deletedDate === null && row.personId > 12);
    if (victim === undefined) throw new Error('no person to delete');
    clock.advance(60_000);
    simulator.data.softDeletePerson(victim.personId, 2);
    const next = await drain(connector.readChanges('person', cursor));
    expect(next.records).toEqual([
      expect.objectContaining({ ref: expect.objectContaining({ id: String(victim.personId) }), deleted: true }),
    ]);
  });
});
