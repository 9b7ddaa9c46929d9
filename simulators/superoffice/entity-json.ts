/**
 * Rows to SuperOffice entity JSON and write bodies back to rows (superoffice-api.md §2).
 * PascalCase names, enums as strings, nested carriers for references, zone-less dates with
 * `0001-01-01T00:00:00` for none. Writes read only the fields a client may set: read-only and
 * computed fields (UpdatedDate, FullName, TimeToReply, ...) are ignored (§2.6). Property names are
 * matched case-insensitively, as SuperOffice's deserializer does, and ids may come as strings
 * ("5"), as in SuperOffice's own samples.
 */
import { badRequest } from './api-error.js';
import {
  type AssociateRow,
  type ContactChanges,
  type ContactRow,
  type EntityElementRow,
  entityElement,
  type PersonChanges,
  type PersonRow,
  type TenantData,
  type TicketBaseStatus,
  type TicketChanges,
  type TicketRow,
} from './tenant-data.js';
import { emptyWireDate, formatWireDate, offsetSuffix } from './tenant-time.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface RenderContext {
  readonly data: TenantData;
  /** Tenant Web API base, for `_Links`. */
  readonly apiBase: string;
  /** The zone ticket dates are rendered in: the tenant's base zone, or the one SO-TimeZone asked for. */
  readonly timeZone: string;
  /** `SO-TimeZone: …, includeTZOffset`: dates carry their offset, Created/Updated dates `Z` (D-TZ). */
  readonly dateOffsets?: boolean;
}

const fullRights: JsonObject = { Mask: 'Select, Update, Delete', Reason: '' };
/** Created/Updated dates: always UTC, tagged as such only when offsets were asked for (D-TZ). */
const utcDate = (context: RenderContext) => (instant: number | null) =>
  instant === null ? emptyWireDate : `${formatWireDate(instant)}${context.dateOffsets === true ? 'Z' : ''}`;

function elements(rows: readonly EntityElementRow[]): Json[] {
  return rows.map((row) => ({
    Value: row.value,
    StrippedValue: row.strippedValue,
    Description: row.description,
    TableRight: null,
    FieldProperties: {},
  }));
}

export function renderAssociate(context: RenderContext, associateId: number): Json {
  const associate = context.data.associates.get(associateId);
  if (associate === undefined) return null;
  const person = context.data.persons.get(associate.personId);
  const fullName = person === undefined ? associate.name : `${person.firstname} ${person.lastname}`.trim();
  return {
    AssociateId: associate.associateId,
    Name: associate.name,
    PersonId: associate.personId,
    Rank: associate.associateId,
    Tooltip: fullName,
    Type: associate.type,
    GroupIdx: 1,
    FullName: fullName,
    FormalName: fullName,
    Deleted: associate.deleted,
    EjUserId: associate.ejUserId,
    UserName: associate.userName,
    ExtraFields: {},
    CustomFields: {},
    TableRight: fullRights,
    FieldProperties: {},
  };
}

function renderContactCarrier(context: RenderContext, contactId: number): Json {
  const contact = context.data.liveContact(contactId);
  if (contact === undefined) return null;
  return {
    ContactId: contact.contactId,
    Name: contact.name,
    OrgNr: contact.orgNr,
    Department: contact.department,
    URL: '',
    City: 'Oslo',
    DirectPhone: contact.phones[0]?.value ?? '',
    AssociateId: contact.associateId,
    CountryId: 578,
    EmailAddress: contact.emails[0]?.value ?? '',
    FullName: contact.department === '' ? contact.name : `${contact.name}, ${contact.department}`,
    IsOwnerContact: contact.isOwnerContact,
    ActiveErpLinks: 0,
    TableRight: fullRights,
    FieldProperties: {},
  };
}

function personFullName(person: PersonRow): string {
  return [person.firstname, person.middleName, person.lastname].filter((part) => part !== '').join(' ');
}

/**
 * The light Person carrier nested in tickets and users (superoffice-api.md §2.1). A ticket row
 * keeps its person's id when the person is soft-deleted, so the carrier is still rendered then
 * (what SuperOffice shows is not documented, §9 item 6).
 */
