import { afterEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../src/core/sync-error.js';
import { explainRecord } from '../../src/engine/explain.js';
import { collectStatus } from '../../src/engine/status.js';
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
    expect(status.flows.find((flow) => flow.flow === 'contact')).toMatchObject({ records: 3, linked: 1, failed: 1 });
    expect(status.flows.find((flow) => flow.flow === 'user')).toMatchObject({ records: 2, linked: 0, ambiguous: 2 });
    expect(status.attention.map((item) => item.kind).sort()).toEqual([
      'ambiguity',
      'ambiguity',
      'failed-write',
      'held',
    ]);
    expect(status.attention.find((item) => item.kind === 'failed-write')?.advice).toMatch(/correct the record/);
    expect(status.cycles).toHaveLength(1);
    expect(status.cursors.map((cursor) => `${cursor.system}:${cursor.type}`)).toEqual([
      'superoffice:contact',
      'superoffice:user',
    ]);
  });
});
