/**
 * SuperOffice Web API answers as they arrive on the wire, validated here and nowhere else.
 * Facts from ../shared/docs/superoffice-api.md (SuperOffice REST API v1 Swagger, SW-*, and the
 * archive-provider reference, AP-*). Only the fields the sync reads are declared; others pass
 * unchecked and are dropped. `.nullish()` keeps absent (`undefined`) and `null` apart.
 */
import { z } from 'zod';

const int = z.number().int();

/**
 * Archive (OData SLIM) cells: ints may come as numbers or as display strings, so both are read.
 * AP-person, AP-simplecontact, AP-ticket, AP-allusers; D-ODATA "SLIM mode ... display values".
 */
const intCell = z.union([
  int,
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
const textCell = z.string().nullish();

/** EntityElement (SW-Person): no id and no Rank; the array order is the rank. */
export const entityElementSchema = z.object({
  Value: z.string().nullish(),
  StrippedValue: z.string().nullish(),
  Description: z.string().nullish(),
});
export type WireEntityElement = z.infer<typeof entityElementSchema>;

/** PersonEntity, GET /api/v1/Person/{id} (SW-Person; superoffice-api.md §2.2). Dates are UTC without zone. */
export const personEntitySchema = z.object({
  PersonId: int,
  Firstname: z.string().nullish(),
  MiddleName: z.string().nullish(),
  Lastname: z.string().nullish(),
  FullName: z.string().nullish(),
  CreatedDate: z.string(),
  UpdatedDate: z.string(),
  Emails: z.array(entityElementSchema).nullish(),
  PrivatePhones: z.array(entityElementSchema).nullish(),
  // The company carrier; "Contact": {"ContactId": 5} (SW-Person, Q-Person).
  Contact: z.object({ ContactId: int }).nullish(),
});
export type WirePerson = z.infer<typeof personEntitySchema>;

/** ContactEntity, GET /api/v1/Contact/{id} (SW-Contact; §2.3). `Deleted` non-zero = deleted. */
export const contactEntitySchema = z.object({
  ContactId: int,
  Name: z.string().nullish(),
  CreatedDate: z.string(),
  UpdatedDate: z.string(),
  Deleted: int.nullish(),
});
export type WireContact = z.infer<typeof contactEntitySchema>;

/**
 * TicketEntity, GET /api/v1/Ticket/{id} (SW-Ticket, DB-ticket; §2.4). `TimeToReply` is int32
 * minutes, computed by SuperOffice, 0 until the first external reply. Dates are in the tenant's zone.
 */
export const ticketEntitySchema = z.object({
  TicketId: int,
  Title: z.string().nullish(),
  CreatedAt: z.string(),
  LastChanged: z.string(),
  OwnedBy: z.object({ AssociateId: int }).nullish(),
  Person: z.object({ PersonId: int }).nullish(),
  TimeToReply: int.nullish(),
});
export type WireTicket = z.infer<typeof ticketEntitySchema>;

/** OData list answer, SLIM mode (D-ODATA; §4.2): `odata.nextLink` is always null, so we page ourselves. */
export const archiveAnswerSchema = z.object({
  'odata.nextLink': z.string().nullish(),
  value: z.array(z.record(z.string(), z.unknown())),
});

/** A row that has only its key column (`personId`, `contactId`, `ticketId`, `associateDbId`). */
export function keyRowSchema(keyColumn: string) {
  return z.object({ [keyColumn]: intCell });
}

/**
 * A change-feed row: the key and the exact change stamp (Ticket `lastChanged`, a datetime column,
 * AP-ticket; Dynamic `person.updated` / `contact.updated`, UtcDateTime fields, DB-person, DB-contact).
 */
export function changeRowSchema(keyColumn: string, stampColumn: string) {
  return z.object({ [keyColumn]: intCell, [stampColumn]: z.string() });
}

/**
 * A contact row of the Dynamic provider on the contact table (DB-contact): the record's content.
 * A datetime cell that holds nothing may come as null, '' or SuperOffice's 0001-01-01 "no date".
 */
export const contactRowSchema = z.object({
  'contact.contact_id': intCell,
  'contact.name': z.string().nullish(),
  'contact.updated': z.string(),
  'contact.registered': z.string().nullish(),
  'contact.DeletedDate': z.string().nullish(),
});
export type WireContactRow = z.infer<typeof contactRowSchema>;

/** A person row of the Dynamic provider on the person table (DB-person). */
export const personRowSchema = z.object({
  'person.person_id': intCell,
  'person.updated': z.string(),
  'person.contact_id': intCell.nullish(),
  'person.firstname': z.string().nullish(),
  'person.middleName': z.string().nullish(),
  'person.lastname': z.string().nullish(),
  'person.registered': z.string().nullish(),
  'person.DeletedDate': z.string().nullish(),
});
export type WirePersonRow = z.infer<typeof personRowSchema>;

/** An e-mail row (DB-email) or a phone row (DB-phone) of a person: owner, value, rank. */
export const emailRowSchema = z.object({
  'email.email_id': intCell,
  'email.person_id': intCell,
  'email.email_address': z.string().nullish(),
  'email.rank': intCell.nullish(),
});
export const phoneRowSchema = z.object({
  'phone.phone_id': intCell,
  'phone.owner_id': intCell,
  'phone.phone': z.string().nullish(),
  'phone.rank': intCell.nullish(),
});

/** A person's e-mails or phones in rank order (ties by row id), as the entity lists them. */
export interface RankedElement {
  readonly id: number;
  readonly rank: number;
  readonly value: string | null;
}

/** A merge/move log row (DB-mergemovelog): which record went into which. */
export const mergeLogRowSchema = z.object({
  'mergemovelog.mergemovelog_id': intCell,
  'mergemovelog.sourceRecord': intCell,
  'mergemovelog.destinationRecord': intCell,
});

/** RecyclePerson / RecycleContact rows (AP-recycleperson, AP-recyclecontact; §7): key and deletion time. */
export function recycleRowSchema(keyColumn: string, dateColumn: string) {
  return z.object({ [keyColumn]: intCell, [dateColumn]: z.string() });
}

/**
 * A bool cell: SLIM mode shows booleans as JSON booleans with `$output=Logical` and as display
 * text otherwise (D-ODATA); both readings are accepted, anything else does not fit.
 */
const boolCell = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false|1|0)$/i)
    .transform((text) => text.toLowerCase() === 'true' || text === '1'),
]);

/**
 * InternalUsers row, GET /api/v1/Archive/InternalUsers (AP-internalusers; §2.5). `personEmail` and
 * `contactId` are archive columns, not User properties; there is no updated column. `isActive`
 * false is a retired user; `ejUserId` is the Service user id (0: none).
 */
export const userRowSchema = z.object({
  associateDbId: intCell,
  personId: intCell,
  contactId: intCell.nullish(),
  personEmail: textCell,
  fullName: textCell,
  isActive: boolCell,
  ejUserId: intCell.nullish(),
});
export type WireUserRow = z.infer<typeof userRowSchema>;

/** The error body (D-REST; §6): the message is `ErrorMessage`, not `Message`. */
export const errorBodySchema = z.object({
  Error: z.boolean().optional(),
  ErrorType: z.string().nullish(),
  ErrorMessage: z.string().nullish(),
  ErrorSource: z.string().nullish(),
});

/** GET /api/v1/User/currentPrincipal (D-OIDC: the stand-in for UserInfo). */
export const principalSchema = z.object({ AssociateId: int.optional() }).loose();
