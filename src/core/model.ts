/**
 * The domain vocabulary shared by every layer. Nothing here knows a wire format:
 * connectors translate vendor JSON into these types and back.
 */

export const systemNames = ['superoffice', 'zendesk'] as const;
export type SystemName = (typeof systemNames)[number];

/** Record types as each system names them (lower-case, singular). */
export const recordTypesBySystem = {
  superoffice: ['contact', 'user', 'person', 'ticket'],
  zendesk: ['organization', 'user', 'ticket'],
} as const satisfies Record<SystemName, readonly string[]>;

export type SuperOfficeRecordType = (typeof recordTypesBySystem.superoffice)[number];
export type ZendeskRecordType = (typeof recordTypesBySystem.zendesk)[number];
export type RecordType = SuperOfficeRecordType | ZendeskRecordType;

/** Identifies one record in one system. Ids are strings whatever the vendor uses. */
export interface RecordRef {
  readonly system: SystemName;
  readonly type: RecordType;
  readonly id: string;
}

/**
 * A property value as read from or written to a system.
 * `null` means the system holds "no value"; a property that was not read is absent from the map.
 * Empty strings are kept as they are: a two-way sync that turns null into '' invents data.
 */
export type PropertyValue = string | null;

/** Values keyed by the property path the spec uses for that system (e.g. `Emails.Value`, `email`). */
export type PropertyValues = Readonly<Record<string, PropertyValue>>;

/**
 * One record as a connector reports it.
 * `values` holds the spec's mapped properties; `facts` holds what the sync needs beyond them.
 */
export interface SourceRecord {
  readonly ref: RecordRef;
  readonly values: PropertyValues;
  /**
   * Every value of a multi-valued property, in the system's rank order, for matching
   * (a SuperOffice person joins on any of its e-mails). The first one is `values[path]`.
   */
  readonly alternates?: Readonly<Record<string, readonly string[]>>;
  /** Last modification as the system reports it, ISO-8601 UTC, or null when unknown. */
  readonly modifiedAt: string | null;
  readonly deleted: boolean;
  readonly facts?: RecordFacts;
}

export interface RecordFacts {
  /** Human-readable name, shown to users and used where the other system requires a name. */
  readonly label?: string;
  /** Creation time, ISO-8601 UTC (a SuperOffice ticket's due date is computed from it). */
  readonly createdAt?: string;
  /**
   * Users: whether the user may be given tickets. Zendesk: an agent or admin (a ticket assignee), but
   * not a light agent, chat-only agent or contributor (role_type 1, 2, 3), whom Zendesk never assigns;
   * SuperOffice: a Service user (a ticket owner). Absent when the system did not say.
   */
  readonly isAgent?: boolean;
  /** Zendesk tickets: the status (`new` … `closed`); a closed ticket takes no update. */
  readonly status?: string;
  /** Zendesk tickets: the type (`problem`, `incident`, `question`, `task`), null when it has none. */
  readonly ticketType?: string | null;
  /** Zendesk tickets: the group, null when none; an assignee must be a member of it. */
  readonly groupId?: string | null;
  /** Zendesk tickets with a group: the ids of the users who are members of it; absent when not known. */
  readonly groupMembers?: readonly string[];
  /** The idempotency handle we stored on a record we created (Zendesk `external_id`). */
  readonly externalId?: string | null;
}

/** How many record types there are across both systems: the range of `recordTypeSlot`. */
export const recordTypeSlotCount = recordTypesBySystem.superoffice.length + recordTypesBySystem.zendesk.length;

/**
 * A small number per system and record type (0 to recordTypeSlotCount - 1), for tables keyed by
 * record type without building a string key per lookup. -1 for a type the system does not have.
 */
export function recordTypeSlot(system: SystemName, type: RecordType): number {
  if (system === 'superoffice') return (recordTypesBySystem.superoffice as readonly string[]).indexOf(type);
  const index = (recordTypesBySystem.zendesk as readonly string[]).indexOf(type);
  return index === -1 ? -1 : recordTypesBySystem.superoffice.length + index;
}

export function refKey(ref: RecordRef): string {
  return `${ref.system}:${ref.type}:${ref.id}`;
}
