/**
 * The simulated account's records and the rules Zendesk applies when they are written
 * (zendesk-api.md §2, §6). Routes and bulk jobs both go through these methods, so a rule holds
 * the same whether a record arrives one by one or inside a job.
 */

import type { SeededRandom } from '../seeded-random.js';
import type { FieldErrors } from './error-bodies.js';
import type { IdentityInput, OrganizationInput, TicketInput, UserInput } from './request-bodies.js';
import { epochSeconds, type SimulatorClock, zendeskTimestamp } from './simulator-clock.js';

export type UserRole = 'end-user' | 'agent' | 'admin';
export type TicketType = 'problem' | 'incident' | 'question' | 'task';
export type TicketStatus = 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed' | 'deleted';

export interface SimulatedUser {
  readonly id: number;
  name: string;
  phone: string | null;
  organization_id: number | null;
  role: UserRole;
  /** §2.1: agents' kind; 1 light, 2 chat-only, 3 contributor are never assignable (ZD-LA). Null: not set. */
  role_type: number | null;
  external_id: string | null;
  active: boolean;
  verified: boolean;
  time_zone: string;
  locale: string;
  tags: string[];
  notes: string | null;
  details: string | null;
  created_at: number;
  updated_at: number;
}

export interface SimulatedIdentity {
  readonly id: number;
  readonly user_id: number;
  readonly type: 'email';
  value: string;
  verified: boolean;
  primary: boolean;
  readonly created_at: number;
  updated_at: number;
}

export interface SimulatedOrganization {
  readonly id: number;
  name: string;
  external_id: string | null;
  details: string | null;
  notes: string | null;
  domain_names: string[];
  tags: string[];
  shared_tickets: boolean;
  shared_comments: boolean;
  created_at: number;
  updated_at: number;
}

export interface SimulatedComment {
  readonly id: number;
  readonly author_id: number;
  readonly body: string;
  readonly public: boolean;
  readonly created_at: number;
}

export interface SimulatedTicket {
  readonly id: number;
  external_id: string | null;
  type: TicketType | null;
  subject: string | null;
  description: string;
  priority: 'urgent' | 'high' | 'normal' | 'low' | null;
  status: TicketStatus;
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  organization_id: number | null;
  group_id: number | null;
  due_at: number | null;
  tags: string[];
  is_public: boolean;
  comments: SimulatedComment[];
  created_at: number;
  updated_at: number;
  /** Bumped by every change; the ticket export orders by it (§4.1). */
  generated_timestamp: number;
}

export interface SimulatedGroup {
  readonly id: number;
  name: string;
  readonly created_at: number;
}

export interface SimulatedGroupMembership {
  readonly id: number;
  readonly user_id: number;
  readonly group_id: number;
  readonly created_at: number;
}

export interface SimulatorKnobs {
  /**
   * Deleting an organization also bumps `updated_at` of the users it leaves without one, so the user
   * export reports them. Zendesk documents that the users lose the organization, not whether they
   * show as changed; the harsher reading (they do: a sync sees `organization_id: null` at once).
   */
  organizationDeleteTouchesUsers: boolean;
  /**
   * `tickets/update_many` honours `safe_update`/`updated_stamp` per item. Documented for Update
   * Ticket only (§6.3); the harsher reading is that the bulk endpoint ignores them (false).
   */
  bulkTicketUpdatesHonourSafeUpdate: boolean;
}

export type WriteResult<T> =
  | { readonly kind: 'ok'; readonly record: T; readonly created: boolean }
  | { readonly kind: 'invalid'; readonly errors: FieldErrors }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'conflict' };

const emailPattern = /^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/;
const lower = (value: string) => value.trim().toLowerCase();

function addError(errors: FieldErrors, field: string, description: string, error?: string): void {
  const entry = error === undefined ? { description } : { description, error };
  errors[field] = [...(errors[field] ?? []), entry];
}

const hasErrors = (errors: FieldErrors) => Object.keys(errors).length > 0;

/**
 * Ids look like Zendesk's: users, organizations and identities get ~13-digit ids that grow in
 * uneven steps; tickets get a small per-account sequence (§1 "IDs").
 */
class IdSequence {
  #next: number;
  readonly #random: SeededRandom | undefined;

  constructor(start: number, random?: SeededRandom) {
    this.#next = start;
    this.#random = random;
  }

