/**
 * Wire entities to our SourceRecord. Values are keyed by the SuperOffice property paths of
 * src/spec/flows.ts. A property the answer did not carry stays out of `values`; a property that
 * holds nothing is `null`; an empty string stays an empty string.
 */
import type { PropertyValue, SourceRecord, SuperOfficeRecordType } from '../../core/model.js';
import { wireDateToIso } from './superoffice-dates.js';
import type {
  RankedElement,
  WireContact,
  WireContactRow,
  WireEntityElement,
  WirePerson,
  WirePersonRow,
  WireTicket,
  WireUserRow,
} from './superoffice-wire.js';

/** A reference id as our values hold it: a decimal string, null for SuperOffice's 0 = none. */
export function referenceValue(id: number | null | undefined): PropertyValue {
  return id === undefined || id === null || id === 0 ? null : String(id);
}

function firstValue(elements: readonly WireEntityElement[] | null): PropertyValue {
  if (elements === null) return null;
  return elements[0]?.Value ?? null;
}

function joinName(...parts: (string | null | undefined)[]): string {
  return parts.filter((part): part is string => part !== undefined && part !== null && part !== '').join(' ');
}

export function personRecord(person: WirePerson): SourceRecord {
  const values: Record<string, PropertyValue> = {};
  const alternates: Record<string, string[]> = {};
  if (person.Contact !== undefined) values['Contact.ContactId'] = referenceValue(person.Contact?.ContactId);
  if (person.Emails !== undefined) {
    values['Emails.Value'] = firstValue(person.Emails);
    alternates['Emails.Value'] = (person.Emails ?? [])
      .map((element) => element.Value)
      .filter((value): value is string => value !== undefined && value !== null);
  }
  if (person.PrivatePhones !== undefined) values['PrivatePhones.Value'] = firstValue(person.PrivatePhones);
  const createdAt = wireDateToIso(person.CreatedDate);
  // The label is built from the name parts, as from a list row (FullName follows user settings).
  const label = joinName(person.Firstname, person.MiddleName, person.Lastname);
  return {
    ref: { system: 'superoffice', type: 'person', id: String(person.PersonId) },
    values,
    ...(person.Emails === undefined ? {} : { alternates }),
    modifiedAt: wireDateToIso(person.UpdatedDate),
    deleted: false,
    facts: {
      label: label === '' ? (person.FullName ?? '') : label,
      ...(createdAt === null ? {} : { createdAt }),
    },
  };
}

/**
 * A person from its Dynamic-provider row and its e-mail and private-phone rows, the same record
 * `personRecord` makes from the entity (whose arrays are in rank order); null for a soft-deleted row.
 */
export function personRowRecord(
  row: WirePersonRow,
  emails: readonly RankedElement[],
  privatePhones: readonly RankedElement[],
): SourceRecord | null {
  const deletedDate = row['person.DeletedDate'];
  if (deletedDate !== undefined && deletedDate !== null && wireDateToIso(deletedDate) !== null) return null;
  const ranked = (elements: readonly RankedElement[]) =>
    [...elements]
      .sort((left, right) => left.rank - right.rank || left.id - right.id)
      .map((element) => ({ Value: element.value }));
  return personRecord({
    PersonId: row['person.person_id'],
    Firstname: row['person.firstname'] ?? null,
    MiddleName: row['person.middleName'] ?? null,
    Lastname: row['person.lastname'] ?? null,
    CreatedDate: row['person.registered'] ?? '',
    UpdatedDate: row['person.updated'],
    Emails: ranked(emails),
    PrivatePhones: ranked(privatePhones),
    Contact: { ContactId: row['person.contact_id'] ?? 0 },
  });
}

/**
 * A contact from its Dynamic-provider row, the same record `contactRecord` makes from the entity;
 * null for a soft-deleted row (the recycle bin reports it).
 */
