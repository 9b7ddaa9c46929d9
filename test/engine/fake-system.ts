/**
 * An in-memory system behind the Connector port, for engine tests: a change feed with sequence
 * cursors, full reads, bulk writes with per-item outcomes, ids assigned on create, idempotent
 * creates by external id, and the refusals the real Zendesk makes (duplicate organization name,
 * duplicate e-mail, non-agent assignee). Failures and crashes are injected by tests.
 */
import type {
  ChangePage,
  Connector,
  ReadOptions,
  WriteOperation,
  WriteOutcome,
} from '../../src/connectors/connector.js';
import type { PropertyValues, RecordFacts, RecordType, SourceRecord, SystemName } from '../../src/core/model.js';
import { SyncError } from '../../src/core/sync-error.js';

interface Stored {
  record: SourceRecord;
  seq: number;
}

/** A write the fake refuses: return an error to fail that item. */
export type FailureRule = (type: RecordType, operation: WriteOperation) => SyncError | undefined;

export class CrashError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrashError';
  }
}

export class FakeSystem implements Connector {
  private readonly tables = new Map<RecordType, Map<string, Stored>>();
  /** When each record last entered the feed (our clock), for the feed lag. */
  private readonly changedAt = new WeakMap<Stored, number>();
  private seq = 0;
  private nextId = 1000;
  /** Write calls made (one per `write` invocation). */
  writeCalls = 0;
  /** Operations received, in order. */
  readonly operations: { type: RecordType; operation: WriteOperation }[] = [];
  failureRule: FailureRule | undefined;
  /** Records (by type and id) a read cannot take: reported as rejected instead, as a malformed answer would be. */
  readonly unreadable = new Map<RecordType, Map<string, SyncError>>();
  /** When set, the next write applies its operations and then throws, as a process dying after the call. */
  crashAfterNextWrite = false;
  /** When set, the next write throws before anything reaches the system. */
  crashBeforeNextWrite = false;
  /** Whether write outcomes carry the record (the port allows both). */
  returnRecords = true;
  /** Runs once before the next write is applied: a person editing between Tandem's read and its write. */
  beforeNextWrite: (() => void) | undefined;

  constructor(
    readonly system: SystemName,
    private readonly clock: () => Date,
    private readonly pageSize = 3,
  ) {}

  private table(type: RecordType): Map<string, Stored> {
    let table = this.tables.get(type);
    if (table === undefined) {
      table = new Map();
      this.tables.set(type, table);
    }
    return table;
  }

  private bumped(stored: Stored): Stored {
    stored.seq = ++this.seq;
    this.changedAt.set(stored, this.clock().getTime());
    return stored;
  }

  // --- what people do in the system ---

  /** Adds a record as a person would; returns its id. */
  add(
    type: RecordType,
    values: PropertyValues,
    options: {
      id?: string;
      facts?: RecordFacts;
      alternates?: Record<string, readonly string[]>;
      modifiedAt?: string | null;
    } = {},
  ): string {
    const id = options.id ?? String(this.nextId++);
    const record: SourceRecord = {
      ref: { system: this.system, type, id },
      values: { ...values },
      ...(options.alternates === undefined ? {} : { alternates: options.alternates }),
      modifiedAt: options.modifiedAt === undefined ? this.clock().toISOString() : options.modifiedAt,
      deleted: false,
      ...(options.facts === undefined ? {} : { facts: options.facts }),
    };
    this.table(type).set(id, this.bumped({ record, seq: 0 }));
    return id;
  }

  /** Changes values as a person would (bumps the modification time and the feed). */
  edit(type: RecordType, id: string, values: PropertyValues, facts?: RecordFacts): void {
    const stored = this.table(type).get(id);
    if (stored === undefined) throw new Error(`no ${type} ${id}`);
    stored.record = this.applied(stored.record, values, facts);
    this.bumped(stored);
  }

  /** Changes values without the change feed noticing (what sweeps are for). */
  editUnnoticed(type: RecordType, id: string, values: PropertyValues): void {
    const stored = this.table(type).get(id);
    if (stored === undefined) throw new Error(`no ${type} ${id}`);
    stored.record = this.applied(stored.record, values);
  }

  remove(type: RecordType, id: string): void {
    const stored = this.table(type).get(id);
    if (stored === undefined) throw new Error(`no ${type} ${id}`);
    stored.record = { ...stored.record, deleted: true, modifiedAt: this.clock().toISOString() };
    this.bumped(stored);
  }

