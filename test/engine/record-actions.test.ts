import { afterEach, describe, expect, it } from 'vitest';
import { SyncError } from '../../src/core/sync-error.js';
import { explainEntityById, explainRecord } from '../../src/engine/explain.js';
import { prepareRelink, prepareUnlink, retryWrites } from '../../src/engine/record-actions.js';
import { collectStatus } from '../../src/engine/status.js';
import { counterIds } from './fake-system.js';
import { type Harness, openHarness } from './harness.js';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

/** When a person acts: the harness clock's time, as a command reads the real clock. */
const now = (h: Harness) => h.clock.now().toISOString();

describe('tandem retry', () => {
  it("makes a record's refused write due now, records it, and the next cycle sends it", async () => {
    harness = await openHarness();
    const h = harness;
    const contactId = h.superoffice.add('contact', { Name: 'Refused' });
    let refuse = true;
    h.zendesk.failureRule = () => (refuse ? new SyncError('validation', 'Name: is invalid') : undefined);
    await h.cycle();
    const [failed] = await h.store.pageFailedOutbox(null, 10);
    expect(failed?.state).toBe('failed');
    refuse = false; // fixed in Zendesk (say, a field rule relaxed): nothing in SuperOffice changes
    await h.cycle();
    expect(h.zendesk.all('organization')).toHaveLength(0); // refused for good: not sent again on its own

    const at = now(h);
    const result = await retryWrites(
      h.store,
      { ref: { system: 'superoffice', type: 'contact', id: contactId } },
      now(h),
    );
    expect(result).toEqual({ keys: [failed?.key] });
    const [due] = await h.store.outboxOf(failed?.entityId ?? '');
    expect(due).toMatchObject({ state: 'pending', nextAttemptAt: at });
    const history = await h.store.historyOf(failed?.entityId ?? '');
    expect(history.at(-1)).toMatchObject({ event: 'retry', cycleId: 'by-hand', rule: 'retry' });

    await h.cycle();
    expect(h.zendesk.all('organization').map((org) => org.values.name)).toEqual(['Refused']);
    const status = await collectStatus(h.store);
    expect(status.attention.items.filter((item) => item.kind === 'failed-write')).toEqual([]);
  });

  it('retries every failed write with --failed, and refuses a record it has never seen', async () => {
    harness = await openHarness();
    const h = harness;
    h.superoffice.add('contact', { Name: 'One' });
    h.superoffice.add('contact', { Name: 'Two' });
    let refuse = true;
    h.zendesk.failureRule = () => (refuse ? new SyncError('validation', 'refused') : undefined);
    await h.cycle();
    refuse = false;
    const result = await retryWrites(h.store, 'every-failed', now(h));
    expect('keys' in result && result.keys).toHaveLength(2);
    await h.cycle();
    expect(h.zendesk.all('organization')).toHaveLength(2);
    expect(await retryWrites(h.store, { ref: { system: 'superoffice', type: 'contact', id: '404' } }, now(h))).toEqual({
      refused: expect.stringContaining('Tandem has not seen superoffice:contact:404'),
    });
  });
});

describe('tandem relink', () => {
  it('links a contact whose name is taken to the Zendesk organization holding it, with history', async () => {
    harness = await openHarness();
    const h = harness;
    const orgId = h.zendesk.add('organization', { name: 'Fjord Logistics AS' });
    const contactId = h.superoffice.add('contact', { Name: 'Fjord Logistics AS' });
    await h.cycle();
    const contact = { system: 'superoffice', type: 'contact', id: contactId } as const;
    const org = { system: 'zendesk', type: 'organization', id: orgId } as const;
    const change = await prepareRelink(h.store, contact, org, now(h), counterIds('manual'));
    if ('refused' in change) throw new Error(change.refused);
    expect(change.description[0]).toBe(
      `superoffice:contact:${contactId} "Fjord Logistics AS" joins zendesk:organization:${orgId} "Fjord Logistics AS"`,
    );
    await change.apply();
    await h.cycle();
    const explanation = await explainRecord(h.store, contact);
    expect(explanation?.entity?.members.map((member) => member.ref)).toEqual([
      `superoffice:contact:${contactId}`,
      `zendesk:organization:${orgId}`,
    ]);
    expect(explanation?.entity?.history.map((entry) => `${entry.event}:${entry.rule}`)).toContain('linked:relink');
    expect(h.zendesk.all('organization')).toHaveLength(1);
    const status = await collectStatus(h.store);
    expect(status.attention.needsPerson).toBe(0);
    expect(status.flows.find((flow) => flow.flow === 'contact')).toMatchObject({ records: 1, linked: 1 });
  });

  it('refuses records of different kinds, and an entity that already has a record of that type', async () => {
    harness = await openHarness();
    const h = harness;
    const first = h.superoffice.add('contact', { Name: 'Acme' });
    const second = h.superoffice.add('contact', { Name: 'Beta' });
    const user = h.superoffice.add('user', { personEmail: 'ann@example.com', contactId: null });
    await h.cycle();
    const [acme] = h.zendesk.all('organization');
    const newId = counterIds('manual');
    const contact = { system: 'superoffice', type: 'contact', id: second } as const;
    expect(
      await prepareRelink(h.store, contact, { system: 'superoffice', type: 'user', id: user }, now(h), newId),
    ).toEqual({ refused: expect.stringContaining('cannot be the same thing') });
    expect(
      await prepareRelink(
        h.store,
        contact,
        { system: 'zendesk', type: 'organization', id: acme?.ref.id ?? '' },
        now(h),
        newId,
      ),
    ).toEqual({
      refused: expect.stringContaining(
        `already has superoffice:contact:${first} "Acme"; unlink that one first: tandem unlink superoffice:contact:${first}`,
      ),
    });
    h.zendesk.remove('organization', acme?.ref.id ?? '');
    await h.cycle();
    expect(
      await prepareRelink(
        h.store,
        contact,
        { system: 'zendesk', type: 'organization', id: acme?.ref.id ?? '' },
        now(h),
        newId,
      ),
    ).toEqual({ refused: expect.stringContaining('was deleted in zendesk') });
  });
});

