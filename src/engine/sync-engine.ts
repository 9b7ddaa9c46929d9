/**
 * The I/O shell of one sync cycle for one tenant:
 *   read both change feeds into the store -> match new records -> plan kind by kind
 *   (organizations, people, tickets), each kind's writes sent before the next kind is planned
 *   -> record results and history.
 *
 * Crash safety comes from the order of store calls, each one atomic:
 * - a page and its cursor are stored together; a changed record dirties its entity;
 * - matching links records and dirties entities in one transaction;
 * - a plan stores the new base, the known values and the outbox rows together and clears the
 *   dirty flag, so the work it decided survives in the outbox;
 * - before a send, the rows are marked as attempted (a create's retry then looks up its handle);
 * - a send's results (links for creates, known values for updates) are stored together.
 * Whatever step a crash interrupts, the next cycle finds dirty entities or due outbox rows and
 * finishes the work; creates carry an idempotency handle, updates write values, so repeating a
 * send never duplicates.
 */
import type { Connector, WriteOperation, WriteOutcome } from '../connectors/connector.js';
import { type ConflictPolicy, defaultConflictPolicy } from '../core/conflict-policy.js';
import { type EntityDirectory, type EntitySnapshot, type MemberSummary, memberSummaryOf } from '../core/entity.js';
import { idKeyedRecord } from '../core/id-keyed-record.js';
import { jsonEqual } from '../core/json-equal.js';
import { decideMatch, type MatchCandidate, matchKeysOf, originOfExternalId } from '../core/matching.js';
import {
  isReferenceAttribute,
  kindOfRecordType,
  memberFields,
  memberTypesOfKind,
  syncedRecordTypes,
  zendeskTypeOfKind,
} from '../core/member-fields.js';
import {
  type PropertyValue,
  type RecordRef,
  type RecordType,
  refKey,
  type SourceRecord,
  type SystemName,
} from '../core/model.js';
import { type EntityPlan, heldCreateOf, planEntity } from '../core/planner.js';
import { nextAttemptAt } from '../core/retry-schedule.js';
import { isSyncError, SyncError } from '../core/sync-error.js';
import { organizationNameKey } from '../core/transforms.js';
import { type EntityKind, flowByName, flows, flowsForRecordType, kindOrder } from '../spec/flows.js';
import {
  type HistoryEntry,
  type JsonValue,
  type MatchCandidateRow,
  type MatchChange,
  type OutboxInsert,
  type OutboxResult,
  type OutboxRow,
  outboxKeyOfCreate,
  outboxKeyOfUpdate,
  type PlanCommit,
  type StateStore,
  type StoredError,
} from '../store/state-store.js';
import { PartedCache, RecordCache, RecordMap } from './cycle-cache.js';
import type {
  AmbiguityReport,
  CreateReport,
  CycleProgress,
  CycleReport,
  FailureReport,
  LinkReport,
  PlanReport,
  ReadFailureReport,
  ReadReport,
  RejectedRecordReport,
  UpdateReport,
} from './cycle-report.js';
import { followMerges } from './merge-relink.js';
import { timeOrderedIds } from './time-ordered-id.js';

export type { CycleProgress, CycleReport, PlanReport } from './cycle-report.js';

export interface SyncEngineLog {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
}

export interface SyncEngineOptions {
  store: StateStore;
  superoffice: Connector;
  zendesk: Connector;
  clock?: () => Date;
  policy?: ConflictPolicy;
  onProgress?: (event: CycleProgress) => void;
  log?: SyncEngineLog;
  /** Ids for new global entities and cycles; time-ordered UUIDs by default (tests pass a counter). */
  newId?: () => string;
  /** Items kept per list of a report; counts are always complete. Default 1,000. */
  reportLimit?: number;
  /**
   * Entities planned per store transaction. Default 500: larger batches outlive the young
   * generation of the garbage collector and made sweeps and first syncs slower, not faster.
   */
  planBatchSize?: number;
}

/** Kinds whose records other records point at (organizations, people): their links are worth remembering. */
const referencedKinds: ReadonlySet<EntityKind> = new Set(
  flows.flatMap((flow) =>
    flow.properties.flatMap((property) =>
      property.references === undefined ? [] : [flowByName(property.references).kind],
    ),
  ),
);

const noKnownChanges: PlanCommit['known'] = Object.freeze({});

function historyEntry(
  entityId: string,
  cycleId: string,
  at: string,
  event: HistoryEntry['event'],
  attribute: string | null,
  member: string | null,
  rule: string | null,
  detail: HistoryEntry['detail'],
): HistoryEntry {
  return { entityId, cycleId, at, event, attribute, member, rule, detail };
}

/** A planned write as its outbox row. */
function outboxInsertOf(write: EntityPlan['writes'][number]): OutboxInsert {
  return write.kind === 'create'
    ? {
        key: outboxKeyOfCreate(write.target.type, write.entityId),
        entityId: write.entityId,
        system: 'zendesk',
        type: write.target.type,
        operation: 'create',
        targetId: null,
        externalId: write.externalId,
        label: write.label ?? null,
        values: write.values,
        attributes: write.attributes,
      }
    : {
        key: outboxKeyOfUpdate(write.target),
        entityId: write.entityId,
        system: write.target.system,
        type: write.target.type,
        operation: 'update',
        targetId: write.target.id,
        externalId: null,
        label: null,
        values: write.values,
        attributes: write.attributes,
      };
}

// What a cycle remembers (see CycleCache): links are small and every reference needs one (kept per
// record type); a summary costs several objects (kept per kind planned, and apart those looked up),
// and the entities planned just before a kind are what it points at.
const linksPerGeneration = 25_000;
const summariesPerGeneration = 20_000;

const writeBatchSize = 100; // Zendesk bulk endpoints take at most 100 items
/** Times a kind is planned again in one cycle after writes met concurrent edits. */
const conflictReplans = 2;
const matchBatchSize = 2000;

