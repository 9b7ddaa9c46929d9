/**
 * Fills a tenant with realistic, linked data from a seed: companies (contacts), people on them
 * with 1-2 e-mails and 0-2 private phones, users (associates) each with their own person at the
 * tenant's own company, and tickets owned by a user and about a customer person. The same seed
 * and counts always give the same tenant.
 *
 * With users, the tenant also holds every other kind of associate the AllUsers archive lists
 * (AP-allusers: "all kinds of users"): a system user, a resource, an external (customer-centre)
 * user, an anonymous account, a retired employee and an employee who is no Service user (no
 * ejUserId, so no ticket owner). They come after the generated users, so those keep ids 1..users.
 */
import { SeededRandom } from '../seeded-random.js';
import { entityElement, type TenantData } from './tenant-data.js';

export interface GenerationCounts {
  readonly contacts: number;
  readonly persons: number;
  readonly tickets: number;
  readonly users: number;
}

const firstNames = [
  'Anna',
  'Lars',
  'Ingrid',
  'Ola',
  'Kari',
  'Erik',
  'Sofie',
  'Jonas',
  'Maja',
  'Henrik',
  'Emma',
  'Nils',
  'Sara',
  'Magnus',
  'Ida',
  'Per',
  'Hilde',
  'Tor',
  'Liv',
  'Anders',
  'Marte',
  'Jakob',
  'Nora',
  'Steve',
  'Laura',
  'Peter',
  'Julia',
  'Tom',
  'Eva',
  'Daniel',
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
  'Berg',
  'Haugen',
  'Hagen',
  'Eriksen',
  'Bakken',
  'Lie',
  'Dahl',
  'Lund',
  'Moen',
  'Strand',
  'Johnson',
  'Martin',
  'Fischer',
  'Svensson',
  'Lindqvist',
];
const companyWords = [
  'Nordlys',
  'Fjord',
  'Hugo',
  'Bølge',
  'Granitt',
  'Polar',
  'Viking',
  'Tinde',
  'Skog',
  'Havørn',
  'Midnatt',
  'Kyst',
  'Stjerne',
  'Lysning',
  'Varde',
  'Brygge',
  'Elv',
  'Furu',
  'Saga',
  'Tindra',
];
const companyKinds = ['Consulting', 'Logistikk', 'Enterprises', 'Marine', 'Data', 'Bygg', 'Energi', 'Handel', 'Media'];
const companyForms = ['AS', 'ASA', 'AB', 'Ltd', 'GmbH'];
const ticketSubjects = [
  'Cannot log in to the customer portal',
  'Invoice shows the wrong VAT rate',
  'Request for a price quote',
  'Delivery is late',
  'Change of billing address',
  'Error when exporting the report',
  'Question about the service agreement',
  'Password reset does not arrive',
  'Upgrade to the premium plan',
  'Duplicate charge on the credit card',
];
const emailDescriptions = ['Job', 'Private', ''];

const dayMs = 86_400_000;

