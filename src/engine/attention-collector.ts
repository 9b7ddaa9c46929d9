/**
 * Builds `tandem status`'s attention items (see ./attention.ts) from what the store lists: the last
 * cycles, entities that hold, wait or keep a value a conflict decided, failed writes, ambiguous
 * records and deletions. Messages name records, not entity ids (./record-names.ts).
 */
import type { EntitySnapshot } from '../core/entity.js';
import { isReferenceAttribute } from '../core/member-fields.js';
import type { RecordType, SystemName } from '../core/model.js';
import { refKey } from '../core/model.js';
import { organizationNameKey } from '../core/transforms.js';
import { type FlowName, flows } from '../spec/flows.js';
import type {
  CycleRecord,
  HistoryEntry,
  JsonValue,
  OutboxRow,
  StateStore,
  StoredRecord,
} from '../store/state-store.js';
import { type AttentionItem, holdAttentionOf, kindOrder } from './attention.js';
import { describeRecord, EntityNames, primaryMember, recordLabel } from './record-names.js';

/** Who holds the state's one-instance lock. */
export interface ActiveSync {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

function flowOfRef(system: SystemName, type: string): FlowName | null {
  const flow = flows.find((candidate) =>
    system === 'superoffice' ? candidate.superofficeType === type : candidate.zendeskType === type,
  );
  return flow?.name ?? null;
}

function flowOfEntity(entity: EntitySnapshot | undefined): FlowName | null {
  const member = entity === undefined ? undefined : primaryMember(entity);
  return member === undefined ? null : flowOfRef(member.record.ref.system, member.record.ref.type);
}

function isObject(value: JsonValue): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An entity's holds with their reason codes. The store keeps a hold's message under
 * `system:type|attribute`, with `|reason` after it where the planner writes the reason into the key;
 * for keys without one, the reason is in the `held` history entry that started the hold (the newest
 * for its member type and attribute).
 */
export function holdsWithReasons(
  entity: EntitySnapshot,
  history: readonly HistoryEntry[],
): { readonly reason: string; readonly member: string; readonly message: string }[] {
  return Object.entries(entity.holds).map(([key, message]) => {
    const [memberType = key, attribute = '*', reasonInKey] = key.split('|');
    let reason = reasonInKey ?? 'unknown';
    let member = memberType;
    for (const entry of history) {
      if (entry.event !== 'held' || entry.member === null) continue;
      const [system, type] = entry.member.split(':');
      if (`${system}:${type}` !== memberType || (entry.attribute ?? '*') !== attribute) continue;
      if (reasonInKey !== undefined && entry.rule !== reasonInKey) continue;
      reason = entry.rule ?? reason;
      member = entry.member;
    }
    return { reason, member, message };
  });
}

/**
 * For organizations whose agreed name is taken: the entity holding that name in Zendesk, by the
 * entity that wants it. The fix for a taken name may be linking to that organization.
 */
export async function nameHoldersOf(
  store: StateStore,
  entities: readonly EntitySnapshot[],
): Promise<Map<string, EntitySnapshot>> {
  const nameKeys = new Map<string, string>();
  for (const entity of entities) {
    const name = entity.base.name?.value;
    const key = entity.kind === 'organization' && name !== undefined ? organizationNameKey(name) : undefined;
    if (key !== undefined) nameKeys.set(entity.id, key);
  }
  if (nameKeys.size === 0) return new Map();
  const holders = await store.findNameHolders([...nameKeys.values()]);
  const loaded = new Map(
    (await store.loadEntities([...new Set(holders.values())])).map((entity) => [entity.id, entity]),
  );
  const result = new Map<string, EntitySnapshot>();
  for (const [entityId, key] of nameKeys) {
    const holder = loaded.get(holders.get(key) ?? '');
    if (holder !== undefined && holder.id !== entityId) result.set(entityId, holder);
  }
  return result;
}

/**
 * The Zendesk organization an entity whose name is taken can be linked to: the holder's, when the
 * holder has no SuperOffice contact of its own (else the two contacts would share one organization).
 */
export function relinkTargetOf(entity: EntitySnapshot, holder: EntitySnapshot | undefined): string | undefined {
  if (holder === undefined || holder.id === entity.id) return undefined;
  const hasContact = holder.members.some(
    ({ record }) => record.ref.system === 'superoffice' && record.ref.type === 'contact' && !record.deleted,
  );
  const organization = holder.members.find(
    ({ record }) => record.ref.system === 'zendesk' && record.ref.type === 'organization' && !record.deleted,
  );
  return hasContact || organization === undefined ? undefined : refKey(organization.record.ref);
}

/** Collects items and names; the names are filled in once all items are known. */
export class AttentionCollector {
  readonly items: AttentionItem[] = [];
  readonly names: EntityNames;