/** Capped lists with complete counts. */
class ReportCollector {
  readonly reads: ReadReport[] = [];
  readonly readFailures: ReadFailureReport[] = [];
  readonly rejectedRecords: RejectedRecordReport[] = [];
  readonly links: LinkReport[] = [];
  readonly ambiguities: AmbiguityReport[] = [];
  readonly creates: CreateReport[] = [];
  readonly updates: UpdateReport[] = [];
  readonly decisions: PlanReport['decisions'][number][] = [];
  readonly conflicts: PlanReport['conflicts'][number][] = [];
  readonly waits: PlanReport['waits'][number][] = [];
  readonly holds: PlanReport['holds'][number][] = [];
  readonly failures: FailureReport[] = [];
  readonly counts = {
    entitiesPlanned: 0,
    links: 0,
    ambiguities: 0,
    creates: 0,
    updates: 0,
    decisions: 0,
    conflicts: 0,
    waits: 0,
    holds: 0,
    rejectedRecords: 0,
  };
  readonly writes = {
    created: 0,
    updated: 0,
    unchanged: 0,
    failed: 0,
    superseded: 0,
    conflicts: 0,
    deferred: 0,
    calls: 0,
  };

  constructor(private readonly limit: number) {}

  add<T>(list: T[], items: readonly T[]): void {
    for (const item of items) {
      if (list.length >= this.limit) return;
      list.push(item);
    }
  }

  planReport(sweep: boolean): PlanReport {
    return {
      sweep,
      reads: this.reads,
      readFailures: this.readFailures,
      rejectedRecords: this.rejectedRecords,
      counts: { ...this.counts },
      links: this.links,
      ambiguities: this.ambiguities,
      creates: this.creates,
      updates: this.updates,
      decisions: this.decisions,
      conflicts: this.conflicts,
      waits: this.waits,
      holds: this.holds,
    };
  }
}

class CycleInterrupted extends Error {
  constructor() {
    super('cycle interrupted by a stop signal');
    this.name = 'CycleInterrupted';
  }
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted === true) return true;
  return error instanceof Error && error.name === 'AbortError';
}

function storedError(error: SyncError): StoredError {
  return error.fields === undefined
    ? { code: error.code, message: error.message }
    : { code: error.code, message: error.message, fields: error.fields };
}

function adviceFor(error: StoredError): string | undefined {
  switch (error.code) {
    case 'validation':
      return 'The system refused these values. Correct the record in SuperOffice (or Zendesk); the write is planned again when it changes.';
    case 'not_found':
      return 'The target record no longer exists. Restore it, or accept that this member is no longer synced.';
    case 'auth':
      return 'The credentials were refused. Renew them in the configuration.';
    case 'config':
      return 'Check the configuration (URL, tenant, enabled features).';
    case 'bug':
    case 'malformed':
      return 'An unexpected answer; report it with `tandem explain` output for this record.';
    default:
      return undefined;
  }
}

/** What a person can do about a type whose read failed. */
function readAdviceFor(system: SystemName, error: SyncError): string {
  switch (error.code) {
    case 'transient':
    case 'rate_limited':
      return `${system} did not answer after retries; the type is read again next cycle from where it stopped. If it persists, check ${system}'s status.`;
    case 'malformed':
      return `${system} answers this feed in a shape Tandem cannot read; it is read again every cycle from where it stopped. If it persists, report the message.`;
    default:
      return `The type is read again next cycle from where it stopped. If it persists, report the message.`;
  }
}

/**
 * Read failures that concern one type only: every SyncError but refused credentials and wrong
 * settings, which a person must fix before any read can succeed.
 */
function concernsOneType(error: unknown): error is SyncError {
  return isSyncError(error) && error.code !== 'auth' && error.code !== 'config';
}

/** A connector stand-in for dry runs: reads go to the real system, writes are only imagined. */
function imaginedWrites(connector: Connector): Connector {
  let counter = 0;
  return {
    system: connector.system,
    verify: () => connector.verify(),
    readChanges: (type, cursor, options) => connector.readChanges(type, cursor, options),
    readAll: (type, options) => connector.readAll(type, options),
    readByIds: (type, ids) => connector.readByIds(type, ids),
    async write(type: RecordType, operations: readonly WriteOperation[]): Promise<readonly WriteOutcome[]> {
      return operations.map((operation): WriteOutcome => {
        if (operation.kind === 'update') return { key: operation.key, status: 'updated' };
        const record: SourceRecord = {
          ref: { system: connector.system, type, id: `planned-${++counter}` },
          values: operation.values,
          modifiedAt: null,
          deleted: false,
          facts: { externalId: operation.externalId },
        };
        return { key: operation.key, status: 'created', record };
      });
    },
  };
}

/**
 * A create outcome that links an existing record instead of a new one: the holder of the create's
 * e-mail (`merged`), or a record carrying its handle that no attempt of this state made (`adopted`
 * while the row was never sent before: another state created it). Both are linked as a match is,
 * with no known values, so the next plan reconciles them and writes through the update path.
 */
function mergeOf(
  row: OutboxRow,
  outcome: WriteOutcome,
): { record: SourceRecord; rule: LinkReport['rule']; why: string } | undefined {
  if (outcome.record === undefined) return undefined;
  if (outcome.status === 'merged')
    return { record: outcome.record, rule: 'merge-key', why: 'already holds what the create would have taken' };
  if (outcome.status === 'created' && outcome.adopted === true && !row.mayExist)
    return { record: outcome.record, rule: 'external-id', why: `already carries the external id ${row.externalId}` };
  return undefined;
}

interface CycleOptions {
  readonly sweep: boolean;
  readonly signal: AbortSignal | undefined;
  readonly dryRun: boolean;
}

export class SyncEngine {
  private readonly store: StateStore;
  private readonly connectors: Readonly<Record<SystemName, Connector>>;
  private readonly clock: () => Date;
  private readonly policy: ConflictPolicy;
  private readonly onProgress: ((event: CycleProgress) => void) | undefined;
  private readonly log: SyncEngineLog | undefined;
  private readonly newId: () => string;
  private readonly reportLimit: number;
  private readonly planBatchSize: number;
  /** Record -> entity links seen in the cycle under way. Links never change, so an entry cannot go stale. */
  private links = new RecordCache<string>(linksPerGeneration);
  /**
   * Member summaries of the entities planned or looked up in the cycle under way, for the
   * entities that point at them. A write's results change them: sendBatch forgets those.
   */
  private summaries = new PartedCache<EntityKind | 'looked-up', readonly MemberSummary[]>(summariesPerGeneration);
  /** `system:type` keys whose read failed in the cycle under way. */
  private unread: ReadonlySet<string> = new Set();
  /** Kinds whose Zendesk records were found deleted while another kind was planned. */
  private readonly deletedKinds = new Set<EntityKind>();
  /** Zendesk types read for the first time in this cycle: see unprovenCreates. */
  private firstReads = new Set<RecordType>();
  /**
   * Zendesk types whose creates this cycle must look their handle up first (issue 12.13): the state
   * read the type for the first time (a new, lost or moved state), and Zendesk already holds records
   * that a sync created (an external id naming a SuperOffice record, on any type read first now).
   * Such a record changed in the last minute is withheld by the export, so the state cannot prove it
   * never created it. Without any such record the pair was never synced: creates spend no lookups.
   */
  private unprovenCreates = new Set<RecordType>();

