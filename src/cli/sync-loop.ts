/**
 * Keeps a tenant in sync: a cycle, a pause, another cycle, with a full sweep whenever the sweep
 * interval has passed, until the stop signal. Used by `tandem run` and `tandem demo`.
 */
import type { CycleReport } from '../engine/cycle-report.js';
import type { SyncEngine } from '../engine/sync-engine.js';

export interface SyncLoopOptions {
  readonly engine: SyncEngine;
  readonly intervalMs: number;
  readonly sweepIntervalMs: number;
  readonly signal: AbortSignal;
  /** Stop after this many cycles (for scripted runs); unlimited when absent. */
  readonly maxCycles?: number;
  /** Whether the first cycle reads everything. */
  readonly sweepFirst?: boolean;
  readonly onCycle: (report: CycleReport) => void | Promise<void>;
  /** A cycle that failed as a whole (a service unreachable): the loop goes on after the pause. */
  readonly onCycleFailure: (error: unknown) => void;
  readonly now?: () => number;
}

/** Resolves after `ms`, or at once when the signal fires. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

export async function runSyncLoop(options: SyncLoopOptions): Promise<number> {
  const now = options.now ?? Date.now;
  let lastSweep = options.sweepFirst === true ? Number.NEGATIVE_INFINITY : now();
  let cycles = 0;
  while (!options.signal.aborted && (options.maxCycles === undefined || cycles < options.maxCycles)) {
    const sweep = now() - lastSweep >= options.sweepIntervalMs;
    try {
      const report = await options.engine.runCycle({ sweep, signal: options.signal });
      if (sweep && report.status === 'completed') lastSweep = now();
      await options.onCycle(report);
    } catch (error) {
      options.onCycleFailure(error);
    }
    cycles++;
    if (options.maxCycles !== undefined && cycles >= options.maxCycles) break;
    await pause(options.intervalMs, options.signal);
  }
  return cycles;
}