  take(): number {
    const id = this.#next;
    this.#next += this.#random === undefined ? 1 : this.#random.integer(1_000, 90_000);
    return id;
  }
}

export class ZendeskState {
  readonly users = new Map<number, SimulatedUser>();
  readonly identities = new Map<number, SimulatedIdentity>();
  readonly organizations = new Map<number, SimulatedOrganization>();
  readonly tickets = new Map<number, SimulatedTicket>();
  readonly groups = new Map<number, SimulatedGroup>();
  readonly groupMemberships = new Map<number, SimulatedGroupMembership>();
  /** Behaviours the documentation leaves open; each defaults to the reading harsher on a client. */
  readonly knobs: SimulatorKnobs = {
    organizationDeleteTouchesUsers: true,
    bulkTicketUpdatesHonourSafeUpdate: false,
  };
  /** Set once the server listens; record `url` members are built from it. */
  baseUrl = 'http://127.0.0.1';
  readonly accountId = 18525119;

  readonly #clock: SimulatorClock;
  readonly #userIds: IdSequence;
  readonly #organizationIds: IdSequence;
  readonly #identityIds: IdSequence;
  readonly #ticketIds = new IdSequence(1);
  readonly #groupIds = new IdSequence(360_000_000_000);
  readonly #membershipIds = new IdSequence(370_000_000_000);
  readonly #commentIds: IdSequence;
  /** Lower-cased e-mail -> identity id, across every user (e-mails are unique, §2.1). */
  readonly #emailIndex = new Map<string, number>();
  readonly #userExternalIndex = new Map<string, number>();
  readonly #organizationNameIndex = new Map<string, number>();
  readonly #organizationExternalIndex = new Map<string, number>();

  constructor(clock: SimulatorClock, random: SeededRandom) {
    this.#clock = clock;
    this.#userIds = new IdSequence(361_000_000_000_0 + random.integer(0, 9_999_999), random);
    this.#organizationIds = new IdSequence(613_000_000_000_0 + random.integer(0, 9_999_999), random);
    this.#identityIds = new IdSequence(390_000_000_000 + random.integer(0, 9_999_999), random);
    this.#commentIds = new IdSequence(2_000_000_000_000, random);
  }

  now(): number {
    return this.#clock.now();
  }

  // ---- users ----------------------------------------------------------------------------------

  primaryEmail(userId: number): string | null {
    for (const identity of this.identities.values()) {
      if (identity.user_id === userId && identity.primary) return identity.value;
    }
    return null;
  }

  identitiesOf(userId: number): SimulatedIdentity[] {
    return [...this.identities.values()].filter((identity) => identity.user_id === userId);
  }

  findUserByEmail(email: string): SimulatedUser | undefined {
    const identityId = this.#emailIndex.get(lower(email));
    const identity = identityId === undefined ? undefined : this.identities.get(identityId);
    return identity === undefined ? undefined : this.users.get(identity.user_id);
  }

  findUserByExternalId(externalId: string): SimulatedUser | undefined {
    const userId = this.#userExternalIndex.get(lower(externalId));
    return userId === undefined ? undefined : this.users.get(userId);
  }