  constructor(options: SyncEngineOptions) {
    this.store = options.store;
    this.connectors = { superoffice: options.superoffice, zendesk: options.zendesk };
    this.clock = options.clock ?? (() => new Date());
    this.policy = options.policy ?? defaultConflictPolicy;
    this.onProgress = options.onProgress;
    this.log = options.log;
    this.newId = options.newId ?? timeOrderedIds();
    this.reportLimit = options.reportLimit ?? 1000;
    this.planBatchSize = options.planBatchSize ?? 500;
  }

  /**
   * Runs one cycle. Rejects (with a SyncError) only when the whole cycle cannot go on: credentials
   * refused or settings wrong (a person must act), the store failing. A type whose read fails (a
   * service unreachable after the connector's retries, a page that cannot be parsed) is in the
   * report's `readFailures` and read again next cycle; a record that cannot be read is in
   * `rejectedRecords`; a record's failed write is in `failures` and the outbox, retried with back-off.
   *
   * A sweep reads every record instead of the change feeds and plans every entity, changed or not.
   * It marks nothing dirty to do so: an interrupted sweep leaves the entities it did not reach to
   * the next sweep, while the changes it read stay dirty like any feed's.
   */
  async runCycle(options: { sweep?: boolean; signal?: AbortSignal } = {}): Promise<CycleReport> {
    return this.cycle({ sweep: options.sweep ?? false, signal: options.signal, dryRun: false }, this.connectors);
  }

  /**
   * A dry run of the next cycle: reads the feeds and plans exactly as `runCycle` would, imagines
   * every write succeeding (so later kinds see the records earlier kinds would create), and rolls
   * the store back. Nothing is written to either system or kept in the store.
   */
  async plan(options: { sweep?: boolean } = {}): Promise<PlanReport> {
    const connectors = {
      superoffice: imaginedWrites(this.connectors.superoffice),
      zendesk: imaginedWrites(this.connectors.zendesk),
    };
    const report = await this.store.dryRun(() =>
      this.cycle({ sweep: options.sweep ?? false, signal: undefined, dryRun: true }, connectors),
    );
    const {
      cycleId: _cycleId,
      status: _status,
      startedAt: _started,
      finishedAt: _finished,
      writes: _writes,
      failures: _failures,
      ...plan
    } = report;
    return plan;
  }

  private now(): string {
    return this.clock().toISOString();
  }

  private async cycle(
    options: CycleOptions,
    connectors: Readonly<Record<SystemName, Connector>>,
  ): Promise<CycleReport> {
    const cycleId = this.newId();
    this.links = new RecordCache(linksPerGeneration);
    this.summaries = new PartedCache(summariesPerGeneration);
    this.deletedKinds.clear();
    const startedAt = this.now();
    const report = new ReportCollector(this.reportLimit);
    await this.store.beginCycle(cycleId, startedAt);
    this.unprovenCreates = new Set();
    this.firstReads = new Set();
    for (const { system, type } of syncedRecordTypes()) {
      if (system === 'zendesk' && (await this.store.getCursor(system, type)) === null) this.firstReads.add(type);
    }
    let status: CycleReport['status'] = 'completed';
    try {
      const unread = await this.readFeeds(cycleId, options, connectors, report);
      this.unread = unread;
      this.checkStop(options.signal);
      await this.matchRecords(cycleId, report);
      this.checkStop(options.signal);
      await this.markWantedPersons();
      let conflictsSeen = 0;
      for (const kind of kindOrder) {
        this.checkStop(options.signal);
        await this.planKind(kind, options.sweep, cycleId, report, connectors.zendesk);
        await this.writeKind(kind, cycleId, connectors, options.signal, report, unread);
        // A write that met a concurrent edit left its entity dirty with the edit taken in: plan
        // those again now (a bounded number of times; what is left waits for the next cycle).
        for (let round = 0; round < conflictReplans && report.writes.conflicts > conflictsSeen; round++) {
          conflictsSeen = report.writes.conflicts;
          this.checkStop(options.signal);
          await this.planKind(kind, false, cycleId, report, connectors.zendesk);
          await this.writeKind(kind, cycleId, connectors, options.signal, report, unread);
        }
        conflictsSeen = report.writes.conflicts;
        // Records found deleted while planning this kind belong to kinds planned before: plan those
        // entities again now, so the deletion is reported in this cycle.
        for (const planned of kindOrder.slice(0, kindOrder.indexOf(kind))) {
          if (!this.deletedKinds.delete(planned)) continue;
          await this.planKind(planned, false, cycleId, report, connectors.zendesk);
          await this.writeKind(planned, cycleId, connectors, options.signal, report, unread);
        }
      }
    } catch (error) {
      if (error instanceof CycleInterrupted || isAbort(error, options.signal)) {
        status = 'interrupted';
      } else {
        const failure = isSyncError(error)
          ? error
          : new SyncError('bug', `cycle failed: ${String(error)}`, { cause: error });
        this.log?.error({ cycleId, code: failure.code, err: failure.message }, 'cycle failed');
        if (!options.dryRun)
          await this.store.finishCycle(cycleId, this.now(), 'failed', { error: { ...storedError(failure) } });
        throw failure;
      }
    }
    const finishedAt = this.now();
    const result: CycleReport = {
      ...report.planReport(options.sweep),
      cycleId,
      status,
      startedAt,
      finishedAt,
      writes: { ...report.writes },
      failures: report.failures,
    };
    await this.store.finishCycle(cycleId, finishedAt, status, this.summaryOf(result));
    this.log?.info({ cycleId, status, counts: result.counts, writes: result.writes }, 'cycle finished');
    return result;
  }

  private summaryOf(report: CycleReport): JsonValue {
    return {
      sweep: report.sweep,
      reads: report.reads.map((read) => ({ ...read })),
      readFailures: report.readFailures.map((failure) => ({ ...failure, error: { ...failure.error } })),
      rejectedRecords: report.rejectedRecords.map((rejected) => ({ ...rejected, error: { ...rejected.error } })),
      counts: { ...report.counts },
      writes: { ...report.writes },
    };
  }

  private checkStop(signal: AbortSignal | undefined): void {
    if (signal?.aborted === true) throw new CycleInterrupted();
  }

