/**
 * Issue 12.1 and 12.2: a created record is linked only to the operation Zendesk's answer provably
 * names, and a create never overwrites a user that was already there. Against the simulator over
 * real HTTP, with its harsher readings on: bulk results in no order and without e-mails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { CreateOperation } from '../../../src/connectors/connector.js';
import { type Harness, startHarness } from './connector-harness.js';

const createUser = (index: number, values: CreateOperation['values'] = {}, mayExist = false): CreateOperation => ({
  kind: 'create',
  key: `user-${index}`,
  externalId: `superoffice:person:${index}`,
  mayExist,
  label: `Person ${index}`,
  values: { email: `person${index}@example.com`, phone: `+47 400 00 00${index}`, organization_id: null, ...values },
});

const createOrganization = (index: number): CreateOperation => ({
  kind: 'create',
  key: `organization-${index}`,
  externalId: `superoffice:contact:${index}`,
  mayExist: false,
  values: { name: `Contact ${index} AS` },
});

const createTicket = (index: number, mayExist: boolean): CreateOperation => ({
  kind: 'create',
  key: `ticket-${index}`,
  externalId: `superoffice:ticket:${index}`,
  mayExist,
  values: { subject: `Ticket ${index}` },
});

describe('Zendesk connector: links are never guessed (issue 12.1)', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  it('links every user and organization of a batch whose results come back reversed, without e-mails', async () => {
    harness = await startHarness({ bulkResultOrder: 'reversed' });
    const users = [1, 2, 3, 4, 5].map((index) => createUser(index));
    const organizations = [1, 2, 3].map(createOrganization);
    const [userOutcomes, organizationOutcomes] = await Promise.all([
      harness.connector.write('user', users),
      harness.connector.write('organization', organizations),
    ]);
    const data = harness.simulator.data;
    users.forEach((operation, index) => {
      const outcome = userOutcomes[index];
      expect(outcome?.status).toBe('created');
      expect(outcome?.record?.ref.id).toBe(String(data.userByExternalId(operation.externalId)?.id));
      expect(outcome?.record?.values.email).toBe(operation.values.email);
    });
    organizations.forEach((operation, index) => {
      const outcome = organizationOutcomes[index];
      expect(outcome?.record?.ref.id).toBe(String(data.organizationByExternalId(operation.externalId)?.id));
    });
    // One read-back per batch of 100, by external id.
    expect(harness.simulator.calls.count('GET /api/v2/users/show_many')).toBe(1);
    expect(harness.simulator.calls.count('GET /api/v2/organizations/show_many')).toBe(1);
  });

  it('adopts only a ticket whose external id is the one looked up, even when the answer lists others', async () => {
    harness = await startHarness();
    const foreign = harness.simulator.data.createTicket({
      subject: 'Someone else',
      external_id: 'crm:77',
      comment: { body: 'x' },
    });
    harness.simulator.settings.ticketExternalIdFilter = false; // a service that ignores the filter
    const outcomes = await harness.connector.write('ticket', [createTicket(1, true), createTicket(2, true)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['created', 'created']);
    expect(outcomes.map((outcome) => outcome.record?.ref.id)).not.toContain(String(foreign.id));
    expect(harness.simulator.data.ticketsByExternalId('superoffice:ticket:1')).toHaveLength(1);
    expect(harness.simulator.data.ticketsByExternalId('superoffice:ticket:2')).toHaveLength(1);
    expect(harness.logs.some((entry) => /carrying another external id/.test(entry.message))).toBe(true);
  });

  it('after a dropped tickets/create_many, adopts no ticket of someone else and creates each ticket once', async () => {
    harness = await startHarness();
    harness.simulator.data.createTicket({ subject: 'Someone else', external_id: 'crm:77', comment: { body: 'x' } });
    harness.simulator.settings.ticketExternalIdFilter = false;
    harness.simulator.faults.script([{ kind: 'drop', phase: 'before', match: 'POST /api/v2/tickets/create_many' }]);
    const outcomes = await harness.connector.write('ticket', [createTicket(1, false), createTicket(2, false)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['created', 'created']);
    expect(harness.simulator.data.tickets()).toHaveLength(3);
    expect(harness.simulator.data.ticketsByExternalId('superoffice:ticket:1')).toHaveLength(1);
  });
});

describe('Zendesk connector: an existing user is never overwritten by a create (issue 12.2)', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  it('reports the holder of the e-mail as merged and leaves its name, external id, organization and phone alone', async () => {
    harness = await startHarness();
    const data = harness.simulator.data;
    const organization = data.createOrganization({ name: 'Their company' });
    const holder = data.createUser({
      name: 'Agent Known',
      email: 'person1@example.com',
      phone: '+1 555 0100',
      external_id: 'other-integration:9',
      organization_id: organization.id,
      role: 'agent',
    });
    harness.simulator.clock.advance(5 * 60_000); // long enough to be found by search (trap 7)
    const outcomes = await harness.connector.write('user', [createUser(1), createUser(2)]);
    expect(outcomes[0]).toMatchObject({ status: 'merged', record: { ref: { id: String(holder.id) } } });
    expect(outcomes[1]?.status).toBe('created');
    expect(data.user(holder.id)).toMatchObject({
      name: 'Agent Known',
      phone: '+1 555 0100',
      external_id: 'other-integration:9',
      organization_id: organization.id,
    });
    expect(harness.simulator.calls.count('POST /api/v2/users/create_or_update_many')).toBe(0);
  });

  it('finds the holder of a secondary e-mail through its identities', async () => {
    harness = await startHarness();
    const data = harness.simulator.data;
    const holder = data.createUser({
      name: 'Two Mails',
      email: 'main@example.com',
      identities: [{ type: 'email', value: 'person1@example.com' }],
    });
    expect(data.primaryEmail(holder.id)).toBe('main@example.com');
    harness.simulator.clock.advance(5 * 60_000);
    const outcomes = await harness.connector.write('user', [createUser(1)]);
    expect(outcomes[0]).toMatchObject({ status: 'merged', record: { ref: { id: String(holder.id) } } });
    expect(data.user(holder.id)?.name).toBe('Two Mails');
  });

  it('fails a create whose e-mail holder is not searchable yet as a conflict to retry, changing nobody', async () => {
    harness = await startHarness();
    const holder = harness.simulator.data.createUser({ name: 'Just Made', email: 'person1@example.com' });
    const outcomes = await harness.connector.write('user', [createUser(1)]);
    expect(outcomes[0]).toMatchObject({ status: 'failed', error: { code: 'conflict' } });
    expect(harness.simulator.data.user(holder.id)).toMatchObject({ name: 'Just Made', external_id: null, phone: null });
  });

  it('merges with the holder when bulk user import is off too', async () => {
    harness = await startHarness({ bulkUserImport: false });
    const holder = harness.simulator.data.createUser({ name: 'Known', email: 'person1@example.com' });
    harness.simulator.clock.advance(5 * 60_000);
    const outcomes = await harness.connector.write('user', [createUser(1), createUser(2)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['merged', 'created']);
    expect(harness.simulator.data.user(holder.id)).toMatchObject({ name: 'Known', external_id: null });
  });

  it('reports a user carrying the handle already (another state made it) as created and adopted', async () => {
    harness = await startHarness();
    const earlier = harness.simulator.data.createUser({
      name: 'Made Before',
      email: 'person1@example.com',
      external_id: 'superoffice:person:1',
    });
    const outcomes = await harness.connector.write('user', [createUser(1, {}, true)]);
    expect(outcomes[0]).toMatchObject({
      status: 'created',
      adopted: true,
      record: { ref: { id: String(earlier.id) } },
    });
  });
});

describe('Zendesk connector: a lost create answer on a busy account (issue 12.9)', () => {
  let harness: Harness;
  afterEach(async () => harness.close());

  const tickets = (count: number, mayExist = false) =>
    Array.from({ length: count }, (_, index) => createTicket(index + 1, mayExist));

  it("settles a lost answer without waiting for other integrations' jobs, reading a job list with object results", async () => {
    harness = await startHarness(); // the simulator lists a foreign job that keeps working, and one with object results
    harness.simulator.faults.script([{ kind: 'drop', phase: 'after', match: 'POST /api/v2/tickets/create_many' }]);
    const started = performance.now();
    const outcomes = await harness.connector.write('ticket', tickets(2));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['created', 'created']);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(harness.simulator.data.tickets()).toHaveLength(2);
    expect(harness.simulator.calls.count('GET /api/v2/job_statuses')).toBe(1);
  });

  it('waits a bounded time for a job that could be its own, and adopts what it made', async () => {
    harness = await startHarness({}, { lostJobWaitMs: 200 });
    harness.simulator.faults.script([{ kind: 'drop', phase: 'after', match: 'POST /api/v2/tickets/create_many' }]);
    // Three items: the same size as the foreign job that never finishes, so that one is waited for too.
    const outcomes = await harness.connector.write('ticket', tickets(3));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['created', 'created', 'created']);
    expect(harness.simulator.data.tickets()).toHaveLength(3);
  });

  it('creates nothing again while its lost job is still queued, and adopts the tickets once it ran', async () => {
    harness = await startHarness({}, { lostJobWaitMs: 200 });
    harness.simulator.jobs.hold();
    harness.simulator.faults.script([{ kind: 'drop', phase: 'after', match: 'POST /api/v2/tickets/create_many' }]);
    const first = await harness.connector.write('ticket', tickets(2));
    expect(first.map((outcome) => outcome.error?.code)).toEqual(['transient', 'transient']);
    harness.simulator.jobs.release();
    harness.simulator.jobs.drain();
    const again = await harness.connector.write('ticket', tickets(2, true));
    expect(again.map((outcome) => outcome.status)).toEqual(['created', 'created']);
    expect(harness.simulator.data.tickets()).toHaveLength(2);
  });
});
