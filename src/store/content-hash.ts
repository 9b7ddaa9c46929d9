/**
 * The content hash of a record: what the sync maps and needs (values, alternates, facts, the
 * deleted flag), not volatile metadata such as the modification time. Feeds overlap and repeat;
 * an equal hash means "nothing new to look at".
 */
import { hash } from 'node:crypto';
import type { SourceRecord } from '../core/model.js';

/** JSON text with object keys in sorted order and undefined entries left out. Runs for every record read. */
function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let text = '[';
    for (let index = 0; index < value.length; index++) text += (index === 0 ? '' : ',') + stableJson(value[index]);
    return `${text}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  // Most objects arrive with their keys in order already; sorting them anyway allocated more than the rest.
  if (!isSorted(keys)) keys.sort();
  let text = '{';
  for (const key of keys) {
    const entry = record[key];
    if (entry === undefined) continue;
    text += `${text.length === 1 ? '' : ','}${JSON.stringify(key)}:${stableJson(entry)}`;
  }
  return `${text}}`;
}

function isSorted(keys: readonly string[]): boolean {
  for (let index = 1; index < keys.length; index++)
    if ((keys[index - 1] as string) > (keys[index] as string)) return false;
  return true;
}

/**
 * Whether JSON.stringify already writes `value` as stableJson would: plain objects with their keys
 * in order and no undefined entries, all the way down. Checking allocates nothing, and the native
 * stringify is several times faster than building the text piece by piece.
 */
function isStable(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (Array.isArray(value)) {
    for (const item of value) if (item === undefined || !isStable(item)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  const record = value as Record<string, unknown>;
  let previous: string | undefined;
  for (const key in record) {
    if (previous !== undefined && previous > key) return false;
    const entry = record[key];
    if (entry === undefined || !isStable(entry)) return false;
    previous = key;
  }
  return true;
}

export function contentHash(record: SourceRecord): string {
  const content = {
    alternates: record.alternates ?? null,
    deleted: record.deleted,
    facts: record.facts ?? null,
    values: record.values,
  };
  const payload = isStable(content) ? JSON.stringify(content) : stableJson(content);
  // The one-shot form: a Hash object per record cost three times as much.
  return hash('sha1', payload, 'base64');
}