  // --- read -----------------------------------------------------------------------------------

  /**
   * Reads every synced type into the store. A type whose read fails is reported and skipped (its
   * cursor stays where its last stored page left it); refused credentials or wrong settings stop
   * both systems' reads and fail the cycle. Returns the `system:type` keys that were not read.
   */
  private async readFeeds(
    cycleId: string,
    options: CycleOptions,
    connectors: Readonly<Record<SystemName, Connector>>,
    report: ReportCollector,
  ): Promise<ReadonlySet<string>> {
    const types = syncedRecordTypes();
    const unread = new Set<string>();
    // A failure that ends the cycle on one side stops the read in flight on the other.
    const stopReads = new AbortController();
    const signal =
      options.signal === undefined ? stopReads.signal : AbortSignal.any([options.signal, stopReads.signal]);
    const fatal: unknown[] = [];
    // The two systems are read side by side; each reads its types in dependency order.
    await Promise.all(
      (['superoffice', 'zendesk'] as const).map(async (system) => {
        try {
          for (const { type } of types.filter((candidate) => candidate.system === system)) {
            this.checkStop(options.signal);
            if (stopReads.signal.aborted) return;
            try {
              report.reads.push(await this.readType(connectors[system], type, options.sweep, signal, report, cycleId));
            } catch (error) {
              if (signal.aborted || !concernsOneType(error)) throw error;
              unread.add(`${system}:${type}`);
              report.readFailures.push({
                system,
                type,
                error: storedError(error),
                advice: readAdviceFor(system, error),
              });
              this.log?.warn({ cycleId, system, type, code: error.code, err: error.message }, 'read failed');
            }
          }
        } catch (error) {
          fatal.push(error);
          stopReads.abort();
        }
      }),
    );
    if (fatal.length > 0) throw fatal[0];
    return unread;
  }

  private async readType(
    connector: Connector,
    type: RecordType,
    sweep: boolean,
    signal: AbortSignal,
    report: ReportCollector,
    cycleId: string,
  ): Promise<ReadReport> {
    const system = connector.system;
    const readOptions = { signal };
    const pages = sweep
      ? connector.readAll(type, readOptions)
      : connector.readChanges(type, await this.store.getCursor(system, type), readOptions);
    const flows = flowsForRecordType(system, type).map((flow) => flow.name);
    let pageCount = 0;
    let records = 0;
    let changed = 0;
    for await (const page of pages) {
      const result = await this.store.ingestPage(system, type, page.records, page.cursor, this.now());
      if (page.merges !== undefined && page.merges.length > 0) {
        const held = await followMerges(this.store, system, page.merges, cycleId, this.now());
        report.counts.ambiguities += held.length;
        report.add(report.ambiguities, held);
      }
      for (const rejected of page.rejected ?? []) {
        report.counts.rejectedRecords++;
        report.add(report.rejectedRecords, [
          { system, type: rejected.type, id: rejected.id, error: storedError(rejected.error) },
        ]);
        this.log?.warn(
          {
            cycleId,
            system,
            type: rejected.type,
            id: rejected.id,
            code: rejected.error.code,
            err: rejected.error.message,
          },
          'record rejected',
        );
      }
      pageCount++;
      records += result.received;
      changed += result.changed;
      this.onProgress?.({ phase: 'read', system, type, flows, done: records });
      if (signal.aborted) throw signal.reason; // the page in hand is stored; stop before the next one
    }
    return { system, type, pages: pageCount, records, changed, full: sweep };
  }

  // --- match ----------------------------------------------------------------------------------

  private async matchRecords(cycleId: string, report: ReportCollector): Promise<void> {
    let after: RecordRef | null = null;
    for (;;) {
      const batch = await this.store.listUnlinked(after, matchBatchSize);
      if (batch.length === 0) return;
      after = (batch[batch.length - 1] as (typeof batch)[number]).record.ref;
      const at = this.now();
      const keysOf = new Map(batch.map((stored) => [refKey(stored.record.ref), matchKeysOf(stored.record)]));
      const candidates = await this.store.findByMatchKeys([...keysOf.values()].flat());
      const origins = batch.flatMap((stored) => {
        const origin = originOfExternalId(stored.record.facts?.externalId);
        return origin === undefined ? [] : [origin];
      });
      const originEntities = await this.store.entityIdsOf(origins);
      const candidateEntities = new Set<string>([...originEntities.values()]);
      for (const candidate of candidates) if (candidate.entityId !== null) candidateEntities.add(candidate.entityId);
      const storedMembers = await this.store.membersOf([...candidateEntities]);

      // Links made in this batch, visible to the records after them.
      const linkedNow = new Map<string, string>();
      const membersNow = new Map<string, RecordRef[]>();
      const changes: MatchChange[] = [];
      const history: HistoryEntry[] = [];
      // Candidate positions per key, so each record finds its own in the store's order.
      const positionsOf = new Map<string, number[]>();
      candidates.forEach((candidate, position) => {
        const positions = positionsOf.get(candidate.key);
        if (positions === undefined) positionsOf.set(candidate.key, [position]);
        else positions.push(position);
      });
      for (const stored of batch) {
        const record = stored.record;
        const kind = kindOfRecordType(record.ref.system, record.ref.type);
        if (kind === undefined) continue;
        const positions = new Set<number>();
        for (const key of keysOf.get(refKey(record.ref)) ?? []) {
          for (const position of positionsOf.get(key) ?? []) positions.add(position);
        }
        const mine: MatchCandidate[] = [...positions]
          .sort((left, right) => left - right)
          .map((position) => candidates[position] as MatchCandidateRow)
          .map((candidate) => ({
            ref: candidate.ref,
            key: candidate.key,
            entityId: candidate.entityId ?? linkedNow.get(refKey(candidate.ref)),
          }));
        const origin = originOfExternalId(record.facts?.externalId);
        if (origin !== undefined && record.ref.system === 'zendesk' && this.firstReads.has(record.ref.type))
          for (const type of this.firstReads) this.unprovenCreates.add(type);
        const originEntity =
          origin === undefined ? undefined : (originEntities.get(refKey(origin)) ?? linkedNow.get(refKey(origin)));
        const decision = decideMatch(record, kind, mine, {
          originEntity,
          hasMemberOfType: (entityId, ref) =>
            [
              ...(storedMembers.get(entityId)?.map((member) => member.ref) ?? []),
              ...(membersNow.get(entityId) ?? []),
            ].some((member) => member.system === ref.system && member.type === ref.type && member.id !== ref.id),
        });
        const recordKey = refKey(record.ref);
        if (decision.kind === 'ambiguous') {
          changes.push({ kind: 'ambiguous', ref: record.ref, message: decision.message });
          report.counts.ambiguities++;
          report.add(report.ambiguities, [{ record: recordKey, message: decision.message }]);
          continue;
        }
        const isNew = decision.kind === 'new';
        const entityId = isNew ? this.newId() : decision.entityId;
        changes.push(
          isNew
            ? { kind: 'link', ref: record.ref, entityId, newEntity: kind }
            : { kind: 'link', ref: record.ref, entityId },
        );
        linkedNow.set(recordKey, entityId);
        this.links.remember(record.ref, entityId);
        membersNow.set(entityId, [...(membersNow.get(entityId) ?? []), record.ref]);
        const rule: LinkReport['rule'] = isNew ? 'new-entity' : decision.rule;
        const key = decision.kind === 'join' ? decision.key : undefined;
        history.push({
          entityId,
          cycleId,
          at,
          event: 'linked',
          attribute: null,
          member: recordKey,
          rule,
          detail: key === undefined ? {} : { key },
        });
        report.counts.links++;
        report.add(report.links, [
          key === undefined ? { record: recordKey, entityId, rule } : { record: recordKey, entityId, rule, key },
        ]);
      }
      await this.store.applyMatches(changes, history, at);
    }
  }

