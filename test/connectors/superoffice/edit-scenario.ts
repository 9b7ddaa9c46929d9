/**
 * The edits the SuperOffice contract suite and benchmark make before checking that the next feed
 * plus a sweep report exactly the edited records: a rename, an e-mail-only and a phone-only edit
 * (which SuperOffice may not date), a soft delete, a contact rename, a ticket retitled, a ticket
 * replied to (TimeToReply changes), and a user's e-mail.
 */
import {
  entityElement,
  type PersonRow,
  type TenantData,
  type TicketRow,
} from '../../../simulators/superoffice/index.js';
import type { SuperOfficeRecordType } from '../../../src/core/model.js';

const dayMs = 86_400_000;

export interface EditScenario {
  readonly renamed: PersonRow;
  readonly emailOnly: PersonRow;
  readonly phoneOnly: PersonRow;
  readonly deleted: PersonRow;
  readonly unreplied: TicketRow;
  readonly userPersonId: number;
  /** Ids of every record the edits touched, sorted, per type. */
  readonly edited: Record<SuperOfficeRecordType, string[]>;
}

/** Edits persons untouched for five days (so feeds cannot report them by accident), contact 7, tickets 3 and one unreplied, user 4. */
export function applyEditScenario(data: TenantData, now: number): EditScenario {
  const userPersonIds = new Set([...data.associates.values()].map((user) => user.personId));
  const oldPersons = [...data.persons.values()].filter(
    (row) => row.deletedDate === null && !userPersonIds.has(row.personId) && row.updatedDate < now - 5 * dayMs,
  );
  const [renamed, emailOnly, phoneOnly, deleted] = oldPersons;
  if (renamed === undefined || emailOnly === undefined || phoneOnly === undefined || deleted === undefined) {
    throw new Error('the generated tenant has too few old persons');
  }
  data.editPerson(renamed.personId, { lastname: 'Renamed' });
  data.editPerson(emailOnly.personId, {
    emails: [entityElement('moved@example.net', 'Job'), ...emailOnly.emails.slice(1)],
  });
  data.editPerson(phoneOnly.personId, { privatePhones: [entityElement('+47 400 00 001')] });
  data.softDeletePerson(deleted.personId);
  data.editContact(7, { name: 'Renamed Company AS' });
  data.editTicket(3, { title: 'A better subject' });
  const unreplied = [...data.tickets.values()].find((ticket) => ticket.repliedAt === null && ticket.ticketId !== 3);
  if (unreplied === undefined) throw new Error('the generated tenant has no unreplied ticket');
  data.replyToTicket(unreplied.ticketId);
  const user = data.associates.get(4);
  if (user === undefined) throw new Error('the generated tenant has no user 4');
  data.editPerson(user.personId, {
    emails: [
      entityElement('new.address@tandemdemoas.example.com', 'Job'),
      ...(data.persons.get(user.personId)?.emails ?? []),
    ],
  });
  return {
    renamed,
    emailOnly,
    phoneOnly,
    deleted,
    unreplied,
    userPersonId: user.personId,
    edited: {
      person: [renamed, emailOnly, phoneOnly, deleted]
        .map((row) => String(row.personId))
        .concat(String(user.personId))
        .sort(),
      contact: ['7'],
      ticket: ['3', String(unreplied.ticketId)].sort(),
      user: ['4'],
    },
  };
}
