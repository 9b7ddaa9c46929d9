import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../src/core/model.js';
import { contentHash } from '../../src/store/content-hash.js';

const ticket: SourceRecord = {
  ref: { system: 'superoffice', type: 'ticket', id: '7' },
  values: { Title: 'Printer on fire', 'OwnedBy.AssociateId': '3', TimeToReply: null },
  alternates: { email: ['b@x.test', 'a@x.test'] },
  modifiedAt: '2024-01-01T00:00:00Z',
  deleted: false,
  facts: { createdAt: '2024-01-01T00:00:00Z' },
};

describe('contentHash', () => {
  it('stays the value stored by earlier versions, so an upgrade does not make every record look changed', () => {
    expect(contentHash(ticket)).toBe('vGWbVPtgBMwDafkSycpYJpWa9AY=');
  });

  it('ignores key order, keys holding undefined and the modification time', () => {
    const reordered: SourceRecord = {
      ...ticket,
      values: { TimeToReply: null, 'OwnedBy.AssociateId': '3', Title: 'Printer on fire' },
      facts: { isAgent: undefined, createdAt: '2024-01-01T00:00:00Z' },
      modifiedAt: '2025-06-01T12:00:00Z',
    };
    expect(contentHash(reordered)).toBe(contentHash(ticket));
  });

  it('changes with a value, an alternate, a fact or the deleted flag', () => {
    const hashes = [
      ticket,
      { ...ticket, values: { ...ticket.values, Title: 'Printer fixed' } },
      { ...ticket, alternates: { email: ['a@x.test', 'b@x.test'] } },
      { ...ticket, facts: { createdAt: '2024-01-02T00:00:00Z' } },
      { ...ticket, deleted: true },
    ].map(contentHash);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  test.prop([fc.dictionary(fc.string(), fc.jsonValue())])(
    'gives keys in order (written natively) and the same keys in any other order one hash',
    (values) => {
      const entries = Object.entries(values);
      const inOrder = Object.fromEntries([...entries].sort(([left], [right]) => (left < right ? -1 : 1)));
      const reversed = Object.fromEntries([...entries].reverse());
      expect(contentHash({ ...ticket, values: inOrder as never })).toBe(
        contentHash({ ...ticket, values: reversed as never }),
      );
    },
  );
});
