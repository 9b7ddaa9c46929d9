/**
 * Translation between Zendesk's wire records and our SourceRecord, and from planned writes to the
 * request items Zendesk takes. Values are keyed by the Zendesk property names of src/spec/flows.ts;
 * ids travel as decimal strings; "no value" stays null, and a member Zendesk did not send stays
 * out of the map.
 */
import type { PropertyValue, SourceRecord, ZendeskRecordType } from '../../core/model.js';
import type { CreateOperation, UpdateOperation } from '../connector.js';
import type { WireOrganization, WireTicket, WireUser } from './zendesk-wire.js';

type Values = Record<string, PropertyValue>;

function put(values: Values, key: string, value: string | number | null | undefined): void {
  if (value === undefined) return;
  values[key] = value === null ? null : String(value);
}

function facts(
  label: string | null | undefined,
  createdAt: string | null | undefined,
  externalId: string | null | undefined,
) {
  return {
    ...(label === null || label === undefined ? {} : { label }),
    ...(createdAt === null || createdAt === undefined ? {} : { createdAt }),
    ...(externalId === undefined ? {} : { externalId }),
  };
}

export function userRecord(user: WireUser): SourceRecord {
  const values: Values = {};
  put(values, 'email', user.email);
  put(values, 'phone', user.phone);
  put(values, 'organization_id', user.organization_id);
  return {
    ref: { system: 'zendesk', type: 'user', id: String(user.id) },
    values,
    modifiedAt: user.updated_at ?? null,
    // Trap 5: deleted users come back with active:false.
    deleted: user.active === false,
    facts: {
      ...facts(user.name, user.created_at, user.external_id),
      ...(user.role === undefined || user.role === null ? {} : { isAgent: isAssignable(user) }),
    },
  };
}

/** Light agents, chat-only agents and contributors (role_type 1, 2, 3) "can't be assigned" tickets (ZD-LA). */
const unassignableRoleTypes: ReadonlySet<number> = new Set([1, 2, 3]);

function isAssignable(user: WireUser): boolean {
  if (user.role !== 'agent' && user.role !== 'admin') return false;
  return user.role_type === undefined || user.role_type === null || !unassignableRoleTypes.has(user.role_type);
}

export function organizationRecord(organization: WireOrganization): SourceRecord {
  const values: Values = {};
  put(values, 'name', organization.name);
  return {
    ref: { system: 'zendesk', type: 'organization', id: String(organization.id) },
    values,
    modifiedAt: organization.updated_at ?? null,
    deleted: false,
    facts: facts(organization.name, organization.created_at, organization.external_id),
  };
}

export function ticketRecord(ticket: WireTicket): SourceRecord {
  const values: Values = {};
  put(values, 'requester_id', ticket.requester_id);
  put(values, 'assignee_id', ticket.assignee_id);
  put(values, 'due_at', ticket.due_at);
  put(values, 'subject', ticket.subject);
  return {
    ref: { system: 'zendesk', type: 'ticket', id: String(ticket.id) },
    values,
    modifiedAt: ticket.updated_at ?? null,
    // Trap 5: deleted tickets come back with status "deleted".
    deleted: ticket.status === 'deleted',
    facts: {
      ...facts(ticket.subject, ticket.created_at, ticket.external_id),
      ...(ticket.status === undefined ? {} : { status: ticket.status }),
      ...(ticket.type === undefined ? {} : { ticketType: ticket.type }),
      ...(ticket.group_id === undefined ? {} : { groupId: ticket.group_id === null ? null : String(ticket.group_id) }),
    },
  };
}

/** A ticket record with the members of its group, so a plan can tell whom Zendesk lets be assigned it. */
export function withGroupMembers(
  record: SourceRecord,
  members: ReadonlyMap<string, readonly string[] | null>,
): SourceRecord {
  const groupId = record.facts?.groupId;
  const groupMembers = groupId === undefined || groupId === null ? undefined : members.get(groupId);
  if (groupMembers === undefined || groupMembers === null) return record; // no group, or its members unknown
  return { ...record, facts: { ...record.facts, groupMembers } };
}

/**
 * The record a successful create leaves behind, built from what we sent and the id Zendesk gave.
 * Bulk job results carry ids only (§3.1), and reading every created record back would double the
 * calls a create costs; the change feed delivers Zendesk's own version later.
 */
