/**
 * SuperOffice writes date-times without a zone. Created/Updated dates are UTC; ticket dates
 * (CreatedAt, LastChanged, ...) are stored as plain DateTime, read here as the tenant's base time
 * zone (superoffice-api.md §2.0 D-TZ and §9 item 10, the pessimistic reading).
 */

/** The zone-less wire form, `2022-07-14T14:44:54`, of an instant seen in `timeZone`. */
export function formatWireDate(instantMs: number, timeZone = 'UTC'): string {
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
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((candidate) => candidate.type === type)?.value ?? '00';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`;
}

/** The instant a zone-less wire date names in `timeZone`; NaN when the text is not a date. */
export function parseWireDate(text: string, timeZone = 'UTC'): number {
  const match = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text.trim());
  if (match === null) return Number.NaN;
  const [, year, month, day, hour, minute, second] = match;
  const asUtc = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour ?? 0),
    Number(minute ?? 0),
    Number(second ?? 0),
  );
  if (timeZone === 'UTC') return asUtc;
  // Two rounds settle the offset except inside a DST gap, where any nearby instant will do.
  let guess = asUtc;
  for (let round = 0; round < 2; round++) {
    const seen = parseWireDate(formatWireDate(guess, timeZone));
    guess += asUtc - seen;
  }
  return guess;
}

/** SuperOffice's "no date". */
export const emptyWireDate = '0001-01-01T00:00:00';

/** An HTTP date (Last-Modified, If-Unmodified-Since). */
export function httpDate(instantMs: number): string {
  return new Date(instantMs).toUTCString();
}

/** The offset of `timeZone` at an instant, as SuperOffice writes it after a date: `+0100`, `-0500`. */
export function offsetSuffix(instantMs: number, timeZone: string): string {
  const minutes = Math.round((parseWireDate(formatWireDate(instantMs, timeZone)) - instantMs) / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  return `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}${String(absolute % 60).padStart(2, '0')}`;
}