  get(type: RecordType, id: string): SourceRecord | undefined {
    return this.table(type).get(id)?.record;
  }

  all(type: RecordType): SourceRecord[] {
    return [...this.table(type).values()].map((stored) => stored.record).filter((record) => !record.deleted);
  }

  private applied(record: SourceRecord, values: PropertyValues, facts?: RecordFacts): SourceRecord {
    let alternates = record.alternates;
    if (alternates !== undefined) {
      const next: Record<string, readonly string[]> = { ...alternates };
      for (const [path, value] of Object.entries(values)) {
        const list = next[path];
        if (list === undefined) continue;
        next[path] = value === null ? list.slice(1) : [value, ...list.slice(1).filter((other) => other !== value)];
      }
      alternates = next;
    }
    return {
      ...record,
      values: { ...record.values, ...values },
      ...(alternates === undefined ? {} : { alternates }),
      ...(facts === undefined ? {} : { facts: { ...record.facts, ...facts } }),
      modifiedAt: record.modifiedAt === null ? null : this.clock().toISOString(),
    };
  }

  // --- the port ---

  async verify(): Promise<void> {}

  /**
   * Seconds during which a change stays out of the feed (Zendesk's incremental exports leave out
   * the last minute). The feed stops at the first such change so the cursor never passes it.
   */
  feedLagSeconds = 0;

  async *readChanges(type: RecordType, cursor: string | null, options?: ReadOptions): AsyncIterable<ChangePage> {
    const since = cursor === null ? 0 : Number(cursor);
    const horizon = this.clock().getTime() - this.feedLagSeconds * 1000;
    const ordered = [...this.table(type).values()].filter((stored) => stored.seq > since).sort((a, b) => a.seq - b.seq);
    const tooRecent = ordered.findIndex((stored) => (this.changedAt.get(stored) ?? 0) > horizon);
    const changed = tooRecent === -1 ? ordered : ordered.slice(0, tooRecent);
    for (let start = 0; start < changed.length; start += this.pageSize) {
      if (options?.signal?.aborted === true) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      const page = changed.slice(start, start + this.pageSize);
      const refused = this.unreadable.get(type);
      const readable = page.filter((stored) => refused?.has(stored.record.ref.id) !== true);
      const rejected = page.flatMap((stored) => {
        const error = refused?.get(stored.record.ref.id);
        return error === undefined ? [] : [{ type, id: stored.record.ref.id, error }];
      });
      yield {
        records: readable.map((stored) => stored.record),
        cursor: String((page[page.length - 1] as Stored).seq),
        ...(rejected.length === 0 ? {} : { rejected }),
      };
    }
  }

  async *readAll(type: RecordType, options?: ReadOptions): AsyncIterable<ChangePage> {
    const live = [...this.table(type).values()].filter((stored) => !stored.record.deleted);
    const top = String(this.seq);
    for (let start = 0; start < live.length; start += this.pageSize) {
      if (options?.signal?.aborted === true) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      yield { records: live.slice(start, start + this.pageSize).map((stored) => stored.record), cursor: top };
    }
  }

  async readByIds(type: RecordType, ids: readonly string[]): Promise<readonly SourceRecord[]> {
    return ids.flatMap((id) => {
      const stored = this.table(type).get(id);
      return stored === undefined ? [] : [stored.record];
    });
  }

  async write(type: RecordType, operations: readonly WriteOperation[]): Promise<readonly WriteOutcome[]> {
    this.writeCalls++;
    if (this.crashBeforeNextWrite) {
      this.crashBeforeNextWrite = false;
      throw new CrashError('crash before the write reached the system');
    }
    const before = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    before?.();
    const outcomes = operations.map((operation) => this.writeOne(type, operation));
    if (this.crashAfterNextWrite) {
      this.crashAfterNextWrite = false;
      throw new CrashError('crash after the write reached the system');
    }
    return outcomes;
  }

