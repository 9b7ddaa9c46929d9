/**
 * Zendesk's error envelopes (zendesk-api.md §6.1) turned into a message and field details, and
 * per-item failures of bulk jobs turned into our one error type. Trap 9: descriptions are not a
 * contract (they may be localised), so nothing here branches on their text; codes and statuses
 * decide, and the text is kept for people.
 */
import { z } from 'zod';
import { SyncError, type SyncErrorCode } from '../../core/sync-error.js';
import type { ErrorDescription } from '../http-client.js';
import type { JobResultItem } from './zendesk-wire.js';

// §6.1 envelopes: {error, description, details: {field: [{description, error?}]}}, a bare string,
// {error: {title, message}}, and the JSON:API style {errors: [{code, title, detail}]}.
const detailEntry = z.object({ description: z.string().optional(), error: z.string().optional() });
const envelope = z.object({
  error: z.union([z.string(), z.object({ title: z.string().optional(), message: z.string().optional() })]).optional(),
  description: z.string().optional(),
  details: z.record(z.string(), z.array(detailEntry)).optional(),
  errors: z
    .array(z.object({ code: z.string().optional(), title: z.string().optional(), detail: z.string().optional() }))
    .optional(),
});

/** One field's entries as text, each led by its code when it has one ("DuplicateValue: Email: …"). */
function entryText(entry: z.infer<typeof detailEntry>): string {
  const description = entry.description ?? '(no description)';
  return entry.error === undefined ? description : `${entry.error}: ${description}`;
}

export function describeZendeskError(status: number, body: string): ErrorDescription {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // The single-user 429 and some gateway errors are plain text (§5.3).
    const text = body.trim().slice(0, 300);
    return { message: text === '' ? `HTTP ${status}` : text };
  }
  const parsed = envelope.safeParse(json);
  if (!parsed.success) return { message: body.slice(0, 300) };
  const { error, description, details, errors } = parsed.data;
  const parts: string[] = [];
  if (typeof error === 'string') parts.push(error);
  else if (error !== undefined) parts.push([error.title, error.message].filter(Boolean).join(': '));
  if (description !== undefined) parts.push(description);
  for (const entry of errors ?? []) parts.push([entry.code, entry.title, entry.detail].filter(Boolean).join(': '));
  const fields =
    details === undefined
      ? undefined
      : Object.fromEntries(Object.entries(details).map(([field, entries]) => [field, entries.map(entryText)]));
  const message = parts.join(': ') || `HTTP ${status}`;
  return fields === undefined ? { message } : { message, fields };
}

/**
 * The field a job failure's `details` text names ("Email: x is already being used" -> email).
 * Only used to file the text under a key for people to read; never to decide anything.
 */
function fieldOf(details: string): string {
  const match = /^([A-Z][A-Za-z ]{0,40}):/.exec(details);
  return match?.[1] === undefined ? 'base' : match[1].toLowerCase().replaceAll(' ', '_');
}

function detailsText(details: JobResultItem['details']): string {
  if (details === undefined) return '';
  return typeof details === 'string' ? details : JSON.stringify(details);
}

/** A failed bulk-job item as our error: code from the item's `error` code, field details kept. */
export function jobItemError(item: JobResultItem, what: string): SyncError {
  const text = detailsText(item.details);
  const code: SyncErrorCode =
    item.error === 'RecordNotFound' ? 'not_found' : item.error === 'UpdateConflict' ? 'conflict' : 'validation';
  const message = `Zendesk refused to ${what}: ${[item.error, text].filter((part) => part !== undefined && part !== '').join(': ')}`;
  return new SyncError(code, message, text === '' ? {} : { fields: { [fieldOf(text)]: [text] } });
}

/** Whether a failed POST may still have taken effect (the answer was lost, or a gateway failed after the work). */
export function mayHaveTakenEffect(error: SyncError): boolean {
  if (error.code !== 'transient') return false;
  return error.status === undefined || error.status === 500 || error.status === 502 || error.status === 504;
}
