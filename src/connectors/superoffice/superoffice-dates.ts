/**
 * SuperOffice writes date-times without a zone (superoffice-api.md §2.0): Created/Updated dates
 * are UTC (D-TZ); ticket dates (CreatedAt, LastChanged) are plain DateTime columns, which we read
 * as the tenant's base time zone (§9 item 10: not confirmed, so the zone is configuration).
 * `0001-01-01T00:00:00` is SuperOffice's "no date".
 */

const noDate = /^0001-01-01/;
const wireDatePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/;

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
  const match = wireDatePattern.exec(text);
  if (match === null) return Number.NaN;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0);
}

/** Milliseconds since the epoch of a zone-less SuperOffice date read in `timeZone`; null for "no date" or an unreadable value. */
export function wireDateToMillis(text: string, timeZone = 'UTC'): number | null {
  if (noDate.test(text)) return null;
  const asUtc = utcMillisOfWallClock(text);
  if (Number.isNaN(asUtc)) return null;
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
