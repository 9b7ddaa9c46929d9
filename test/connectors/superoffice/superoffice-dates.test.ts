import { describe, expect, it } from 'vitest';
import { hasOffset, wireDateToIso, wireDateToMillis } from '../../../src/connectors/superoffice/superoffice-dates.js';

describe('SuperOffice dates', () => {
  it('reads a date with an offset or Z as the instant it names, whatever zone zone-less dates are read in', () => {
    // The SO-TimeZone documentation's own example: 12:34:45 UTC seen from New York with includeTZOffset.
    expect(wireDateToIso('2018-12-24T07:34:45-0500', 'Europe/Oslo')).toBe('2018-12-24T12:34:45Z');
    expect(wireDateToIso('2018-12-24T13:34:45+01:00', 'America/New_York')).toBe('2018-12-24T12:34:45Z');
    expect(wireDateToIso('2018-12-24T12:34:45Z', 'America/New_York')).toBe('2018-12-24T12:34:45Z');
    expect(wireDateToIso('2018-12-24T12:34:45.1234567Z')).toBe('2018-12-24T12:34:45Z');
  });

  it('reads a zone-less date in the zone given, and the empty date as none', () => {
    expect(wireDateToIso('2018-12-24T13:34:45', 'Europe/Oslo')).toBe('2018-12-24T12:34:45Z');
    expect(wireDateToIso('2018-12-24T07:34:45', 'America/New_York')).toBe('2018-12-24T12:34:45Z');
    expect(wireDateToMillis('0001-01-01T00:00:00')).toBeNull();
    expect(wireDateToMillis('0001-01-01T00:00:00Z')).toBeNull();
    expect(wireDateToMillis('not a date')).toBeNull();
  });

  it('tells dates that name their zone from those that do not', () => {
    expect(hasOffset('2018-12-24T07:34:45-0500')).toBe(true);
    expect(hasOffset('2018-12-24T07:34:45Z')).toBe(true);
    expect(hasOffset('2018-12-24T07:34:45')).toBe(false);
  });
});
