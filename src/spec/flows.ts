/**
 * The seed's data flows as data. Each flow's `seed` part mirrors the seed's sections and
 * tables row for row, in the seed's order (test/spec/seed-conformance.test.ts holds it to
 * the seed text). The `sync` parts add what the engine needs and the seed does not say.
 *
 * Nothing about the flows is written anywhere else: the engine, the matcher, the planner
 * and `tandem doc` all read this file.
 */
import type { SuperOfficeRecordType, ZendeskRecordType } from '../core/model.js';

/** The kind of global entity a flow's records belong to. */
export type EntityKind = 'organization' | 'person' | 'ticket';

export type FlowName = 'person' | 'contact' | 'ticket' | 'user';

/**
 * When a SuperOffice record gets a new Zendesk record:
 * - `always`: every record is synchronised (created when not linked yet);
 * - `unless-merged`: linked to a Zendesk record on an equal merge key, otherwise created;
 * - `when-on-synced-ticket`: linked on an equal merge key; created only when the record is
 *   the person of a SuperOffice ticket that is synchronised.
 */
export type CreateRule = 'always' | 'unless-merged' | 'when-on-synced-ticket';

/**
 * How a value is put into canonical form for comparison and translated between systems.
 * Each name is a typed function in src/core/transforms.ts.
 */
export type TransformName = 'text' | 'email' | 'phone' | 'reference' | 'minutes-after-creation';

/** A limit one system puts on the values it accepts, handled by a named rule in the core. */
export type WriteConstraint = 'agent-only' | 'service-user-only';

export interface PropertyMapping {
  /** Seed columns: SuperOffice property, Zendesk property, data type as the seed writes it. */
  readonly superoffice: string;
  readonly zendesk: string;
  readonly dataType: 'string';
  /** The canonical attribute of the entity kind both properties map onto. */
  readonly attribute: string;
  readonly transform: TransformName;
  /** For references: the flow whose records the value points at. */
  readonly references?: FlowName;
  /** A side that cannot be written (the value is computed there). */
  readonly readOnly?: 'superoffice' | 'zendesk';
  /** A side that accepts only some values; others leave both sides as they are. */
  readonly constraint?: { readonly system: 'superoffice' | 'zendesk'; readonly rule: WriteConstraint };
  /**
   * A side that fills the value in itself when a create leaves it out (Zendesk makes the API user
   * the requester of a ticket created without one). A create there carries the translated value:
   * it waits while the source's reference is not linked yet, and is held when it cannot be.
   */
  readonly defaultedOnCreate?: 'zendesk';
  /** Why the property behaves as it does, in one sentence for the generated document. */
  readonly note?: string;
}

export interface MergeKey {
  readonly superoffice: string;
  readonly zendesk: string;
}

export interface Flow {
  readonly name: FlowName;
  readonly kind: EntityKind;
  /** Entity names as the seed writes them, for the conformance test and the document. */
  readonly seedNames: { readonly superoffice: string; readonly zendesk: string };
  readonly superofficeType: SuperOfficeRecordType;
  readonly zendeskType: ZendeskRecordType;
  readonly create: CreateRule;
  /** Property combinations that link records without creating; any one match links. */
  readonly mergeKeys: readonly MergeKey[];
  readonly properties: readonly PropertyMapping[];
}