export function renderPersonCarrier(context: RenderContext, personId: number): Json {
  const person = context.data.persons.get(personId);
  if (person === undefined) return null;
  const contact = context.data.liveContact(person.contactId);
  const associate = context.data.associateOfPerson(person.personId);
  return {
    PersonId: person.personId,
    Position: '',
    Mrmrs: person.mrmrs,
    Firstname: person.firstname,
    Lastname: person.lastname,
    MiddleName: person.middleName,
    Title: person.title,
    Description: person.description,
    Email: person.emails[0]?.value ?? '',
    FullName: personFullName(person),
    DirectPhone: person.officePhones[0]?.value ?? '',
    FormalName: personFullName(person),
    CountryId: 578,
    ContactId: person.contactId,
    ContactName: contact?.name ?? '',
    Retired: person.retired ? 1 : 0,
    Rank: 1,
    MobilePhone: person.mobilePhones[0]?.value ?? '',
    AssociateId: associate?.associateId ?? 0,
    TableRight: fullRights,
    FieldProperties: {},
  };
}

export function renderPersonEntity(context: RenderContext, person: PersonRow): JsonObject {
  const associate = context.data.associateOfPerson(person.personId);
  const fullName = personFullName(person);
  return {
    PersonId: person.personId,
    Firstname: person.firstname,
    MiddleName: person.middleName,
    Lastname: person.lastname,
    Mrmrs: person.mrmrs,
    Title: person.title,
    Salutation: '',
    UpdatedDate: utcDate(context)(person.updatedDate),
    CreatedDate: utcDate(context)(person.createdDate),
    BirthDate: emptyWireDate,
    CreatedBy: renderAssociate(context, person.createdBy),
    UpdatedBy: renderAssociate(context, person.updatedBy),
    Emails: elements(person.emails),
    Description: person.description,
    IsAssociate: associate !== undefined,
    PrivatePhones: elements(person.privatePhones),
    MobilePhones: elements(person.mobilePhones),
    OfficePhones: elements(person.officePhones),
    OtherPhones: [],
    Faxes: [],
    Urls: [],
    ChatEmails: [],
    InternetPhones: [],
    Position: { Id: 0, Value: '', Tooltip: '' },
    Contact: renderContactCarrier(context, person.contactId),
    Country: { CountryId: 578, Name: 'Norway', TwoLetterISOCountry: 'NO' },
    PersonNumber: String(person.personId),
    FullName: fullName,
    FormalName: fullName,
    NoMailing: false,
    UsePersonAddress: false,
    Retired: person.retired,
    CorrespondingAssociate: associate === undefined ? null : renderAssociate(context, associate.associateId),
    Category: { Id: 0, Value: '', Tooltip: '' },
    Business: { Id: 0, Value: '', Tooltip: '' },
    Associate: null,
    ActiveInterests: 0,
    SupportAssociate: null,
    BounceEmails: [],
    CustomFields: {},
    ExtraFields: {},
    UserDefinedFields: {},
    TableRight: fullRights,
    FieldProperties: {},
    _Links: { Self: `${context.apiBase}/Person/${person.personId}`, Archive: `${context.apiBase}/Person` },
  };
}

export function renderContactEntity(context: RenderContext, contact: ContactRow): JsonObject {
  const persons = [...context.data.persons.values()]
    .filter((person) => person.contactId === contact.contactId && person.deletedDate === null)
    .slice(0, 50)
    .map((person) => renderPersonCarrier(context, person.personId));
  return {
    ContactId: contact.contactId,
    Name: contact.name,
    Department: contact.department,
    OrgNr: contact.orgNr,
    Number1: String(contact.contactId),
    Number2: '',
    UpdatedDate: utcDate(context)(contact.updatedDate),
    CreatedDate: utcDate(context)(contact.createdDate),
    Emails: elements(contact.emails),
    Urls: [],
    Phones: elements(contact.phones),
    Faxes: [],
    Description: '',
    UpdatedBy: renderAssociate(context, contact.updatedBy),
    CreatedBy: renderAssociate(context, contact.createdBy),
    Associate: renderAssociate(context, contact.associateId),
    SupportAssociate: null,
    Business: { Id: 0, Value: '', Tooltip: '' },
    Category: { Id: 0, Value: '', Tooltip: '' },
    Country: { CountryId: 578, Name: 'Norway', TwoLetterISOCountry: 'NO' },
    Persons: persons,
    NoMailing: false,
    Kananame: '',
    Xstop: false,
    ActiveInterests: 0,
    GroupId: 1,
    Deleted: contact.deletedDate === null ? 0 : 1,
    Domains: [],
    BounceEmails: [],
    CustomFields: {},
    ExtraFields: {},
    UserDefinedFields: {},
    TableRight: fullRights,
    FieldProperties: {},
    _Links: { Self: `${context.apiBase}/Contact/${contact.contactId}`, Archive: `${context.apiBase}/Contact` },
  };
}

