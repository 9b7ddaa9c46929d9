/**
 * `tandem status` as data: per flow where every SuperOffice record stands (each counted once), the
 * last cycles, the cursors, and every attention item (see ./attention.ts) with true totals. Items
 * come in a fixed order (what needs a person first), so `offset`/`limit` page through them.
 */

import type { EntitySnapshot } from '../core/entity.js';
import type { RecordRef } from '../core/model.js';
import { type FlowName, flows } from '../spec/flows.js';
import type { CursorRecord, CycleRecord, OutboxRow, StateStore, StoredRecord } from '../store/state-store.js';
import type { AttentionItem, AttentionKind } from './attention.js';
import { type ActiveSync, AttentionCollector } from './attention-collector.js';

export type { ActiveSync } from './attention-collector.js';

export interface FlowStatus {
  readonly flow: FlowName;
  readonly superofficeType: string;
  readonly zendeskType: string;
  /** Live SuperOffice records of the flow's type. */
  readonly records: number;
  /** Of those, linked to a live Zendesk record. */
  readonly linked: number;
  /** The others, each in the first state that applies (they add up to records - linked). */
  readonly notLinked: {
    readonly ambiguous: number;
    /** The create was refused. */
    readonly failed: number;
    /** Waiting for a record it points at. */
    readonly waiting: number;
    /** Held until a person acts (a name taken or missing, a deleted Zendesk record). */
    readonly held: number;
    /** Left out by the flow's create rule (a person on no synced ticket). */
    readonly outOfScope: number;
    /** The create is in the outbox, to be sent. */
    readonly writing: number;
    /** Read but not planned yet: the next cycle plans it. */
    readonly unplanned: number;
  };
  /** Values a conflict decided that still stand, on records of this flow. */
  readonly conflicts: number;
  /** Attention items of this flow that need a person. */
  readonly needsPerson: number;
}

export interface StatusReport {
  readonly flows: readonly FlowStatus[];
  /** Newest first. */
  readonly cycles: readonly CycleRecord[];
  readonly cursors: readonly CursorRecord[];
  /** Who syncs the state now, as the caller found it (see StatusOptions.activeSync). */
  readonly activeSync?: ActiveSync | null;
  readonly attention: {
    /** Every item, also those outside the page. */
    readonly total: number;
    readonly needsPerson: number;
    /** Counts per kind and reason, in list order. */
    readonly byReason: readonly {
      readonly kind: AttentionKind;
      readonly reason: string;
      readonly needsPerson: boolean;
      readonly count: number;
    }[];
    readonly offset: number;
    /** The page asked for (everything when no limit was given). */
    readonly items: readonly AttentionItem[];
  };
}

export interface StatusOptions {
  /** Cycles listed; 10 by default. */
  readonly cycles?: number;
  /** First attention item of the page. */
  readonly offset?: number;
  /** Attention items per page; all when absent. */
  readonly limit?: number;
  /**
   * Whether a tandem is syncing this state now: its lock holder, null when none is, undefined when
   * the caller cannot tell. It decides what a `running` last cycle means.
   */
  readonly activeSync?: ActiveSync | null;
}

/**
 * Cycles whose reports are searched for records they could not read. Such a record is read again
 * with back-off (up to an hour apart), so most cycles do not mention it: 200 one-minute cycles cover
 * three hours of reports.
 */
const cyclesForUnreadable = 200;

/** Rows read per store call while collecting. */
const pageSize = 500;

async function* pages<T, K>(
  read: (after: K | null, limit: number) => Promise<readonly T[]>,
  keyOf: (item: T) => K,
): AsyncGenerator<readonly T[]> {
  let after: K | null = null;
  for (;;) {
    const page = await read(after, pageSize);
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    after = keyOf(page[page.length - 1] as T);
  }
}

export async function collectStatus(store: StateStore, options: StatusOptions = {}): Promise<StatusReport> {
  const shownCycles = options.cycles ?? 10;
  const [breakdown, recentCycles, cursors] = await Promise.all([
    store.flowBreakdown(),
    store.listCycles(Math.max(shownCycles, cyclesForUnreadable)),
    store.listCursors(),
  ]);
  const cycles = recentCycles.slice(0, shownCycles);
  const collector = new AttentionCollector(store);
  collector.addCycles(cycles, options.activeSync);
  await collector.addUnreadable(recentCycles);
  for await (const page of pages<EntitySnapshot, string>(
    (after, limit) => store.pageNotedEntities(after, limit),
    (entity) => entity.id,
  )) {
    await collector.addEntities(page);
  }
  for await (const page of pages<OutboxRow, string>(
    (after, limit) => store.pageFailedOutbox(after, limit),
    (row) => row.key,
  )) {
    await collector.addFailedWrites(page);
  }
  for await (const page of pages<StoredRecord, RecordRef>(
    (after, limit) => store.pageAmbiguities(after, limit),
    (stored) => stored.record.ref,
  )) {
    collector.addAmbiguities(page);
  }
  for await (const page of pages<StoredRecord, RecordRef>(
    (after, limit) => store.pageDeletedMembers(after, limit),
    (stored) => stored.record.ref,
  )) {
    await collector.addDeletions(page);
  }
  const items = await collector.finish();

  const flowStatus = flows.map((flow): FlowStatus => {
    const counts = breakdown.find((candidate) => candidate.type === flow.superofficeType);
    const ofFlow = items.filter((item) => item.flow === flow.name);
    return {
      flow: flow.name,
      superofficeType: flow.superofficeType,
      zendeskType: flow.zendeskType,
      records: counts?.records ?? 0,
      linked: counts?.linked ?? 0,
      notLinked: {
        ambiguous: counts?.ambiguous ?? 0,
        failed: counts?.failed ?? 0,
        waiting: counts?.waiting ?? 0,
        held: counts?.held ?? 0,
        outOfScope: counts?.outOfScope ?? 0,
        writing: counts?.writing ?? 0,
        unplanned: counts?.unplanned ?? 0,
      },
      conflicts: ofFlow.filter((item) => item.kind === 'conflict').length,
      needsPerson: ofFlow.filter((item) => item.needsPerson).length,
    };
  });
  const byReason: { kind: AttentionKind; reason: string; needsPerson: boolean; count: number }[] = [];
  for (const item of items) {
    const group = byReason.find(
      (candidate) =>
        candidate.kind === item.kind && candidate.reason === item.reason && candidate.needsPerson === item.needsPerson,
    );
    if (group === undefined)
      byReason.push({ kind: item.kind, reason: item.reason, needsPerson: item.needsPerson, count: 1 });
    else group.count++;
  }
  const offset = Math.max(0, options.offset ?? 0);
  return {
    flows: flowStatus,
    cycles,
    cursors,
    ...(options.activeSync === undefined ? {} : { activeSync: options.activeSync }),
    attention: {
      total: items.length,
      needsPerson: items.filter((item) => item.needsPerson).length,
      byReason,
      offset,
      items: options.limit === undefined ? items.slice(offset) : items.slice(offset, offset + options.limit),
    },
  };
}
