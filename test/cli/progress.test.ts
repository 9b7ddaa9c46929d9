/**
 * Progress during long cycles: the engine reports how many writes a cycle has to do, and the CLI
 * turns its events into a line with the count, the total, the rate and about how long is left.
 */
import { describe, expect, it } from 'vitest';
import { ProgressLog, ProgressTracker } from '../../src/cli/progress-display.js';
import type { CycleProgress } from '../../src/engine/cycle-report.js';
import { SyncEngine } from '../../src/engine/sync-engine.js';
import { openStore } from '../../src/store/open-store.js';
import { counterIds, FakeSystem, ManualClock } from '../engine/fake-system.js';

describe('cycle progress', () => {
  it('the engine gives each record type’s writes their total', async () => {
    const clock = new ManualClock();
    const store = await openStore(':memory:');
    const superoffice = new FakeSystem('superoffice', clock.now);
    const zendesk = new FakeSystem('zendesk', clock.now);
    for (let index = 0; index < 3; index++) superoffice.add('contact', { Name: `Company ${index}` });
    const events: CycleProgress[] = [];
    const engine = new SyncEngine({
      store,
      superoffice,
      zendesk,
      clock: clock.now,
      newId: counterIds(),
      onProgress: (event) => events.push(event),
    });
    await engine.runCycle({ sweep: false });
    await store.close();
    const organizationWrites = events.filter(
      (event) => event.phase === 'write' && event.system === 'zendesk' && event.type === 'organization',
    );
    expect(organizationWrites.at(-1)).toMatchObject({ done: 3, total: 3 });
  });

  it('says how far a long cycle is, at what rate, and about how long is left', () => {
    let now = 0;
    const tracker = new ProgressTracker(() => now);
    const write = { phase: 'write', system: 'zendesk', type: 'ticket', flows: ['ticket'] } as const;
    tracker.update({ ...write, done: 0, total: 1200 });
    now = 10_000;
    tracker.update({ ...write, done: 400, total: 1200 });
    expect(tracker.line()).toBe(
      'cycle in progress: writing zendesk ticket (ticket): 400 of 1200 (40/s, about 20 s left)',
    );
    const read = { phase: 'read', system: 'superoffice', type: 'person', flows: ['person'] } as const;
    tracker.update({ ...read, done: 0 });
    now = 15_000;
    tracker.update({ ...read, done: 5000 });
    expect(tracker.line()).toBe('cycle in progress: reading superoffice person (person): 5000 so far (1000/s)');
  });

  it('logs a line only when the cycle moved since the last one', () => {
    const lines: string[] = [];
    const log = new ProgressLog((line) => lines.push(line), 60_000, new ProgressTracker(() => 1000));
    log.flush();
    log.tracker.update({ phase: 'read', system: 'zendesk', type: 'user', flows: ['user', 'person'], done: 10 });
    log.flush();
    log.flush();
    expect(lines).toHaveLength(1);
  });
});
