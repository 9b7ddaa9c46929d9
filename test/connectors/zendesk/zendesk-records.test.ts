import { describe, expect, it } from 'vitest';
import type { CreateOperation, UpdateOperation } from '../../../src/connectors/connector.js';
import { decodeCursor, encodeCursor } from '../../../src/connectors/zendesk/zendesk-cursor.js';
import {
  createdRecord,
  organizationRecord,
  ticketCreateItem,
  ticketRecord,
  ticketUpdateItem,
  userCreateItem,
  userRecord,
  userUpdateItem,
} from '../../../src/connectors/zendesk/zendesk-records.js';
import { wireOrganization, wireTicket, wireUser } from '../../../src/connectors/zendesk/zendesk-wire.js';

// Payloads as zendesk-api.md §2.1, §2.3 and §2.4 record them from live traffic.
const userPayload = {
  id: 6130907993114,
  url: 'https://acme.zendesk.com/api/v2/users/6130907993114.json',
  name: '09cace',
  email: 'qa@example.com',
  created_at: '2023-09-09T23:51:58Z',
  updated_at: '2023-09-18T23:22:25Z',
  time_zone: 'America/New_York',
  phone: null,
  shared_phone_number: null,
  organization_id: 6130869157658,
  role: 'admin',
  verified: true,
  external_id: null,
  tags: [],
  active: true,
  role_type: 4,
  user_fields: {},
};

const organizationPayload = {
  url: 'https://acme.zendesk.com/api/v2/organizations/6164110487322.json',
  id: 6164110487322,
  name: 'Acme AS',
  shared_tickets: false,
  shared_comments: false,
  external_id: null,
  created_at: '2023-09-18T23:35:11Z',
  updated_at: '2023-09-18T23:35:11Z',
  domain_names: [],
  details: null,
  notes: null,
  group_id: null,
  tags: [],
  organization_fields: {},
};

const ticketPayload = {
  url: 'https://acme.zendesk.com/api/v2/tickets/3561.json',
  id: 3561,
  external_id: null,
  via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
  created_at: '2023-09-18T23:22:25Z',
  updated_at: '2023-09-18T23:22:25Z',
  type: null,
  subject: 'test',
  raw_subject: 'test',
  description: 'test',
  priority: null,
  status: 'new',
  requester_id: 6130907993114,
  submitter_id: 6130907993114,
  assignee_id: null,
  organization_id: 6130869157658,
  due_at: null,
  tags: [],
  generated_timestamp: 1695079345,
};

describe('Zendesk wire records -> our records', () => {
  it('turns a recorded user into values keyed by the spec property names, ids as decimal strings', () => {
    const record = userRecord(wireUser.parse(userPayload));
    expect(record).toEqual({
      ref: { system: 'zendesk', type: 'user', id: '6130907993114' },
      values: { email: 'qa@example.com', phone: null, organization_id: '6130869157658' },
      modifiedAt: '2023-09-18T23:22:25Z',
      deleted: false,
      facts: { label: '09cace', createdAt: '2023-09-09T23:51:58Z', externalId: null, isAgent: true },
    });
  });

  it('marks a deleted user from the export (active false, email null) as deleted, keeping null apart from absent', () => {
    const record = userRecord(
      wireUser.parse({ ...userPayload, active: false, email: null, role: 'end-user', permanently_deleted: false }),
    );
    expect(record.deleted).toBe(true);
    expect(record.values).toEqual({ email: null, phone: null, organization_id: '6130869157658' });
    expect(record.facts?.isAgent).toBe(false);
    const { phone: _phone, ...withoutPhone } = userPayload;
    expect('phone' in userRecord(wireUser.parse(withoutPhone)).values).toBe(false);
  });

  it('turns a recorded organization into { name }', () => {
    expect(organizationRecord(wireOrganization.parse(organizationPayload))).toEqual({
      ref: { system: 'zendesk', type: 'organization', id: '6164110487322' },
      values: { name: 'Acme AS' },
      modifiedAt: '2023-09-18T23:35:11Z',
      deleted: false,
      facts: { label: 'Acme AS', createdAt: '2023-09-18T23:35:11Z', externalId: null },
    });
  });

  it('turns a recorded ticket into { requester_id, assignee_id, due_at, subject } and reads status "deleted" as deleted', () => {
    const record = ticketRecord(wireTicket.parse(ticketPayload));
    expect(record.values).toEqual({ requester_id: '6130907993114', assignee_id: null, due_at: null, subject: 'test' });
    expect(record.deleted).toBe(false);
    expect(ticketRecord(wireTicket.parse({ ...ticketPayload, status: 'deleted' })).deleted).toBe(true);
    expect(ticketRecord(wireTicket.parse({ ...ticketPayload, due_at: '2024-01-02T03:04:05Z' })).values.due_at).toBe(
      '2024-01-02T03:04:05Z',
    );
  });

  it('refuses a payload whose id is not an integer', () => {
    expect(wireUser.safeParse({ ...userPayload, id: '6130907993114' }).success).toBe(false);
  });
});

