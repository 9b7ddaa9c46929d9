/**
 * One SuperOffice record that keeps failing to read blocks nothing else (issue 13 item 8): the
 * cycle completes, the record is listed as rejected with its error, every other record of its
 * type syncs, and once it reads again it syncs too. Real engine, both simulators over HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

let h: SyncHarness;

beforeEach(async () => {
  h = await startSyncHarness();
});
afterEach(async () => {
  await h.close();
});

describe('an unreadable SuperOffice record', () => {
  it('is rejected with its error while the other tickets sync, and syncs once it reads again', async () => {
    const tickets = ['Printer on fire', 'Coffee machine', 'VPN down'].map((title) =>
      h.superoffice.data.createTicket({ title }),
    );
    const broken = tickets[1]?.ticketId ?? 0;
    h.superoffice.faults.failPath(`/Ticket/${broken}`, '502-html');

    const report = await h.sync();
    expect(report.status).toBe('completed');
    expect(report.readFailures).toEqual([]);
    expect(report.rejectedRecords).toEqual([
      expect.objectContaining({
        system: 'superoffice',
        type: 'ticket',
        id: String(broken),
        error: expect.objectContaining({ code: 'transient', message: expect.stringMatching(/502.*an HTML page/) }),
      }),
    ]);
    expect(
      h.zendesk.data
        .tickets()
        .map((ticket) => ticket.subject)
        .sort(),
    ).toEqual(['Printer on fire', 'VPN down']);

    h.superoffice.faults.healPath(`/Ticket/${broken}`);
    const sweep = await h.sync({ sweep: true });
    expect(sweep.rejectedRecords).toEqual([]);
    expect(
      h.zendesk.data
        .tickets()
        .map((ticket) => ticket.subject)
        .sort(),
    ).toEqual(['Coffee machine', 'Printer on fire', 'VPN down']);
  });
});
