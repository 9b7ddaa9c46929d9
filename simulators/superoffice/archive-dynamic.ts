/**
 * The Dynamic archive provider (`/Archive/dynamic`, D-ODATA dynamic-provider): raw tables and
 * fields in dot syntax, `table.field`, all fields starting on the same table. The tables a sync
 * needs are here: `person` and `contact` (DB-person, DB-contact: `updated`/`registered` are
 * UtcDateTime), `email` and `phone` (DB-email, DB-phone: one row per address or number, with its
 * owner and `rank`; a person's private phone has `ptype_idx` 16388, EnumPhoneType) and
 * `mergemovelog` (DB-mergemovelog). E-mail and phone rows get ids derived from their owner and
 * position, as the tenant keeps them in arrays. Being "as close to SQL queries as you can
 * get", it does not hide soft-deleted rows (the docs do not say it does: the harsher reading; knob
 * `dynamicListsDeleted`);
 * merged-away rows are gone from the tables.
 */
import { badRequest } from './api-error.js';
import {
  type ArchiveAnswer,
  type ArchiveProvider,
  type ArchiveQuery,
  type ArchiveSettings,
  runArchiveQuery,
} from './archive-query.js';
import type { ContactRow, MergeMoveLogRow, PersonRow, TenantData } from './tenant-data.js';

function personTable(data: TenantData, listsDeleted: boolean): ArchiveProvider<PersonRow> {
  return {
    entityName: () => 'person',
    primaryKey: (row) => row.personId,
    timeZone: 'UTC',
    rows: () => [...data.persons.values()].filter((row) => listsDeleted || row.deletedDate === null),
    columns: [
      { name: 'person.person_id', type: 'int', value: (row) => row.personId },
      { name: 'person.contact_id', type: 'int', value: (row) => row.contactId },
      { name: 'person.firstname', type: 'string', value: (row) => row.firstname },
      { name: 'person.middleName', type: 'string', value: (row) => row.middleName },
      { name: 'person.lastname', type: 'string', value: (row) => row.lastname },
      { name: 'person.registered', type: 'datetime', value: (row) => row.createdDate },
      { name: 'person.updated', type: 'datetime', value: (row) => row.updatedDate },
      { name: 'person.DeletedDate', type: 'datetime', value: (row) => row.deletedDate },
    ],
  };
}

function contactTable(data: TenantData, listsDeleted: boolean): ArchiveProvider<ContactRow> {
  return {
    entityName: () => 'contact',
    primaryKey: (row) => row.contactId,
    timeZone: 'UTC',
    rows: () => [...data.contacts.values()].filter((row) => listsDeleted || row.deletedDate === null),
    columns: [
      { name: 'contact.contact_id', type: 'int', value: (row) => row.contactId },
      { name: 'contact.name', type: 'string', value: (row) => row.name },
      { name: 'contact.department', type: 'string', value: (row) => row.department },
      { name: 'contact.registered', type: 'datetime', value: (row) => row.createdDate },
      { name: 'contact.updated', type: 'datetime', value: (row) => row.updatedDate },
      { name: 'contact.DeletedDate', type: 'datetime', value: (row) => row.deletedDate },
    ],
  };
}

interface ElementRow {
  readonly id: number;
  readonly ownerId: number;
  readonly rank: number;
  readonly value: string;
  readonly description: string;
  readonly phoneType: number;
}

/** E-mails of persons (contacts' e-mails are left out: the sync reads none). */
function emailTable(data: TenantData): ArchiveProvider<ElementRow> {
  return {
    entityName: () => 'email',
    primaryKey: (row) => row.id,
    timeZone: 'UTC',
    rows: () =>
      [...data.persons.values()].flatMap((person) =>
        person.emails.map((email, index) => ({
          id: person.personId * 100 + index + 1,
          ownerId: person.personId,
          rank: index + 1,
          value: email.value,
          description: email.description,
          phoneType: 0,
        })),
      ),
    columns: [
      { name: 'email.email_id', type: 'int', value: (row) => row.id },
      { name: 'email.person_id', type: 'int', value: (row) => row.ownerId },
      { name: 'email.email_address', type: 'string', value: (row) => row.value },
      { name: 'email.description', type: 'string', value: (row) => row.description },
      { name: 'email.rank', type: 'int', value: (row) => row.rank },
    ],
  };
}

