/**
 * `tandem status` as data: per flow the linked, waiting, failed, conflicted and ambiguous counts,
 * the last cycles, the cursors, and the records that need a person's attention with what to do.
 */

import type { RecordType } from '../core/model.js';
import { refKey } from '../core/model.js';
import { type FlowName, flows } from '../spec/flows.js';
import type { CursorRecord, CycleRecord, StateStore } from '../store/state-store.js';

export interface FlowStatus {
  readonly flow: FlowName;
  readonly superofficeType: RecordType;
  readonly zendeskType: RecordType;
  /** Live SuperOffice records of the flow's type. */
  readonly records: number;
  /** Of those, linked to a live Zendesk record. */
  readonly linked: number;
  readonly waiting: number;
  readonly failed: number;
  readonly conflicted: number;
  readonly ambiguous: number;
}

export interface AttentionItem {
  readonly kind: 'ambiguity' | 'failed-write' | 'waiting' | 'held';
  /** A record (`system:type:id`) or a global entity id. */
  readonly subject: string;
  readonly message: string;
  /** What a person can do about it. */
  readonly advice: string;
}

export interface StatusReport {
  readonly flows: readonly FlowStatus[];
  /** Newest first. */
  readonly cycles: readonly CycleRecord[];
  readonly cursors: readonly CursorRecord[];
  readonly attention: readonly AttentionItem[];
}

export async function collectStatus(
  store: StateStore,
  options: { cycles?: number; attention?: number } = {},
): Promise<StatusReport> {
  const limit = options.attention ?? 100;
  const [counts, cycles, cursors, ambiguities, failed, waiting] = await Promise.all([
    store.flowCounts(),
    store.listCycles(options.cycles ?? 10),
    store.listCursors(),
    store.listAmbiguities(limit),
    store.listFailedOutbox(limit),
    store.listAttention(limit),
  ]);
  const flowStatus = flows.map((flow): FlowStatus => {
    const count = counts.find((candidate) => candidate.type === flow.superofficeType);
    return {
      flow: flow.name,
      superofficeType: flow.superofficeType,
      zendeskType: flow.zendeskType,
      records: count?.records ?? 0,
      linked: count?.linked ?? 0,
      waiting: count?.waiting ?? 0,
      failed: count?.failed ?? 0,
      conflicted: count?.conflicted ?? 0,
      ambiguous: count?.ambiguous ?? 0,
    };
  });
  const attention: AttentionItem[] = [];
  for (const stored of ambiguities) {
    attention.push({
      kind: 'ambiguity',
      subject: refKey(stored.record.ref),
      message: stored.ambiguity ?? 'not linked',
      advice: 'Fix the e-mails as the message says; the record is matched again on the next cycle.',
    });
  }
  for (const row of failed) {
    const permanent = row.state === 'failed';
    attention.push({
      kind: 'failed-write',
      subject:
        row.targetId === null
          ? `${row.system}:${row.type}: (create for entity ${row.entityId})`
          : `${row.system}:${row.type}:${row.targetId}`,
      message: `${row.lastError?.code ?? 'error'}: ${row.lastError?.message ?? ''} (${row.attempts} attempt${row.attempts === 1 ? '' : 's'})`,
      advice: permanent
        ? 'Refused for good: correct the record (the write is planned again when it changes), or restore the target.'
        : `Retried automatically at ${row.nextAttemptAt}.`,
    });
  }
  for (const entity of waiting) {
    for (const message of entity.waits) {
      attention.push({
        kind: 'waiting',
        subject: entity.entityId,
        message,
        advice: 'Resolves by itself once the record it waits for is synced; if that one needs attention, fix it first.',
      });
    }
    for (const message of Object.values(entity.holds)) {
      attention.push({
        kind: 'held',
        subject: entity.entityId,
        message,
        advice: 'Kept as it is on purpose; the message says what would change it.',
      });
    }
  }
  return { flows: flowStatus, cycles, cursors, attention: attention.slice(0, limit) };
}
