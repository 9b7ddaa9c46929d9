/**
 * The simulated tenant's database: contacts, persons, associates (users) and tickets, held as
 * plain rows. Routes render these rows as SuperOffice JSON and parse writes back into them; tests
 * reach the same rows through `simulator.data` to act "as a SuperOffice user would".
 *
 * Which edits move which date is the behaviour under test, so it lives here and nowhere else:
 * - a person's UpdatedDate moves when a field of the person row changes; e-mails and phones live
 *   in foreign-key tables, and by default (the pessimistic reading of superoffice-api.md §9 item 2)
 *   changing only them leaves UpdatedDate alone. `emailOnlyEditBumpsUpdated` switches that;
 * - a contact's UpdatedDate moves on any change of the contact row (name, department, ...);
 * - a ticket's LastChanged moves on any change;
 * - a save that changes nothing moves nothing.
 *
 * Merges (`mergePersons`, `mergeContacts`) remove the source record for good (not to the recycle
 * bin: superoffice-api.md §7), move what pointed at it to the destination (without moving those
 * rows' dates unless `mergeMovesStamps`), and write a row to the
 * merge/move log (DB-mergemovelog: tableNumber, operation, sourceRecord, destinationRecord,
 * registered), which the Dynamic archive lists (D-BP).
 */
import type { SimulatorClock } from './clock.js';

/** One entry of Emails, PrivatePhones, ...: no id, no rank; the array order is the rank. */
export interface EntityElementRow {
  value: string;
  strippedValue: string;
  description: string;
}

export interface ContactRow {
  contactId: number;
  name: string;
  department: string;
  orgNr: string;
  emails: EntityElementRow[];
  phones: EntityElementRow[];
  /** Owning associate (our sales rep), 0 for none. */
  associateId: number;
  isOwnerContact: boolean;
  createdDate: number;
  updatedDate: number;
  createdBy: number;
  updatedBy: number;
  /** Soft delete: set when moved to the recycle bin (superoffice-api.md §7). */
  deletedDate: number | null;
  /** Who moved it to the recycle bin (0: nobody). */
  deletedBy: number;
}

export interface PersonRow {
  personId: number;
  /** 0 = no company. */
  contactId: number;
  firstname: string;
  middleName: string;
  lastname: string;
  mrmrs: string;
  title: string;
  description: string;
  emails: EntityElementRow[];
  privatePhones: EntityElementRow[];
  mobilePhones: EntityElementRow[];
  officePhones: EntityElementRow[];
  retired: boolean;
  createdDate: number;
  updatedDate: number;
  createdBy: number;
  updatedBy: number;
  deletedDate: number | null;
  deletedBy: number;
}

export interface AssociateRow {
  associateId: number;
  personId: number;
  /** Initials / login id. */
  name: string;
  userName: string;
  type: 'InternalAssociate' | 'ResourceAssociate' | 'ExternalAssociate' | 'SystemAssociate' | 'AnonymousAssociate';
  /** Retired: listed with isActive false. */
  deleted: boolean;
  /** The Service user id; 0 = not a Service user (cannot own tickets). */
  ejUserId: number;
}

/** One row of the merge/move log (DB-mergemovelog). Table numbers: contact 5, person 6. */
export interface MergeMoveLogRow {
  mergeMoveLogId: number;
  tableNumber: number;
  /** The operation enumerator; its values are not documented: 1 here stands for a merge. */
  operation: number;
  sourceRecord: number;
  destinationRecord: number;
  registered: number;
  registeredBy: number;
}

export type TicketBaseStatus = 'Active' | 'Closed' | 'Postponed' | 'Deleted' | 'Merged' | 'Spam';

export interface TicketRow {
  ticketId: number;
  title: string;
  createdAt: number;
  lastChanged: number;
  /** AssociateId; 0 = unassigned. */
  ownedBy: number;
  /** PersonId of the customer; 0 = none. */
  personId: number;
  createdBy: number;
  baseStatus: TicketBaseStatus;
  /** When the first external reply was sent; TimeToReply is computed from it. */
  repliedAt: number | null;
  categoryId: number;
  priorityId: number;
}

