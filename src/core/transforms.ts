/**
 * Canonical forms of property values. Two values are "the same" for the sync when their canonical
 * forms are equal, so a value the other system normalises on save never looks like an edit.
 * Every `TransformName` of src/spec/flows.ts has its functions here; references are translated
 * through global entities by the planner and only their id format lives here.
 */
import type { TransformName } from '../spec/flows.js';
import type { PropertyValue } from './model.js';

/** A value in canonical form. `null` is "no value"; an empty string stays an empty string. */
export type CanonicalValue = string | null;

/** Text: surrounding white space is not content (both systems trim on some screens, not on others). */
export function canonicalText(raw: PropertyValue): CanonicalValue {
  return raw === null ? null : raw.trim();
}

/** E-mail: trimmed and lower-cased; both systems treat addresses case-insensitively. */
export function canonicalEmail(raw: PropertyValue): CanonicalValue {
  return raw === null ? null : raw.trim().toLowerCase();
}

/** Phone: a leading `+` is kept, every other character but digits is formatting. */
export function canonicalPhone(raw: PropertyValue): CanonicalValue {
  if (raw === null) return null;
  const trimmed = raw.trim();
  const digits = trimmed.replace(/[^0-9]/g, '');
  return trimmed.startsWith('+') ? `+${digits}` : digits;
}

/**
 * A date-time in UTC to the second, `YYYY-MM-DDTHH:MM:SSZ`. Sub-seconds and offsets are formatting.
 * A value that does not parse is kept as written, so nothing is silently erased.
 */
export function canonicalDateTime(raw: PropertyValue): CanonicalValue {
  if (raw === null) return null;
  const trimmed = raw.trim();
  if (trimmed === '') return trimmed;
  const millis = Date.parse(trimmed);
  if (Number.isNaN(millis)) return trimmed;
  return formatUtcSecond(millis);
}

function formatUtcSecond(millis: number): string {
  const date = new Date(Math.floor(millis / 1000) * 1000);
  const year = date.getUTCFullYear();
  // toISOString is what this must equal, but it is several times slower than reading the fields,
  // and every ticket's due date is formatted on every plan. It still formats what the fields
  // would get wrong: years outside 0-9999 (written ±YYYYYY) and invalid dates (it throws).
  if (!(year >= 0 && year <= 9999)) return `${date.toISOString().slice(0, 19)}Z`;
  const day = `${String(year).padStart(4, '0')}-${twoDigits(date.getUTCMonth() + 1)}-${twoDigits(date.getUTCDate())}`;
  const time = `${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}:${twoDigits(date.getUTCSeconds())}`;
  return `${day}T${time}Z`;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/**
 * SuperOffice `TimeToReply` (minutes from creation to first reply, computed by SuperOffice) as a
 * Zendesk due date: the ticket's creation time plus that many minutes, UTC to the second.
 * 0, absent, null or a value that is not a number of minutes means "no due date".
 */
export function dueFromMinutesAfterCreation(
  minutes: PropertyValue | undefined,
  createdAt: string | undefined,
): CanonicalValue {
  if (minutes === undefined || minutes === null) return null;
  const amount = Number(minutes.trim());
  if (minutes.trim() === '' || !Number.isFinite(amount) || amount <= 0) return null;
  if (createdAt === undefined) return null;
  const created = Date.parse(createdAt);
  if (Number.isNaN(created)) return null;
  return formatUtcSecond(created + amount * 60_000);
}

/** The canonical form of a plain (non-reference, non-computed) value under a transform. */
export function canonicalValue(transform: Exclude<TransformName, 'reference'>, raw: PropertyValue): CanonicalValue {
  switch (transform) {
    case 'text':
      return canonicalText(raw);
    case 'email':
      return canonicalEmail(raw);
    case 'phone':
      return canonicalPhone(raw);
    case 'minutes-after-creation':
      return canonicalDateTime(raw);
  }
}

/** The key two records must share to match on an e-mail; empty addresses never match. */
export function emailMatchKey(raw: PropertyValue | undefined): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  const canonical = raw.trim().toLowerCase();
  return canonical === '' ? undefined : canonical;
}

/** Zendesk organization names are unique regardless of case; this is the key that uniqueness uses. */
export function organizationNameKey(name: CanonicalValue): string | undefined {
  if (name === null) return undefined;
  const key = name.trim().toLowerCase();
  return key === '' ? undefined : key;
}
