/**
 * The archive queries the SuperOffice change feeds page through (superoffice-api.md §4), one
 * definition per record type. Every query names its `$entities` (the default set of a provider is
 * not documented: §9 item 5), pages by primary key, and selects the key and the record's exact
 * change stamp so that a row whose stamp is unchanged costs no GET.
 *
 * - tickets: the Ticket archive, `lastChanged` (datetime) `afterTime`; entities `ticket` and
 *   `ticketdisplayclosed`, or closed tickets would never be read (AP-ticket);
 * - persons and contacts: the Dynamic provider on the `person` / `contact` tables, whose `updated`
 *   field is a UtcDateTime (DB-person, DB-contact), filtered with `afterTime` as SuperOffice's own
 *   best-practice query does on `mergemovelog.registered` (D-BP, D-ODATA dynamic-provider). The
 *   Person and SimpleContact archives only offer day-granular `date` columns, which made every
 *   cycle re-read a day of records. A contact's row carries the whole record (name, dates); a
 *   person's row with its e-mail and private-phone rows (email and phone tables, two queries per
 *   page of changed persons) carries the whole person: neither needs a GET. Tickets do (see the
 *   connector);
 * - soft deletes: RecyclePerson / RecycleContact with the `forAllUsers` entity ("deleted
 *   contacts/companies for all users", AP-recycleperson, AP-recyclecontact);
 * - merges: the Dynamic provider on `mergemovelog` (D-BP, DB-mergemovelog), per table number
 *   (contact 5, person 6).
 */
import { millisToWireDate } from './superoffice-dates.js';

export type ContentFeedType = 'person' | 'contact' | 'ticket';

export interface ArchiveListQuery {
  readonly path: string;
  readonly select: string;
  readonly filter: string;
  readonly orderBy: string;
  readonly top: number;
  /** `$entities`, or undefined for a provider that documents none (Dynamic). */
  readonly entities?: string;
}

export interface FeedDefinition {
  /** Names the list in messages. */
  readonly label: string;
  readonly keyColumn: string;
  /** The column holding the exact change stamp. */
  readonly stampColumn: string;
  /** True when the stamp is in the tenant's base time zone (ticket dates), false for UTC stamps. */
  readonly stampInTenantZone: boolean;
  /** The list page after key `afterId` of rows changed at or after `lowerMs` (null: every row). */
  readonly page: (afterId: number, lowerMs: number | null, top: number, timeZone: string) => ArchiveListQuery;
  readonly recycle?: RecycleDefinition;
  /** The `mergemovelog.tableNumber` of the type (DB-person: 6, DB-contact: 5). */
  readonly mergeTable?: number;
  /** True when the list row carries the whole record (no GET per record). */
  readonly contentInRow: boolean;
}

/**
 * The contact fields a contact record needs, all documented fields of the contact table
 * (DB-contact): `name`, `registered`, `updated` (UtcDateTime) and `DeletedDate` (set when
 * soft-deleted: the Dynamic provider is not documented to hide such rows).
 */
export const contactContentColumns = ['contact.name', 'contact.registered', 'contact.DeletedDate'] as const;

/**
 * The person fields a person record needs besides its e-mails and phones (DB-person). E-mails and
 * private phones are rows of the email and phone tables (`personElementsPage`).
 */
export const personContentColumns = [
  'person.contact_id',
  'person.firstname',
  'person.middleName',
  'person.lastname',
  'person.registered',
  'person.DeletedDate',
] as const;

/** `phone.ptype_idx` of a person's private phone (EnumPhoneType PersonPrivate). */
export const personPrivatePhoneType = 16388;

/**
 * Which persons' e-mails or phones to read: every person with a key in `(after, upTo]` (a whole
 * page of an initial read or a sweep), or the listed ones (the few a change feed reports; at most
 * `personIdsPerQuery`, so the URL stays short: long queries are meant for POST, §4.1).
 */
export type PersonSelection =
  | { readonly kind: 'range'; readonly after: number; readonly upTo: number }
  | { readonly kind: 'ids'; readonly ids: readonly number[] };

export const personIdsPerQuery = 100;

/**
 * The e-mails (DB-email: `person_id`, `email_address`, `rank`) or private phones (DB-phone:
 * `owner_id`, `ptype_idx`, `phone`, `rank`) of some persons, paged by row id.
 */
export function personElementsPage(
  table: 'email' | 'phone',
  persons: PersonSelection,
  afterId: number,
  top: number,
): ArchiveListQuery {
  const owner = table === 'email' ? 'email.person_id' : 'phone.owner_id';
  const whose =
    persons.kind === 'range'
      ? `${owner} gt ${persons.after} and ${owner} lt ${persons.upTo + 1}`
      : `${owner} in (${persons.ids.join(',')})`;
  return table === 'email'
    ? {
        path: '/Archive/dynamic',
        select: 'email.email_id,email.person_id,email.email_address,email.rank',
        filter: `${whose} and email.email_id gt ${afterId}`,
        orderBy: 'email.email_id',
        top,
      }
    : {
        path: '/Archive/dynamic',
        select: 'phone.phone_id,phone.owner_id,phone.phone,phone.rank',
        filter: `${whose} and phone.ptype_idx eq ${personPrivatePhoneType} and phone.phone_id gt ${afterId}`,
        orderBy: 'phone.phone_id',
        top,
      };
}