/** The person-row fields whose change moves UpdatedDate (the rest live in other tables). */
const personRootFields = [
  'contactId',
  'firstname',
  'middleName',
  'lastname',
  'mrmrs',
  'title',
  'description',
  'retired',
] as const satisfies readonly (keyof PersonRow)[];
const personElementFields = [
  'emails',
  'privatePhones',
  'mobilePhones',
  'officePhones',
] as const satisfies readonly (keyof PersonRow)[];
const contactRootFields = [
  'name',
  'department',
  'orgNr',
  'associateId',
] as const satisfies readonly (keyof ContactRow)[];
const contactElementFields = ['emails', 'phones'] as const satisfies readonly (keyof ContactRow)[];
const ticketFields = [
  'title',
  'ownedBy',
  'personId',
  'baseStatus',
  'repliedAt',
  'categoryId',
  'priorityId',
] as const satisfies readonly (keyof TicketRow)[];

export type PersonChanges = Partial<
  Pick<PersonRow, (typeof personRootFields)[number] | (typeof personElementFields)[number]>
>;
export type ContactChanges = Partial<
  Pick<ContactRow, (typeof contactRootFields)[number] | (typeof contactElementFields)[number]>
>;
export type TicketChanges = Partial<Pick<TicketRow, (typeof ticketFields)[number]>>;

/** The associate the simulator books its own edits on when a test does not say who edits. */
export const systemAssociateId = 1;

export interface TenantDataOptions {
  readonly clock: SimulatorClock;
  readonly emailOnlyEditBumpsUpdated: boolean;
  /**
   * Whether the rows a merge moves to the destination (the source's tickets, a contact's persons)
   * get a new LastChanged/UpdatedDate. Not documented; default false (the harsher reading: a
   * change feed does not see them move).
   */
  readonly mergeMovesStamps?: boolean;
}

/** What an edit did, for callers that answer with the entity. */
export interface EditResult<Row> {
  readonly row: Row;
  readonly changed: boolean;
}

export class TenantData {
  readonly contacts = new Map<number, ContactRow>();
  readonly persons = new Map<number, PersonRow>();
  readonly associates = new Map<number, AssociateRow>();
  readonly tickets = new Map<number, TicketRow>();
  readonly mergeMoveLog: MergeMoveLogRow[] = [];
  readonly #options: TenantDataOptions;
  #nextId = { contact: 1, person: 1, associate: 1, ticket: 1, mergeMoveLog: 1 };

  constructor(options: TenantDataOptions) {
    this.#options = options;
  }

  get clock(): SimulatorClock {
    return this.#options.clock;
  }

  get emailOnlyEditBumpsUpdated(): boolean {
    return this.#options.emailOnlyEditBumpsUpdated;
  }

  // --- lookups that see what the API sees (soft-deleted rows are gone) ---

  liveContact(id: number): ContactRow | undefined {
    const row = this.contacts.get(id);
    return row === undefined || row.deletedDate !== null ? undefined : row;
  }

  livePerson(id: number): PersonRow | undefined {
    const row = this.persons.get(id);
    return row === undefined || row.deletedDate !== null ? undefined : row;
  }

  associateOfPerson(personId: number): AssociateRow | undefined {
    for (const associate of this.associates.values()) if (associate.personId === personId) return associate;
    return undefined;
  }

  /** Minutes from creation to the first external reply; 0 until there is one (superoffice-api.md §2.4). */
  timeToReply(ticket: TicketRow): number {
    return ticket.repliedAt === null ? 0 : Math.max(0, Math.round((ticket.repliedAt - ticket.createdAt) / 60_000));
  }

  // --- creation ---

  createContact(fields: Partial<Omit<ContactRow, 'contactId'>> & { name: string }, by = systemAssociateId): ContactRow {
    const now = this.clock.now();
    const row: ContactRow = {
      department: '',
      orgNr: '',
      emails: [],
      phones: [],
      associateId: 0,
      isOwnerContact: false,
      createdDate: now,
      updatedDate: now,
      createdBy: by,
      updatedBy: by,
      deletedDate: null,
      deletedBy: 0,
      ...fields,
      contactId: this.#nextId.contact++,
    };
    this.contacts.set(row.contactId, row);
    return row;
  }

