/**
 * The archive providers the list endpoints call (superoffice-api.md §4.1): their columns, types,
 * entities and row sets. Soft-deleted persons and contacts are gone from `Person` and
 * `SimpleContact` and listed by `RecyclePerson` / `RecycleContact` (§7), which show only what the
 * caller deleted unless `forAllUsers` is asked (AP-recycleperson: "View deleted ... for all
 * users"). `Ticket` lists closed tickets under the `ticketdisplayclosed` entity (AP-ticket).
 * `AllUsers` is every associate, `InternalUsers` "our own employees" (AP-allusers,
 * AP-internalusers); neither has an updated column (§2.5).
 */
import type { ArchiveProvider } from './archive-query.js';
import type { AssociateRow, ContactRow, PersonRow, TenantData, TicketRow } from './tenant-data.js';

/** Recycle bins: what the caller deleted, or everyone's with `forAllUsers`. */
function deletedFor(entity: string) {
  return (row: { deletedBy: number }, entities: ReadonlySet<string>, caller: number) =>
    (entities.has(entity) || entities.has('forAllUsers')) && (entities.has('forAllUsers') || row.deletedBy === caller);
}

export function personProvider(data: TenantData): ArchiveProvider<PersonRow> {
  return {
    entities: ['person', 'retiredPerson'],
    entityName: (row) => (row.retired ? 'retiredPerson' : 'person'),
    primaryKey: (row) => row.personId,
    timeZone: 'UTC',
    rows: () => [...data.persons.values()].filter((row) => row.deletedDate === null),
    columns: [
      { name: 'personId', type: 'int', value: (row) => row.personId },
      { name: 'firstName', type: 'string', value: (row) => row.firstname },
      { name: 'lastName', type: 'string', value: (row) => row.lastname },
      { name: 'fullName', type: 'string', value: (row) => `${row.firstname} ${row.lastname}`.trim() },
      { name: 'contactId', type: 'int', value: (row) => row.contactId },
      // One row per person, showing the first-ranked e-mail (§9 item 13 is open).
      { name: 'email/emailAddress', type: 'string', value: (row) => row.emails[0]?.value ?? '' },
      { name: 'personPrivate/formattedNumber', type: 'string', value: (row) => row.privatePhones[0]?.value ?? '' },
      { name: 'personMobilePhone/formattedNumber', type: 'string', value: (row) => row.mobilePhones[0]?.value ?? '' },
      { name: 'retired', type: 'bool', value: (row) => row.retired },
      { name: 'personUpdatedDate', type: 'date', value: (row) => row.updatedDate },
      { name: 'personRegisteredDate', type: 'date', value: (row) => row.createdDate },
    ],
  };
}

export function recyclePersonProvider(data: TenantData): ArchiveProvider<PersonRow> {
  return {
    entities: ['person', 'forAllUsers'],
    includes: deletedFor('person'),
    entityName: () => 'person',
    primaryKey: (row) => row.personId,
    timeZone: 'UTC',
    rows: () => [...data.persons.values()].filter((row) => row.deletedDate !== null),
    columns: [
      { name: 'personId', type: 'int', value: (row) => row.personId },
      { name: 'fullName', type: 'string', value: (row) => `${row.firstname} ${row.lastname}`.trim() },
      { name: 'contactId', type: 'int', value: (row) => row.contactId },
      { name: 'personDeletedDate', type: 'datetime', value: (row) => row.deletedDate },
    ],
  };
}

export function contactProvider(data: TenantData): ArchiveProvider<ContactRow> {
  return {
    entities: ['contact'],
    entityName: () => 'contact',
    primaryKey: (row) => row.contactId,
    timeZone: 'UTC',
    rows: () => [...data.contacts.values()].filter((row) => row.deletedDate === null),
    columns: [
      { name: 'contactId', type: 'int', value: (row) => row.contactId },
      { name: 'name', type: 'string', value: (row) => row.name },
      {
        name: 'nameDepartment',
        type: 'string',
        value: (row) => (row.department === '' ? row.name : `${row.name} - ${row.department}`),
      },
      { name: 'email/emailAddress', type: 'string', value: (row) => row.emails[0]?.value ?? '' },
      { name: 'updatedDate', type: 'date', value: (row) => row.updatedDate },
      { name: 'registeredDate', type: 'date', value: (row) => row.createdDate },
      { name: 'stop', type: 'bool', value: () => false },
    ],
  };
}

export function recycleContactProvider(data: TenantData): ArchiveProvider<ContactRow> {
  return {
    entities: ['contact', 'forAllUsers'],
    includes: deletedFor('contact'),
    entityName: () => 'contact',
    primaryKey: (row) => row.contactId,
    timeZone: 'UTC',
    rows: () => [...data.contacts.values()].filter((row) => row.deletedDate !== null),
    columns: [
      { name: 'contactId', type: 'int', value: (row) => row.contactId },
      { name: 'name', type: 'string', value: (row) => row.name },
      { name: 'deletedDate', type: 'datetime', value: (row) => row.deletedDate },
    ],
  };
}