  constructor(private readonly store: StateStore) {
    this.names = new EntityNames(store);
  }

  add(item: AttentionItem): void {
    this.items.push(item);
  }

  // --- cycles ---

  addCycles(cycles: readonly CycleRecord[], activeSync: ActiveSync | null | undefined): void {
    const last = cycles[0];
    if (last === undefined) return;
    const base = { kind: 'cycle' as const, record: null, label: null, entityId: null, flow: null };
    if (last.status === 'failed') {
      const stored = isObject(last.summary) ? (last.summary.error ?? null) : null;
      const error = stored !== null && isObject(stored) ? stored : undefined;
      const code = error !== undefined && typeof error.code === 'string' ? error.code : 'failed';
      const message = error !== undefined && typeof error.message === 'string' ? error.message : 'no message stored';
      this.add({
        ...base,
        reason: 'failed',
        needsPerson: true,
        message: `the last cycle (${last.id}, started ${last.startedAt}) failed: ${code}: ${message}`,
        action:
          code === 'auth'
            ? 'Renew or correct the credentials (see docs/operating.md), then sync again.'
            : code === 'config'
              ? 'Correct the configuration the message names, then sync again.'
              : 'Fix what the message says (or wait if a service was down), then sync again; what the cycle stored is kept.',
        command: 'tandem sync',
      });
    } else if (last.status === 'interrupted') {
      this.add({
        ...base,
        reason: 'interrupted',
        needsPerson: true,
        message: `the last cycle (${last.id}, started ${last.startedAt}) was stopped before it finished`,
        action: 'Nothing is lost: what it did is stored. Run a cycle to finish the rest.',
        command: 'tandem sync',
      });
    } else if (last.status === 'running' && activeSync !== null && activeSync !== undefined) {
      // A tandem is syncing now: the cycle is running, nothing to do.
    } else if (last.status === 'running') {
      this.add({
        ...base,
        reason: activeSync === null ? 'abandoned' : 'running',
        needsPerson: activeSync === null,
        message:
          activeSync === null
            ? `the last cycle (${last.id}, started ${last.startedAt}) never finished and no tandem is syncing: the process stopped during it`
            : `the last cycle (${last.id}, started ${last.startedAt}) has not finished: a tandem is syncing now, or its process stopped during the cycle`,
        action:
          'If no tandem is running, run a cycle: what the stopped one did is stored, and the next one goes on from there.',
        command: 'tandem sync',
      });
    }
    // What the last finished cycle could not read as a whole (it is read again on its own).
    const finished = cycles.find((cycle) => cycle.status !== 'running');
    const summary = finished?.summary;
    if (summary === undefined || !isObject(summary)) return;
    for (const failure of Array.isArray(summary.readFailures) ? summary.readFailures : []) {
      if (!isObject(failure) || !isObject(failure.error ?? null)) continue;
      const error = failure.error as { readonly [key: string]: JsonValue };
      this.add({
        kind: 'read-failed',
        reason: String(error.code),
        needsPerson: false,
        record: null,
        label: null,
        entityId: null,
        flow: flowOfRef(String(failure.system) as SystemName, String(failure.type)),
        message: `the last cycle could not read ${String(failure.system)} ${String(failure.type)}: ${String(error.message)}`,
        action: typeof failure.advice === 'string' ? failure.advice : 'It is read again on the next cycle.',
        command: 'tandem sync',
      });
    }
  }

  /**
   * Records the listed cycles could not read, newest report first, once each. A record is read again
   * with back-off, so a cycle in between may not mention it: a report stands until the record was
   * stored after the cycle that reported it (a read that succeeded).
   */
  async addUnreadable(cycles: readonly CycleRecord[]): Promise<void> {
    const reported = new Map<string, { cycle: CycleRecord; rejected: { readonly [key: string]: JsonValue } }>();
    for (const cycle of cycles) {
      if (cycle.status === 'running' || !isObject(cycle.summary)) continue;
      const list = cycle.summary.rejectedRecords;
      for (const rejected of Array.isArray(list) ? list : []) {
        if (!isObject(rejected) || !isObject(rejected.error ?? null)) continue;
        const key = `${String(rejected.system)}:${String(rejected.type)}:${rejected.id === null ? '(unknown id)' : String(rejected.id)}`;
        if (!reported.has(key)) reported.set(key, { cycle, rejected });
      }
    }
    for (const [record, { cycle, rejected }] of reported) {
      const system = String(rejected.system) as SystemName;
      const type = String(rejected.type) as RecordType;
      if (rejected.id !== null) {
        const stored = await this.store.getRecord({ system, type, id: String(rejected.id) });
        if (stored !== undefined && stored.seenAt >= cycle.startedAt) continue;
      }
      const error = rejected.error as { readonly [key: string]: JsonValue };
      this.add({
        kind: 'unreadable-record',
        reason: String(error.code),
        needsPerson: true,
        record,
        label: null,
        entityId: null,
        flow: flowOfRef(system, type),
        message: `the cycle of ${cycle.startedAt} could not read it: ${String(error.message)}`,
        action: `Correct the record in ${system === 'superoffice' ? 'SuperOffice' : 'Zendesk'} (or report the message if the record looks right there); it is read again when it changes, and by every full sweep.`,
        command: 'tandem sync --sweep',
      });
    }
  }