export const flows: readonly Flow[] = [
  {
    name: 'person',
    kind: 'person',
    seedNames: { superoffice: 'Person', zendesk: 'Users' },
    superofficeType: 'person',
    zendeskType: 'user',
    create: 'when-on-synced-ticket',
    mergeKeys: [{ superoffice: 'Emails.Value', zendesk: 'email' }],
    properties: [
      {
        superoffice: 'Contact.ContactId',
        zendesk: 'organization_id',
        dataType: 'string',
        attribute: 'organization',
        transform: 'reference',
        references: 'contact',
      },
      {
        superoffice: 'Emails.Value',
        zendesk: 'email',
        dataType: 'string',
        attribute: 'email',
        transform: 'email',
        note: "The person's first-ranked e-mail; further e-mails are kept in SuperOffice and used only for matching.",
      },
      {
        superoffice: 'PrivatePhones.Value',
        zendesk: 'phone',
        dataType: 'string',
        attribute: 'phone',
        transform: 'phone',
        note: "The person's first-ranked private phone; other phones are kept.",
      },
    ],
  },
  {
    name: 'contact',
    kind: 'organization',
    seedNames: { superoffice: 'Contact', zendesk: 'Organizations' },
    superofficeType: 'contact',
    zendeskType: 'organization',
    create: 'always',
    mergeKeys: [],
    properties: [
      {
        superoffice: 'Name',
        zendesk: 'name',
        dataType: 'string',
        attribute: 'name',
        transform: 'text',
        note: 'Zendesk requires unique organization names; a contact whose name is taken is reported, never merged.',
      },
    ],
  },
  {
    name: 'ticket',
    kind: 'ticket',
    seedNames: { superoffice: 'Ticket', zendesk: 'Tickets' },
    superofficeType: 'ticket',
    zendeskType: 'ticket',
    create: 'always',
    mergeKeys: [],
    properties: [
      {
        superoffice: 'OwnedBy.AssociateId',
        zendesk: 'requester_id',
        dataType: 'string',
        attribute: 'requester',
        transform: 'reference',
        references: 'user',
        constraint: { system: 'superoffice', rule: 'service-user-only' },
        note: 'A SuperOffice ticket owner is a Service user; a requester who is no Service user leaves the SuperOffice owner as it is.',
        defaultedOnCreate: 'zendesk',
      },
      {
        superoffice: 'Person.PersonId',
        zendesk: 'assignee_id',
        dataType: 'string',
        attribute: 'assignee',
        transform: 'reference',
        references: 'person',
        constraint: { system: 'zendesk', rule: 'agent-only' },
        note: 'Zendesk accepts only agents as assignee; for any other person the Zendesk ticket keeps no assignee.',
      },
      {
        superoffice: 'TimeToReply',
        zendesk: 'due_at',
        dataType: 'string',
        attribute: 'due',
        transform: 'minutes-after-creation',
        readOnly: 'superoffice',
        note: 'SuperOffice computes TimeToReply; the due date is the ticket creation time plus that many minutes, sent one way.',
      },
      {
        superoffice: 'Title',
        zendesk: 'subject',
        dataType: 'string',
        attribute: 'subject',
        transform: 'text',
      },
    ],
  },
  {
    name: 'user',
    kind: 'person',
    seedNames: { superoffice: 'User', zendesk: 'Users' },
    superofficeType: 'user',
    zendeskType: 'user',
    create: 'unless-merged',
    mergeKeys: [{ superoffice: 'personEmail', zendesk: 'email' }],
    properties: [
      {
        superoffice: 'contactId',
        zendesk: 'organization_id',
        dataType: 'string',
        attribute: 'organization',
        transform: 'reference',
        references: 'contact',
      },
      {
        superoffice: 'personEmail',
        zendesk: 'email',
        dataType: 'string',
        attribute: 'email',
        transform: 'email',
      },
    ],
  },
];

/** The order in which kinds are planned and written: a reference waits for what it points at. */
export const kindOrder: readonly EntityKind[] = ['organization', 'person', 'ticket'];

export function flowByName(name: FlowName): Flow {
  const flow = flows.find((candidate) => candidate.name === name);
  if (flow === undefined) throw new Error(`no flow named ${name}`);
  return flow;
}

export function flowsOfKind(kind: EntityKind): readonly Flow[] {
  return flows.filter((flow) => flow.kind === kind);
}

/** The flow a record type belongs to in one system, or undefined for a type no flow syncs. */
export function flowsForRecordType(system: 'superoffice' | 'zendesk', type: string): readonly Flow[] {
  return flows.filter((flow) => (system === 'superoffice' ? flow.superofficeType : flow.zendeskType) === type);
}
