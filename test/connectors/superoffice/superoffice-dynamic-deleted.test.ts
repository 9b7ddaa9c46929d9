/**
 * The Dynamic provider is not documented to hide soft-deleted rows; the simulator lists them by
 * default (knob `dynamicListsDeleted`). Either way a soft-deleted person or contact is reported
 * deleted (from the recycle bin), never live from its row.
 */
import { describe, expect, it } from 'vitest';
import { SimulatorClock, startSuperOfficeSimulator } from '../../../simulators/superoffice/index.js';
import { SuperOfficeConnector } from '../../../src/connectors/superoffice/superoffice-connector.js';
import type { SourceRecord } from '../../../src/core/model.js';

describe('SuperOffice connector: soft-deleted rows in the Dynamic provider', () => {
  for (const dynamicListsDeleted of [true, false]) {
    it(`reports a soft-deleted contact and person deleted, never live (Dynamic lists deleted rows: ${dynamicListsDeleted})`, async () => {
      const clock = new SimulatorClock({ frozenAt: '2025-03-10T12:00:00Z' });
      const simulator = await startSuperOfficeSimulator({
        seed: 2,
        contacts: 6,
        persons: 10,
        dynamicListsDeleted,
        clock,
      });
      const connector = new SuperOfficeConnector({ url: simulator.url, auth: { kind: 'bearer', token: 'sim-token' } });
      try {
        const cursors = new Map<string, string | null>();
        for (const type of ['contact', 'person'] as const) {
          for await (const page of connector.readChanges(type, null)) cursors.set(type, page.cursor);
        }
        clock.advance(60_000);
        const withPersons = [...simulator.data.persons.values()].find((row) => row.contactId > 1)?.contactId ?? 0;
        simulator.data.softDeleteContact(withPersons);
        for (const type of ['contact', 'person'] as const) {
          const records: SourceRecord[] = [];
          for await (const page of connector.readChanges(type, cursors.get(type) ?? null))
            records.push(...page.records);
          expect(records.length, type).toBeGreaterThan(0);
          for (const record of records) expect(record.deleted, `${type} ${record.ref.id}`).toBe(true);
        }
        const swept: SourceRecord[] = [];
        for await (const page of connector.readAll('contact')) swept.push(...page.records);
        expect(swept.map((record) => record.ref.id)).not.toContain(String(withPersons));
      } finally {
        await connector.close();
        await simulator.close();
      }
    });
  }
});