  // --- entities: holds, waits, conflicts ---

  async addEntities(entities: readonly EntitySnapshot[]): Promise<void> {
    this.names.remember(entities);
    const history = await this.store.historyOfEntities(
      entities.map((entity) => entity.id),
      ['held', 'conflict'],
    );
    const byEntity = new Map<string, HistoryEntry[]>();
    for (const entry of history) {
      const list = byEntity.get(entry.entityId) ?? [];
      list.push(entry);
      byEntity.set(entry.entityId, list);
    }
    const holders = await nameHoldersOf(this.store, entities);
    this.names.remember([...holders.values()]);
    for (const entity of entities) {
      const entries = byEntity.get(entity.id) ?? [];
      const holder = holders.get(entity.id);
      this.addHolds(entity, entries, holder);
      this.addWaits(entity);
      this.addConflicts(entity, entries);
    }
  }

  private subjectOf(entity: EntitySnapshot) {
    const member = primaryMember(entity);
    return {
      record: member === undefined ? null : refKey(member.record.ref),
      label: member === undefined ? null : (recordLabel(member.record) ?? null),
      entityId: entity.id,
      flow: flowOfEntity(entity),
    };
  }

  private addHolds(entity: EntitySnapshot, entries: readonly HistoryEntry[], holder: EntitySnapshot | undefined): void {
    const subject = this.subjectOf(entity);
    for (const { reason, member, message } of holdsWithReasons(entity, entries)) {
      const row = holdAttentionOf(reason);
      if (row.listedAs === 'deletion') continue;
      const related = reason === 'duplicate-name' ? relinkTargetOf(entity, holder) : undefined;
      const record = subject.record ?? member;
      this.add({
        kind: 'hold',
        reason,
        needsPerson: row.listedAs === 'person',
        ...subject,
        record,
        message: message,
        action: row.action,
        command: row.command({ record, member, related }),
      });
    }
  }

  private addWaits(entity: EntitySnapshot): void {
    const subject = this.subjectOf(entity);
    for (const message of entity.waits) {
      this.add({
        kind: 'waiting',
        reason: 'dependency',
        needsPerson: false,
        ...subject,
        message,
        action:
          'Nothing: it goes on once the record it waits for is synced. If that one is listed as needing attention, fix it first.',
        command: subject.record === null ? null : `tandem explain ${subject.record}`,
      });
    }
  }

  private addConflicts(entity: EntitySnapshot, entries: readonly HistoryEntry[]): void {
    const subject = this.subjectOf(entity);
    for (const [attribute, base] of Object.entries(entity.base)) {
      if (!base.rule.startsWith('conflict-')) continue;
      // The conflict entry of the cycle that decided the value still agreed on.
      const entry = entries.findLast(
        (candidate) =>
          candidate.event === 'conflict' && candidate.attribute === attribute && candidate.cycleId === base.cycleId,
      );
      const detail = entry?.detail;
      const candidates =
        detail !== undefined && isObject(detail) && Array.isArray(detail.candidates) ? detail.candidates : [];
      const shown = candidates
        .filter(isObject)
        .map(
          (candidate) =>
            `${String(candidate.member)} had ${this.valueText(entity, attribute, candidate.value ?? null)}`,
        );
      this.add({
        kind: 'conflict',
        reason: base.rule,
        needsPerson: true,
        ...subject,
        message: `${attribute} was changed on both sides${shown.length === 0 ? '' : ` (${shown.join(', ')})`}; Tandem kept ${this.valueText(entity, attribute, base.value)} from ${base.source} (${base.rule}, cycle ${base.cycleId}) and wrote it to the other side`,
        action:
          'Check the value Tandem kept. If the other one is right, enter it in either system: it travels on the next cycle, and this item goes.',
        command: subject.record === null ? null : `tandem explain ${subject.record}`,
      });
    }
  }

  /** A value as text; entity ids of references become names once loaded (see finish). */
  private valueText(entity: EntitySnapshot, attribute: string, value: JsonValue): string {
    if (value === null) return '(none)';
    return typeof value === 'string' && isReferenceAttribute(entity.kind, attribute)
      ? `entity ${value}`
      : JSON.stringify(value);
  }

