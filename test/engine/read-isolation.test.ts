/**
 * One type's failing feed, or one record a connector could not read, never stops the rest of the
 * sync: the engine reports it, leaves that type's cursor where it was, and reads, plans and writes
 * everything else. Only refused credentials and wrong settings fail the whole cycle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cycleLines } from '../../src/cli/report-text.js';
import type { ChangePage, Connector } from '../../src/connectors/connector.js';
import type { RecordType } from '../../src/core/model.js';
import { SyncError } from '../../src/core/sync-error.js';
import { SyncEngine } from '../../src/engine/sync-engine.js';
import { openStore } from '../../src/store/open-store.js';
import type { StateStore } from '../../src/store/state-store.js';
import { counterIds, FakeSystem, ManualClock } from './fake-system.js';

/** A feed that fails at its first page. */
function failingFeed(error: SyncError): AsyncIterable<ChangePage> {
  return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }) };
}

/**
 * A fake system whose reads a test can break per type: `failures` fails a type's feed as a whole,
 * `rejects` adds rejected records to its first page, `hold` keeps its first page until the read is aborted.
 */
class BreakableSystem {
  readonly failures = new Map<RecordType, SyncError>();
  readonly rejects = new Map<RecordType, ChangePage['rejected']>();
  hold: RecordType | undefined;
  aborted = false;

  constructor(readonly inner: FakeSystem) {}

  private pages(
    type: RecordType,
    read: () => AsyncIterable<ChangePage>,
    signal?: AbortSignal,
  ): AsyncIterable<ChangePage> {
    const failure = this.failures.get(type);
    if (failure !== undefined) return failingFeed(failure);
    const rejected = this.rejects.get(type);
    const held = this.hold === type;
    const onAbort = () => {
      this.aborted = true;
    };
    return (async function* () {
      if (held) {
        if (signal === undefined) throw new Error('a held read needs a signal');
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        onAbort();
        throw signal.reason;
      }
      let first = true;
      for await (const page of read()) {
        yield first && rejected !== undefined ? { ...page, rejected } : page;
        first = false;
      }
      if (first && rejected !== undefined) yield { records: [], cursor: '0', rejected };
    })();
  }

  get connector(): Connector {
    const inner = this.inner;
    return {
      system: inner.system,
      verify: () => inner.verify(),
      readChanges: (type, cursor, options) =>
        this.pages(type, () => inner.readChanges(type, cursor, options), options?.signal),
      readAll: (type, options) => this.pages(type, () => inner.readAll(type, options), options?.signal),
      readByIds: (type, ids) => inner.readByIds(type, ids),
      write: (type, operations) => inner.write(type, operations),
    };
  }
}

interface World {
  readonly clock: ManualClock;
  readonly store: StateStore;
  readonly superoffice: BreakableSystem;
  readonly zendesk: BreakableSystem;
  readonly engine: SyncEngine;
  readonly warnings: { fields: object; message: string | undefined }[];
  cycle(): ReturnType<SyncEngine['runCycle']>;
}

let world: World | undefined;
afterEach(async () => {
  await world?.store.close();
  world = undefined;
});

async function openWorld(): Promise<World> {
  const clock = new ManualClock();
  const store = await openStore(':memory:');
  const superoffice = new BreakableSystem(new FakeSystem('superoffice', clock.now));
  const zendesk = new BreakableSystem(new FakeSystem('zendesk', clock.now));
  const warnings: World['warnings'] = [];
  const engine = new SyncEngine({
    store,
    superoffice: superoffice.connector,
    zendesk: zendesk.connector,
    clock: clock.now,
    newId: counterIds(),
    log: {
      info: () => {},
      warn: (fields, message) => warnings.push({ fields, message }),
      error: () => {},
    },
  });
  world = {
    clock,
    store,
    superoffice,
    zendesk,
    engine,
    warnings,
    cycle: () => {
      clock.advance(60);
      return engine.runCycle();
    },
  };
  return world;
}