describe('Our write operations -> Zendesk request items', () => {
  const userCreate: CreateOperation = {
    kind: 'create',
    key: 'k1',
    externalId: 'superoffice:user:17',
    mayExist: false,
    label: 'Kari Nordmann',
    values: { email: 'kari@example.com', phone: null, organization_id: '6164110487322' },
  };

  it('creates a user with a name, the external id as idempotency handle and no verification mail', () => {
    expect(userCreateItem(userCreate)).toEqual({
      name: 'Kari Nordmann',
      email: 'kari@example.com',
      phone: null,
      organization_id: 6164110487322,
      external_id: 'superoffice:user:17',
      skip_verify_email: true,
    });
  });

  it('names a user by its e-mail when the operation has no label', () => {
    const { label: _label, ...unlabelled } = userCreate;
    expect(userCreateItem(unlabelled).name).toBe('kari@example.com');
  });

  it('creates a ticket with a private first comment naming its origin, and as a task when it has a due date', () => {
    const operation: CreateOperation = {
      kind: 'create',
      key: 't1',
      externalId: 'superoffice:ticket:42',
      mayExist: false,
      values: {
        subject: 'Printer on fire',
        requester_id: '6130907993114',
        assignee_id: null,
        due_at: '2024-05-01T10:00:00Z',
      },
    };
    expect(ticketCreateItem(operation)).toEqual({
      subject: 'Printer on fire',
      requester_id: 6130907993114,
      due_at: '2024-05-01T10:00:00Z',
      type: 'task',
      external_id: 'superoffice:ticket:42',
      comment: { body: 'Created by Tandem from the SuperOffice ticket superoffice:ticket:42.', public: false },
    });
    expect(ticketCreateItem({ ...operation, values: { subject: 'No due date', due_at: null } })).not.toHaveProperty(
      'type',
    );
  });

  it('updates only the values given; a user e-mail is left to the identity calls', () => {
    const operation: UpdateOperation = {
      kind: 'update',
      key: 'u1',
      id: '6130907993114',
      values: { email: 'new@example.com', organization_id: null },
    };
    expect(userUpdateItem(operation)).toEqual({ id: 6130907993114, organization_id: null });
  });

  it('clears an assignee and a due date with null, and never sends a null requester', () => {
    const operation: UpdateOperation = {
      kind: 'update',
      key: 't',
      id: '3561',
      values: { assignee_id: null, due_at: null, requester_id: null },
    };
    expect(ticketUpdateItem(operation)).toEqual({ id: 3561, assignee_id: null, due_at: null });
  });

  it('refuses a reference that is not a Zendesk id', () => {
    expect(() => userCreateItem({ ...userCreate, values: { organization_id: 'superoffice:contact:1' } })).toThrow(
      RangeError,
    );
  });

  it('reports a created record from the operation and the id Zendesk gave', () => {
    expect(createdRecord('user', '99', userCreate)).toEqual({
      ref: { system: 'zendesk', type: 'user', id: '99' },
      values: userCreate.values,
      modifiedAt: null,
      deleted: false,
      facts: { label: 'Kari Nordmann', externalId: 'superoffice:user:17', isAgent: false },
    });
  });
});

describe('Zendesk change-feed cursors', () => {
  it('round-trips every kind of position and starts from the beginning without a cursor', () => {
    expect(decodeCursor('user', null)).toEqual({ kind: 'start', startTime: 0 });
    expect(decodeCursor('organization', null)).toEqual({ kind: 'time', startTime: 0, seen: [] });
    const cursor = encodeCursor('ticket', { kind: 'cursor', cursor: 'MTcwNzI3MTc0MS4wfHw0MDQ1fA==' });
    expect(decodeCursor('ticket', cursor)).toEqual({ kind: 'cursor', cursor: 'MTcwNzI3MTc0MS4wfHw0MDQ1fA==' });
    const time = encodeCursor('organization', { kind: 'time', startTime: 1695052664, seen: [1, 22] });
    expect(decodeCursor('organization', time)).toEqual({ kind: 'time', startTime: 1695052664, seen: [1, 22] });
    expect(decodeCursor('organization', encodeCursor('organization', { kind: 'start', startTime: 5 }))).toEqual({
      kind: 'time',
      startTime: 5,
      seen: [],
    });
  });

  it('refuses a cursor of another feed as a bug', () => {
    const cursor = encodeCursor('user', { kind: 'start', startTime: 3 });
    expect(() => decodeCursor('ticket', cursor)).toThrow(expect.objectContaining({ code: 'bug' }));
    expect(() => decodeCursor('user', 'superoffice:whatever')).toThrow(expect.objectContaining({ code: 'bug' }));
  });
});