  // --- records and outbox ---

  async addFailedWrites(rows: readonly OutboxRow[]): Promise<void> {
    const entities = new Map(
      (await this.store.loadEntities([...new Set(rows.map((row) => row.entityId))])).map((entity) => [
        entity.id,
        entity,
      ]),
    );
    this.names.remember([...entities.values()]);
    for (const row of rows) {
      const entity = entities.get(row.entityId);
      const subject = entity === undefined ? undefined : this.subjectOf(entity);
      const forGood = row.state === 'failed';
      const target =
        row.targetId === null ? `a new ${row.system} ${row.type}` : `${row.system}:${row.type}:${row.targetId}`;
      const record = row.targetId === null ? (subject?.record ?? null) : `${row.system}:${row.type}:${row.targetId}`;
      const error = row.lastError;
      this.add({
        kind: 'failed-write',
        reason: forGood ? `${error?.code ?? 'error'}` : `retrying:${error?.code ?? 'error'}`,
        // A write retried with back-off ends by itself; one refused for good needs a person.
        needsPerson: forGood,
        record,
        label: subject?.label ?? row.label,
        entityId: row.entityId,
        flow: flowOfEntity(entity),
        message: `${row.operation === 'create' ? 'creating' : 'updating'} ${target} failed ${row.attempts} time${row.attempts === 1 ? '' : 's'}: ${error?.code ?? 'error'}: ${error?.message ?? ''}`,
        action: forGood
          ? `${row.system === 'zendesk' ? 'Zendesk' : 'SuperOffice'} refused it for good: correct the record as the message says (the write is planned again when it changes), then retry it.`
          : `Tried again on its own after ${row.nextAttemptAt}; to try at the next cycle instead, retry it.`,
        command: record === null ? 'tandem retry --failed' : `tandem retry ${record}`,
      });
    }
  }

  addAmbiguities(records: readonly StoredRecord[]): void {
    for (const stored of records) {
      const record = refKey(stored.record.ref);
      this.add({
        kind: 'ambiguity',
        reason: 'not-linked',
        needsPerson: true,
        record,
        label: recordLabel(stored.record) ?? null,
        entityId: null,
        flow: flowOfRef(stored.record.ref.system, stored.record.ref.type),
        message: stored.ambiguity ?? 'not linked',
        action:
          'Do what the message says; the record is matched again on the next cycle. Or, if you know which record it is, link it by hand.',
        command: `tandem relink ${record} <the record it is>`,
      });
    }
  }

  async addDeletions(records: readonly StoredRecord[]): Promise<void> {
    const entities = new Map(
      (await this.store.loadEntities([...new Set(records.map((stored) => stored.entityId ?? ''))])).map((entity) => [
        entity.id,
        entity,
      ]),
    );
    this.names.remember([...entities.values()]);
    for (const stored of records) {
      const entity = entities.get(stored.entityId ?? '');
      const { system } = stored.record.ref;
      // Only a deletion that left a linked record behind in the other system matters.
      const counterpart = entity?.members.find(({ record }) => record.ref.system !== system && !record.deleted);
      if (entity === undefined || counterpart === undefined) continue;
      const record = refKey(stored.record.ref);
      const where = system === 'zendesk' ? 'Zendesk' : 'SuperOffice';
      this.add({
        kind: 'deletion',
        reason: `deleted-in-${system}`,
        needsPerson: true,
        record,
        label: recordLabel(stored.record) ?? null,
        entityId: entity.id,
        flow: flowOfEntity(entity),
        message: `it was deleted in ${where}, and was linked to ${describeRecord(counterpart.record)}, which Tandem keeps as it is (deletes are not synced)`,
        action:
          system === 'zendesk'
            ? 'Restore it in Zendesk to resume syncing; or unlink it, and Tandem creates a new Zendesk record for the SuperOffice one on the next cycle.'
            : `Delete ${refKey(counterpart.record.ref)} in Zendesk by hand if it should go too; then unlink the deleted record, which ends this item.`,
        command: `tandem unlink ${record}`,
      });
    }
  }

  /** Names entities the messages mention, then orders the items. */
  async finish(): Promise<AttentionItem[]> {
    const mentioned = new Set<string>();
    for (const item of this.items) for (const id of EntityNames.mentionsIn(item.message)) mentioned.add(id);
    await this.names.load(mentioned);
    const rank = (item: AttentionItem) => (item.needsPerson ? 0 : 1) * 100 + kindOrder.indexOf(item.kind);
    return this.items
      .map((item) => ({ ...item, message: this.names.rewrite(item.message) }))
      .map((item, index) => ({ item, index }))
      .sort((left, right) => rank(left.item) - rank(right.item) || left.index - right.index)
      .map(({ item }) => item);
  }
}