  // --- plan -----------------------------------------------------------------------------------

  /**
   * Persons that are the Person of a synced SuperOffice ticket get a Zendesk user (before the ticket).
   * Only dirty tickets are read, in a sweep too: a clean ticket's Person was marked when the ticket
   * was last planned (a mark is never taken back, links never change), and a ticket whose Person
   * could not be marked then waited for it and so stayed dirty.
   */
  private async markWantedPersons(): Promise<void> {
    const fields = memberFields('superoffice', 'ticket').filter(
      (field) => field.references !== undefined && flowByName(field.references.flow).create === 'when-on-synced-ticket',
    );
    if (fields.length === 0) return;
    let after: string | null = null;
    for (;;) {
      const ids = await this.store.listDirtyEntities('ticket', after, this.planBatchSize);
      if (ids.length === 0) return;
      after = ids[ids.length - 1] as string;
      const refs: RecordRef[] = [];
      for (const ticket of await this.store.membersOfType(ids, 'superoffice', 'ticket')) {
        if (ticket.deleted) continue;
        for (const field of fields) {
          const raw = ticket.values[field.path];
          if (raw === undefined || raw === null || field.references === undefined) continue;
          refs.push({ system: 'superoffice', type: field.references.memberType.superoffice, id: raw });
        }
      }
      const entities = await this.store.entityIdsOf(refs);
      if (entities.size > 0) await this.store.markWanted([...new Set(entities.values())]);
    }
  }

  private async planKind(
    kind: EntityKind,
    sweep: boolean,
    cycleId: string,
    report: ReportCollector,
    zendesk: Connector,
  ): Promise<void> {
    let after: string | null = null;
    for (;;) {
      const entities = await this.store.loadNextEntities(kind, after, this.planBatchSize, sweep ? 'all' : 'dirty');
      if (entities.length === 0) return;
      after = (entities[entities.length - 1] as EntitySnapshot).id;
      await this.confirmDeletedReferences(entities, zendesk);
      if (referencedKinds.has(kind)) {
        for (const entity of entities) {
          const summaries: MemberSummary[] = [];
          for (const member of entity.members) {
            this.links.remember(member.record.ref, entity.id);
            summaries.push(memberSummaryOf(member.record));
          }
          this.summaries.set(kind, entity.id, summaries);
        }
      }
      const directory = await this.directoryFor(entities);
      const at = this.now();
      const commits: PlanCommit[] = [];
      for (const entity of entities) {
        const plan = planEntity(entity, { cycleId, policy: this.policy, directory: directory.lookups });
        if (plan.nameClaim !== null) directory.claim(plan.nameClaim, entity.id);
        commits.push(this.commitOf(entity, plan, cycleId, at));
        this.collectPlan(plan, report);
      }
      await this.store.commitPlans(commits, cycleId, at);
    }
  }

  /**
   * Zendesk empties references to a record it deletes (deleting an organization clears its users'
   * `organization_id`) and may report no deletion of the record itself. Where a Zendesk member's
   * reference went from a linked record to none, that record is looked up; one that is gone is
   * stored as deleted before the batch is planned, so the planner can tell Zendesk's consequence of
   * a deletion (never synced) from a person's edit.
   */
  private async confirmDeletedReferences(entities: readonly EntitySnapshot[], zendesk: Connector): Promise<void> {
    const suspects = new Map<RecordType, Map<string, string>>(); // type -> record id -> referenced entity
    const kinds = new Map<RecordType, EntityKind>();
    for (const entity of entities) {
      for (const member of entity.members) {
        const { ref } = member.record;
        if (ref.system !== 'zendesk' || member.record.deleted) continue;
        for (const field of memberFields(ref.system, ref.type)) {
          const known = member.known[field.attribute];
          if (field.references === undefined || member.record.values[field.path] !== null) continue;
          if (known === undefined || known === null) continue;
          const type = field.references.memberType.zendesk;
          const target = (this.summaries.get(known) ?? (await this.store.membersOf([known])).get(known) ?? []).find(
            (summary) => summary.ref.system === 'zendesk' && summary.ref.type === type,
          );
          if (target === undefined || target.deleted) continue;
          kinds.set(type, field.references.kind);
          const ofType = suspects.get(type) ?? new Map<string, string>();
          ofType.set(target.ref.id, known);
          suspects.set(type, ofType);
        }
      }
    }
    for (const [type, ids] of suspects) {
      const found = new Set((await zendesk.readByIds(type, [...ids.keys()])).map((record) => record.ref.id));
      const gone: SourceRecord[] = [];
      for (const id of ids.keys()) {
        if (found.has(id)) continue;
        const stored = await this.store.getRecord({ system: 'zendesk', type, id });
        if (stored !== undefined) gone.push({ ...stored.record, deleted: true });
      }
      if (gone.length === 0) continue;
      await this.store.ingestPage('zendesk', type, gone, null, this.now());
      const kind = kinds.get(type);
      if (kind !== undefined) this.deletedKinds.add(kind);
      for (const id of ids.keys()) if (!found.has(id)) this.summaries.forget(ids.get(id) as string);
      this.log?.warn({ type, ids: gone.map((record) => record.ref.id) }, 'records deleted in Zendesk found');
    }
  }

