/**
 * Deterministic, realistic starting data for a simulated account: organizations with company
 * names, users with names, e-mails and phones (a few of them agents), and tickets between them.
 * The same seed always gives the same account. Everything is dated in the past, outside the
 * incremental exports' withheld window.
 */
import type { SeededRandom } from '../seeded-random.js';
import type { ZendeskState } from './zendesk-state.js';

const firstNames = [
  'Ingrid',
  'Ola',
  'Kari',
  'Lars',
  'Sofie',
  'Magnus',
  'Nora',
  'Henrik',
  'Emma',
  'Jonas',
  'Astrid',
  'Erik',
  'Maja',
  'Sindre',
  'Thea',
  'Anders',
  'Ida',
  'Mats',
  'Liv',
  'Oskar',
  'Hanna',
  'Petter',
  'Sara',
  'Tobias',
  'Amelia',
  'Noah',
  'Olivia',
  'Liam',
  'Ava',
  'Lucas',
  'Mia',
  'Elias',
  'Zara',
  'Omar',
  'Aisha',
  'Chen',
];
const lastNames = [
  'Hansen',
  'Johansen',
  'Olsen',
  'Larsen',
  'Andersen',
  'Pedersen',
  'Nilsen',
  'Kristiansen',
  'Jensen',
  'Karlsen',
  'Johnsen',
  'Pettersen',
  'Eriksen',
  'Berg',
  'Haugen',
  'Hagen',
  'Johannessen',
  'Andreassen',
  'Jacobsen',
  'Dahl',
  'Lie',
  'Lund',
  'Moen',
  'Solberg',
  'Bakken',
  'Strand',
  'Smith',
  'Garcia',
  'Khan',
];
const companyStems = [
  'Nordlys',
  'Fjord',
  'Polar',
  'Bryggen',
  'Vestland',
  'Havbris',
  'Granitt',
  'Furu',
  'Isbre',
  'Skog',
  'Kyst',
  'Fjell',
  'Elv',
  'Midnatt',
  'Tind',
  'Vik',
  'Stjerne',
  'Bølge',
  'Lyng',
  'Måke',
];
const companyKinds = ['Consulting', 'Logistics', 'Software', 'Shipping', 'Energy', 'Foods', 'Design', 'Health'];
const companyForms = ['AS', 'ASA', 'Ltd', 'GmbH', 'AB'];
const ticketSubjects = [
  'Cannot log in to the portal',
  'Invoice {n} shows the wrong amount',
  'Request for a new user account',
  'Delivery {n} arrived damaged',
  'Question about the renewal terms',
  'Export to Excel fails',
  'Password reset link expired',
  'Please update our billing address',
  'Integration stopped syncing',
  'Feature request: dark mode',
];

const ascii = (text: string) =>
  text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ø/g, 'o')
    .replace(/æ/g, 'ae')
    .replace(/å/g, 'a')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');

export interface GeneratedCounts {
  readonly users: number;
  readonly organizations: number;
  readonly tickets: number;
  readonly agents: number;
}

export function generateAccount(
  state: ZendeskState,
  random: SeededRandom,
  counts: GeneratedCounts,
  ownerId: number,
): void {
  const now = state.now();
  const day = 24 * 3600 * 1000;
  // Creation times spread over the past year, in order, ending ten minutes ago.
  const total = counts.organizations + counts.users + counts.tickets;
  const stamps = Array.from({ length: total }, () => now - 10 * 60_000 - random.integer(0, 365) * day)
    .map((stamp) => stamp - random.integer(0, day - 1))
    .sort((a, b) => a - b);
  let stampIndex = 0;
  const nextStamp = () => stamps[stampIndex++] ?? now - 10 * 60_000;

  const organizationIds: number[] = [];
  for (let index = 0; index < counts.organizations; index++) {
    const stem = random.pick(companyStems);
    let name = `${stem} ${random.pick(companyKinds)} ${random.pick(companyForms)}`;
    if (state.findOrganizationByName(name) !== undefined) name = `${name} ${index + 1}`;
    const result = state.createOrganization(
      { name, domain_names: [`${ascii(stem)}${index + 1}.example.com`] },
      nextStamp(),
    );
    if (result.kind === 'ok') organizationIds.push(result.record.id);
  }

  const agentIds: number[] = [ownerId];
  const endUserIds: number[] = [];
  for (let index = 0; index < counts.users; index++) {
    const first = random.pick(firstNames);
    const last = random.pick(lastNames);
    const isAgent = index < counts.agents;
    const organizationId = organizationIds.length > 0 && random.chance(0.8) ? random.pick(organizationIds) : null;
    const result = state.createUser(
      {
        name: `${first} ${last}`,
        email: `${ascii(first)}.${ascii(last)}.${index + 1}@${isAgent ? 'support.example.com' : 'example.org'}`,
        phone: random.chance(0.7)
          ? `+47 ${random.integer(40, 99)} ${random.integer(100, 999)} ${random.integer(100, 999)}`
          : null,
        organization_id: organizationId,
        role: isAgent ? 'agent' : 'end-user',
        verified: true,
      },
      nextStamp(),
    );
    if (result.kind === 'ok') (isAgent ? agentIds : endUserIds).push(result.record.id);
  }

  const requesters = endUserIds.length > 0 ? endUserIds : agentIds;
  for (let index = 0; index < counts.tickets; index++) {
    const isTask = random.chance(0.3);
    const createdAt = nextStamp();
    const subject = random.pick(ticketSubjects).replace('{n}', String(random.integer(10_000, 99_999)));
    state.createTicket(
      {
        subject,
        comment: { body: `${subject}. Reported by phone, details in the attached notes.`, public: true },
        requester_id: random.pick(requesters),
        assignee_id: random.chance(0.7) ? random.pick(agentIds) : null,
        type: isTask ? 'task' : random.pick(['question', 'incident', 'problem'] as const),
        status: random.pick(['new', 'open', 'pending', 'solved'] as const),
        due_at: isTask ? new Date(createdAt + random.integer(1, 14) * day).toISOString() : null,
      },
      ownerId,
      createdAt,
    );
  }
}