  private writeOne(type: RecordType, operation: WriteOperation): WriteOutcome {
    this.operations.push({ type, operation });
    const injected = this.failureRule?.(type, operation);
    if (injected !== undefined) return { key: operation.key, status: 'failed', error: injected };
    const refusal = this.refusal(type, operation);
    if (refusal !== undefined) return { key: operation.key, status: 'failed', error: refusal };
    const table = this.table(type);
    if (operation.kind === 'create') {
      if (this.system === 'superoffice') {
        return {
          key: operation.key,
          status: 'failed',
          error: new SyncError('bug', 'SuperOffice records are never created'),
        };
      }
      if (operation.mayExist) {
        const existing = [...table.values()].find((stored) => stored.record.facts?.externalId === operation.externalId);
        if (existing !== undefined) return this.outcome(operation.key, 'created', existing.record);
      }
      const id = String(this.nextId++);
      const record: SourceRecord = {
        ref: { system: this.system, type, id },
        values: { ...emptyValues(type), ...operation.values },
        modifiedAt: this.clock().toISOString(),
        deleted: false,
        facts: {
          externalId: operation.externalId,
          ...(operation.label === undefined ? {} : { label: operation.label }),
          ...(type === 'user' ? { isAgent: false } : {}),
        },
      };
      table.set(id, this.bumped({ record, seq: 0 }));
      return this.outcome(operation.key, 'created', record);
    }
    const stored = table.get(operation.id);
    if (stored === undefined || stored.record.deleted) {
      return {
        key: operation.key,
        status: 'failed',
        error: new SyncError('not_found', `${type} ${operation.id} not found`),
      };
    }
    // A conditional update (the port's `expected`) is applied only while the record holds what was read.
    const expected = operation.expected?.values ?? {};
    if (Object.entries(expected).some(([path, value]) => (stored.record.values[path] ?? null) !== value)) {
      return { key: operation.key, status: 'conflict', record: stored.record };
    }
    const unchanged = Object.entries(operation.values).every(([path, value]) => stored.record.values[path] === value);
    if (unchanged) return this.outcome(operation.key, 'unchanged', stored.record);
    stored.record = this.applied(stored.record, operation.values);
    this.bumped(stored);
    return this.outcome(operation.key, 'updated', stored.record);
  }

  private outcome(key: string, status: 'created' | 'updated' | 'unchanged', record: SourceRecord): WriteOutcome {
    return this.returnRecords || status === 'created' ? { key, status, record } : { key, status };
  }

  /** What the real Zendesk refuses (the engine must not send these). */
  private refusal(type: RecordType, operation: WriteOperation): SyncError | undefined {
    if (this.system !== 'zendesk') return undefined;
    const others = [...this.table(type).values()]
      .map((stored) => stored.record)
      .filter((record) => !record.deleted && (operation.kind === 'create' || record.ref.id !== operation.id));
    if (type === 'organization') {
      const name = operation.values.name;
      if (
        typeof name === 'string' &&
        others.some((record) => record.values.name?.toLowerCase() === name.toLowerCase())
      ) {
        return new SyncError('validation', `Name: ${name} has already been taken`, {
          fields: { name: ['DuplicateValue'] },
        });
      }
      if (operation.kind === 'create' && (name === undefined || name === null || name.trim() === '')) {
        return new SyncError('validation', 'Name: cannot be blank', { fields: { name: ['BlankValue'] } });
      }
    }
    if (type === 'user') {
      const email = operation.values.email;
      if (
        typeof email === 'string' &&
        email !== '' &&
        others.some((record) => record.values.email?.toLowerCase() === email.toLowerCase())
      ) {
        return new SyncError('validation', `Email: ${email} is already being used by another user`, {
          fields: { email: ['DuplicateValue'] },
        });
      }
    }
    if (type === 'ticket') {
      const assignee = operation.values.assignee_id;
      if (typeof assignee === 'string') {
        const user = this.table('user').get(assignee);
        if (user === undefined || user.record.facts?.isAgent !== true) {
          return new SyncError('validation', 'Assignee: is invalid', { fields: { assignee: ['InvalidValue'] } });
        }
      }
    }
    return undefined;
  }
}

function emptyValues(type: RecordType): PropertyValues {
  switch (type) {
    case 'organization':
      return { name: null };
    case 'user':
      return { email: null, phone: null, organization_id: null };
    case 'ticket':
      return { requester_id: null, assignee_id: null, due_at: null, subject: null };
    default:
      return {};
  }
}

/** A clock tests move by hand. */
export class ManualClock {
  private millis: number;

  constructor(start = '2024-03-26T08:00:00Z') {
    this.millis = Date.parse(start);
  }

  readonly now = (): Date => new Date(this.millis);

  advance(seconds: number): void {
    this.millis += seconds * 1000;
  }
}

/** Deterministic ids: `e1`, `e2`, … (zero-padded so they sort in creation order). */
export function counterIds(prefix = 'e'): () => string {
  let next = 0;
  return () => `${prefix}${String(++next).padStart(6, '0')}`;
}
