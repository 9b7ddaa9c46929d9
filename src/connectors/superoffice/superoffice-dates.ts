/**
 * SuperOffice dates (superoffice-api.md §2.0, D-TZ, SO-TimeZone docs):
 * - by default date-times carry no zone; Created/Updated dates are UTC; other dates (a ticket's
 *   CreatedAt, LastChanged) are in the tenant's base time zone;
 * - a request with `SO-TimeZone: UTC, includeTZOffset` gets them converted to UTC and tagged with
 *   their offset (`2018-12-24T07:34:45-0500`; Created/Updated tagged as UTC).
 * A date with `Z` or an offset (`±hh:mm` or `±hhmm`) is read as the instant it names; a date
 * without one is read in the zone the caller gives (UTC for Created/Updated dates, for ticket dates
 * UTC once SuperOffice is seen honouring the header, else the configured base zone).
 * `0001-01-01T00:00:00` is SuperOffice's "no date".
 */

const noDate = /^0001-01-01/;
const wireDatePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Whether a wire date names its zone (`Z` or an offset). */
export function hasOffset(text: string): boolean {
  return wireDatePattern.exec(text.trim())?.[7] !== undefined;
}

/** Minutes east of UTC of a `Z` / `±hh:mm` / `±hhmm` suffix. */
function offsetMinutes(suffix: string): number {
  if (suffix.toUpperCase() === 'Z') return 0;
  const digits = suffix.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  return suffix.startsWith('-') ? -minutes : minutes;
}

/** Wall-clock parts of an instant in a zone. */
function wallClock(instantMs: number, timeZone: string): string {
  if (timeZone === 'UTC') return new Date(instantMs).toISOString().slice(0, 19);
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(instantMs));
  const value = (type: Intl.DateTimeFormatPartTypes) => parts.find((part) => part.type === type)?.value ?? '00';
  return `${value('year')}-${value('month')}-${value('day')}T${value('hour')}:${value('minute')}:${value('second')}`;
}

function utcMillisOfWallClock(text: string): number {
  const match = wireDatePattern.exec(text.trim());
  if (match === null) return Number.NaN;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0);
}

/**
 * Milliseconds since the epoch of a SuperOffice date: the instant its offset names, or, without
 * one, its wall clock read in `timeZone`; null for "no date" or an unreadable value.
 */
export function wireDateToMillis(text: string, timeZone = 'UTC'): number | null {
  if (noDate.test(text)) return null;
  const asUtc = utcMillisOfWallClock(text);
  if (Number.isNaN(asUtc)) return null;
  const suffix = wireDatePattern.exec(text.trim())?.[7];
  if (suffix !== undefined) return asUtc - offsetMinutes(suffix) * 60_000;
  if (timeZone === 'UTC') return asUtc;
  // Shift by the zone's offset at that moment; a second round settles DST transitions.
  let instant = asUtc;
  for (let round = 0; round < 2; round++) instant += asUtc - utcMillisOfWallClock(wallClock(instant, timeZone));
  return instant;
}

/** ISO-8601 UTC with `Z` (our record convention), or null for "no date". */
export function wireDateToIso(text: string, timeZone = 'UTC'): string | null {
  const millis = wireDateToMillis(text, timeZone);
  return millis === null ? null : new Date(millis).toISOString().replace('.000Z', 'Z');
}

/** The zone-less form SuperOffice filters expect, of an instant seen in `timeZone`. */
export function millisToWireDate(instantMs: number, timeZone = 'UTC'): string {
  return wallClock(instantMs, timeZone);
}

/** An HTTP date for If-Unmodified-Since. */
export function httpDate(instantMs: number): string {
  return new Date(instantMs).toUTCString();
}
