/**
 * The `SO-TimeZone` request header (superoffice-api.md §1.3, D-TZ, D-HDR): `NO`, `US-NY`, `261`,
 * optionally followed by `, includeTZOffset`. Dates other than Created/Updated are converted from the
 * tenant's base time zone to the one asked for; with `includeTZOffset` they carry their offset
 * (`2018-12-24T07:34:45-0500`) and Created/Updated dates are tagged as UTC. Without the header the
 * base time zone applies and nothing is tagged.
 */

/** SuperOffice's zone codes and ids as its documentation lists them (D-TZ), with their IANA zones. */
const zones: readonly { readonly id: number; readonly code: string; readonly iana: string }[] = [
  { id: 1, code: 'UTC', iana: 'UTC' },
  { id: 36, code: 'AU-ACT', iana: 'Australia/Sydney' },
  { id: 50, code: 'BD', iana: 'Asia/Dhaka' },
  { id: 114, code: 'CA-QC', iana: 'America/Toronto' },
  { id: 140, code: 'DK', iana: 'Europe/Copenhagen' },
  { id: 156, code: 'FR', iana: 'Europe/Paris' },
  { id: 261, code: 'NO', iana: 'Europe/Oslo' },
  { id: 425, code: 'US-CA', iana: 'America/Los_Angeles' },
  { id: 433, code: 'US-HI', iana: 'Pacific/Honolulu' },
  { id: 460, code: 'US-NY', iana: 'America/New_York' },
];

export interface RequestedTimeZone {
  /** IANA zone the request's non-Created/Updated dates are in; undefined = the tenant's base zone. */
  readonly timeZone: string | undefined;
  readonly includeOffset: boolean;
}

export function requestedTimeZone(header: string | string[] | undefined): RequestedTimeZone {
  const text = Array.isArray(header) ? header[0] : header;
  if (text === undefined || text.trim() === '') return { timeZone: undefined, includeOffset: false };
  const [first = '', ...rest] = text.split(',').map((part) => part.trim());
  const includeOffset = rest.some((part) => part.toLowerCase() === 'includetzoffset');
  const byCode = zones.find((zone) => zone.code.toLowerCase() === first.toLowerCase() || String(zone.id) === first);
  // A code this simulator does not know is left at the base zone (its list is the documented sample).
  return { timeZone: byCode?.iana, includeOffset };
}