export function createdRecord(type: ZendeskRecordType, id: string, operation: CreateOperation): SourceRecord {
  const values: Values = {};
  for (const key of writableProperties[type]) {
    const value = operation.values[key];
    if (value !== undefined) values[key] = value;
  }
  const label =
    type === 'user' ? userName(operation) : (operation.values[type === 'ticket' ? 'subject' : 'name'] ?? undefined);
  return {
    ref: { system: 'zendesk', type, id },
    values,
    modifiedAt: null,
    deleted: false,
    facts: {
      ...(label === undefined || label === null ? {} : { label }),
      externalId: operation.externalId,
      ...(type === 'user' ? { isAgent: false } : {}),
      ...(type === 'ticket' ? { ticketType: ticketTypeOnCreate(operation.values.due_at) ?? null, groupId: null } : {}),
    },
  };
}

/** The properties of src/spec/flows.ts this connector writes, per record type. */
export const writableProperties: Readonly<Record<ZendeskRecordType, readonly string[]>> = {
  organization: ['name'],
  user: ['email', 'phone', 'organization_id'],
  ticket: ['requester_id', 'assignee_id', 'due_at', 'subject'],
};

/** A decimal id string as the JSON number Zendesk takes; null stays null. */
function wireId(value: PropertyValue | undefined): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new RangeError(`"${value}" is not a Zendesk id`);
  }
  return Number(value);
}

/** §2.1: `name` is the only required user field; our spec does not map one. */
export function userName(operation: CreateOperation): string {
  const email = operation.values.email;
  if (operation.label !== undefined && operation.label.trim() !== '') return operation.label;
  if (email !== undefined && email !== null && email.trim() !== '') return email;
  return operation.externalId;
}

function defined<T extends Record<string, unknown>>(item: T): T {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined)) as T;
}

/** A user item for create_many / create_or_update(_many). */
export function userCreateItem(operation: CreateOperation) {
  return defined({
    name: userName(operation),
    email: operation.values.email ?? undefined,
    phone: operation.values.phone,
    organization_id: wireId(operation.values.organization_id),
    external_id: operation.externalId,
    // §2.1 create-only input: no verification mail for a user a sync created.
    skip_verify_email: true,
  });
}

/** An organization item for create_many. */
export function organizationCreateItem(operation: CreateOperation) {
  return defined({ name: operation.values.name ?? undefined, external_id: operation.externalId });
}

/**
 * A ticket item for create_many. §2.4: a create needs a comment, so the first comment says where
 * the ticket came from (private, so the requester gets no mail); `due_at` only means something on
 * tasks, so a ticket with a due date is a task.
 */
function ticketTypeOnCreate(dueAt: PropertyValue | undefined): 'task' | undefined {
  return dueAt === undefined || dueAt === null ? undefined : 'task';
}

export function ticketCreateItem(operation: CreateOperation) {
  const dueAt = operation.values.due_at;
  return defined({
    subject: operation.values.subject ?? undefined,
    requester_id: wireId(operation.values.requester_id) ?? undefined,
    assignee_id: wireId(operation.values.assignee_id) ?? undefined,
    due_at: dueAt ?? undefined,
    type: ticketTypeOnCreate(dueAt),
    external_id: operation.externalId,
    comment: {
      body: `Created by Tandem from the SuperOffice ticket ${operation.externalId}.`,
      public: false,
    },
  });
}

/** A user item for update_many: every mapped value except the e-mail (that goes through identities). */
export function userUpdateItem(operation: UpdateOperation) {
  return defined({
    id: Number(operation.id),
    phone: operation.values.phone,
    organization_id: wireId(operation.values.organization_id),
  });
}

export function organizationUpdateItem(operation: UpdateOperation) {
  return defined({ id: Number(operation.id), name: operation.values.name ?? undefined });
}

/**
 * A ticket item for an update. A ticket cannot lose its requester, so a null requester is not sent.
 * A due date is sent with `type: "task"` (§2.4): the planner writes a due date only to a ticket
 * without a type or a task (a problem, incident or question keeps its type, and the due date is
 * held), and the update is guarded by `safe_update`, so the type cannot have changed since.
 */
export function ticketUpdateItem(operation: UpdateOperation) {
  const dueAt = operation.values.due_at;
  return defined({
    id: Number(operation.id),
    subject: operation.values.subject,
    requester_id: wireId(operation.values.requester_id) ?? undefined,
    assignee_id: wireId(operation.values.assignee_id),
    due_at: dueAt,
    type: dueAt === undefined || dueAt === null ? undefined : 'task',
  });
}

/** Whether an update item changes anything besides naming its record. */
export function changesSomething(item: Record<string, unknown>): boolean {
  return Object.keys(item).some((key) => key !== 'id');
}