describe('a type whose read fails', () => {
  it('is reported with advice, keeps its cursor, and the other types and systems still sync', async () => {
    const w = await openWorld();
    w.superoffice.inner.add('contact', { Name: 'Acme' });
    w.zendesk.failures.set(
      'user',
      new SyncError(
        'malformed',
        'Zendesk answered GET /api/v2/incremental/users/cursor.json with a body that is not JSON',
      ),
    );

    const report = await w.cycle();
    expect(report.status).toBe('completed');
    expect(report.readFailures).toEqual([
      {
        system: 'zendesk',
        type: 'user',
        error: {
          code: 'malformed',
          message: 'Zendesk answered GET /api/v2/incremental/users/cursor.json with a body that is not JSON',
        },
        advice: expect.stringMatching(/read again every cycle from where it stopped/),
      },
    ]);
    expect(report.reads.map((read) => `${read.system}:${read.type}`)).not.toContain('zendesk:user');
    expect(report.reads.map((read) => `${read.system}:${read.type}`)).toContain('zendesk:organization');
    expect(w.zendesk.inner.all('organization').map((record) => record.values.name)).toEqual(['Acme']);
    expect(await w.store.getCursor('zendesk', 'user')).toBeNull();
    expect(w.warnings.filter((warning) => warning.message === 'read failed')).toHaveLength(1);
    expect(cycleLines(report).join('\n')).toMatch(
      /reads that failed[^\n]*\(1\):\n {2}- zendesk user: Zendesk answered GET \S+ with a body that is not JSON — /,
    );

    // Listed every cycle while it lasts; gone once the feed answers again.
    expect((await w.cycle()).readFailures.map((failure) => failure.type)).toEqual(['user']);
    w.zendesk.failures.clear();
    const recovered = await w.cycle();
    expect(recovered.readFailures).toEqual([]);
    expect(recovered.reads.map((read) => `${read.system}:${read.type}`)).toContain('zendesk:user');
  });

  it('holds updates to the unread type back, so an edit it has not seen is not overwritten, and sends them once it reads', async () => {
    const w = await openWorld();
    const contactId = w.superoffice.inner.add('contact', { Name: 'Acme' });
    await w.cycle();
    const [organization] = w.zendesk.inner.all('organization');
    if (organization === undefined) throw new Error('the first cycle created no organization');

    // Zendesk's organization feed breaks; meanwhile both sides rename, Zendesk last.
    w.zendesk.failures.set('organization', new SyncError('transient', 'Zendesk did not answer'));
    w.superoffice.inner.edit('contact', contactId, { Name: 'Acme Corp' });
    w.clock.advance(5);
    w.zendesk.inner.edit('organization', organization.ref.id, { name: 'Acme Zendesk' });
    const blind = await w.cycle();
    expect(blind.writes.deferred).toBe(1);
    expect(blind.writes.calls).toBe(0);
    expect(w.zendesk.inner.get('organization', organization.ref.id)?.values.name).toBe('Acme Zendesk');
    expect(cycleLines(blind).join('\n')).toMatch(/1 updates held back/);

    // Once read, Zendesk's later edit is seen and decided by the policy (latest wins) instead of lost.
    w.zendesk.failures.clear();
    const recovered = await w.cycle();
    expect(recovered.readFailures).toEqual([]);
    expect(w.zendesk.inner.get('organization', organization.ref.id)?.values.name).toBe('Acme Zendesk');
    expect(w.superoffice.inner.get('contact', contactId)?.values.Name).toBe('Acme Zendesk');
  });

  it('fails the whole cycle on refused credentials and stops the other system’s read in flight', async () => {
    const w = await openWorld();
    w.superoffice.inner.add('contact', { Name: 'Acme' });
    for (const type of ['contact', 'person', 'user', 'ticket'] as const)
      w.superoffice.failures.set(type, new SyncError('auth', 'SuperOffice refused the credentials'));
    w.zendesk.hold = 'organization';

    await expect(w.cycle()).rejects.toMatchObject({ code: 'auth' });
    expect(w.zendesk.aborted).toBe(true);
    expect(w.zendesk.inner.all('organization')).toEqual([]);
  });
});

describe('a record a connector could not read', () => {
  it('is listed with its id and reason while the rest of its page syncs', async () => {
    const w = await openWorld();
    w.superoffice.inner.add('contact', { Name: 'Acme' });
    w.superoffice.rejects.set('contact', [
      {
        type: 'contact',
        id: '77',
        error: new SyncError('malformed', 'SuperOffice answered GET /Contact/77 with an unexpected shape at ContactId'),
      },
    ]);
    const report = await w.cycle();
    expect(report.status).toBe('completed');
    expect(report.counts.rejectedRecords).toBe(1);
    expect(report.rejectedRecords).toEqual([
      {
        system: 'superoffice',
        type: 'contact',
        id: '77',
        error: {
          code: 'malformed',
          message: 'SuperOffice answered GET /Contact/77 with an unexpected shape at ContactId',
        },
      },
    ]);
    expect(w.zendesk.inner.all('organization').map((record) => record.values.name)).toEqual(['Acme']);
    expect(w.warnings.filter((warning) => warning.message === 'record rejected')).toHaveLength(1);
    expect(cycleLines(report).join('\n')).toMatch(
      /records that could not be read \(1\):\n {2}- superoffice:contact:77: SuperOffice answered GET \/Contact\/77 .* — correct the record in SuperOffice/,
    );
  });
});
