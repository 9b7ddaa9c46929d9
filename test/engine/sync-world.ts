/**
 * A small random world for property tests: two fake systems seeded with contacts, users, persons
 * and tickets, random edits on both sides, cycles, injected failures and crashes; and the checks
 * of design.md's invariants (no duplicates, convergence, no lost update, idempotence).
 */
import fc from 'fast-check';
import type { RecordRef, RecordType, SourceRecord, SystemName } from '../../src/core/model.js';
import { SyncError } from '../../src/core/sync-error.js';
import { type CanonicalValue, canonicalEmail, canonicalPhone, canonicalText } from '../../src/core/transforms.js';
import { SyncEngine } from '../../src/engine/sync-engine.js';
import { openStore } from '../../src/store/open-store.js';
import type { StateStore } from '../../src/store/state-store.js';
import { CrashError, counterIds, FakeSystem, ManualClock } from './fake-system.js';

export interface WorldSeed {
  readonly contacts: number;
  readonly users: readonly { readonly contact: number | null; readonly inZendesk: boolean }[];
  readonly persons: readonly {
    readonly contact: number | null;
    readonly phone: string | null;
    readonly inZendesk: null | { readonly phone: string | null; readonly agent: boolean };
  }[];
  readonly tickets: readonly {
    readonly owner: number | null;
    readonly person: number | null;
    readonly minutes: string | null;
  }[];
}

export type Command =
  | { readonly kind: 'cycle' }
  | { readonly kind: 'tick'; readonly seconds: number }
  | { readonly kind: 'crash'; readonly where: 'before-write' | 'after-write' | 'store'; readonly at: number }
  | { readonly kind: 'refuse'; readonly code: 'transient' | 'validation' }
  | { readonly kind: 'contact-name'; readonly side: SystemName; readonly index: number }
  /** A cycle during which a person renames an organization in one system between Tandem's read and its write. */
  | { readonly kind: 'window-name'; readonly side: SystemName; readonly index: number }
  | { readonly kind: 'person-phone'; readonly side: SystemName; readonly index: number; readonly phone: string | null }
  | { readonly kind: 'person-email'; readonly side: SystemName; readonly index: number }
  | { readonly kind: 'person-contact'; readonly side: SystemName; readonly index: number; readonly target: number }
  | { readonly kind: 'user-email'; readonly index: number }
  | { readonly kind: 'ticket-title'; readonly side: SystemName; readonly index: number }
  | { readonly kind: 'ticket-due'; readonly index: number; readonly hours: number }
  | { readonly kind: 'add-contact' }
  | { readonly kind: 'add-ticket'; readonly owner: number; readonly person: number };

const phones = ['+47 22 33 44 55', '+4722334455', '22 33', '(22) 33', null, ''] as const;

export const worldSeed: fc.Arbitrary<WorldSeed> = fc.record({
  contacts: fc.integer({ min: 1, max: 3 }),
  users: fc.array(fc.record({ contact: fc.option(fc.nat(2), { nil: null }), inZendesk: fc.boolean() }), {
    maxLength: 2,
  }),
  persons: fc.array(
    fc.record({
      contact: fc.option(fc.nat(2), { nil: null }),
      phone: fc.constantFrom(...phones),
      inZendesk: fc.option(fc.record({ phone: fc.constantFrom(...phones), agent: fc.boolean() }), { nil: null }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  tickets: fc.array(
    fc.record({
      owner: fc.option(fc.nat(1), { nil: null }),
      person: fc.option(fc.nat(2), { nil: null }),
      minutes: fc.constantFrom('0', '30', '90', null),
    }),
    { maxLength: 2 },
  ),
});

const side = fc.constantFrom<SystemName>('superoffice', 'zendesk');
const index = fc.nat(5);

export const editCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('contact-name' as const), side, index }),
  fc.record({ kind: fc.constant('window-name' as const), side, index }),
  fc.record({ kind: fc.constant('person-phone' as const), side, index, phone: fc.constantFrom(...phones) }),
  fc.record({ kind: fc.constant('person-email' as const), side, index }),
  fc.record({ kind: fc.constant('person-contact' as const), side, index, target: index }),
  fc.record({ kind: fc.constant('user-email' as const), index }),
  fc.record({ kind: fc.constant('ticket-title' as const), side, index }),
  fc.record({ kind: fc.constant('ticket-due' as const), index, hours: fc.integer({ min: 1, max: 48 }) }),
  fc.constant({ kind: 'add-contact' as const }),
  fc.record({ kind: fc.constant('add-ticket' as const), owner: index, person: index }),
);

export const cycleCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.constant({ kind: 'cycle' as const }),
  fc.record({ kind: fc.constant('tick' as const), seconds: fc.constantFrom(0, 1, 30, 600) }),
);

