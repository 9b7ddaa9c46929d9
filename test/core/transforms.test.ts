import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalDateTime,
  canonicalEmail,
  canonicalPhone,
  canonicalText,
  dueFromMinutesAfterCreation,
  emailMatchKey,
  organizationNameKey,
} from '../../src/core/transforms.js';

describe('canonical values', () => {
  it('compares e-mails trimmed and case-insensitively, keeping null and empty apart', () => {
    expect(canonicalEmail(' Ann@Example.COM ')).toBe('ann@example.com');
    expect(canonicalEmail('')).toBe('');
    expect(canonicalEmail(null)).toBeNull();
  });

  it('normalises phones to digits with a leading plus kept', () => {
    expect(canonicalPhone('+47 (22) 33-44 55')).toBe('+4722334455');
    expect(canonicalPhone('22 33')).toBe('2233');
    expect(canonicalPhone(null)).toBeNull();
  });

  it('takes surrounding white space in text as formatting, not content', () => {
    expect(canonicalText('  Acme ')).toBe('Acme');
    expect(canonicalText('acme')).not.toBe(canonicalText('Acme'));
  });

  it('compares date-times in UTC to the second, and keeps what does not parse', () => {
    expect(canonicalDateTime('2024-03-26T10:00:00.900+02:00')).toBe('2024-03-26T08:00:00Z');
    expect(canonicalDateTime('tomorrow')).toBe('tomorrow');
  });

  it('writes every instant as toISOString does, to the second, far-off years included', () => {
    const bySecond = (date: Date) =>
      `${new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().slice(0, 19)}Z`;
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        expect(canonicalDateTime(date.toISOString())).toBe(bySecond(date));
      }),
      { seed: 7, numRuns: 2000 },
    );
    for (const text of [
      '0000-01-01T00:00:00Z',
      '0999-12-31T23:59:59.999Z',
      '9999-12-31T23:59:59Z',
      '+010000-01-01T00:00:00Z',
      '-000001-06-15T12:00:00Z',
    ])
      expect(canonicalDateTime(text)).toBe(bySecond(new Date(text)));
    expect(() => dueFromMinutesAfterCreation('1e15', '2024-03-26T08:00:00Z')).toThrow(RangeError);
  });

  it('computes a due date from TimeToReply minutes after creation, and none for 0 or absent', () => {
    expect(dueFromMinutesAfterCreation('90', '2024-03-26T08:00:00Z')).toBe('2024-03-26T09:30:00Z');
    expect(dueFromMinutesAfterCreation('0', '2024-03-26T08:00:00Z')).toBeNull();
    expect(dueFromMinutesAfterCreation(null, '2024-03-26T08:00:00Z')).toBeNull();
    expect(dueFromMinutesAfterCreation(undefined, '2024-03-26T08:00:00Z')).toBeNull();
    expect(dueFromMinutesAfterCreation('30', undefined)).toBeNull();
  });

  it('never matches on empty e-mails or names', () => {
    expect(emailMatchKey('  ')).toBeUndefined();
    expect(emailMatchKey(null)).toBeUndefined();
    expect(organizationNameKey(' ')).toBeUndefined();
    expect(organizationNameKey('ACME ')).toBe('acme');
  });
});