export function ticketProvider(data: TenantData, timeZone: string): ArchiveProvider<TicketRow> {
  const owner = (row: TicketRow) => data.associates.get(row.ownedBy);
  const ownerPerson = (row: TicketRow) => {
    const associate = owner(row);
    return associate === undefined ? undefined : data.persons.get(associate.personId);
  };
  return {
    entities: ['ticket', 'ticketdisplayclosed'],
    entityName: (row) => (row.baseStatus === 'Closed' ? 'ticketdisplayclosed' : 'ticket'),
    primaryKey: (row) => row.ticketId,
    timeZone,
    rows: () => data.tickets.values(),
    columns: [
      { name: 'ticketId', type: 'int', value: (row) => row.ticketId },
      { name: 'title', type: 'string', value: (row) => row.title },
      { name: 'personId', type: 'int', value: (row) => row.personId },
      { name: 'contactId', type: 'int', value: (row) => data.persons.get(row.personId)?.contactId ?? 0 },
      { name: 'ownedBy/associateDbId', type: 'associate', value: (row) => row.ownedBy },
      { name: 'ownedBy/personEmail', type: 'string', value: (row) => ownerPerson(row)?.emails[0]?.value ?? '' },
      { name: 'createdAt', type: 'datetime', value: (row) => row.createdAt },
      { name: 'lastChanged', type: 'datetime', value: (row) => row.lastChanged },
      // A timeSpan column; how SLIM mode shows it is not documented, shown here as minutes.
      { name: 'timeToReply', type: 'timeSpan', value: (row) => data.timeToReply(row) },
      { name: 'status', type: 'string', value: (row) => row.baseStatus },
      { name: 'categoryId', type: 'int', value: (row) => row.categoryId },
      { name: 'priorityId', type: 'int', value: (row) => row.priorityId },
    ],
  };
}

/** AllUsers' entities (AP-allusers); `all` first, as every SuperOffice sample asks for it. */
const allUsersEntities = [
  'all',
  'superoffice_system-user-cal',
  'superoffice_ten-sales',
  'superoffice_ten-service',
  'superoffice_ten-marketing',
  'expired',
];
const internalUsersEntities = [
  'all',
  'superoffice_ten-sales',
  'superoffice_ten-service',
  'potential',
  'retired',
  'expired',
];

export function allUsersProvider(data: TenantData): ArchiveProvider<AssociateRow> {
  return usersProvider(data, allUsersEntities, () => true);
}

/** Our own employees: internal associates, retired ones included (shown with isActive false). */
export function internalUsersProvider(data: TenantData): ArchiveProvider<AssociateRow> {
  return usersProvider(data, internalUsersEntities, (row) => row.type === 'InternalAssociate');
}

function usersProvider(
  data: TenantData,
  entities: readonly string[],
  kind: (row: AssociateRow) => boolean,
): ArchiveProvider<AssociateRow> {
  const person = (row: AssociateRow) => data.persons.get(row.personId);
  return {
    entities,
    includes: (row, asked) =>
      asked.has('all') || (asked.has('retired') && row.deleted) || (asked.has('expired') && row.deleted),
    entityName: () => 'associate',
    primaryKey: (row) => row.associateId,
    timeZone: 'UTC',
    rows: () => [...data.associates.values()].filter(kind),
    columns: [
      { name: 'associateDbId', type: 'associate', value: (row) => row.associateId },
      { name: 'personId', type: 'int', value: (row) => row.personId },
      { name: 'contactId', type: 'int', value: (row) => person(row)?.contactId ?? 0 },
      // The person's first-ranked e-mail (§9 item 12, assumed).
      { name: 'personEmail', type: 'string', value: (row) => person(row)?.emails[0]?.value ?? '' },
      { name: 'userName', type: 'string', value: (row) => row.userName },
      {
        name: 'fullName',
        type: 'string',
        value: (row) => {
          const found = person(row);
          return found === undefined ? row.name : `${found.firstname} ${found.lastname}`.trim();
        },
      },
      { name: 'firstName', type: 'string', value: (row) => person(row)?.firstname ?? '' },
      { name: 'lastName', type: 'string', value: (row) => person(row)?.lastname ?? '' },
      { name: 'assocName', type: 'string', value: (row) => row.name },
      { name: 'assocType', type: 'string', value: (row) => row.type },
      { name: 'ejUserId', type: 'int', value: (row) => row.ejUserId },
      { name: 'isActive', type: 'bool', value: (row) => !row.deleted },
    ],
  };
}