export function generateTenant(data: TenantData, counts: GenerationCounts, seed: number): void {
  const random = new SeededRandom(seed);
  const now = data.clock.now();
  const past = (maxDays: number, after = now - maxDays * dayMs) =>
    Math.floor((after + random.next() * (now - after)) / 1000) * 1000;

  const usedEmails = new Set<string>();
  const uniqueEmail = (local: string, domain: string) => {
    let candidate = `${local}@${domain}`;
    for (let n = 2; usedEmails.has(candidate); n++) candidate = `${local}${n}@${domain}`;
    usedEmails.add(candidate);
    return candidate;
  };
  const slug = (text: string) =>
    text
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z0-9]+/g, '');

  // The tenant's own company comes first, so users have somewhere to work.
  const contactIds: number[] = [];
  const contactDomains = new Map<number, string>();
  for (let index = 0; index < counts.contacts; index++) {
    const own = index === 0;
    const name = own
      ? 'Tandem Demo AS'
      : `${random.pick(companyWords)} ${random.pick(companyKinds)} ${random.pick(companyForms)}`;
    const createdDate = past(3 * 365);
    const domain = `${slug(name)}${own ? '' : index}.example.com`;
    const contact = data.createContact({
      name,
      department: random.chance(0.2) ? 'Sales' : '',
      orgNr: String(random.integer(900_000_000, 999_999_999)),
      emails: [entityElement(`post@${domain}`, 'Main')],
      phones: [
        entityElement(
          `+47 ${random.integer(20, 99)} ${random.integer(10, 99)} ${random.integer(10, 99)} ${random.integer(10, 99)}`,
        ),
      ],
      isOwnerContact: own,
      createdDate,
      updatedDate: past(3 * 365, createdDate),
    });
    contactIds.push(contact.contactId);
    contactDomains.set(contact.contactId, domain);
  }
  const ownContactId = contactIds[0] ?? 0;
  const customerContactIds = contactIds.length > 1 ? contactIds.slice(1) : contactIds;

  const phone = () => `+47 ${random.integer(400, 999)} ${random.integer(10, 99)} ${random.integer(100, 999)}`;

  // Users first: their persons' e-mails are reserved before customers pick theirs, so no customer
  // shares an e-mail with a user.
  const associateIds: number[] = [];
  for (let index = 0; index < counts.users; index++) {
    const firstname = random.pick(firstNames);
    const lastname = random.pick(lastNames);
    const domain = contactDomains.get(ownContactId) ?? 'tandemdemo.example.com';
    const email = uniqueEmail(`${slug(firstname)}.${slug(lastname)}`, domain);
    const createdDate = past(3 * 365);
    const person = data.createPerson({
      contactId: ownContactId,
      firstname,
      lastname,
      title: random.pick(['Support agent', 'Account manager', 'Sales rep', 'Team lead']),
      emails: [entityElement(email, 'Job')],
      officePhones: [entityElement(phone())],
      createdDate,
      updatedDate: past(3 * 365, createdDate),
    });
    const initials = `${firstname[0] ?? 'X'}${lastname[0] ?? 'X'}${index + 1}`.toUpperCase();
    const associate = data.createAssociate({
      personId: person.personId,
      name: initials,
      userName: email,
      type: 'InternalAssociate',
      deleted: false,
    });
    associateIds.push(associate.associateId);
  }

  const customerPersonIds: number[] = [];
  for (let index = 0; index < counts.persons; index++) {
    const firstname = random.pick(firstNames);
    const lastname = random.pick(lastNames);
    const contactId = customerContactIds.length === 0 || random.chance(0.03) ? 0 : random.pick(customerContactIds);
    const domain = contactDomains.get(contactId) ?? 'mail.example.org';
    const emails = [entityElement(uniqueEmail(`${slug(firstname)}.${slug(lastname)}`, domain), 'Job')];
    if (random.chance(0.35)) {
      emails.push(
        entityElement(uniqueEmail(`${slug(firstname)}${random.integer(1, 99)}`, 'mail.example.org'), 'Private'),
      );
    }
    const privatePhoneCount = random.integer(0, 2);
    const createdDate = past(3 * 365);
    const person = data.createPerson({
      contactId,
      firstname,
      lastname,
      mrmrs: random.pick(['', 'Mr', 'Ms']),
      title: random.pick(['', 'CEO', 'Buyer', 'Engineer', 'Accountant', 'Project manager']),
      emails,
      privatePhones: Array.from({ length: privatePhoneCount }, () =>
        entityElement(phone(), random.pick(emailDescriptions)),
      ),
      mobilePhones: random.chance(0.5) ? [entityElement(phone())] : [],
      retired: random.chance(0.02),
      createdDate,
      updatedDate: past(3 * 365, createdDate),
      createdBy: associateIds.length === 0 ? 1 : random.pick(associateIds),
    });
    customerPersonIds.push(person.personId);
  }

  for (let index = 0; index < counts.tickets; index++) {
    const createdAt = past(120);
    const replied = random.chance(0.6);
    const repliedAt = replied ? createdAt + random.integer(5, 3 * 24 * 60) * 60_000 : null;
    const lastChanged = Math.max(createdAt, Math.min(now, past(120, repliedAt ?? createdAt)));
    data.createTicket({
      title: `${random.pick(ticketSubjects)} (#${1000 + index})`,
      createdAt,
      lastChanged,
      ownedBy: associateIds.length === 0 ? 0 : random.pick(associateIds),
      personId: customerPersonIds.length === 0 ? 0 : random.pick(customerPersonIds),
      createdBy: associateIds.length === 0 ? 1 : random.pick(associateIds),
      baseStatus: random.pick(['Active', 'Active', 'Closed', 'Postponed'] as const),
      repliedAt: repliedAt !== null && repliedAt <= now ? repliedAt : null,
      categoryId: random.integer(1, 4),
      priorityId: random.integer(1, 3),
    });
  }

  if (counts.users > 0) addOtherAssociates(data, ownContactId);
}

/** One associate of each kind that is no plain active Service employee, each with its person. */
function addOtherAssociates(data: TenantData, ownContactId: number): void {
  const kinds = [
    { name: 'SYSTEM', type: 'SystemAssociate', deleted: false, ejUserId: 0, email: '' },
    { name: 'MEETINGROOM', type: 'ResourceAssociate', deleted: false, ejUserId: 0, email: '' },
    {
      name: 'PORTAL',
      type: 'ExternalAssociate',
      deleted: false,
      ejUserId: 0,
      email: 'portal.user@customer.example.org',
    },
    { name: 'ANON', type: 'AnonymousAssociate', deleted: false, ejUserId: 0, email: '' },
    {
      name: 'RETIRED',
      type: 'InternalAssociate',
      deleted: true,
      ejUserId: 0,
      email: 'retired.employee@tandemdemo.example.com',
    },
    {
      name: 'SALESONLY',
      type: 'InternalAssociate',
      deleted: false,
      ejUserId: 0,
      email: 'sales.only@tandemdemo.example.com',
    },
  ] as const;
  for (const kind of kinds) {
    const person = data.createPerson({
      contactId: ownContactId,
      firstname: kind.name.charAt(0) + kind.name.slice(1).toLowerCase(),
      lastname: 'Associate',
      emails: kind.email === '' ? [] : [entityElement(kind.email, 'Job')],
    });
    data.createAssociate({
      personId: person.personId,
      name: kind.name,
      userName: kind.email === '' ? kind.name.toLowerCase() : kind.email,
      type: kind.type,
      deleted: kind.deleted,
      ejUserId: kind.ejUserId,
    });
  }
}