/** Crashes at any step and refused writes; `permanent` adds refusals that need a person (no convergence for those). */
export function faultCommand(permanent: boolean): fc.Arbitrary<Command> {
  return fc.oneof(
    fc.record({
      kind: fc.constant('crash' as const),
      where: fc.constantFrom('before-write' as const, 'after-write' as const, 'store' as const),
      at: fc.integer({ min: 1, max: 40 }),
    }),
    fc.record({
      kind: fc.constant('refuse' as const),
      code: permanent
        ? fc.constantFrom('transient' as const, 'validation' as const)
        : fc.constant('transient' as const),
    }),
  );
}

/** One edit as people made it, in canonical form, for the lost-update check. */
export interface EditRecord {
  readonly ref: RecordRef;
  readonly attribute: string;
  readonly value: CanonicalValue;
  readonly sequence: number;
}

const mutatingStoreMethods = new Set([
  'ingestPage',
  'applyMatches',
  'markWanted',
  'commitPlans',
  'markOutboxAttempt',
  'completeOutbox',
  'beginCycle',
  'finishCycle',
]);

/** The store, failing like a killed process before its N-th state change. */
function crashingStore(store: StateStore, crashAt: number): StateStore {
  let calls = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (typeof property === 'string' && mutatingStoreMethods.has(property) && ++calls === crashAt) {
          return Promise.reject(new CrashError(`crash before ${property}`));
        }
        return (value as (...parameters: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export class World {
  readonly clock = new ManualClock();
  readonly superoffice = new FakeSystem('superoffice', this.clock.now, 2);
  readonly zendesk = new FakeSystem('zendesk', this.clock.now, 2);
  readonly edits: EditRecord[] = [];
  private readonly newId = counterIds();
  private sequence = 0;
  private counter = 0;
  private refusal: 'transient' | 'validation' | undefined;
  crashes = 0;

  constructor(readonly store: StateStore) {
    this.zendesk.feedLagSeconds = 90; // like Zendesk's incremental exports, a little more than a cycle
    this.zendesk.failureRule = (_type, operation) => {
      if (this.refusal === undefined) return undefined;
      const code = this.refusal;
      this.refusal = undefined;
      return new SyncError(code, `refused ${operation.key}`);
    };
  }

  private engine(store: StateStore = this.store): SyncEngine {
    return new SyncEngine({
      store,
      superoffice: this.superoffice,
      zendesk: this.zendesk,
      clock: this.clock.now,
      newId: this.newId,
    });
  }

  seed(seed: WorldSeed): void {
    const contacts: string[] = [];
    for (let i = 0; i < seed.contacts; i++) contacts.push(this.superoffice.add('contact', { Name: `Contact ${i}` }));
    const contactAt = (position: number | null) =>
      position === null ? null : (contacts[position % contacts.length] ?? null);
    const users: string[] = [];
    seed.users.forEach((user, i) => {
      const email = `user${i}@acme.test`;
      users.push(
        this.superoffice.add(
          'user',
          { personEmail: email, contactId: contactAt(user.contact) },
          { modifiedAt: null, facts: { label: `User ${i}` } },
        ),
      );
      if (user.inZendesk)
        this.zendesk.add(
          'user',
          { email: email.toUpperCase(), phone: null, organization_id: null },
          { facts: { isAgent: true } },
        );
    });
    const persons: string[] = [];
    seed.persons.forEach((person, i) => {
      const email = `person${i}@acme.test`;
      persons.push(
        this.superoffice.add(
          'person',
          {
            'Contact.ContactId': contactAt(person.contact),
            'Emails.Value': email,
            'PrivatePhones.Value': person.phone,
          },
          { alternates: { 'Emails.Value': [email] }, facts: { label: `Person ${i}` } },
        ),
      );
      if (person.inZendesk !== null) {
        this.zendesk.add(
          'user',
          { email, phone: person.inZendesk.phone, organization_id: null },
          { facts: { isAgent: person.inZendesk.agent } },
        );
      }
    });
    seed.tickets.forEach((ticket, i) => {
      this.superoffice.add(
        'ticket',
        {
          'OwnedBy.AssociateId':
            ticket.owner === null || users.length === 0 ? null : (users[ticket.owner % users.length] ?? null),
          'Person.PersonId': ticket.person === null ? null : (persons[ticket.person % persons.length] ?? null),
          TimeToReply: ticket.minutes,
          Title: `Ticket ${i}`,
        },
        { facts: { createdAt: this.clock.now().toISOString(), label: `Ticket ${i}` } },
      );
    });
  }

  private pick(system: FakeSystem, type: RecordType, position: number): SourceRecord | undefined {
    const records = system.all(type);
    return records.length === 0 ? undefined : records[position % records.length];
  }

  /**
   * Edits a record; the edit is logged for the lost-update check when it changes the canonical
   * value and the record is linked to a record in the other system (an edit "across a link").
   */
  private async edit(
    system: FakeSystem,
    record: SourceRecord,
    path: string,
    value: string | null,
    attribute: string,
    canonical: (raw: string | null) => CanonicalValue,
  ): Promise<void> {
    const before = canonical(record.values[path] ?? null);
    system.edit(record.ref.type, record.ref.id, { [path]: value });
    const after = canonical(value);
    if (before === after || !(await this.linkedAcross(record.ref))) return;
    this.edits.push({ ref: record.ref, attribute, value: after, sequence: ++this.sequence });
  }

  /** Linked to a record of the other system, and the pair was reconciled once (both have known values). */
  private async linkedAcross(ref: RecordRef): Promise<boolean> {
    const stored = await this.store.getRecord(ref);
    if (stored === undefined || stored.entityId === null || Object.keys(stored.known).length === 0) return false;
    const members = (await this.store.membersOf([stored.entityId])).get(stored.entityId) ?? [];
    for (const member of members) {
      if (member.ref.system === ref.system) continue;
      const partner = await this.store.getRecord(member.ref);
      if (partner !== undefined && Object.keys(partner.known).length > 0) return true;
    }
    return false;
  }

  /**
   * Runs a cycle in which a person renames an organization (or contact) right before Tandem's first
   * write to that system reaches it: after Tandem read it, before its write. Logged like any edit.
   */
  private async renameDuringWrite(sideName: SystemName, position: number, unique: number): Promise<void> {
    const system = sideName === 'superoffice' ? this.superoffice : this.zendesk;
    const type = sideName === 'superoffice' ? 'contact' : 'organization';
    const path = sideName === 'superoffice' ? 'Name' : 'name';
    const record = this.pick(system, type, position);
    if (record !== undefined) {
      const linked = await this.linkedAcross(record.ref);
      const value = `${sideName} window ${record.ref.id} v${unique}`;
      system.beforeNextWrite = () => {
        const current = system.get(type, record.ref.id);
        if (current === undefined || current.deleted) return;
        const before = canonicalText(current.values[path] ?? null);
        system.edit(type, record.ref.id, { [path]: value });
        if (linked && before !== canonicalText(value))
          this.edits.push({
            ref: record.ref,
            attribute: 'name',
            value: canonicalText(value),
            sequence: ++this.sequence,
          });
      };
    }
    this.clock.advance(60);
    try {
      await this.engine().runCycle();
    } finally {
      system.beforeNextWrite = undefined;
    }
  }

  /** Applies one command; a crash leaves the store as a killed process would. */
  async apply(command: Command): Promise<void> {
    const unique = ++this.counter;
    switch (command.kind) {
      case 'cycle':
        this.clock.advance(60);
        await this.engine().runCycle();
        return;
      case 'tick':
        this.clock.advance(command.seconds);
        return;
      case 'refuse':
        this.refusal = command.code;
        return;
      case 'crash': {
        this.clock.advance(60);
        if (command.where === 'before-write') this.zendesk.crashBeforeNextWrite = true;
        if (command.where === 'after-write') this.zendesk.crashAfterNextWrite = true;
        const store = command.where === 'store' ? crashingStore(this.store, command.at) : this.store;
        try {
          await this.engine(store).runCycle();
        } catch (error) {
          if (!(error instanceof CrashError) && !(error instanceof SyncError && error.cause instanceof CrashError))
            throw error;
          this.crashes++;
        }
        this.zendesk.crashBeforeNextWrite = false;
        this.zendesk.crashAfterNextWrite = false;
        return;
      }
      case 'window-name':
        await this.renameDuringWrite(command.side, command.index, unique);
        return;
      case 'contact-name': {
        if (command.side === 'superoffice') {
          const contact = this.pick(this.superoffice, 'contact', command.index);
          if (contact !== undefined)
            await this.edit(
              this.superoffice,
              contact,
              'Name',
              `Contact ${contact.ref.id} v${unique}`,
              'name',
              canonicalText,
            );
        } else {
          const org = this.pick(this.zendesk, 'organization', command.index);
          if (org !== undefined)
            await this.edit(this.zendesk, org, 'name', `Org ${org.ref.id} v${unique}`, 'name', canonicalText);
        }
        return;
      }
      case 'person-phone': {
        const system = command.side === 'superoffice' ? this.superoffice : this.zendesk;
        const record = this.pick(system, command.side === 'superoffice' ? 'person' : 'user', command.index);
        if (record !== undefined) {
          await this.edit(
            system,
            record,
            command.side === 'superoffice' ? 'PrivatePhones.Value' : 'phone',
            command.phone,
            'phone',
            canonicalPhone,
          );
        }
        return;
      }
      case 'person-email': {
        const system = command.side === 'superoffice' ? this.superoffice : this.zendesk;
        const record = this.pick(system, command.side === 'superoffice' ? 'person' : 'user', command.index);
        if (record !== undefined) {
          const email = `${command.side}-${record.ref.id}-v${unique}@acme.test`;
          await this.edit(
            system,
            record,
            command.side === 'superoffice' ? 'Emails.Value' : 'email',
            email,
            'email',
            canonicalEmail,
          );
        }
        return;
      }
      case 'user-email': {
        const user = this.pick(this.superoffice, 'user', command.index);
        if (user !== undefined)
          await this.edit(
            this.superoffice,
            user,
            'personEmail',
            `user-${user.ref.id}-v${unique}@acme.test`,
            'email',
            canonicalEmail,
          );
        return;
      }
      case 'person-contact': {
        if (command.side === 'superoffice') {
          const person = this.pick(this.superoffice, 'person', command.index);
          const contact = this.pick(this.superoffice, 'contact', command.target);
          if (person !== undefined && contact !== undefined) {
            await this.edit(this.superoffice, person, 'Contact.ContactId', contact.ref.id, 'organization', (raw) =>
              raw === null ? null : `contact:${raw}`,
            );
          }
        } else {
          const user = this.pick(this.zendesk, 'user', command.index);
          const org = this.pick(this.zendesk, 'organization', command.target);
          const origin = org?.facts?.externalId;
          if (user !== undefined && org !== undefined && typeof origin === 'string') {
            await this.edit(this.zendesk, user, 'organization_id', org.ref.id, 'organization', (raw) => {
              const found = raw === null ? undefined : this.zendesk.get('organization', raw)?.facts?.externalId;
              return raw === null ? null : `contact:${found?.split(':')[2] ?? `zendesk-${raw}`}`;
            });
          }
        }
        return;
      }
      case 'ticket-title': {
        if (command.side === 'superoffice') {
          const ticket = this.pick(this.superoffice, 'ticket', command.index);
          if (ticket !== undefined)
            await this.edit(this.superoffice, ticket, 'Title', `Title ${unique}`, 'subject', canonicalText);
        } else {
          const ticket = this.pick(this.zendesk, 'ticket', command.index);
          if (ticket !== undefined)
            await this.edit(this.zendesk, ticket, 'subject', `Subject ${unique}`, 'subject', canonicalText);
        }
        return;
      }
      case 'ticket-due': {
        const ticket = this.pick(this.zendesk, 'ticket', command.index);
        if (ticket !== undefined) {
          const due = `${new Date(this.clock.now().getTime() + command.hours * 3_600_000).toISOString().slice(0, 19)}Z`;
          await this.edit(this.zendesk, ticket, 'due_at', due, 'due', (raw) => raw);
        }
        return;
      }
      case 'add-contact':
        this.superoffice.add('contact', { Name: `New contact ${unique}` });
        return;
      case 'add-ticket': {
        const owner = this.pick(this.superoffice, 'user', command.owner);
        const person = this.pick(this.superoffice, 'person', command.person);
        this.superoffice.add(
          'ticket',
          {
            'OwnedBy.AssociateId': owner?.ref.id ?? null,
            'Person.PersonId': person?.ref.id ?? null,
            TimeToReply: '15',
            Title: `New ticket ${unique}`,
          },
          { facts: { createdAt: this.clock.now().toISOString() } },
        );
        return;
      }
    }
  }

  /** Edits stop: lets every back-off expire, then runs one clean cycle. */
  async settle(): ReturnType<SyncEngine['runCycle']> {
    this.refusal = undefined;
    this.clock.advance(2 * 3600);
    return this.engine().runCycle();
  }

  async cycle(): ReturnType<SyncEngine['runCycle']> {
    this.clock.advance(60);
    return this.engine().runCycle();
  }

  /** Write calls both fakes received so far. */
  writeCalls(): number {
    return this.superoffice.writeCalls + this.zendesk.writeCalls;
  }
}

// --- invariant checks (each returns a list of violations, empty when the invariant holds) ---

/** No duplicates: one Zendesk record per SuperOffice origin, one member per type per entity. */
export async function duplicateViolations(world: World): Promise<string[]> {
  const problems: string[] = [];
  for (const type of ['organization', 'user', 'ticket'] as const) {
    const seen = new Map<string, string>();
    for (const record of world.zendesk.all(type)) {
      const handle = record.facts?.externalId;
      if (typeof handle !== 'string') continue;
      const other = seen.get(handle.toLowerCase());
      if (other !== undefined) problems.push(`zendesk ${type} ${other} and ${record.ref.id} both carry ${handle}`);
      seen.set(handle.toLowerCase(), record.ref.id);
    }
  }
  const entityIds = new Set<string>();
  for (const system of [world.superoffice, world.zendesk]) {
    for (const type of system.system === 'superoffice'
      ? (['contact', 'user', 'person', 'ticket'] as const)
      : (['organization', 'user', 'ticket'] as const)) {
      for (const record of system.all(type)) {
        const stored = await world.store.getRecord(record.ref);
        if (stored?.entityId) entityIds.add(stored.entityId);
      }
    }
  }
  const members = await world.store.membersOf([...entityIds]);
  for (const [entityId, list] of members) {
    const types = list.map((member) => `${member.ref.system}:${member.ref.type}`);
    if (new Set(types).size !== types.length)
      problems.push(`entity ${entityId} has two members of one type: ${types.join(', ')}`);
  }
  return problems;
}

async function zendeskPartner(world: World, ref: RecordRef, type: RecordType): Promise<SourceRecord | undefined> {
  const stored = await world.store.getRecord(ref);
  if (stored?.entityId === null || stored === undefined) return undefined;
  const members = (await world.store.membersOf([stored.entityId])).get(stored.entityId) ?? [];
  const member = members.find((candidate) => candidate.ref.system === 'zendesk' && candidate.ref.type === type);
  return member === undefined ? undefined : world.zendesk.get(type, member.ref.id);
}

function contactOfOrganization(world: World, organizationId: string | null | undefined): string | null {
  if (organizationId === null || organizationId === undefined) return null;
  const handle = world.zendesk.get('organization', organizationId)?.facts?.externalId;
  return typeof handle === 'string' ? (handle.split(':')[2] ?? null) : `zendesk-${organizationId}`;
}

/** Convergence: every SuperOffice record and its Zendesk partner agree on every mapped attribute. */
export async function disagreements(world: World): Promise<string[]> {
  const problems: string[] = [];
  const expect = (label: string, left: CanonicalValue | undefined, right: CanonicalValue | undefined) => {
    if (left !== right) problems.push(`${label}: ${String(left)} vs ${String(right)}`);
  };
  for (const contact of world.superoffice.all('contact')) {
    const org = await zendeskPartner(world, contact.ref, 'organization');
    if (org === undefined) {
      problems.push(`contact ${contact.ref.id} has no organization`);
      continue;
    }
    expect(
      `contact ${contact.ref.id} name`,
      canonicalText(contact.values.Name ?? null),
      canonicalText(org.values.name ?? null),
    );
  }
  for (const user of world.superoffice.all('user')) {
    const partner = await zendeskPartner(world, user.ref, 'user');
    if (partner === undefined) {
      problems.push(`user ${user.ref.id} has no Zendesk user`);
      continue;
    }
    expect(
      `user ${user.ref.id} email`,
      canonicalEmail(user.values.personEmail ?? null),
      canonicalEmail(partner.values.email ?? null),
    );
    expect(
      `user ${user.ref.id} organization`,
      user.values.contactId ?? null,
      contactOfOrganization(world, partner.values.organization_id),
    );
  }
  for (const person of world.superoffice.all('person')) {
    const partner = await zendeskPartner(world, person.ref, 'user');
    if (partner === undefined) continue; // persons on no ticket stay in SuperOffice only
    expect(
      `person ${person.ref.id} email`,
      canonicalEmail(person.values['Emails.Value'] ?? null),
      canonicalEmail(partner.values.email ?? null),
    );
    expect(
      `person ${person.ref.id} phone`,
      canonicalPhone(person.values['PrivatePhones.Value'] ?? null),
      canonicalPhone(partner.values.phone ?? null),
    );
    expect(
      `person ${person.ref.id} organization`,
      person.values['Contact.ContactId'] ?? null,
      contactOfOrganization(world, partner.values.organization_id),
    );
  }
  for (const ticket of world.superoffice.all('ticket')) {
    const partner = await zendeskPartner(world, ticket.ref, 'ticket');
    if (partner === undefined) {
      problems.push(`ticket ${ticket.ref.id} has no Zendesk ticket`);
      continue;
    }
    expect(
      `ticket ${ticket.ref.id} subject`,
      canonicalText(ticket.values.Title ?? null),
      canonicalText(partner.values.subject ?? null),
    );
    const owner = ticket.values['OwnedBy.AssociateId'];
    const requester =
      owner === null || owner === undefined
        ? undefined
        : await zendeskPartner(world, { system: 'superoffice', type: 'user', id: owner }, 'user');
    expect(`ticket ${ticket.ref.id} requester`, requester?.ref.id ?? null, partner.values.requester_id ?? null);
    const person = ticket.values['Person.PersonId'];
    const assignee =
      person === null || person === undefined
        ? undefined
        : await zendeskPartner(world, { system: 'superoffice', type: 'person', id: person }, 'user');
    expect(
      `ticket ${ticket.ref.id} assignee`,
      assignee?.facts?.isAgent === true ? assignee.ref.id : null,
      partner.values.assignee_id ?? null,
    );
  }
  return problems;
}

/**
 * No lost update: for every attribute people edited, the value the systems agree on is the
 * last edit, unless a conflict on that entity and attribute was recorded.
 */
export async function lostUpdates(world: World): Promise<string[]> {
  const problems: string[] = [];
  const last = new Map<string, EditRecord>();
  const entityOf = new Map<string, string>();
  for (const edit of world.edits) {
    const stored = await world.store.getRecord(edit.ref);
    if (stored?.entityId === null || stored === undefined) continue;
    entityOf.set(`${stored.entityId}|${edit.attribute}`, stored.entityId);
    const key = `${stored.entityId}|${edit.attribute}`;
    const previous = last.get(key);
    if (previous === undefined || previous.sequence < edit.sequence) last.set(key, edit);
  }
  for (const [key, edit] of last) {
    const entityId = entityOf.get(key) as string;
    const current = await currentValue(world, edit);
    if (current === edit.value) continue;
    const history = await world.store.historyOf(entityId);
    const recorded = history.some((entry) => entry.event === 'conflict' && entry.attribute === edit.attribute);
    if (!recorded)
      problems.push(
        `${edit.ref.system}:${edit.ref.type}:${edit.ref.id} ${edit.attribute}: edited to ${String(edit.value)}, now ${String(current)}, no conflict recorded`,
      );
  }
  return problems;
}

/** The edited record's value now, in the canonical form the edit was recorded in. */
async function currentValue(world: World, edit: EditRecord): Promise<CanonicalValue> {
  const system = edit.ref.system === 'superoffice' ? world.superoffice : world.zendesk;
  const record = system.get(edit.ref.type, edit.ref.id);
  const values = record?.values ?? {};
  switch (edit.attribute) {
    case 'name':
      return canonicalText(values.Name ?? values.name ?? null);
    case 'phone':
      return canonicalPhone(values['PrivatePhones.Value'] ?? values.phone ?? null);
    case 'email':
      return canonicalEmail(values['Emails.Value'] ?? values.personEmail ?? values.email ?? null);
    case 'subject':
      return canonicalText(values.Title ?? values.subject ?? null);
    case 'due':
      return values.due_at ?? null;
    case 'organization': {
      if (edit.ref.system === 'superoffice') {
        const contact = values['Contact.ContactId'] ?? null;
        return contact === null ? null : `contact:${contact}`;
      }
      const contact = contactOfOrganization(world, values.organization_id);
      return contact === null ? null : `contact:${contact}`;
    }
    default:
      return null;
  }
}

/** Runs per property: 1,000 in CI; TANDEM_PROPERTY_RUNS lowers it for a quick local try. */
export const propertyRuns = Number(process.env.TANDEM_PROPERTY_RUNS ?? 1000);

/** Edits, cycles and (unless `faults` is 'none') crashes and refusals, interleaved. */
export const history = (faults: 'none' | 'recoverable' | 'any'): fc.Arbitrary<Command[]> =>
  fc.array(
    faults === 'none'
      ? fc.oneof({ arbitrary: editCommand, weight: 5 }, { arbitrary: cycleCommand, weight: 3 })
      : fc.oneof(
          { arbitrary: editCommand, weight: 5 },
          { arbitrary: cycleCommand, weight: 3 },
          { arbitrary: faultCommand(faults === 'any'), weight: 2 },
        ),
    { maxLength: 8 },
  );

/** A world from a seed, with the commands applied, on a fresh in-memory store. */
export async function play(seed: WorldSeed, commands: readonly Command[]): Promise<World> {
  const world = new World(await openStore(':memory:'));
  world.seed(seed);
  for (const command of commands) await world.apply(command);
  return world;
}
