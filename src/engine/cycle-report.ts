/**
 * What a cycle (or a dry run of one) reports, as data: the lead's CLI and dashboard format it.
 * Lists are capped (`SyncEngineOptions.reportLimit`, default 1,000 items each) so a cycle over a
 * million records keeps a bounded report; the counts are always complete.
 */

import type { PropertyValues, RecordType, SystemName } from '../core/model.js';
import type { Decision, EntityConflict, Hold, Wait } from '../core/planner.js';
import type { CanonicalValue } from '../core/transforms.js';
import type { FlowName } from '../spec/flows.js';
import type { StoredError } from '../store/state-store.js';

export interface CycleProgress {
  readonly phase: 'read' | 'write';
  readonly system: SystemName;
  readonly type: RecordType;
  /** The flows the record type takes part in. */
  readonly flows: readonly FlowName[];
  /** Records read, or writes done, so far for this type in this cycle. */
  readonly done: number;
  /** Known for writes (the due rows counted up front); unknown for change feeds. */
  readonly total?: number;
}

export interface ReadReport {
  readonly system: SystemName;
  readonly type: RecordType;
  readonly pages: number;
  readonly records: number;
  /** New or changed by content hash. */
  readonly changed: number;
  /** True when the read was a full read (a sweep). */
  readonly full: boolean;
}

/**
 * A type whose read failed as a whole (after the connector's retries): its cursor stays where the
 * last stored page left it, the other types are read, planned and written as usual, and the type
 * is read again next cycle.
 */
export interface ReadFailureReport {
  readonly system: SystemName;
  readonly type: RecordType;
  readonly error: StoredError;
  /** What to do about it. */
  readonly advice: string;
}

/**
 * A record the connector could not read (it did not fit the documented shape). The cursor moved
 * past it; it is read again when it changes, and by the next full sweep.
 */
export interface RejectedRecordReport {
  readonly system: SystemName;
  readonly type: RecordType;
  /** The record's id; null when even that was unreadable. */
  readonly id: string | null;
  readonly error: StoredError;
}

export interface LinkReport {
  /** `system:type:id` */
  readonly record: string;
  readonly entityId: string;
  /** How it joined: a new entity, a merge key (e-mail), or the external id of a create. */
  readonly rule: 'new-entity' | 'merge-key' | 'external-id';
  readonly key?: string;
}

export interface AmbiguityReport {
  readonly record: string;
  /** What is ambiguous and what to do about it. */
  readonly message: string;
}

export interface CreateReport {
  readonly entityId: string;
  /** `zendesk:<type>` */
  readonly target: string;
  /** The SuperOffice record the create comes from, `superoffice:<type>:<id>`. */
  readonly origin: string;
  readonly values: PropertyValues;
}

export interface UpdateReport {
  readonly entityId: string;
  /** `system:type:id` */
  readonly target: string;
  /** Only the properties that change, as written. */
  readonly values: PropertyValues;
  /** The same, as canonical values per attribute. */
  readonly attributes: Readonly<Record<string, CanonicalValue>>;
}

export interface FailureReport {
  readonly key: string;
  readonly entityId: string;
  /** `system:type:id`, or `zendesk:<type>:` for a create. */
  readonly target: string;
  readonly error: StoredError;
  /** When it is tried again; null when it failed for good and a person must act. */
  readonly retryAt: string | null;
  /** What to do, for failures that need a person. */
  readonly advice: string | undefined;
}

export interface WriteCounts {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  /** Creates dropped because the record turned up another way (adopted after a crash). */
  readonly superseded: number;
  /**
   * Updates that found their target changed since it was read (someone edited it meanwhile):
   * nothing was written; the record as it is now was taken in and its entity planned again.
   */
  readonly conflicts: number;
  /**
   * Updates left in the outbox because their target's read failed this cycle: written blind, they
   * could overwrite edits we have not seen. They go out in the first cycle that reads the type.
   */
  readonly deferred: number;
  /** Write calls made to the connectors. */
  readonly calls: number;
}

export interface PlanCounts {
  readonly entitiesPlanned: number;
  readonly links: number;
  readonly ambiguities: number;
  readonly creates: number;
  readonly updates: number;
  readonly decisions: number;
  readonly conflicts: number;
  readonly waits: number;
  readonly holds: number;
  /** Records the connectors could not read (see `rejectedRecords`). */
  readonly rejectedRecords: number;
}

/** The plan part, shared by a cycle and a dry run. */
export interface PlanReport {
  readonly sweep: boolean;
  readonly reads: readonly ReadReport[];
  /** Types whose read failed this cycle; empty when every read succeeded. */
  readonly readFailures: readonly ReadFailureReport[];
  /** Records the reads could not take in (capped list; the count is in `counts.rejectedRecords`). */
  readonly rejectedRecords: readonly RejectedRecordReport[];
  readonly counts: PlanCounts;
  readonly links: readonly LinkReport[];
  readonly ambiguities: readonly AmbiguityReport[];
  readonly creates: readonly CreateReport[];
  readonly updates: readonly UpdateReport[];
  readonly decisions: readonly Decision[];
  readonly conflicts: readonly EntityConflict[];
  readonly waits: readonly Wait[];
  /** Values deliberately left as they are, recorded when first seen. */
  readonly holds: readonly Hold[];
}

export interface CycleReport extends PlanReport {
  readonly cycleId: string;
  /** `interrupted`: a stop signal ended the cycle early; what was done is safe and the rest is left for the next cycle. */
  readonly status: 'completed' | 'interrupted';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly writes: WriteCounts;
  readonly failures: readonly FailureReport[];
}