  /** A person with every field empty, as the `/Person/default` template and a new person start. */
  blankPerson(by = systemAssociateId): PersonRow {
    const now = this.clock.now();
    return {
      personId: 0,
      contactId: 0,
      firstname: '',
      middleName: '',
      lastname: '',
      mrmrs: '',
      title: '',
      description: '',
      emails: [],
      privatePhones: [],
      mobilePhones: [],
      officePhones: [],
      retired: false,
      createdDate: now,
      updatedDate: now,
      createdBy: by,
      updatedBy: by,
      deletedDate: null,
      deletedBy: 0,
    };
  }

  createPerson(fields: Partial<Omit<PersonRow, 'personId'>>, by = systemAssociateId): PersonRow {
    const row: PersonRow = { ...this.blankPerson(by), ...fields, personId: this.#nextId.person++ };
    this.persons.set(row.personId, row);
    return row;
  }

  createAssociate(fields: Omit<AssociateRow, 'associateId' | 'ejUserId'> & { ejUserId?: number }): AssociateRow {
    const associateId = this.#nextId.associate++;
    const row: AssociateRow = { ejUserId: associateId + 100, ...fields, associateId };
    this.associates.set(associateId, row);
    return row;
  }

  createTicket(fields: Partial<Omit<TicketRow, 'ticketId'>> & { title: string }, by = systemAssociateId): TicketRow {
    const now = this.clock.now();
    const row: TicketRow = {
      createdAt: now,
      lastChanged: now,
      ownedBy: 0,
      personId: 0,
      createdBy: by,
      baseStatus: 'Active',
      repliedAt: null,
      categoryId: 1,
      priorityId: 1,
      ...fields,
      ticketId: this.#nextId.ticket++,
    };
    this.tickets.set(row.ticketId, row);
    return row;
  }

  // --- edits, with SuperOffice's date rules ---

  editPerson(id: number, changes: PersonChanges, by = systemAssociateId): EditResult<PersonRow> {
    const row = this.livePerson(id);
    if (row === undefined) throw new Error(`no person ${id}`);
    const rootChanged = applyChanges(row, changes, personRootFields);
    const elementsChanged = applyChanges(row, changes, personElementFields);
    if (rootChanged || (elementsChanged && this.emailOnlyEditBumpsUpdated)) {
      row.updatedDate = this.clock.now();
      row.updatedBy = by;
    }
    return { row, changed: rootChanged || elementsChanged };
  }

  editContact(id: number, changes: ContactChanges, by = systemAssociateId): EditResult<ContactRow> {
    const row = this.liveContact(id);
    if (row === undefined) throw new Error(`no contact ${id}`);
    const rootChanged = applyChanges(row, changes, contactRootFields);
    const elementsChanged = applyChanges(row, changes, contactElementFields);
    if (rootChanged || (elementsChanged && this.emailOnlyEditBumpsUpdated)) {
      row.updatedDate = this.clock.now();
      row.updatedBy = by;
    }
    return { row, changed: rootChanged || elementsChanged };
  }

  editTicket(id: number, changes: TicketChanges): EditResult<TicketRow> {
    const row = this.tickets.get(id);
    if (row === undefined) throw new Error(`no ticket ${id}`);
    const changed = applyChanges(row, changes, ticketFields);
    if (changed) row.lastChanged = this.clock.now();
    return { row, changed };
  }

  /** The first external reply: SuperOffice then computes TimeToReply. */
  replyToTicket(id: number): TicketRow {
    const row = this.tickets.get(id);
    if (row === undefined) throw new Error(`no ticket ${id}`);
    if (row.repliedAt === null) this.editTicket(id, { repliedAt: this.clock.now() });
    return row;
  }

  /** Moves a person to the recycle bin: gone from GET and lists, listed by RecyclePerson. */
  softDeletePerson(id: number, by = systemAssociateId): void {
    const row = this.livePerson(id);
    if (row === undefined) throw new Error(`no person ${id}`);
    row.deletedDate = this.clock.now();
    row.deletedBy = by;
  }

  /** Deleting a contact takes its persons along (restoring it restores them: superoffice-api.md §7). */
  softDeleteContact(id: number, by = systemAssociateId): void {
    const row = this.liveContact(id);
    if (row === undefined) throw new Error(`no contact ${id}`);
    const now = this.clock.now();
    row.deletedDate = now;
    row.deletedBy = by;
    for (const person of this.persons.values()) {
      if (person.contactId === id && person.deletedDate === null) {
        person.deletedDate = now;
        person.deletedBy = by;
      }
    }
  }

  /**
   * Merges person `sourceId` into `destinationId` (`/Person/{src}/MergeTo/{dst}`): the source is
   * removed, its tickets name the destination, the destination is updated, and the log says so.
   */
  mergePersons(sourceId: number, destinationId: number, by = systemAssociateId): void {
    const source = this.livePerson(sourceId);
    const destination = this.livePerson(destinationId);
    if (source === undefined || destination === undefined)
      throw new Error(`cannot merge ${sourceId} into ${destinationId}`);
    const now = this.clock.now();
    for (const ticket of this.tickets.values()) {
      if (ticket.personId !== sourceId) continue;
      if (this.#options.mergeMovesStamps === true) this.editTicket(ticket.ticketId, { personId: destinationId });
      else ticket.personId = destinationId;
    }
    this.persons.delete(sourceId);
    destination.updatedDate = now;
    destination.updatedBy = by;
    this.#logMerge(6, sourceId, destinationId, by);
  }

  /** Merges contact `sourceId` into `destinationId`: its persons move to the destination, the source is removed. */
  mergeContacts(sourceId: number, destinationId: number, by = systemAssociateId): void {
    const source = this.liveContact(sourceId);
    const destination = this.liveContact(destinationId);
    if (source === undefined || destination === undefined)
      throw new Error(`cannot merge ${sourceId} into ${destinationId}`);
    for (const person of this.persons.values()) {
      if (person.contactId !== sourceId || person.deletedDate !== null) continue;
      if (this.#options.mergeMovesStamps === true) this.editPerson(person.personId, { contactId: destinationId }, by);
      else person.contactId = destinationId;
    }
    this.contacts.delete(sourceId);
    destination.updatedDate = this.clock.now();
    destination.updatedBy = by;
    this.#logMerge(5, sourceId, destinationId, by);
  }

  #logMerge(tableNumber: number, sourceRecord: number, destinationRecord: number, by: number): void {
    this.mergeMoveLog.push({
      mergeMoveLogId: this.#nextId.mergeMoveLog++,
      tableNumber,
      operation: 1,
      sourceRecord,
      destinationRecord,
      registered: this.clock.now(),
      registeredBy: by,
    });
  }

  restorePerson(id: number): void {
    const row = this.persons.get(id);
    if (row === undefined) return;
    row.deletedDate = null;
    row.deletedBy = 0;
  }
}

function applyChanges<Row extends object, Field extends keyof Row>(
  row: Row,
  changes: Partial<Pick<Row, Field>>,
  fields: readonly Field[],
): boolean {
  let changed = false;
  for (const field of fields) {
    if (!(field in changes)) continue;
    const next = changes[field] as Row[Field];
    if (JSON.stringify(row[field]) === JSON.stringify(next)) continue;
    row[field] = structuredClone(next);
    changed = true;
  }
  return changed;
}

/** A machine-usable form of an e-mail or phone, as SuperOffice keeps next to the display value. */
export function strippedValueOf(value: string): string {
  const trimmed = value.trim();
  if (trimmed.includes('@')) return trimmed.toLowerCase();
  return trimmed.replace(/[^\d+]/g, '');
}

export function entityElement(value: string, description = ''): EntityElementRow {
  return { value, strippedValue: strippedValueOf(value), description };
}
