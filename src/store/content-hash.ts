/**
 * The content hash of a record: what the sync maps and needs (values, alternates, facts, the
 * deleted flag), not volatile metadata such as the modification time. Feeds overlap and repeat;
 * an equal hash means "nothing new to look at".
 */
import { createHash } from 'node:crypto';
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
  let text = '{';
  for (const key of Object.keys(record).sort()) {
    const entry = record[key];
    if (entry === undefined) continue;
    text += `${text.length === 1 ? '' : ','}${JSON.stringify(key)}:${stableJson(entry)}`;
  }
  return `${text}}`;
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
