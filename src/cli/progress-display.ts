/**
 * Progress while a cycle reads and writes. On a terminal `sync` shows a bar per record type; `run`,
 * and `sync` off a terminal, log a line every few seconds during a long cycle instead, so a log file
 * shows the cycle moving. Where the total is known (writes) both say how much is left and about how long.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { CycleProgress } from '../engine/cycle-report.js';

function labelOf(event: CycleProgress): string {
  return `${event.phase === 'read' ? 'read ' : 'write'} ${event.system.padEnd(11)} ${event.type.padEnd(12)} (${event.flows.join(', ')})`;
}

export class ProgressDisplay {
  readonly #bars = new Map<string, SingleBar>();
  readonly #multibar: MultiBar | undefined;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#multibar = stream.isTTY
      ? new MultiBar(
          {
            stream,
            clearOnComplete: false,
            hideCursor: true,
            format: ' {label} |{bar}| {value}{ofTotal}{left}',
            barsize: 24,
          },
          Presets.shades_classic,
        )
      : undefined;
  }

  /** Whether bars are shown (a terminal); otherwise a ProgressLog should report. */
  get active(): boolean {
    return this.#multibar !== undefined;
  }

  update(event: CycleProgress, estimate?: Estimate): void {
    if (this.#multibar === undefined) return;
    const label = labelOf(event).padEnd(60);
    const key = `${event.phase}:${event.system}:${event.type}`;
    const total = event.total ?? Math.max(event.done, 1);
    const ofTotal = event.total === undefined ? ' records' : ` / ${event.total}`;
    const left = estimate?.secondsLeft === undefined ? '' : `  about ${formatSeconds(estimate.secondsLeft)} left`;
    let bar = this.#bars.get(key);
    if (bar === undefined) {
      bar = this.#multibar.create(total, 0, { label, ofTotal, left });
      this.#bars.set(key, bar);
    }
    bar.setTotal(total);
    bar.update(event.done, { label, ofTotal, left });
  }

  stop(): void {
    this.#multibar?.stop();
  }
}

export interface Estimate {
  /** Records per second so far for this phase and type. */
  readonly perSecond: number;
  /** Undefined when the total is not known. */
  readonly secondsLeft: number | undefined;
}

export function formatSeconds(value: number): string {
  const total = Math.max(1, Math.round(value));
  return total < 120 ? `${total} s` : `${Math.floor(total / 60)} min ${total % 60} s`;
}

/** Rates and estimates per phase and record type, from the engine's progress events. */
export class ProgressTracker {
  readonly #started = new Map<string, number>();
  #latest: CycleProgress | undefined;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  update(event: CycleProgress): Estimate {
    const key = `${event.phase}:${event.system}:${event.type}`;
    const now = this.#now();
    if (!this.#started.has(key)) this.#started.set(key, now);
    this.#latest = event;
    return this.estimate(event, now);
  }

  estimate(event: CycleProgress, now: number = this.#now()): Estimate {
    const started = this.#started.get(`${event.phase}:${event.system}:${event.type}`) ?? now;
    const elapsed = Math.max(now - started, 1) / 1000;
    const perSecond = event.done / elapsed;
    const secondsLeft =
      event.total === undefined || perSecond <= 0 ? undefined : Math.max(event.total - event.done, 0) / perSecond;
    return { perSecond, secondsLeft };
  }

  /** The latest event as a line for a log: `writing zendesk ticket (ticket): 400 of 1200, about 25 s left`. */
  line(): string | undefined {
    const event = this.#latest;
    if (event === undefined) return undefined;
    const { perSecond, secondsLeft } = this.estimate(event);
    const verb = event.phase === 'read' ? 'reading' : 'writing';
    const count = event.total === undefined ? `${event.done} so far` : `${event.done} of ${event.total}`;
    const left = secondsLeft === undefined ? '' : `, about ${formatSeconds(secondsLeft)} left`;
    return `cycle in progress: ${verb} ${event.system} ${event.type} (${event.flows.join(', ')}): ${count} (${Math.round(perSecond)}/s${left})`;
  }

  reset(): void {
    this.#started.clear();
    this.#latest = undefined;
  }
}

/** Logs the tracker's line every `everyMs` while a cycle runs, if it moved since the last line. */
export class ProgressLog {
  readonly tracker: ProgressTracker;
  #timer: NodeJS.Timeout | undefined;
  #last: string | undefined;

  constructor(
    private readonly write: (line: string) => void,
    private readonly everyMs = 10_000,
    tracker = new ProgressTracker(),
  ) {
    this.tracker = tracker;
  }

  start(): void {
    this.stop();
    this.tracker.reset();
    this.#last = undefined;
    this.#timer = setInterval(() => this.flush(), this.everyMs);
    this.#timer.unref();
  }

  flush(): void {
    const line = this.tracker.line();
    if (line !== undefined && line !== this.#last) this.write(line);
    this.#last = line;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