export function contactRowRecord(row: WireContactRow): SourceRecord | null {
  const deletedDate = row['contact.DeletedDate'];
  if (deletedDate !== undefined && deletedDate !== null && wireDateToIso(deletedDate) !== null) return null;
  return contactRecord({
    ContactId: row['contact.contact_id'],
    Name: row['contact.name'] ?? null,
    CreatedDate: row['contact.registered'] ?? '',
    UpdatedDate: row['contact.updated'],
    Deleted: 0,
  });
}

export function contactRecord(contact: WireContact): SourceRecord {
  const createdAt = wireDateToIso(contact.CreatedDate);
  return {
    ref: { system: 'superoffice', type: 'contact', id: String(contact.ContactId) },
    values: contact.Name === undefined ? {} : { Name: contact.Name },
    modifiedAt: wireDateToIso(contact.UpdatedDate),
    deleted: contact.Deleted !== undefined && contact.Deleted !== null && contact.Deleted !== 0,
    facts: {
      ...(contact.Name === undefined || contact.Name === null ? {} : { label: contact.Name }),
      ...(createdAt === null ? {} : { createdAt }),
    },
  };
}

/**
 * TimeToReply is int32 minutes computed by SuperOffice, 0 until the first external reply
 * (superoffice-api.md §2.4): 0 maps to null ("no reply time yet"), any other value to its
 * decimal string.
 */
export function timeToReplyValue(minutes: number | null | undefined): PropertyValue {
  return minutes === undefined || minutes === null || minutes === 0 ? null : String(minutes);
}

export function ticketRecord(ticket: WireTicket, timeZone: string): SourceRecord {
  const values: Record<string, PropertyValue> = {};
  if (ticket.OwnedBy !== undefined) values['OwnedBy.AssociateId'] = referenceValue(ticket.OwnedBy?.AssociateId);
  if (ticket.Person !== undefined) values['Person.PersonId'] = referenceValue(ticket.Person?.PersonId);
  if (ticket.TimeToReply !== undefined) values.TimeToReply = timeToReplyValue(ticket.TimeToReply);
  if (ticket.Title !== undefined) values.Title = ticket.Title;
  const createdAt = wireDateToIso(ticket.CreatedAt, timeZone);
  return {
    ref: { system: 'superoffice', type: 'ticket', id: String(ticket.TicketId) },
    values,
    modifiedAt: wireDateToIso(ticket.LastChanged, timeZone),
    deleted: false,
    facts: {
      ...(ticket.Title === undefined || ticket.Title === null ? {} : { label: ticket.Title }),
      ...(createdAt === null ? {} : { createdAt }),
    },
  };
}

/**
 * A user from its InternalUsers row. An archive cell shows a missing e-mail as an empty string, so ''
 * there means "no e-mail" (null); a user has no modification time (the archive has no updated
 * column). `isAgent` (may be given tickets) is whether the user is a Service user (`ejUserId` > 0):
 * a ticket's owner is a Service user (DB-ticket `owned_by` references ejuser); when the archive did
 * not carry the column the fact is left out, never guessed.
 */
export function userRecord(row: WireUserRow): SourceRecord {
  const values: Record<string, PropertyValue> = {};
  if (row.personEmail !== undefined) values.personEmail = row.personEmail === '' ? null : row.personEmail;
  if (row.contactId !== undefined) values.contactId = referenceValue(row.contactId);
  return {
    ref: { system: 'superoffice', type: 'user', id: String(row.associateDbId) },
    values,
    modifiedAt: null,
    deleted: false,
    facts: {
      ...(row.fullName === undefined || row.fullName === null ? {} : { label: row.fullName }),
      ...(row.ejUserId === undefined || row.ejUserId === null ? {} : { isAgent: row.ejUserId > 0 }),
    },
  };
}

/** A record that was soft-deleted (or, for users, left the AllUsers list). */
export function deletedRecord(type: SuperOfficeRecordType, id: number, deletedAt: string | null): SourceRecord {
  return { ref: { system: 'superoffice', type, id: String(id) }, values: {}, modifiedAt: deletedAt, deleted: true };
}
