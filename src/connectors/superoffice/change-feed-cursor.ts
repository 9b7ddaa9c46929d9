/**
 * The SuperOffice change-feed cursor: opaque to callers, JSON inside.
 *
 * - `since`: the watermark, the latest modification time (ms, UTC) a completed read saw. The next
 *   read asks for everything changed since `since - overlap`: person and contact filters have
 *   day granularity (superoffice-api.md §4.3), and server clocks and late commits need slack.
 * - `seen`: for records inside that overlap window, `id -> "hash@modifiedSeconds"` of what was
 *   already yielded, so the overlap is re-read but not reported twice unless the content changed
 *   (an e-mail-only edit inside the window changes the hash without moving UpdatedDate). For users,
 *   which have no updated column, it holds every user: the full scan is de-duplicated by content.
 * - `progress`: present while a read is between pages: pages go in primary-key order, so the
 *   watermark can only move when the last page is done; until then a cursor resumes after `afterId`.
 * - `retry`: records whose read failed on their own (a GET that kept answering 502 or dropping the
 *   connection, an entity missing a required value): `id -> "attempts@nextAttemptSeconds"`. The
 *   next reads GET them again once due, with back-off, until they read or are gone.
 */
import { z } from 'zod';
import { SyncError } from '../../core/sync-error.js';

const progressSchema = z.object({
  phase: z.enum(['deleted', 'live']),
  afterId: z.number().int().nonnegative(),
  high: z.number().nullable(),
});

const cursorSchema = z.object({
  v: z.literal(1),
  type: z.enum(['contact', 'person', 'ticket', 'user']),
  since: z.number().nullable(),
  seen: z.record(z.string(), z.string()),
  progress: progressSchema.optional(),
  retry: z.record(z.string(), z.string()).optional(),
});

export type FeedType = z.infer<typeof cursorSchema>['type'];
export type FeedProgress = z.infer<typeof progressSchema>;
export type FeedCursor = z.infer<typeof cursorSchema>;

export function encodeCursor(cursor: FeedCursor): string {
  return JSON.stringify(cursor);
}

export function decodeCursor(type: FeedType, text: string | null): FeedCursor | null {
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success || parsed.data.type !== type) {
    throw new SyncError('bug', `'${text.slice(0, 60)}' is not a SuperOffice ${type} cursor`);
  }
  return parsed.data;
}

/** The content hash part of a `seen` entry. */
export function seenHash(entry: string | undefined): string | undefined {
  return entry?.slice(0, entry.lastIndexOf('@'));
}

/** The modification time (ms) part of a `seen` entry. */
export function seenModifiedMs(entry: string): number {
  return Number(entry.slice(entry.lastIndexOf('@') + 1)) * 1000;
}

export function seenEntry(hash: string, modifiedMs: number | null): string {
  return `${hash}@${modifiedMs === null ? 0 : Math.floor(modifiedMs / 1000)}`;
}

/** A retry entry: how many reads failed and when (ms) the next may be tried. */
export function retryEntry(attempts: number, nextAtMs: number): string {
  return `${attempts}@${Math.ceil(nextAtMs / 1000)}`;
}

export function retryAttempts(entry: string): number {
  return Number(entry.slice(0, entry.indexOf('@')));
}

export function retryDueMs(entry: string): number {
  return Number(entry.slice(entry.indexOf('@') + 1)) * 1000;
}