/** Ticket dates are plain DateTime in the tenant's base zone (superoffice-api.md §9 item 10). */
export function renderTicketEntity(context: RenderContext, ticket: TicketRow, withLinks: boolean): JsonObject {
  const local = (instant: number | null) =>
    instant === null
      ? emptyWireDate
      : `${formatWireDate(instant, context.timeZone)}${context.dateOffsets === true ? offsetSuffix(instant, context.timeZone) : ''}`;
  const timeToReply = context.data.timeToReply(ticket);
  const entity: JsonObject = {
    TicketId: ticket.ticketId,
    Title: ticket.title,
    CreatedAt: local(ticket.createdAt),
    LastChanged: local(ticket.lastChanged),
    ReadByOwner: emptyWireDate,
    ReadByCustomer: emptyWireDate,
    FirstReadByOwner: emptyWireDate,
    FirstReadByUser: emptyWireDate,
    Activate: emptyWireDate,
    ClosedAt: emptyWireDate,
    RepliedAt: local(ticket.repliedAt),
    AlertTimeout: emptyWireDate,
    Deadline: emptyWireDate,
    CreatedBy: renderAssociate(context, ticket.createdBy),
    Author: '',
    OwnedBy: renderAssociate(context, ticket.ownedBy),
    Category: { TicketCategoryId: ticket.categoryId, ParentId: 0, Name: `Category ${ticket.categoryId}` },
    Slevel: 'External',
    Priority: {
      TicketPriorityId: ticket.priorityId,
      Name: ['Low', 'Medium', 'High'][ticket.priorityId - 1] ?? 'Medium',
    },
    BaseStatus: ticket.baseStatus,
    Status: { TicketStatusId: 1, Name: ticket.baseStatus, Status: ticket.baseStatus },
    Origin: 'Email',
    Person: renderPersonCarrier(context, ticket.personId),
    SecondaryPersons: [],
    AlertLevel: 0,
    ConnectId: -1,
    ReadStatus: 'Green',
    TimeToReply: timeToReply,
    RealTimeToReply: timeToReply,
    TimeToClose: 0,
    RealTimeToClose: 0,
    TimeSpentInternally: 0,
    TimeSpentExternally: 0,
    TimeSpentQueue: 0,
    TimeSpent: 0,
    HasAttachment: false,
    NumReplies: ticket.repliedAt === null ? 0 : 1,
    NumMessages: ticket.repliedAt === null ? 1 : 2,
    FromAddress: '',
    Messages: [],
    Tags: [],
    Language: 'en',
    ActiveStatusMonitorId: 0,
    ExtraFields: {},
    CustomFields: {},
    TableRight: fullRights,
    FieldProperties: {},
  };
  if (withLinks)
    entity._Links = { Self: `${context.apiBase}/Ticket/${ticket.ticketId}`, Archive: `${context.apiBase}/Ticket` };
  return entity;
}

export function renderUserEntity(context: RenderContext, associate: AssociateRow): JsonObject {
  return {
    AssociateId: associate.associateId,
    Name: associate.name,
    Rank: associate.associateId,
    Tooltip: associate.userName,
    LicenseOwners: [],
    Role: { Id: 1, Value: 'User', Tooltip: '' },
    UserGroup: { Id: 1, Value: 'Support', Tooltip: '' },
    OtherGroups: [],
    Person: renderPersonCarrier(context, associate.personId),
    Deleted: associate.deleted,
    Lastlogin: emptyWireDate,
    Lastlogout: emptyWireDate,
    EjUserId: associate.ejUserId,
    RequestSignature: false,
    Type: associate.type,
    IsPersonRetired: context.data.persons.get(associate.personId)?.retired ?? false,
    IsOnTravel: false,
    Credentials: [],
    UserName: associate.userName,
    TicketCategories: [],
    NickName: '',
    WaitingForApproval: false,
    ExtraFields: {},
    CustomFields: {},
    _Links: { Self: `${context.apiBase}/User/${associate.associateId}`, Archive: `${context.apiBase}/User` },
  };
}

// --- parsing writes ---