/** EnumPhoneType values of person phones. */
const phoneTypes = { officePhones: 16385, privatePhones: 16388, mobilePhones: 16389 } as const;

function phoneTable(data: TenantData): ArchiveProvider<ElementRow> {
  return {
    entityName: () => 'phone',
    primaryKey: (row) => row.id,
    timeZone: 'UTC',
    rows: () =>
      [...data.persons.values()].flatMap((person) =>
        (Object.keys(phoneTypes) as (keyof typeof phoneTypes)[]).flatMap((field, kind) =>
          person[field].map((phone, index) => ({
            id: person.personId * 1000 + kind * 100 + index + 1,
            ownerId: person.personId,
            rank: index + 1,
            value: phone.value,
            description: phone.description,
            phoneType: phoneTypes[field],
          })),
        ),
      ),
    columns: [
      { name: 'phone.phone_id', type: 'int', value: (row) => row.id },
      { name: 'phone.owner_id', type: 'int', value: (row) => row.ownerId },
      { name: 'phone.ptype_idx', type: 'int', value: (row) => row.phoneType },
      { name: 'phone.phone', type: 'string', value: (row) => row.value },
      { name: 'phone.description', type: 'string', value: (row) => row.description },
      { name: 'phone.rank', type: 'int', value: (row) => row.rank },
    ],
  };
}

function mergeMoveLogTable(data: TenantData): ArchiveProvider<MergeMoveLogRow> {
  return {
    entityName: () => 'mergemovelog',
    primaryKey: (row) => row.mergeMoveLogId,
    timeZone: 'UTC',
    rows: () => data.mergeMoveLog,
    columns: [
      { name: 'mergemovelog.mergemovelog_id', type: 'int', value: (row) => row.mergeMoveLogId },
      { name: 'mergemovelog.tableNumber', type: 'int', value: (row) => row.tableNumber },
      { name: 'mergemovelog.operation', type: 'int', value: (row) => row.operation },
      { name: 'mergemovelog.sourceRecord', type: 'int', value: (row) => row.sourceRecord },
      { name: 'mergemovelog.destinationRecord', type: 'int', value: (row) => row.destinationRecord },
      { name: 'mergemovelog.registered', type: 'datetime', value: (row) => row.registered },
      { name: 'mergemovelog.registered_associate_id', type: 'int', value: (row) => row.registeredBy },
    ],
  };
}

/** Runs a Dynamic query on the table its selected fields start on. */
export function runDynamicQuery(
  data: TenantData,
  query: ArchiveQuery,
  apiBase: string,
  settings: ArchiveSettings,
): ArchiveAnswer {
  const tables = new Set(
    (query.select ?? '')
      .split(',')
      .map((field) => field.trim())
      .filter((field) => field !== '')
      .map((field) => field.slice(0, field.indexOf('.')).toLowerCase()),
  );
  if (tables.size !== 1) throw badRequest('The Dynamic provider needs fields that all start on the same table');
  const [table] = [...tables];
  switch (table) {
    case 'person':
      return runArchiveQuery(personTable(data, settings.dynamicListsDeleted), query, apiBase, settings);
    case 'contact':
      return runArchiveQuery(contactTable(data, settings.dynamicListsDeleted), query, apiBase, settings);
    case 'email':
      return runArchiveQuery(emailTable(data), query, apiBase, settings);
    case 'phone':
      return runArchiveQuery(phoneTable(data), query, apiBase, settings);
    case 'mergemovelog':
      return runArchiveQuery(mergeMoveLogTable(data), query, apiBase, settings);
    default:
      throw badRequest(`Unknown table '${table ?? ''}'`);
  }
}
