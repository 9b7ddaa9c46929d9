/**
 * A merge in SuperOffice removes the source record without a trace in the lists; the connector
 * finds it in the merge/move log (Dynamic `mergemovelog`, registered afterTime) and reports it
 * once proven: the source is gone and the destination reads (issue 13 item 5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SimulatorClock,
  type SuperOfficeSimulator,
  startSuperOfficeSimulator,
} from '../../../simulators/superoffice/index.js';
import type { ChangePage, RecordMerge } from '../../../src/connectors/connector.js';
import { SuperOfficeConnector } from '../../../src/connectors/superoffice/superoffice-connector.js';
import type { SourceRecord } from '../../../src/core/model.js';

async function drain(pages: AsyncIterable<ChangePage>) {
  const records: SourceRecord[] = [];
  const merges: RecordMerge[] = [];
  let cursor: string | null = null;
  for await (const page of pages) {
    records.push(...page.records);
    merges.push(...(page.merges ?? []));
    cursor = page.cursor;
  }
  return { records, merges, cursor };
}

describe('SuperOffice connector: merges', () => {
  const clock = new SimulatorClock({ frozenAt: '2025-03-10T12:00:00Z' });
  let simulator: SuperOfficeSimulator;
  let connector: SuperOfficeConnector;

  beforeAll(async () => {
    simulator = await startSuperOfficeSimulator({ seed: 8, contacts: 5, persons: 12, tickets: 4, users: 1, clock });
    connector = new SuperOfficeConnector({ url: simulator.url, auth: { kind: 'bearer', token: 'sim-token' } });
  });
  afterAll(async () => {
    await connector.close();
    await simulator.close();
  });

  it('reports a merged person with its survivor, and the merged-away person nowhere else', async () => {
    const first = await drain(connector.readChanges('person', null));
    clock.advance(60_000);
    simulator.data.mergePersons(3, 4);
    const next = await drain(connector.readChanges('person', first.cursor));
    expect(next.merges).toEqual([{ type: 'person', from: '3', into: '4' }]);
    expect(next.records.map((record) => record.ref.id)).toEqual(['4']);
    expect(simulator.data.mergeMoveLog).toEqual([
      expect.objectContaining({ tableNumber: 6, sourceRecord: 3, destinationRecord: 4 }),
    ]);
  });

  it('reports a merged contact', async () => {
    const first = await drain(connector.readChanges('contact', null));
    clock.advance(60_000);
    simulator.data.mergeContacts(2, 5);
    const next = await drain(connector.readChanges('contact', first.cursor));
    expect(next.merges).toEqual([{ type: 'contact', from: '2', into: '5' }]);
    expect(next.records.map((record) => record.ref.id)).toContain('5');
  });
});