  /** Fills the lookups a batch of plans needs, in a few store queries. */
  private async directoryFor(
    entities: readonly EntitySnapshot[],
  ): Promise<{ lookups: EntityDirectory; claim(key: string, entityId: string): void }> {
    const refs: RecordRef[] = [];
    const referenced = new Set<string>();
    const nameKeys = new Set<string>();
    for (const entity of entities) {
      // Organizations: the name keys of members and base; undefined where a name is missing.
      const entityNameKeys: (string | undefined)[] = [];
      let zendeskNameKey: string | undefined;
      for (const member of entity.members) {
        const { ref } = member.record;
        for (const field of memberFields(ref.system, ref.type)) {
          const raw = member.record.values[field.path];
          if (field.transform === 'reference' && field.references !== undefined && typeof raw === 'string') {
            refs.push({ system: ref.system, type: field.references.memberType[ref.system], id: raw });
          }
          // What a reference pointed at before: a deletion in Zendesk may have emptied it since.
          const known = field.references === undefined ? undefined : member.known[field.attribute];
          if (typeof known === 'string') referenced.add(known);
          if (entity.kind === 'organization' && field.attribute === 'name') {
            const key = raw === undefined || raw === null ? undefined : organizationNameKey(raw.trim());
            entityNameKeys.push(key);
            if (ref.system === 'zendesk' && !member.record.deleted) zendeskNameKey = key;
          }
        }
      }
      for (const [attribute, base] of Object.entries(entity.base)) {
        if (base.value !== null && isReferenceAttribute(entity.kind, attribute)) referenced.add(base.value);
        if (entity.kind === 'organization' && attribute === 'name')
          entityNameKeys.push(organizationNameKey(base.value));
      }
      // An organization whose Zendesk record already bears the one name all sides agree on holds
      // that name itself: no other holder can matter to its plan, so none is looked up.
      const settled = zendeskNameKey !== undefined && entityNameKeys.every((key) => key === zendeskNameKey);
      if (!settled) for (const key of entityNameKeys) if (key !== undefined) nameKeys.add(key);
    }
    const entityOf = new RecordMap<string>();
    const unknown: RecordRef[] = [];
    for (const ref of refs) {
      const entityId = this.links.get(ref);
      if (entityId === undefined) unknown.push(ref);
      else entityOf.set(ref, entityId);
    }
    if (unknown.length > 0) {
      const found = await this.store.entityIdsOf(unknown);
      for (const ref of unknown) {
        const entityId = found.get(refKey(ref));
        if (entityId === undefined) continue;
        entityOf.set(ref, entityId);
        this.links.remember(ref, entityId);
      }
    }
    for (const entityId of entityOf.values()) referenced.add(entityId);
    const unresolved = refs.filter((ref) => !entityOf.has(ref));
    const members = new Map<string, readonly MemberSummary[]>();
    const notCached: string[] = [];
    for (const entityId of referenced) {
      const summaries = this.summaries.get(entityId);
      if (summaries === undefined) notCached.push(entityId);
      else members.set(entityId, summaries);
    }
    const [fetched, holders, ambiguities] = await Promise.all([
      this.store.membersOf(notCached),
      this.store.findNameHolders([...nameKeys]),
      this.store.ambiguitiesOf(unresolved),
    ]);
    for (const entityId of notCached) {
      const summaries = fetched.get(entityId) ?? [];
      members.set(entityId, summaries);
      this.summaries.set('looked-up', entityId, summaries);
    }
    // A referenced entity that has no Zendesk record may never get one (its organization name is
    // taken): then the reference is left out instead of waiting for good.
    const withoutZendesk = [...referenced].filter(
      (entityId) => !(members.get(entityId) ?? []).some((member) => member.ref.system === 'zendesk'),
    );
    const heldCreates = new Map<string, string>();
    if (withoutZendesk.length > 0) {
      for (const snapshot of await this.store.loadEntities(withoutZendesk)) {
        const reason = heldCreateOf(snapshot);
        if (reason !== undefined) heldCreates.set(snapshot.id, reason);
      }
    }
    const claims = new Map<string, string>();
    const lookups: EntityDirectory = {
      entityOf: (ref) => entityOf.get(ref),
      membersOf: (entityId): readonly MemberSummary[] | undefined =>
        members.get(entityId) ?? (referenced.has(entityId) ? [] : undefined),
      nameHolder: (key) => holders.get(key) ?? claims.get(key),
      unlinkedReason: (ref) => ambiguities.get(refKey(ref)),
      heldCreate: (entityId) => heldCreates.get(entityId),
      typeRead: (system, type) => !this.unread.has(`${system}:${type}`),
    };
    return {
      lookups,
      claim: (key, entityId) => {
        if (!claims.has(key)) claims.set(key, entityId);
      },
    };
  }

  private commitOf(entity: EntitySnapshot, plan: EntityPlan, cycleId: string, at: string): PlanCommit {
    // Most plans of a sweep decide, plan and wait for nothing: they add no history entries.
    const history: HistoryEntry[] = [];
    for (const decision of plan.decisions) {
      history.push(
        historyEntry(entity.id, cycleId, at, 'decided', decision.attribute, decision.source, decision.rule, {
          value: decision.value,
          previous: decision.previous ?? null,
        }),
      );
    }
    for (const conflict of plan.conflicts) {
      history.push(
        historyEntry(entity.id, cycleId, at, 'conflict', conflict.attribute, conflict.winner.member, conflict.rule, {
          onLink: conflict.onLink,
          winner: { ...conflict.winner },
          candidates: conflict.candidates.map((candidate) => ({ ...candidate })),
        }),
      );
    }
    const writes: OutboxInsert[] = plan.writes.length === 0 ? [] : plan.writes.map(outboxInsertOf);
    for (const write of writes) {
      const member =
        write.targetId === null ? `${write.system}:${write.type}:` : `${write.system}:${write.type}:${write.targetId}`;
      history.push(
        historyEntry(entity.id, cycleId, at, 'planned', null, member, write.operation, {
          values: { ...write.values },
        }),
      );
    }
    const waits: string[] = [];
    for (const wait of plan.waits) {
      waits.push(wait.message);
      if (entity.waits.includes(wait.message)) continue; // recorded when it started
      history.push(
        historyEntry(entity.id, cycleId, at, 'waiting', wait.attribute ?? null, wait.target, null, {
          waitsFor: wait.waitsFor,
          message: wait.message,
        }),
      );
    }
    for (const hold of plan.newHolds) {
      history.push(
        historyEntry(entity.id, cycleId, at, 'held', hold.attribute ?? null, hold.member, hold.reason, {
          message: hold.message,
        }),
      );
    }
    const zendeskType = zendeskTypeOfKind(entity.kind);
    let createStillNeeded = true;
    for (const member of entity.members) {
      const { ref } = member.record;
      if (ref.system === 'zendesk' && ref.type === zendeskType) createStillNeeded = false;
    }
    // Only what changed is written: a sweep plans every entity, and most change nothing.
    let known: Record<string, PlanCommit['known'][string]> | undefined;
    for (const member of entity.members) {
      const key = refKey(member.record.ref);
      const values = plan.known[key];
      if (values === undefined || jsonEqual(values, member.known)) continue;
      known ??= idKeyedRecord();
      known[key] = values;
    }
    const entityChanged =
      plan.nameClaim !== entity.nameClaim ||
      !jsonEqual(plan.base, entity.base) ||
      !jsonEqual(plan.holds, entity.holds) ||
      !jsonEqual(waits, entity.waits);
    return {
      entityId: entity.id,
      entityChanged,
      base: plan.base,
      known: known ?? noKnownChanges,
      holds: plan.holds,
      waits,
      nameClaim: plan.nameClaim,
      keepDirty: plan.keepDirty,
      wasDirty: entity.dirty,
      references: plan.references,
      writes,
      createStillNeeded,
      history,
    };
  }

