/**
 * The change-feed cursors this connector hands out. They are strings the engine stores as they are;
 * inside, one of:
 * - `zendesk:<type>:start:<epoch seconds>` — read the feed from that time (a first read, or after a full scan);
 * - `zendesk:<type>:cursor:<after_cursor>` — Zendesk's own opaque cursor (users, tickets; §4.1);
 * - `zendesk:organization:time:<start_time>:<ids>` — the time-based organization export: the next
 *   start time and the ids already delivered at that second, because the next page repeats that
 *   second (trap 6).
 */
import type { ZendeskRecordType } from '../../core/model.js';
import { SyncError } from '../../core/sync-error.js';

export type FeedPosition =
  | { readonly kind: 'start'; readonly startTime: number }
  | { readonly kind: 'cursor'; readonly cursor: string }
  | { readonly kind: 'time'; readonly startTime: number; readonly seen: readonly number[] };

export function encodeCursor(type: ZendeskRecordType, position: FeedPosition): string {
  switch (position.kind) {
    case 'start':
      return `zendesk:${type}:start:${position.startTime}`;
    case 'cursor':
      return `zendesk:${type}:cursor:${position.cursor}`;
    case 'time':
      return `zendesk:${type}:time:${position.startTime}:${position.seen.join(',')}`;
  }
}

export function decodeCursor(type: ZendeskRecordType, cursor: string | null): FeedPosition {
  if (cursor === null)
    return type === 'organization' ? { kind: 'time', startTime: 0, seen: [] } : { kind: 'start', startTime: 0 };
  const prefix = `zendesk:${type}:`;
  if (!cursor.startsWith(prefix)) {
    throw new SyncError('bug', `"${cursor.slice(0, 60)}" is not a cursor of the Zendesk ${type} feed`);
  }
  const rest = cursor.slice(prefix.length);
  const [kind] = rest.split(':', 1);
  const body = rest.slice((kind?.length ?? 0) + 1);
  if (kind === 'cursor' && type !== 'organization' && body !== '') return { kind: 'cursor', cursor: body };
  if (kind === 'start' && /^\d+$/.test(body)) {
    const startTime = Number(body);
    return type === 'organization' ? { kind: 'time', startTime, seen: [] } : { kind: 'start', startTime };
  }
  const time = /^(\d+):([\d,]*)$/.exec(body);
  if (kind === 'time' && type === 'organization' && time !== null) {
    const seen = time[2] === undefined || time[2] === '' ? [] : time[2].split(',').map(Number);
    return { kind: 'time', startTime: Number(time[1]), seen };
  }
  throw new SyncError('bug', `"${cursor.slice(0, 60)}" is not a cursor of the Zendesk ${type} feed`);
}
