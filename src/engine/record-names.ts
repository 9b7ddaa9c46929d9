/**
 * How `status` and `explain` name things for a person: a record as `superoffice:contact:14 "Fjord
 * Logistics AS"`, and a global entity by the record people know it by, never by its internal id.
 */
import type { EntitySnapshot, MemberSnapshot } from '../core/entity.js';
import { refKey, type SourceRecord } from '../core/model.js';
import type { StateStore } from '../store/state-store.js';

/** SuperOffice types in the order a person looks for them: the company, the ticket, the people. */
const preferredTypes = ['contact', 'ticket', 'user', 'person'] as const;

/** The record a person knows an entity by: a live SuperOffice member first, then any live member. */
export function primaryMember(entity: EntitySnapshot): MemberSnapshot | undefined {
  for (const type of preferredTypes) {
    const member = entity.members.find(
      ({ record }) => record.ref.system === 'superoffice' && record.ref.type === type && !record.deleted,
    );
    if (member !== undefined) return member;
  }
  return entity.members.find(({ record }) => !record.deleted) ?? entity.members[0];
}

/** A record's name as its system shows it (a contact's name, a ticket's title), else its e-mail. */
export function recordLabel(record: SourceRecord): string | undefined {
  const label = record.facts?.label;
  if (label !== undefined && label.trim() !== '') return label;
  for (const path of ['Name', 'name', 'Title', 'subject', 'personEmail', 'Emails.Value', 'email']) {
    const value = record.values[path];
    if (value !== undefined && value !== null && value.trim() !== '') return value;
  }
  return undefined;
}

/** `superoffice:contact:14 "Fjord Logistics AS"` (without the quote part when there is no name). */
export function describeRecord(record: SourceRecord): string {
  const label = recordLabel(record);
  return label === undefined ? refKey(record.ref) : `${refKey(record.ref)} ${JSON.stringify(label)}`;
}

/** An entity as its primary record, `(entity <id>, no records)` when it has none. */
export function describeEntity(entity: EntitySnapshot): string {
  const member = primaryMember(entity);
  return member === undefined ? `(entity ${entity.id}, no records)` : describeRecord(member.record);
}

/** Words after which the planner's and matcher's messages name an entity id. */
const entityMention = /\b(organization|person|ticket|entity) ([A-Za-z0-9][A-Za-z0-9-]{5,})\b/g;

/**
 * Names of entities, loaded in batches: `describe` answers for ids loaded before, and messages
 * that mention entity ids are rewritten to name records instead.
 */
export class EntityNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly store: StateStore) {}

  /** Remembers names of entities already loaded (no store call). */
  remember(entities: readonly EntitySnapshot[]): void {
    for (const entity of entities) this.names.set(entity.id, describeEntity(entity));
  }

  /** Loads the named entities not known yet; ids that are no entity are left out. */
  async load(ids: Iterable<string>): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.names.has(id));
    for (let start = 0; start < missing.length; start += 500) {
      this.remember(await this.store.loadEntities(missing.slice(start, start + 500)));
    }
  }

  /** The entity ids a message may mention, for `load`. */
  static mentionsIn(message: string): string[] {
    return [...message.matchAll(entityMention)].map((match) => match[2] ?? '');
  }

  describe(entityId: string): string {
    return this.names.get(entityId) ?? `entity ${entityId}`;
  }

  known(entityId: string): boolean {
    return this.names.has(entityId);
  }

  /** `person e000042 has no Zendesk user` → `person superoffice:person:7 "Ann Berg" has no Zendesk user`. */
  rewrite(message: string): string {
    return rewriteMentions(message, (id) => this.names.get(id));
  }
}

/** Replaces the entity ids a message mentions by the names `nameOf` knows; others stay as they are. */
export function rewriteMentions(message: string, nameOf: (entityId: string) => string | undefined): string {
  return message.replace(entityMention, (whole, word: string, id: string) => {
    const name = nameOf(id);
    return name === undefined ? whole : `${word} ${name}`;
  });
}