  private collectPlan(plan: EntityPlan, report: ReportCollector): void {
    report.counts.entitiesPlanned++;
    for (const write of plan.writes) {
      if (write.kind === 'create') {
        report.counts.creates++;
        report.add(report.creates, [
          {
            entityId: write.entityId,
            target: `${write.target.system}:${write.target.type}`,
            origin: refKey(write.origin),
            values: write.values,
          },
        ]);
      } else {
        report.counts.updates++;
        report.add(report.updates, [
          {
            entityId: write.entityId,
            target: refKey(write.target),
            values: write.values,
            attributes: write.attributes,
          },
        ]);
      }
    }
    report.counts.decisions += plan.decisions.length;
    report.counts.conflicts += plan.conflicts.length;
    report.counts.waits += plan.waits.length;
    report.counts.holds += plan.newHolds.length;
    report.add(report.decisions, plan.decisions);
    report.add(report.conflicts, plan.conflicts);
    report.add(report.waits, plan.waits);
    report.add(report.holds, plan.newHolds);
  }

  // --- write ----------------------------------------------------------------------------------

  private async writeKind(
    kind: EntityKind,
    cycleId: string,
    connectors: Readonly<Record<SystemName, Connector>>,
    signal: AbortSignal | undefined,
    report: ReportCollector,
    unread: ReadonlySet<string>,
  ): Promise<void> {
    for (const { system, type } of memberTypesOfKind(kind)) {
      const blind = unread.has(`${system}:${type}`);
      const flows = flowsForRecordType(system, type).map((flow) => flow.name);
      const now = this.now();
      let after: string | null = null;
      let done = 0;
      // The total, for progress with an estimate; counted only when someone watches.
      const total = this.onProgress === undefined ? undefined : await this.store.countDueOutbox(system, type, now);
      for (;;) {
        this.checkStop(signal);
        const rows = await this.store.listDueOutbox(system, type, now, after, writeBatchSize);
        if (rows.length === 0) break;
        after = (rows[rows.length - 1] as OutboxRow).key;
        // Creates carry their idempotency handle and overwrite nothing: they go out even so.
        const sendable = blind ? rows.filter((row) => row.operation === 'create') : rows;
        report.writes.deferred += rows.length - sendable.length;
        if (sendable.length > 0) await this.sendBatch(connectors[system], type, sendable, cycleId, report);
        done += rows.length;
        this.onProgress?.({ phase: 'write', system, type, flows, done, ...(total === undefined ? {} : { total }) });
      }
    }
  }

  /** The entities already holding the records that creates of this batch merged with. */
  private async linksOfMerged(
    rows: readonly OutboxRow[],
    outcomes: ReadonlyMap<string, WriteOutcome>,
  ): Promise<ReadonlyMap<string, string>> {
    const refs: RecordRef[] = [];
    for (const row of rows) {
      const outcome = outcomes.get(row.key);
      const merge = outcome === undefined ? undefined : mergeOf(row, outcome);
      if (merge !== undefined) refs.push(merge.record.ref);
    }
    return refs.length === 0 ? new Map() : this.store.entityIdsOf(refs);
  }

