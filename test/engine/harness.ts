/** One tenant for engine tests: a SQLite store in memory, two fake systems, a manual clock. */
import type { ConflictPolicy } from '../../src/core/conflict-policy.js';
import { SyncEngine } from '../../src/engine/sync-engine.js';
import { openStore } from '../../src/store/open-store.js';
import type { StateStore } from '../../src/store/state-store.js';
import { counterIds, FakeSystem, ManualClock } from './fake-system.js';

export interface Harness {
  readonly clock: ManualClock;
  readonly store: StateStore;
  readonly superoffice: FakeSystem;
  readonly zendesk: FakeSystem;
  engine: SyncEngine;
  /** Advances the clock a minute and runs a cycle. */
  cycle(options?: { sweep?: boolean; signal?: AbortSignal }): ReturnType<SyncEngine['runCycle']>;
  /** A new engine on the same store and systems, as after a restart. */
  restart(): void;
  close(): Promise<void>;
}

export async function openHarness(
  options: { policy?: ConflictPolicy; store?: StateStore; pageSize?: number } = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const store = options.store ?? (await openStore(':memory:'));
  const superoffice = new FakeSystem('superoffice', clock.now, options.pageSize);
  const zendesk = new FakeSystem('zendesk', clock.now, options.pageSize);
  const newId = counterIds();
  const build = () =>
    new SyncEngine({
      store,
      superoffice,
      zendesk,
      clock: clock.now,
      newId,
      ...(options.policy === undefined ? {} : { policy: options.policy }),
    });
  const harness: Harness = {
    clock,
    store,
    superoffice,
    zendesk,
    engine: build(),
    cycle(cycleOptions) {
      clock.advance(60);
      return harness.engine.runCycle(cycleOptions);
    },
    restart() {
      harness.engine = build();
    },
    close: () => store.close(),
  };
  return harness;
}
