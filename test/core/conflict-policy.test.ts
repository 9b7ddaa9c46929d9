import { describe, expect, it } from 'vitest';
import { editTimeOf } from '../../src/core/conflict-policy.js';

const seenAt = '2024-03-26T08:05:00.000Z';

describe('dating an edit for the latest-wins rule', () => {
  it('uses the record’s modification time when it moved past the one seen with the old value', () => {
    expect(
      editTimeOf({
        modifiedAt: '2024-03-26T08:02:00Z',
        modifiedAtBefore: '2024-03-26T08:00:00Z',
        seenAt,
        valueChanged: true,
      }),
    ).toBe('2024-03-26T08:02:00Z');
  });

  it('dates a changed value whose record kept its modification time when Tandem first saw it', () => {
    const unmoved = { modifiedAt: '2024-03-26T08:00:00Z', modifiedAtBefore: '2024-03-26T08:00:00.000Z', seenAt };
    expect(editTimeOf({ ...unmoved, valueChanged: true })).toBe(seenAt);
    expect(editTimeOf({ ...unmoved, modifiedAt: '2024-03-26T07:59:00Z', valueChanged: true })).toBe(seenAt);
  });

  it('keeps the modification time of a value that did not change, or when the earlier time is unknown', () => {
    const at = '2024-03-26T08:00:00Z';
    expect(editTimeOf({ modifiedAt: at, modifiedAtBefore: at, seenAt, valueChanged: false })).toBe(at);
    expect(editTimeOf({ modifiedAt: at, modifiedAtBefore: undefined, seenAt, valueChanged: true })).toBe(at);
    expect(editTimeOf({ modifiedAt: at, modifiedAtBefore: null, seenAt, valueChanged: true })).toBe(at);
  });

  it('dates a record without modification time when Tandem first saw its content', () => {
    expect(editTimeOf({ modifiedAt: null, modifiedAtBefore: undefined, seenAt, valueChanged: false })).toBe(seenAt);
  });
});
