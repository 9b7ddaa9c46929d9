/**
 * The content hash of a record: what the sync maps and needs (values, alternates, facts, the
 * deleted flag), not volatile metadata such as the modification time. Feeds overlap and repeat;
 * an equal hash means "nothing new to look at".
 */
import { createHash } from 'node:crypto';
import type { SourceRecord } from '../core/model.js';

function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, entry]) => entry !== undefined)
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableJson(entry)}`).join(',')}}`;
}

export function contentHash(record: SourceRecord): string {
  const payload = stableJson({
    values: record.values,
    alternates: record.alternates ?? null,
    facts: record.facts ?? null,
    deleted: record.deleted,
  });
  return createHash('sha1').update(payload).digest('base64');
}