  private async sendBatch(
    connector: Connector,
    type: RecordType,
    rows: readonly OutboxRow[],
    cycleId: string,
    report: ReportCollector,
  ): Promise<void> {
    const results: OutboxResult[] = [];
    const history: HistoryEntry[] = [];
    const at = this.now();
    const targetOf = (row: OutboxRow): string => `${row.system}:${row.type}:${row.targetId ?? ''}`;

    // A create whose entity got its record another way (a feed delivered an adopted create) is done.
    const creates = rows.filter((row) => row.operation === 'create');
    const members = creates.length === 0 ? new Map() : await this.store.membersOf(creates.map((row) => row.entityId));
    const toSend: OutboxRow[] = [];
    for (const row of rows) {
      const hasTarget =
        row.operation === 'create' &&
        (members.get(row.entityId) ?? []).some(
          (member: MemberSummary) => member.ref.system === row.system && member.ref.type === row.type,
        );
      if (hasTarget) {
        results.push({ key: row.key, status: 'superseded' });
        report.writes.superseded++;
      } else {
        toSend.push(row);
      }
    }
    if (toSend.length > 0) {
      const readNow = await this.targetsAsRead(toSend);
      const operations: WriteOperation[] = toSend.map((row) =>
        row.operation === 'create'
          ? {
              kind: 'create',
              key: row.key,
              externalId: row.externalId ?? row.key,
              mayExist: row.mayExist || this.unprovenCreates.has(type),
              values: row.values,
              ...(row.label === null ? {} : { label: row.label }),
            }
          : updateOperationOf(row, readNow.get(row.targetId ?? '')),
      );
      // Write-ahead: from here on, an earlier attempt of each create may have reached the system.
      await this.store.markOutboxAttempt(
        toSend.map((row) => row.key),
        at,
      );
      report.writes.calls++;
      const outcomes = await connector.write(type, operations);
      const byKey = new Map(outcomes.map((outcome) => [outcome.key, outcome]));
      const linkedElsewhere = await this.linksOfMerged(toSend, byKey);
      const now = this.clock();
      for (const row of toSend) {
        const attempts = row.attempts + 1;
        const outcome = byKey.get(row.key);
        const fail = (error: SyncError): void => {
          const retryAt = error.retryable ? nextAttemptAt(now, attempts, error.retryAfterSeconds) : null;
          const stored = storedError(error);
          results.push({ key: row.key, status: 'failed', error: stored, nextAttemptAt: retryAt });
          history.push({
            entityId: row.entityId,
            cycleId,
            at,
            event: 'write-failed',
            attribute: null,
            member: targetOf(row),
            rule: row.operation,
            detail: { error: { ...stored }, retryAt, attempts },
          });
          report.writes.failed++;
          report.add(report.failures, [
            {
              key: row.key,
              entityId: row.entityId,
              target: targetOf(row),
              error: stored,
              retryAt,
              advice: retryAt === null ? adviceFor(stored) : undefined,
            },
          ]);
        };
        if (outcome === undefined) {
          fail(new SyncError('bug', `the ${connector.system} connector returned no outcome for ${row.key}`));
          continue;
        }
        if (outcome.status === 'conflict') {
          if (outcome.record === undefined) {
            fail(
              new SyncError('conflict', `${targetOf(row)} changed since it was read; it is read again before a retry`),
            );
            continue;
          }
          // Someone edited the target since we read it: the plan is void. The record as it is now
          // is a new observation; the entity is planned again from it (this cycle, or the next).
          results.push({ key: row.key, status: 'conflict', record: outcome.record });
          report.writes.conflicts++;
          history.push({
            entityId: row.entityId,
            cycleId,
            at,
            event: 'write-conflict',
            attribute: null,
            member: targetOf(row),
            rule: row.operation,
            detail: {
              values: { ...row.values },
              message: `${targetOf(row)} changed in ${row.system} after Tandem read it; nothing was written, and the entity is planned again from the record as it is now`,
            },
          });
          continue;
        }
        if (outcome.status === 'failed') {
          fail(
            outcome.error ??
              new SyncError('bug', `the ${connector.system} connector reported a failure without an error`),
          );
          continue;
        }
        const merge = mergeOf(row, outcome);
        if (merge !== undefined) {
          let holder = linkedElsewhere.get(refKey(merge.record.ref));
          // A record the feed read on its own (its e-mail a secondary one, say) sits alone in an
          // entity of its own: it moves to the entity whose create found it.
          if (
            holder !== undefined &&
            holder !== row.entityId &&
            (await this.store.absorbLoneRecord(merge.record.ref, row.entityId))
          ) {
            holder = undefined;
            this.links = new RecordCache(linksPerGeneration); // the moved record's cached link is stale
          }
          if (holder !== undefined && holder !== row.entityId) {
            fail(
              new SyncError(
                'validation',
                `${refKey(merge.record.ref)} ${merge.why}, but it belongs to another entity (${holder}); Tandem links one record to one entity and does not guess. Give the records distinct e-mails.`,
              ),
            );
            continue;
          }
          results.push(
            holder === undefined
              ? { key: row.key, status: 'merged', record: merge.record }
              : { key: row.key, status: 'superseded' },
          );
          report.counts.links++;
          report.add(report.links, [{ record: refKey(merge.record.ref), entityId: row.entityId, rule: merge.rule }]);
          history.push({
            entityId: row.entityId,
            cycleId,
            at,
            event: 'linked',
            attribute: null,
            member: refKey(merge.record.ref),
            rule: merge.rule,
            detail: { instead: 'create', reason: merge.why },
          });
          continue;
        }
        if (outcome.status === 'merged') {
          fail(new SyncError('bug', `the ${connector.system} connector merged ${row.key} without naming the record`));
          continue;
        }
        if (outcome.status === 'created') {
          if (outcome.record === undefined) {
            // Without the new id we cannot link; the retry looks the handle up and adopts the record.
            fail(
              new SyncError(
                'malformed',
                `the ${connector.system} connector created ${row.key} without returning the record`,
              ),
            );
            continue;
          }
          results.push({ key: row.key, status: 'created', record: outcome.record });
          report.writes.created++;
          history.push({
            entityId: row.entityId,
            cycleId,
            at,
            event: 'written',
            attribute: null,
            member: refKey(outcome.record.ref),
            rule: 'created',
            detail: { values: { ...row.values }, externalId: row.externalId },
          });
          continue;
        }
        results.push(
          outcome.record === undefined
            ? { key: row.key, status: outcome.status }
            : { key: row.key, status: outcome.status, record: outcome.record },
        );
        if (outcome.status === 'updated') report.writes.updated++;
        else report.writes.unchanged++;
        history.push({
          entityId: row.entityId,
          cycleId,
          at,
          event: 'written',
          attribute: null,
          member: targetOf(row),
          rule: outcome.status,
          detail: { values: { ...row.values } },
        });
      }
    }
    await this.store.completeOutbox(results, history, at);
    // Created records joined their entities, updated ones may have changed flags.
    for (const row of rows) this.summaries.forget(row.entityId);
  }

  /**
   * The stored targets of a batch's updates, by id: what their plans were made against. An entity
   * whose member changed is planned again before its rows are sent, so the stored record is the one
   * the row's plan saw (patched with our own earlier writes).
   */
  private async targetsAsRead(rows: readonly OutboxRow[]): Promise<ReadonlyMap<string, SourceRecord>> {
    const updates = rows.filter((row) => row.operation === 'update' && row.targetId !== null);
    const first = updates[0];
    if (first === undefined) return new Map();
    const records = await this.store.membersOfType(
      updates.map((row) => row.entityId),
      first.system,
      first.type,
    );
    return new Map(records.map((record) => [record.ref.id, record]));
  }
}

/** An update row as the connector takes it: conditional on the target still holding what was read. */
function updateOperationOf(row: OutboxRow, asRead: SourceRecord | undefined): WriteOperation {
  const operation = { kind: 'update', key: row.key, id: row.targetId ?? '', values: row.values } as const;
  if (asRead === undefined) return operation;
  const expected: Record<string, PropertyValue> = {};
  for (const path of Object.keys(row.values)) {
    const value = asRead.values[path];
    if (value !== undefined) expected[path] = value;
  }
  return { ...operation, expected: { values: expected, modifiedAt: asRead.modifiedAt } };
}
