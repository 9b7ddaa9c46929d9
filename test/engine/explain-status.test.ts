import { afterEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../src/core/sync-error.js';
import { explainRecord } from '../../src/engine/explain.js';
import { collectStatus } from '../../src/engine/status.js';
import { buildAttentionWorld } from './attention-world.js';
import { type Harness, openHarness } from './harness.js';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

describe('explain', () => {
  it('shows the entity, its members, each value with its system, rule and cycle, and the history', async () => {
    harness = await openHarness();
    const h = harness;
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    const first = await h.cycle();
    const org = h.zendesk.all('organization')[0];
    h.zendesk.edit('organization', org?.ref.id ?? '', { name: 'Acme Corp' });
    const second = await h.cycle();
    const explanation = await explainRecord(h.store, { system: 'superoffice', type: 'contact', id: contactId });
    expect(explanation?.entity?.members.map((member) => member.ref)).toEqual([
      `superoffice:contact:${contactId}`,
      `zendesk:organization:${org?.ref.id}`,
    ]);
    expect(explanation?.entity?.attributes).toEqual([
      expect.objectContaining({
        attribute: 'name',
        value: 'Acme Corp',
        system: 'zendesk',
        rule: 'single-edit',
        cycleId: second.cycleId,
      }),
    ]);
    const events = explanation?.entity?.history.map((entry) => `${entry.cycleId}:${entry.event}:${entry.rule ?? ''}`);
    expect(events).toEqual([
      `${first.cycleId}:linked:new-entity`,
      `${first.cycleId}:decided:first-value`,
      `${first.cycleId}:planned:create`,
      `${first.cycleId}:written:created`,
      `${second.cycleId}:decided:single-edit`,
      `${second.cycleId}:planned:update`,
      `${second.cycleId}:written:updated`,
    ]);
  });

  it('explains an unlinked record by its ambiguity, and knows nothing of a record never read', async () => {
    harness = await openHarness();
    const h = harness;
    const id = h.superoffice.add('user', { personEmail: 'same@example.com', contactId: null }, { modifiedAt: null });
    h.superoffice.add('user', { personEmail: 'same@example.com', contactId: null }, { modifiedAt: null });
    await h.cycle();
    const explanation = await explainRecord(h.store, { system: 'superoffice', type: 'user', id });
    expect(explanation?.entity).toBeUndefined();
    expect(explanation?.ambiguity).toMatch(/share the e-mail same@example.com/);
    expect(await explainRecord(h.store, { system: 'zendesk', type: 'user', id: '404' })).toBeUndefined();
  });
});

describe('status', () => {
  it('counts per flow and lists what needs a person, with what to do', async () => {
    harness = await openHarness();
    const h = harness;
    h.superoffice.add('contact', { Name: 'Acme' });
    h.superoffice.add('contact', { Name: 'acme' });
    h.superoffice.add('contact', { Name: 'Refused' });
    h.superoffice.add('user', { personEmail: 'twin@example.com', contactId: null }, { modifiedAt: null });
    h.superoffice.add('user', { personEmail: 'twin@example.com', contactId: null }, { modifiedAt: null });
    h.zendesk.failureRule = (_type, operation) =>
      operation.values.name === 'Refused' ? new SyncError('validation', 'Name: is invalid') : undefined;
    await h.cycle();
    const status = await collectStatus(h.store);
    expect(status.flows.find((flow) => flow.flow === 'contact')).toMatchObject({
      records: 3,
      linked: 1,
      notLinked: { failed: 1, held: 1 },
    });
    expect(status.flows.find((flow) => flow.flow === 'user')).toMatchObject({
      records: 2,
      linked: 0,
      notLinked: { ambiguous: 2 },
    });
    expect(status.attention.items.map((item) => item.kind).sort()).toEqual([
      'ambiguity',
      'ambiguity',
      'failed-write',
      'hold',
    ]);
    expect(status.attention.items.find((item) => item.kind === 'failed-write')?.action).toMatch(/correct the record/);
    expect(status.cycles).toHaveLength(1);
    expect(status.cursors.map((cursor) => `${cursor.system}:${cursor.type}`)).toEqual([
      'superoffice:contact',
      'superoffice:user',
    ]);
  });

  it('lists a conflict with both values, the one kept and where it came from, as needing a person', async () => {
    harness = await openHarness();
    const h = harness;
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const org = h.zendesk.all('organization')[0];
    h.superoffice.edit('contact', contactId, { Name: 'Acme SO' });
    h.clock.advance(5);
    h.zendesk.edit('organization', org?.ref.id ?? '', { name: 'Acme ZD' });
    await h.cycle();
    const status = await collectStatus(h.store);
    const conflicts = status.attention.items.filter((item) => item.kind === 'conflict');
    expect(conflicts).toEqual([
      expect.objectContaining({
        needsPerson: true,
        record: `superoffice:contact:${contactId}`,
        label: 'Acme ZD',
        reason: 'conflict-latest-wins',
        command: `tandem explain superoffice:contact:${contactId}`,
      }),
    ]);
    expect(conflicts[0]?.message).toContain(`superoffice:contact:${contactId} had "Acme SO"`);
    expect(conflicts[0]?.message).toContain(`Tandem kept "Acme ZD" from zendesk:organization:${org?.ref.id}`);
    expect(status.flows.find((flow) => flow.flow === 'contact')).toMatchObject({ conflicts: 1, needsPerson: 1 });
    // An edit after the conflict settles it: the item goes.
    h.superoffice.edit('contact', contactId, { Name: 'Acme AS' });
    await h.cycle();
    const after = await collectStatus(h.store);
    expect(after.attention.items.filter((item) => item.kind === 'conflict')).toEqual([]);
  });

  it('lists a contact whose Zendesk name is taken as needing a person, naming the command that links it', async () => {
    harness = await openHarness();
    const h = harness;
    const orgId = h.zendesk.add('organization', { name: 'Fjord Logistics AS' });
    const contactId = h.superoffice.add('contact', { Name: 'fjord logistics as' });
    const twinA = h.superoffice.add('contact', { Name: 'Acme' });
    const twinB = h.superoffice.add('contact', { Name: 'ACME' });
    await h.cycle();
    const status = await collectStatus(h.store);
    const taken = status.attention.items.filter((item) => item.reason === 'duplicate-name');
    expect(taken.map((item) => item.record).sort()).toEqual(
      [`superoffice:contact:${contactId}`, `superoffice:contact:${twinB}`].sort(),
    );
    expect(taken.every((item) => item.needsPerson && item.kind === 'hold')).toBe(true);
    const fjord = taken.find((item) => item.record === `superoffice:contact:${contactId}`);
    // The organization holding the name has no SuperOffice contact: linking to it is the fix.
    expect(fjord?.command).toBe(`tandem relink superoffice:contact:${contactId} zendesk:organization:${orgId}`);
    expect(fjord?.message).toContain('"Fjord Logistics AS"');
    // explain gives the same advice for the record.
    const explained = await explainRecord(h.store, { system: 'superoffice', type: 'contact', id: contactId });
    expect(explained?.entity?.holds).toEqual([
      expect.objectContaining({
        reason: 'duplicate-name',
        needsPerson: true,
        command: `tandem relink superoffice:contact:${contactId} zendesk:organization:${orgId}`,
      }),
    ]);
    // The other twin's name belongs to a contact that has its organization: renaming is the fix.
    const acme = taken.find((item) => item.record === `superoffice:contact:${twinB}`);
    expect(acme?.command).toBe(`tandem explain superoffice:contact:${twinB}`);
    expect(acme?.message).toContain(`superoffice:contact:${twinA} "Acme"`);
    expect(status.flows.find((flow) => flow.flow === 'contact')).toMatchObject({
      records: 3,
      linked: 1,
      notLinked: { held: 2 },
    });
  });

  it('gives true totals and pages through every item', async () => {
    harness = await openHarness({ pageSize: 200 });
    const h = harness;
    for (let index = 0; index < 120; index++) {
      h.superoffice.add('contact', { Name: `Company ${index}` });
      h.superoffice.add('contact', { Name: `COMPANY ${index}` });
    }
    await h.cycle();
    const all = await collectStatus(h.store);
    expect(all.attention.total).toBe(120);
    expect(all.attention.needsPerson).toBe(120);
    expect(all.attention.items).toHaveLength(120);
    expect(all.attention.byReason).toEqual([{ kind: 'hold', reason: 'duplicate-name', needsPerson: true, count: 120 }]);
    const page = await collectStatus(h.store, { offset: 100, limit: 50 });
    expect(page.attention.total).toBe(120);
    expect(page.attention.items).toEqual(all.attention.items.slice(100));
  });

  it('counts persons on no synced ticket as out of scope', async () => {
    harness = await openHarness();
    const h = harness;
    h.superoffice.add('person', {
      'Emails.Value': 'alone@example.com',
      'PrivatePhones.Value': null,
      'Contact.ContactId': null,
    });
    await h.cycle();
    const status = await collectStatus(h.store);
    expect(status.flows.find((flow) => flow.flow === 'person')).toMatchObject({
      records: 1,
      linked: 0,
      notLinked: { outOfScope: 1 },
      needsPerson: 0,
    });
    expect(status.attention.needsPerson).toBe(0);
  });

  it('lists an interrupted last cycle, and a running one that no tandem is syncing', async () => {
    harness = await openHarness();
    const h = harness;
    h.superoffice.add('contact', { Name: 'Acme' });
    const stop = new AbortController();
    stop.abort();
    await h.cycle({ signal: stop.signal });
    const interrupted = await collectStatus(h.store);
    expect(interrupted.attention.items[0]).toMatchObject({
      kind: 'cycle',
      reason: 'interrupted',
      needsPerson: true,
      command: 'tandem sync',
    });
    await h.store.beginCycle('crashed', '2024-03-26T09:00:00Z');
    expect((await collectStatus(h.store, { activeSync: null })).attention.items[0]).toMatchObject({
      kind: 'cycle',
      reason: 'abandoned',
      needsPerson: true,
    });
    const busy = await collectStatus(h.store, { activeSync: { pid: 1, host: 'here', since: '2024-03-26T09:00:00Z' } });
    expect(busy.attention.items.filter((item) => item.kind === 'cycle')).toEqual([]);
  });

  it('lists a linked record deleted in Zendesk once, with the command that lets Tandem create a new one', async () => {
    harness = await openHarness();
    const h = harness;
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const org = h.zendesk.all('organization')[0];
    h.zendesk.remove('organization', org?.ref.id ?? '');
    await h.cycle();
    const status = await collectStatus(h.store);
    expect(status.attention.items.filter((item) => item.needsPerson)).toEqual([
      expect.objectContaining({
        kind: 'deletion',
        reason: 'deleted-in-zendesk',
        record: `zendesk:organization:${org?.ref.id}`,
        command: `tandem unlink zendesk:organization:${org?.ref.id}`,
      }),
    ]);
    expect(status.attention.items[0]?.message).toContain(`superoffice:contact:${contactId} "Acme"`);
  });

  it('lists one item of each kind it can be shown, what needs a person first', async () => {
    harness = await openHarness({ pageSize: 50 });
    await buildAttentionWorld(harness);
    const status = await collectStatus(harness.store);
    const summary = status.attention.byReason.map(
      (group) => `${group.needsPerson ? 'person' : 'itself'} ${group.kind} ${group.reason} ${group.count}`,
    );
    expect(summary).toEqual([
      'person cycle interrupted 1',
      'person failed-write validation 1',
      'person unreadable-record malformed 1',
      'person conflict conflict-latest-wins 1',
      'person hold duplicate-name 1',
      'person hold missing-name 1',
      'person hold unlinked-reference 1',
      'person ambiguity not-linked 2',
      'person deletion deleted-in-superoffice 1',
      'person deletion deleted-in-zendesk 1',
      'itself failed-write retrying:transient 1',
      'itself hold agent-only 1',
    ]);
    // Messages name records, never the internal ids of entities.
    const entityIds = status.attention.items.flatMap((item) => (item.entityId === null ? [] : [item.entityId]));
    for (const item of status.attention.items) {
      for (const id of entityIds) expect(item.message).not.toContain(id);
    }
    expect(status.flows.find((flow) => flow.flow === 'person')?.notLinked.outOfScope).toBe(1);
  });

  it('keeps listing a record a cycle could not read until a later read succeeds', async () => {
    harness = await openHarness();
    const h = harness;
    const ownerId = h.superoffice.add('user', { personEmail: 'owner@example.com', contactId: null });
    const ticketId = h.superoffice.add('ticket', {
      Title: null,
      TimeToReply: null,
      'OwnedBy.AssociateId': ownerId,
      'Person.PersonId': null,
    });
    h.superoffice.unreadable.set(
      'ticket',
      new Map([[ticketId, new SyncError('malformed', 'Ticket.Title is missing')]]),
    );
    await h.cycle();
    await h.cycle(); // reads nothing new: the back-off (here, the cursor) passed the record
    const unreadable = (await collectStatus(h.store)).attention.items.filter(
      (item) => item.kind === 'unreadable-record',
    );
    expect(unreadable).toEqual([
      expect.objectContaining({
        record: `superoffice:ticket:${ticketId}`,
        reason: 'malformed',
        needsPerson: true,
        command: 'tandem sync --sweep',
      }),
    ]);
    h.superoffice.unreadable.clear();
    h.superoffice.edit('ticket', ticketId, { Title: 'Now with a title' });
    await h.cycle();
    const after = await collectStatus(h.store);
    expect(after.attention.items.filter((item) => item.kind === 'unreadable-record')).toEqual([]);
  });
});