/** A property looked up case-insensitively; `undefined` when the body does not carry it. */
export function property(body: JsonObject, name: string): Json | undefined {
  if (name in body) return body[name];
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(body)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(body: JsonObject, name: string, maxLength = 2047): string {
  const value = property(body, name);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw badRequest(`${name} must be a string`);
  if (value.length > maxLength) throw badRequest(`${name} is longer than ${maxLength} characters`);
  return value;
}

function integer(value: Json | undefined, name: string): number {
  if (value === undefined || value === null || value === '') return 0;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw badRequest(`${name} must be an integer`);
  return number;
}

/** The id inside a reference carrier, `"Contact": {"ContactId": 5}`; 0 when absent or null. */
function carrierId(body: JsonObject, carrier: string, idName: string): number {
  const value = property(body, carrier);
  if (value === undefined || value === null) return 0;
  if (!isObject(value)) throw badRequest(`${carrier} must be an object`);
  return integer(property(value, idName), `${carrier}.${idName}`);
}

function elementList(body: JsonObject, name: string): EntityElementRow[] {
  const value = property(body, name);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest(`${name} must be an array`);
  return value.map((item, index) => {
    if (!isObject(item)) throw badRequest(`${name}[${index}] must be an object`);
    const entry = text(item, 'Value', 255);
    return entityElement(entry, text(item, 'Description', 255));
  });
}

/** A PUT/POST body as the full new state of a person (PUT replaces everything: §3.1). */
export function parsePersonBody(data: TenantData, body: JsonObject): Required<PersonChanges> {
  const contactId = carrierId(body, 'Contact', 'ContactId');
  if (contactId !== 0 && data.liveContact(contactId) === undefined) {
    throw badRequest(`Contact id ${contactId} does not exist`);
  }
  const retired = property(body, 'Retired');
  return {
    contactId,
    firstname: text(body, 'Firstname', 50),
    middleName: text(body, 'MiddleName', 50),
    lastname: text(body, 'Lastname', 50),
    mrmrs: text(body, 'Mrmrs', 20),
    title: text(body, 'Title', 50),
    description: text(body, 'Description'),
    emails: elementList(body, 'Emails'),
    privatePhones: elementList(body, 'PrivatePhones'),
    mobilePhones: elementList(body, 'MobilePhones'),
    officePhones: elementList(body, 'OfficePhones'),
    retired: retired === true || retired === 1,
  };
}

export function parseContactBody(body: JsonObject): Required<ContactChanges> {
  const name = text(body, 'Name', 254);
  if (name.trim() === '') throw badRequest('Name is required');
  return {
    name,
    department: text(body, 'Department', 254),
    orgNr: text(body, 'OrgNr', 20),
    associateId: carrierId(body, 'Associate', 'AssociateId'),
    emails: elementList(body, 'Emails'),
    phones: elementList(body, 'Phones'),
  };
}

const baseStatuses: readonly TicketBaseStatus[] = ['Active', 'Closed', 'Postponed', 'Deleted', 'Merged', 'Spam'];

/** Writing AssociateId 0 unassigns; 2147483647 asks for auto-assignment (superoffice-api.md §2.4). */
const autoAssign = 2147483647;

/** TimeToReply's source (repliedAt) is computed by SuperOffice from the messages: never taken from a client. */
export function parseTicketBody(data: TenantData, body: JsonObject): Required<Omit<TicketChanges, 'repliedAt'>> {
  const title = text(body, 'Title', 255);
  let ownedBy = carrierId(body, 'OwnedBy', 'AssociateId');
  if (ownedBy === autoAssign) ownedBy = [...data.associates.keys()][0] ?? 0;
  if (ownedBy !== 0 && data.associates.get(ownedBy) === undefined) {
    throw badRequest(`Associate id ${ownedBy} does not exist`);
  }
  const personId = carrierId(body, 'Person', 'PersonId');
  if (personId !== 0 && data.livePerson(personId) === undefined)
    throw badRequest(`Person id ${personId} does not exist`);
  const status = property(body, 'BaseStatus');
  const baseStatus = typeof status === 'string' ? baseStatuses.find((candidate) => candidate === status) : 'Active';
  if (baseStatus === undefined) throw badRequest(`BaseStatus ${String(status)} is not a ticket status`);
  return {
    title,
    ownedBy,
    personId,
    baseStatus,
    categoryId: carrierId(body, 'Category', 'TicketCategoryId') || 1,
    priorityId: carrierId(body, 'Priority', 'TicketPriorityId') || 1,
  };
}
