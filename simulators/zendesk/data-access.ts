/**
 * Direct access to the simulated account for tests: read what Zendesk holds, and change records
 * "as a Zendesk agent would" in the web interface (each edit bumps `updated_at`, so it shows up in
 * the incremental exports once it leaves the withheld window).
 */
import type { IdentityInput, OrganizationInput, TicketInput, UserInput } from './request-bodies.js';
import type {
  SimulatedGroup,
  SimulatedIdentity,
  SimulatedOrganization,
  SimulatedTicket,
  SimulatedUser,
  SimulatorKnobs,
  WriteResult,
  ZendeskState,
} from './zendesk-state.js';

function unwrap<T>(result: WriteResult<T>, what: string): T {
  if (result.kind === 'ok') return result.record;
  const reason = result.kind === 'invalid' ? JSON.stringify(result.errors) : result.kind;
  throw new Error(`simulated Zendesk refused to ${what}: ${reason}`);
}

export class SimulatorData {
  readonly #state: ZendeskState;
  readonly #ownerId: number;

  constructor(state: ZendeskState, ownerId: number) {
    this.#state = state;
    this.#ownerId = ownerId;
  }

  /** The account owner (an admin): the caller behind OAuth tokens. */
  get ownerId(): number {
    return this.#ownerId;
  }

  users(): SimulatedUser[] {
    return [...this.#state.users.values()];
  }

  user(id: number): SimulatedUser | undefined {
    return this.#state.users.get(id);
  }

  userByExternalId(externalId: string): SimulatedUser | undefined {
    return this.#state.findUserByExternalId(externalId);
  }

  userByEmail(email: string): SimulatedUser | undefined {
    return this.#state.findUserByEmail(email);
  }

  primaryEmail(userId: number): string | null {
    return this.#state.primaryEmail(userId);
  }

  identities(userId: number): SimulatedIdentity[] {
    return this.#state.identitiesOf(userId);
  }

  /** A user as the API shows it (`GET /api/v2/users/{id}` body member). */
  userJson(id: number) {
    const user = this.#state.users.get(id);
    return user === undefined ? undefined : this.#state.userJson(user);
  }

  organizations(): SimulatedOrganization[] {
    return [...this.#state.organizations.values()];
  }

  organization(id: number): SimulatedOrganization | undefined {
    return this.#state.organizations.get(id);
  }

  organizationByExternalId(externalId: string): SimulatedOrganization | undefined {
    return this.#state.findOrganizationByExternalId(externalId);
  }

  tickets(): SimulatedTicket[] {
    return [...this.#state.tickets.values()];
  }

  ticket(id: number): SimulatedTicket | undefined {
    return this.#state.tickets.get(id);
  }

  ticketsByExternalId(externalId: string): SimulatedTicket[] {
    return this.tickets().filter((ticket) => ticket.external_id?.toLowerCase() === externalId.toLowerCase());
  }

  createUser(input: UserInput): SimulatedUser {
    return unwrap(this.#state.createUser(input), 'create the user');
  }

  /** Edits a user; `email` here changes the primary e-mail, as an agent does in the web interface. */
  editUser(id: number, input: UserInput): SimulatedUser {
    const { email, ...rest } = input;
    const user = unwrap(this.#state.updateUser(id, rest), 'edit the user');
    if (email !== undefined && email !== null && this.#state.primaryEmail(id)?.toLowerCase() !== email.toLowerCase()) {
      const old = this.#state.identitiesOf(id).find((identity) => identity.primary);
      const added = unwrap(
        this.#state.addIdentity(id, { type: 'email', value: email } satisfies IdentityInput),
        'add the e-mail',
      );
      this.#state.makePrimary(id, added.id);
      if (old !== undefined) this.#state.deleteIdentity(id, old.id);
    }
    return user;
  }

  deleteUser(id: number): void {
    if (this.#state.deleteUser(id) === undefined) throw new Error(`no active user ${id}`);
  }

  createOrganization(input: OrganizationInput): SimulatedOrganization {
    return unwrap(this.#state.createOrganization(input), 'create the organization');
  }

  editOrganization(id: number, input: OrganizationInput): SimulatedOrganization {
    return unwrap(this.#state.updateOrganization(id, input), 'edit the organization');
  }

  deleteOrganization(id: number): void {
    if (!this.#state.deleteOrganization(id)) throw new Error(`no organization ${id}`);
  }

  createTicket(input: TicketInput): SimulatedTicket {
    return unwrap(this.#state.createTicket(input, this.#ownerId), 'create the ticket');
  }

  editTicket(id: number, input: TicketInput): SimulatedTicket {
    return unwrap(this.#state.updateTicket(id, input, this.#ownerId), 'edit the ticket');
  }

  createGroup(name: string): SimulatedGroup {
    return this.#state.createGroup(name);
  }

  addGroupMember(groupId: number, userId: number): void {
    unwrap(this.#state.addGroupMembership(groupId, userId), 'add the group member');
  }

  /** Behaviours the documentation leaves open (zendesk-state.ts `SimulatorKnobs`); tests may switch them. */
  get knobs(): SimulatorKnobs {
    return this.#state.knobs;
  }

  deleteTicket(id: number): void {
    if (!this.#state.deleteTicket(id)) throw new Error(`no ticket ${id}`);
  }
}