describe('tandem unlink', () => {
  it('detaches an organization deleted in Zendesk, and the next cycle creates a new one', async () => {
    harness = await openHarness();
    const h = harness;
    const contactId = h.superoffice.add('contact', { Name: 'Acme' });
    await h.cycle();
    const [org] = h.zendesk.all('organization');
    h.zendesk.remove('organization', org?.ref.id ?? '');
    await h.cycle();
    expect(h.zendesk.all('organization')).toHaveLength(0); // a deletion is held, not undone
    const deleted = { system: 'zendesk', type: 'organization', id: org?.ref.id ?? '' } as const;
    const change = await prepareUnlink(h.store, deleted, now(h), counterIds('manual'));
    if ('refused' in change) throw new Error(change.refused);
    await change.apply();
    expect((await h.store.getRecord(deleted))?.entityId).toBeNull();
    await h.cycle();
    expect(h.zendesk.all('organization').map((created) => created.values.name)).toEqual(['Acme']);
    const status = await collectStatus(h.store);
    expect(status.attention.needsPerson).toBe(0);
    const explanation = await explainRecord(h.store, { system: 'superoffice', type: 'contact', id: contactId });
    expect(explanation?.entity?.history.map((entry) => `${entry.event}:${entry.rule}`)).toContain('unlinked:unlink');
  });

  it('makes a live record an entity of its own, which merge keys do not link back', async () => {
    harness = await openHarness();
    const h = harness;
    h.superoffice.add('user', { personEmail: 'ann@example.com', contactId: null });
    const zendeskId = h.zendesk.add('user', { email: 'ann@example.com', phone: null, organization_id: null });
    await h.cycle();
    const zendeskUser = { system: 'zendesk', type: 'user', id: zendeskId } as const;
    const before = (await h.store.getRecord(zendeskUser))?.entityId;
    const change = await prepareUnlink(h.store, zendeskUser, now(h), counterIds('manual'));
    if ('refused' in change) throw new Error(change.refused);
    await change.apply();
    await h.cycle();
    const after = (await h.store.getRecord(zendeskUser))?.entityId;
    expect(after).not.toBe(before);
    expect(after).toBe('manual000001');
    expect(await prepareUnlink(h.store, zendeskUser, now(h), counterIds('manual'))).toEqual({
      refused: expect.stringContaining('is the only record of its entity'),
    });
  });
});

describe('explain', () => {
  it('takes an entity id as status shows it, and names references by record and name', async () => {
    harness = await openHarness();
    const h = harness;
    const contactId = h.superoffice.add('contact', { Name: 'Fjord Logistics AS' });
    const userId = h.superoffice.add('user', { personEmail: 'ann@example.com', contactId });
    await h.cycle();
    const byRecord = await explainRecord(h.store, { system: 'superoffice', type: 'user', id: userId });
    const entityId = byRecord?.entity?.id ?? '';
    const byEntity = await explainEntityById(h.store, entityId);
    expect(byEntity?.record).toBe(`superoffice:user:${userId}`);
    expect(byEntity?.entity?.members).toEqual(byRecord?.entity?.members);
    expect(byEntity?.entity?.attributes.find((attribute) => attribute.attribute === 'organization')?.shown).toBe(
      `superoffice:contact:${contactId} "Fjord Logistics AS"`,
    );
    expect(await explainEntityById(h.store, 'e404404')).toBeUndefined();
  });
});
