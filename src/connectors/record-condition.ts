/**
 * The check behind conditional updates (UpdateOperation.expected) where a system offers no guard of
 * its own, or before one: does the record as read now still hold what the engine read?
 */
import type { PropertyValues, SourceRecord } from '../core/model.js';

/** Whether a record holds, for every property of `expected`, the same value (absent counts as null). */
export function stillHolds(record: SourceRecord, expected: PropertyValues): boolean {
  for (const [path, value] of Object.entries(expected)) {
    if ((record.values[path] ?? null) !== value) return false;
  }
  return true;
}
