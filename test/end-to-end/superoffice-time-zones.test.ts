/**
 * A SuperOffice ticket's creation time is in the tenant's base time zone unless the request asks for
 * another (SO-TimeZone). Zendesk's due_at (creation + TimeToReply minutes) must be the same instant
 * wherever the tenant is, whether SuperOffice honours the header (Tandem asks for UTC) or ignores it
 * (Tandem then reads dates in the configured base zone).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type SyncHarness, startSyncHarness } from './sync-harness.js';

let h: SyncHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('Zendesk due_at from a SuperOffice ticket, wherever the tenant is', () => {
  for (const header of ['honoured', 'ignored'] as const) {
    for (const zone of ['Europe/Oslo', 'UTC', 'America/New_York']) {
      it(`is creation + TimeToReply as one instant for a tenant in ${zone} (SO-TimeZone ${header})`, async () => {
        h = await startSyncHarness({
          superoffice: { timeZone: zone, honourTimeZoneHeader: header === 'honoured' },
          // The operator sets the base zone only where SuperOffice answers without offsets.
          ...(header === 'ignored' ? { superofficeTimeZone: zone } : {}),
        });
        const ticket = h.superoffice.data.createTicket({ title: 'Printer on fire' });
        h.clock.advance(95 * 60_000 + 20_000);
        h.superoffice.data.replyToTicket(ticket.ticketId);
        await h.sync();
        const zendeskId = await h.zendeskIdOf('ticket', ticket.ticketId);
        const dueAt = h.zendesk.data.ticket(zendeskId ?? 0)?.due_at;
        expect(dueAt).toBe(ticket.createdAt + 95 * 60_000);
      });
    }
  }
});