export interface RecycleDefinition {
  readonly path: string;
  readonly keyColumn: string;
  readonly dateColumn: string;
  readonly entities: string;
}

function dynamicPage(table: 'person' | 'contact', content: readonly string[] = []): FeedDefinition['page'] {
  const key = `${table}.${table}_id`;
  const stamp = `${table}.updated`;
  return (afterId, lowerMs, top) => ({
    path: '/Archive/dynamic',
    select: [key, stamp, ...content].join(','),
    filter:
      lowerMs === null
        ? `${key} gt ${afterId}`
        : `${stamp} afterTime '${millisToWireDate(lowerMs)}' and ${key} gt ${afterId}`,
    orderBy: key,
    top,
  });
}

export const feedDefinitions: Readonly<Record<ContentFeedType, FeedDefinition>> = {
  person: {
    label: '/Archive/dynamic (person)',
    keyColumn: 'person.person_id',
    stampColumn: 'person.updated',
    stampInTenantZone: false,
    page: dynamicPage('person', personContentColumns),
    contentInRow: true,
    recycle: {
      path: '/Archive/RecyclePerson',
      keyColumn: 'personId',
      dateColumn: 'personDeletedDate',
      entities: 'person,forAllUsers',
    },
    mergeTable: 6,
  },
  contact: {
    label: '/Archive/dynamic (contact)',
    keyColumn: 'contact.contact_id',
    stampColumn: 'contact.updated',
    stampInTenantZone: false,
    page: dynamicPage('contact', contactContentColumns),
    contentInRow: true,
    recycle: {
      path: '/Archive/RecycleContact',
      keyColumn: 'contactId',
      dateColumn: 'deletedDate',
      entities: 'contact,forAllUsers',
    },
    mergeTable: 5,
  },
  ticket: {
    label: '/Ticket',
    keyColumn: 'ticketId',
    stampColumn: 'lastChanged',
    stampInTenantZone: true,
    contentInRow: false,
    page: (afterId, lowerMs, top, timeZone) => ({
      path: '/Ticket',
      select: 'ticketId,lastChanged',
      filter:
        lowerMs === null
          ? `ticketId gt ${afterId}`
          : `lastChanged afterTime '${millisToWireDate(lowerMs, timeZone)}' and ticketId gt ${afterId}`,
      orderBy: 'ticketId',
      top,
      entities: 'ticket,ticketdisplayclosed',
    }),
  },
};

/** The recycle-bin page after key `afterId` of records deleted at or after `lowerMs`. */
export function recyclePage(
  recycle: RecycleDefinition,
  afterId: number,
  lowerMs: number,
  top: number,
): ArchiveListQuery {
  return {
    path: recycle.path,
    select: `${recycle.keyColumn},${recycle.dateColumn}`,
    filter: `${recycle.dateColumn} afterTime '${millisToWireDate(lowerMs)}' and ${recycle.keyColumn} gt ${afterId}`,
    orderBy: recycle.keyColumn,
    top,
    entities: recycle.entities,
  };
}

/**
 * Internal users only: InternalUsers is "our own employees" (AP-internalusers), where AllUsers
 * holds system, anonymous, resource and external associates too (AP-allusers). `$entities=all` as
 * in every SuperOffice sample (Q-Associate-User); `isActive` false (retired) counts as gone;
 * `ejUserId` > 0 is a Service user, who can own tickets (DB-ticket: owned_by is an ejuser).
 * `associateDbId` is an `associate` column: paged with `gt` and looked up with `eq` as SuperOffice's
 * samples do, and matched against several ids with the documented `associateIsOneOf` (D-RESTR).
 */
export function userPage(filter: string, top: number): ArchiveListQuery {
  return {
    path: '/Archive/InternalUsers',
    select: 'associateDbId,personId,contactId,personEmail,fullName,isActive,ejUserId',
    filter,
    orderBy: 'associateDbId',
    top,
    entities: 'all',
  };
}

/**
 * Merge/move log rows of one table registered at or after `lowerMs` (D-BP's query, with the
 * destination selected too: DB-mergemovelog `destinationRecord`). Paged by the log's key.
 */
export function mergeLogPage(tableNumber: number, afterId: number, lowerMs: number, top: number): ArchiveListQuery {
  return {
    path: '/Archive/dynamic',
    select:
      'mergemovelog.mergemovelog_id,mergemovelog.operation,mergemovelog.sourceRecord,mergemovelog.destinationRecord,mergemovelog.registered',
    filter: `mergemovelog.tableNumber eq ${tableNumber} and mergemovelog.registered afterTime '${millisToWireDate(lowerMs)}' and mergemovelog.mergemovelog_id gt ${afterId}`,
    orderBy: 'mergemovelog.mergemovelog_id',
    top,
  };
}