  #checkEmail(errors: FieldErrors, email: string, ownerId: number | undefined): void {
    if (!emailPattern.test(email.trim())) {
      // §6.2: the malformed-email entry carries no `error` code.
      addError(errors, 'email', `Email: ${email} is not properly formatted`);
      return;
    }
    const holder = this.findUserByEmail(email);
    if (holder !== undefined && holder.id !== ownerId) {
      addError(errors, 'email', `Email: ${email} is already being used by another user`, 'DuplicateValue');
    }
  }

  #checkUserFields(errors: FieldErrors, input: UserInput, ownerId: number | undefined): void {
    if (input.name !== undefined && input.name.trim() === '') {
      addError(errors, 'name', 'Name: is too short (minimum is 1 characters)');
    }
    if (input.email !== undefined && input.email !== null) this.#checkEmail(errors, input.email, ownerId);
    for (const identity of input.identities ?? []) {
      if (identity.type === 'email') this.#checkEmail(errors, identity.value, ownerId);
    }
    if (input.external_id !== undefined && input.external_id !== null) {
      const holder = this.findUserByExternalId(input.external_id);
      // §2.1: external_id is unique and case-insensitive. The wording is assumed (§10).
      if (holder !== undefined && holder.id !== ownerId) {
        addError(errors, 'external_id', `External: ${input.external_id} has already been taken`, 'DuplicateValue');
      }
    }
    if (
      input.organization_id !== undefined &&
      input.organization_id !== null &&
      !this.organizations.has(input.organization_id)
    ) {
      addError(errors, 'organization_id', 'Organization: is invalid', 'InvalidValue');
    }
  }

  #addIdentity(userId: number, value: string, primary: boolean, verified: boolean): SimulatedIdentity {
    const now = this.now();
    const identity: SimulatedIdentity = {
      id: this.#identityIds.take(),
      user_id: userId,
      type: 'email',
      value: value.trim(),
      verified,
      primary,
      created_at: now,
      updated_at: now,
    };
    this.identities.set(identity.id, identity);
    this.#emailIndex.set(lower(value), identity.id);
    return identity;
  }

  #setUserExternalId(user: SimulatedUser, externalId: string | null): void {
    if (user.external_id !== null) this.#userExternalIndex.delete(lower(user.external_id));
    user.external_id = externalId;
    if (externalId !== null) this.#userExternalIndex.set(lower(externalId), user.id);
  }

  createUser(input: UserInput, createdAt = this.now()): WriteResult<SimulatedUser> {
    const errors: FieldErrors = {};
    if (input.name === undefined) addError(errors, 'name', 'Name: is too short (minimum is 1 characters)');
    this.#checkUserFields(errors, input, undefined);
    if (hasErrors(errors)) return { kind: 'invalid', errors };
    const user: SimulatedUser = {
      id: this.#userIds.take(),
      name: (input.name ?? '').trim(),
      phone: input.phone ?? null,
      organization_id: input.organization_id ?? null,
      role: input.role ?? 'end-user',
      role_type: input.role_type ?? null,
      external_id: null,
      active: true,
      verified: input.verified === true,
      time_zone: input.time_zone ?? 'Europe/Oslo',
      locale: input.locale ?? 'en-US',
      tags: input.tags ?? [],
      notes: input.notes ?? null,
      details: input.details ?? null,
      created_at: createdAt,
      updated_at: createdAt,
    };
    this.users.set(user.id, user);
    this.#setUserExternalId(user, input.external_id ?? null);
    const emails = [
      ...(input.email === undefined || input.email === null ? [] : [input.email]),
      ...(input.identities ?? []).filter((identity) => identity.type === 'email').map((identity) => identity.value),
    ];
    emails.forEach((email, index) => {
      if (this.findUserByEmail(email) === undefined) this.#addIdentity(user.id, email, index === 0, user.verified);
    });
    return { kind: 'ok', record: user, created: true };
  }

  /**
   * §2.1 / trap 3: `email` on an update adds a secondary identity and leaves the primary as it
   * was; only a user without any e-mail gets it as primary.
   */
  updateUser(id: number, input: UserInput): WriteResult<SimulatedUser> {
    const user = this.users.get(id);
    if (user === undefined || !user.active) return { kind: 'not_found' };
    const errors: FieldErrors = {};
    this.#checkUserFields(errors, input, id);
    if (hasErrors(errors)) return { kind: 'invalid', errors };
    let changed = false;
    const assign = <K extends keyof SimulatedUser>(key: K, value: SimulatedUser[K] | undefined) => {
      if (value === undefined || user[key] === value) return;
      user[key] = value;
      changed = true;
    };
    assign('name', input.name?.trim());
    assign('phone', input.phone);
    assign('organization_id', input.organization_id);
    assign('role', input.role);
    assign('role_type', input.role_type);
    assign('notes', input.notes);
    assign('details', input.details);
    assign('time_zone', input.time_zone);
    if (input.tags !== undefined) {
      user.tags = input.tags;
      changed = true;
    }
    if (input.external_id !== undefined && input.external_id !== user.external_id) {
      this.#setUserExternalId(user, input.external_id);
      changed = true;
    }
    if (input.email !== undefined && input.email !== null) {
      const holder = this.findUserByEmail(input.email);
      if (holder === undefined) {
        this.#addIdentity(id, input.email, this.primaryEmail(id) === null, false);
        changed = true;
      }
    }
    if (changed) user.updated_at = this.now();
    return { kind: 'ok', record: user, created: false };
  }

  /** §3 upsert: matched by external_id, then by e-mail (the precedence is not documented, §10). */
  createOrUpdateUser(input: UserInput): WriteResult<SimulatedUser> {
    const match =
      (input.external_id === undefined || input.external_id === null
        ? undefined
        : this.findUserByExternalId(input.external_id)) ??
      (input.email === undefined || input.email === null ? undefined : this.findUserByEmail(input.email));
    if (match === undefined || !match.active) return this.createUser(input);
    const result = this.updateUser(match.id, input);
    // §2.1: create_or_update re-cases the stored external_id to the case used in the lookup.
    if (result.kind === 'ok' && input.external_id !== undefined && input.external_id !== null) {
      this.#setUserExternalId(match, input.external_id);
    }
    return result;
  }

  /** §8: a soft delete; the user stays with `active:false` and loses its e-mail identities. */
  deleteUser(id: number): SimulatedUser | undefined {
    const user = this.users.get(id);
    if (user === undefined || !user.active) return undefined;
    for (const identity of this.identitiesOf(id)) {
      this.identities.delete(identity.id);
      this.#emailIndex.delete(lower(identity.value));
    }
    user.active = false;
    user.updated_at = this.now();
    return user;
  }

  addIdentity(userId: number, input: IdentityInput): WriteResult<SimulatedIdentity> {
    const user = this.users.get(userId);
    if (user === undefined || !user.active) return { kind: 'not_found' };
    const errors: FieldErrors = {};
    if (input.type !== 'email') addError(errors, 'type', `Type: ${input.type} is not supported by this simulator`);
    else this.#checkEmail(errors, input.value, undefined);
    if (hasErrors(errors)) return { kind: 'invalid', errors };
    const primary = input.primary === true || this.primaryEmail(userId) === null;
    if (primary) for (const identity of this.identitiesOf(userId)) identity.primary = false;
    const identity = this.#addIdentity(userId, input.value, primary, input.verified === true);
    user.updated_at = this.now();
    return { kind: 'ok', record: identity, created: true };
  }

  makePrimary(userId: number, identityId: number): WriteResult<SimulatedIdentity> {
    const identity = this.identities.get(identityId);
    const user = this.users.get(userId);
    if (identity === undefined || identity.user_id !== userId || user === undefined) return { kind: 'not_found' };
    const now = this.now();
    for (const other of this.identitiesOf(userId)) {
      if (other.primary !== (other.id === identityId)) {
        other.primary = other.id === identityId;
        other.updated_at = now;
      }
    }
    user.updated_at = now;
    return { kind: 'ok', record: identity, created: false };
  }

  deleteIdentity(userId: number, identityId: number): boolean {
    const identity = this.identities.get(identityId);
    if (identity === undefined || identity.user_id !== userId) return false;
    this.identities.delete(identityId);
    this.#emailIndex.delete(lower(identity.value));
    const next = this.identitiesOf(userId)[0];
    if (identity.primary && next !== undefined) next.primary = true;
    const user = this.users.get(userId);
    if (user !== undefined) user.updated_at = this.now();
    return true;
  }

  // ---- organizations ---------------------------------------------------------------------------

  findOrganizationByName(name: string): SimulatedOrganization | undefined {
    const id = this.#organizationNameIndex.get(lower(name));
    return id === undefined ? undefined : this.organizations.get(id);
  }

  findOrganizationByExternalId(externalId: string): SimulatedOrganization | undefined {
    const id = this.#organizationExternalIndex.get(lower(externalId));
    return id === undefined ? undefined : this.organizations.get(id);
  }

  #checkOrganizationFields(errors: FieldErrors, input: OrganizationInput, ownerId: number | undefined): void {
    if (input.name !== undefined) {
      if (input.name.trim() === '') addError(errors, 'name', 'Name: is too short (minimum is 1 characters)');
      const holder = this.findOrganizationByName(input.name);
      // Trap 8 / §2.3: names are unique, compared case-insensitively.
      if (holder !== undefined && holder.id !== ownerId) {
        addError(errors, 'name', `Name: ${input.name} has already been taken`, 'DuplicateValue');
      }
    }
    if (input.external_id !== undefined && input.external_id !== null) {
      const holder = this.findOrganizationByExternalId(input.external_id);
      if (holder !== undefined && holder.id !== ownerId) {
        addError(errors, 'external_id', `External: ${input.external_id} has already been taken`, 'DuplicateValue');
      }
    }
  }

  #indexOrganization(organization: SimulatedOrganization, name: string, externalId: string | null): void {
    this.#organizationNameIndex.delete(lower(organization.name));
    if (organization.external_id !== null) this.#organizationExternalIndex.delete(lower(organization.external_id));
    organization.name = name;
    organization.external_id = externalId;
    this.#organizationNameIndex.set(lower(name), organization.id);
    if (externalId !== null) this.#organizationExternalIndex.set(lower(externalId), organization.id);
  }

  createOrganization(input: OrganizationInput, createdAt = this.now()): WriteResult<SimulatedOrganization> {
    const errors: FieldErrors = {};
    if (input.name === undefined) addError(errors, 'name', 'Name: is too short (minimum is 1 characters)');
    this.#checkOrganizationFields(errors, input, undefined);
    if (hasErrors(errors)) return { kind: 'invalid', errors };
    const organization: SimulatedOrganization = {
      id: this.#organizationIds.take(),
      name: '',
      external_id: null,
      details: input.details ?? null,
      notes: input.notes ?? null,
      domain_names: input.domain_names ?? [],
      tags: input.tags ?? [],
      shared_tickets: input.shared_tickets ?? false,
      shared_comments: input.shared_comments ?? false,
      created_at: createdAt,
      updated_at: createdAt,
    };
    this.organizations.set(organization.id, organization);
    this.#indexOrganization(organization, (input.name ?? '').trim(), input.external_id ?? null);
    return { kind: 'ok', record: organization, created: true };
  }

  updateOrganization(id: number, input: OrganizationInput): WriteResult<SimulatedOrganization> {
    const organization = this.organizations.get(id);
    if (organization === undefined) return { kind: 'not_found' };
    const errors: FieldErrors = {};
    this.#checkOrganizationFields(errors, input, id);
    if (hasErrors(errors)) return { kind: 'invalid', errors };
    const name = input.name?.trim() ?? organization.name;
    const externalId = input.external_id === undefined ? organization.external_id : input.external_id;
    let changed = name !== organization.name || externalId !== organization.external_id;
    this.#indexOrganization(organization, name, externalId);
    for (const key of ['details', 'notes', 'shared_tickets', 'shared_comments'] as const) {
      const value = input[key];
      if (value !== undefined && organization[key] !== value) {
        Object.assign(organization, { [key]: value });
        changed = true;
      }
    }
    if (input.domain_names !== undefined) organization.domain_names = input.domain_names;
    if (input.tags !== undefined) organization.tags = input.tags;
    if (changed || input.domain_names !== undefined || input.tags !== undefined) organization.updated_at = this.now();
    return { kind: 'ok', record: organization, created: false };
  }

  /** §8: organizations are removed outright (204); members lose the membership. */
  deleteOrganization(id: number): boolean {
    const organization = this.organizations.get(id);
    if (organization === undefined) return false;
    this.#indexOrganization(organization, organization.name, null);
    this.#organizationNameIndex.delete(lower(organization.name));
    this.organizations.delete(id);
    const now = this.now();
    for (const user of this.users.values()) {
      if (user.organization_id !== id) continue;
      user.organization_id = null;
      if (this.knobs.organizationDeleteTouchesUsers) user.updated_at = now;
    }
    return true;
  }

  // ---- groups (zendesk-api.md §6.2: an assignee must be a member of the ticket's group) --------

  createGroup(name: string): SimulatedGroup {
    const group: SimulatedGroup = { id: this.#groupIds.take(), name, created_at: this.now() };
    this.groups.set(group.id, group);
    return group;
  }

  addGroupMembership(groupId: number, userId: number): WriteResult<SimulatedGroupMembership> {
    const user = this.users.get(userId);
    if (!this.groups.has(groupId) || user === undefined) return { kind: 'not_found' };
    if (user.role === 'end-user') {
      return {
        kind: 'invalid',
        errors: { user_id: [{ description: 'User: must be an agent', error: 'InvalidValue' }] },
      };
    }
    const existing = this.membershipsOfGroup(groupId).find((membership) => membership.user_id === userId);
    if (existing !== undefined) return { kind: 'ok', record: existing, created: false };
    const membership: SimulatedGroupMembership = {
      id: this.#membershipIds.take(),
      user_id: userId,
      group_id: groupId,
      created_at: this.now(),
    };
    this.groupMemberships.set(membership.id, membership);
    return { kind: 'ok', record: membership, created: true };
  }

  membershipsOfGroup(groupId: number): SimulatedGroupMembership[] {
    return [...this.groupMemberships.values()].filter((membership) => membership.group_id === groupId);
  }

  groupMembershipJson(membership: SimulatedGroupMembership) {
    return {
      url: `${this.baseUrl}/api/v2/group_memberships/${membership.id}.json`,
      id: membership.id,
      user_id: membership.user_id,
      group_id: membership.group_id,
      default: false,
      created_at: zendeskTimestamp(membership.created_at),
      updated_at: zendeskTimestamp(membership.created_at),
    };
  }

  // ---- tickets ---------------------------------------------------------------------------------

  /** ZD-LA: light agents, chat-only agents and contributors (role_type 1, 2, 3) cannot be assigned tickets. */
  #isAssignable(userId: number): boolean {
    const user = this.users.get(userId);
    if (user?.active !== true || (user.role !== 'agent' && user.role !== 'admin')) return false;
    return user.role_type === null || ![1, 2, 3].includes(user.role_type);
  }

  #parseDueAt(errors: FieldErrors, value: string | null | undefined): number | null | undefined {
    if (value === undefined || value === null) return value;
    const parsed = Date.parse(value);
    if (Number.isNaN(parsed)) {
      addError(errors, 'due_at', `Due at: ${value} is not a valid date`, 'InvalidValue');
      return undefined;
    }
    return parsed;
  }

  /** `groupId`: the group the ticket will have after the write (null: none). */
  #checkTicketPeople(errors: FieldErrors, input: TicketInput, groupId: number | null, assigneeId: number | null): void {
    if (input.requester_id !== undefined && input.requester_id !== null) {
      const requester = this.users.get(input.requester_id);
      if (requester === undefined || !requester.active) {
        addError(errors, 'requester', 'Requester: is invalid', 'InvalidValue');
      }
    }
    if (groupId !== null && !this.groups.has(groupId)) addError(errors, 'group', 'Group: is invalid', 'InvalidValue');
    if (assigneeId === null) return;
    if (!this.#isAssignable(assigneeId)) {
      // §6.2 (zenpy#628): a non-agent assignee is refused with InvalidValue; so are light agents,
      // chat-only agents and contributors, who "can't be assigned" tickets (ZD-LA).
      addError(errors, 'assignee', 'Assignee: is invalid', 'InvalidValue');
    } else if (
      groupId !== null &&
      !this.membershipsOfGroup(groupId).some((membership) => membership.user_id === assigneeId)
    ) {
      addError(errors, 'assignee', 'Assignee: is not a member of the group'); // zenpy#628
    }
  }

  createTicket(input: TicketInput, callerId: number, createdAt = this.now()): WriteResult<SimulatedTicket> {
    const errors: FieldErrors = {};
    const body = input.comment?.body ?? input.comment?.html_body ?? input.description;
    // §2.4: a ticket create needs a comment; cloudbees#98 records this wording.
    if (body === undefined || body.trim() === '') addError(errors, 'description', 'Description: cannot be blank');
    this.#checkTicketPeople(errors, input, input.group_id ?? null, input.assignee_id ?? null);
    const dueAt = this.#parseDueAt(errors, input.due_at);
    if (hasErrors(errors)) return { kind: 'invalid', errors };
    const requesterId = input.requester_id ?? callerId;
    const type = input.type ?? null;
    const assigneeId = input.assignee_id ?? null;
    const isPublic = input.comment?.public ?? true;
    const ticket: SimulatedTicket = {
      id: this.#ticketIds.take(),
      external_id: input.external_id ?? null,
      type,
      subject: input.subject ?? null,
      description: body ?? '',
      priority: input.priority ?? null,
      status: input.status ?? (assigneeId === null ? 'new' : 'open'),
      requester_id: requesterId,
      submitter_id: input.submitter_id ?? callerId,
      assignee_id: assigneeId,
      organization_id: input.organization_id ?? this.users.get(requesterId)?.organization_id ?? null,
      group_id: input.group_id ?? null,
      // §2.4 and §10: due_at only means something on tasks; this simulator drops it elsewhere.
      due_at: type === 'task' ? (dueAt ?? null) : null,
      tags: input.tags ?? [],
      is_public: isPublic,
      comments: [
        { id: this.#commentIds.take(), author_id: callerId, body: body ?? '', public: isPublic, created_at: createdAt },
      ],
      created_at: createdAt,
      updated_at: createdAt,
      generated_timestamp: epochSeconds(createdAt),
    };
    this.tickets.set(ticket.id, ticket);
    return { kind: 'ok', record: ticket, created: true };
  }

  updateTicket(id: number, input: TicketInput, callerId: number): WriteResult<SimulatedTicket> {
    const ticket = this.tickets.get(id);
    if (ticket === undefined || ticket.status === 'deleted') return { kind: 'not_found' };
    // §6.3: the stamp is checked whenever safe_update is present, true or false.
    if (
      input.safe_update !== undefined &&
      input.updated_stamp !== undefined &&
      Date.parse(input.updated_stamp) !== Math.floor(ticket.updated_at / 1000) * 1000
    ) {
      return { kind: 'conflict' };
    }
    const errors: FieldErrors = {};
    // Trap 10: closed tickets are frozen.
    if (ticket.status === 'closed') addError(errors, 'status', 'Status: closed prevents ticket update');
    const groupAfter = input.group_id === undefined ? ticket.group_id : input.group_id;
    const assigneeAfter = input.assignee_id === undefined ? ticket.assignee_id : input.assignee_id;
    // An assignee or group the write leaves as they are is not checked again.
    const checksAssignee = input.assignee_id !== undefined || input.group_id !== undefined;
    this.#checkTicketPeople(errors, input, groupAfter, checksAssignee ? assigneeAfter : null);
    const dueAt = this.#parseDueAt(errors, input.due_at);
    if (hasErrors(errors)) return { kind: 'invalid', errors };
    const before = JSON.stringify(ticket);
    if (input.subject !== undefined) ticket.subject = input.subject;
    if (input.requester_id !== undefined && input.requester_id !== null) ticket.requester_id = input.requester_id;
    if (input.assignee_id !== undefined) ticket.assignee_id = input.assignee_id;
    if (input.organization_id !== undefined) ticket.organization_id = input.organization_id;
    if (input.group_id !== undefined) ticket.group_id = input.group_id;
    if (input.external_id !== undefined) ticket.external_id = input.external_id;
    if (input.type !== undefined) ticket.type = input.type;
    if (input.priority !== undefined) ticket.priority = input.priority;
    if (input.status !== undefined) ticket.status = input.status;
    if (input.tags !== undefined) ticket.tags = input.tags;
    if (dueAt !== undefined) ticket.due_at = dueAt;
    if (ticket.type !== 'task') ticket.due_at = null;
    const body = input.comment?.body ?? input.comment?.html_body;
    if (body !== undefined) {
      ticket.comments.push({
        id: this.#commentIds.take(),
        author_id: callerId,
        body,
        public: input.comment?.public ?? ticket.is_public,
        created_at: this.now(),
      });
    }
    if (JSON.stringify(ticket) !== before) {
      ticket.updated_at = this.now();
      ticket.generated_timestamp = epochSeconds(ticket.updated_at);
    }
    return { kind: 'ok', record: ticket, created: false };
  }

  /** §8: a soft delete; the ticket stays in the export with `status:"deleted"`. */
  deleteTicket(id: number): boolean {
    const ticket = this.tickets.get(id);
    if (ticket === undefined || ticket.status === 'deleted') return false;
    ticket.status = 'deleted';
    ticket.updated_at = this.now();
    ticket.generated_timestamp = epochSeconds(ticket.updated_at);
    return true;
  }

  // ---- wire views (§2.1, §2.3, §2.4 recorded shapes) -------------------------------------------

  userJson(user: SimulatedUser, options: { inExport?: boolean } = {}) {
    const roleType = user.role_type ?? (user.role === 'admin' ? 4 : null);
    return {
      id: user.id,
      url: `${this.baseUrl}/api/v2/users/${user.id}.json`,
      name: user.name,
      email: user.active ? this.primaryEmail(user.id) : null,
      created_at: zendeskTimestamp(user.created_at),
      updated_at: zendeskTimestamp(user.updated_at),
      time_zone: user.time_zone,
      iana_time_zone: user.time_zone,
      phone: user.phone,
      shared_phone_number: user.phone === null ? null : false,
      photo: null,
      locale_id: 1,
      locale: user.locale,
      organization_id: user.organization_id,
      role: user.role,
      verified: user.verified,
      external_id: user.external_id,
      tags: user.tags,
      alias: null,
      active: user.active,
      shared: false,
      shared_agent: false,
      last_login_at: null,
      two_factor_auth_enabled: null,
      signature: null,
      details: user.details,
      notes: user.notes,
      role_type: user.active ? roleType : null,
      custom_role_id: null,
      moderator: user.role !== 'end-user',
      ticket_restriction: user.role === 'end-user' ? 'requested' : null,
      only_private_comments: false,
      restricted_agent: false,
      suspended: false,
      default_group_id: null,
      report_csv: user.role === 'admin',
      user_fields: {},
      // §2.1: present only on deleted users in incremental exports.
      ...(options.inExport === true && !user.active ? { permanently_deleted: false } : {}),
    };
  }

  identityJson(identity: SimulatedIdentity) {
    return {
      url: `${this.baseUrl}/api/v2/users/${identity.user_id}/identities/${identity.id}.json`,
      id: identity.id,
      user_id: identity.user_id,
      type: identity.type,
      value: identity.value,
      verified: identity.verified,
      primary: identity.primary,
      created_at: zendeskTimestamp(identity.created_at),
      updated_at: zendeskTimestamp(identity.updated_at),
      undeliverable_count: 0,
      deliverable_state: 'deliverable',
    };
  }

  organizationJson(organization: SimulatedOrganization) {
    return {
      url: `${this.baseUrl}/api/v2/organizations/${organization.id}.json`,
      id: organization.id,
      name: organization.name,
      shared_tickets: organization.shared_tickets,
      shared_comments: organization.shared_comments,
      external_id: organization.external_id,
      created_at: zendeskTimestamp(organization.created_at),
      updated_at: zendeskTimestamp(organization.updated_at),
      domain_names: organization.domain_names,
      details: organization.details,
      notes: organization.notes,
      group_id: null,
      tags: organization.tags,
      organization_fields: {},
    };
  }

  ticketJson(ticket: SimulatedTicket, options: { inExport?: boolean } = {}) {
    return {
      url: `${this.baseUrl}/api/v2/tickets/${ticket.id}.json`,
      id: ticket.id,
      external_id: ticket.external_id,
      via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
      created_at: zendeskTimestamp(ticket.created_at),
      updated_at: zendeskTimestamp(ticket.updated_at),
      type: ticket.type,
      subject: ticket.subject,
      raw_subject: ticket.subject,
      description: ticket.description,
      priority: ticket.priority,
      status: ticket.status,
      recipient: null,
      requester_id: ticket.requester_id,
      submitter_id: ticket.submitter_id,
      assignee_id: ticket.assignee_id,
      organization_id: ticket.organization_id,
      group_id: ticket.group_id,
      collaborator_ids: [],
      follower_ids: [],
      email_cc_ids: [],
      forum_topic_id: null,
      problem_id: null,
      has_incidents: false,
      is_public: ticket.is_public,
      due_at: ticket.due_at === null ? null : zendeskTimestamp(ticket.due_at),
      tags: ticket.tags,
      custom_fields: [],
      satisfaction_rating: null,
      sharing_agreement_ids: [],
      fields: [],
      followup_ids: [],
      allow_channelback: false,
      allow_attachments: true,
      from_messaging_channel: false,
      ...(options.inExport === true ? { generated_timestamp: ticket.generated_timestamp } : {}),
    };
  }

  /** The `audit` member of ticket create/update answers (§2.4), reduced to its frame. */
  auditJson(ticket: SimulatedTicket, authorId: number) {
    return {
      id: ticket.comments.at(-1)?.id ?? ticket.id,
      ticket_id: ticket.id,
      created_at: zendeskTimestamp(ticket.updated_at),
      author_id: authorId,
      via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
      events: [],
    };
  }
}
