/**
 * Progress bars per flow while a cycle reads and writes, on a terminal. Off a terminal it stays
 * silent: the cycle's log line and report say what happened.
 */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { CycleProgress } from '../engine/cycle-report.js';

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
            format: ' {label} |{bar}| {value}{ofTotal}',
            barsize: 24,
          },
          Presets.shades_classic,
        )
      : undefined;
  }

  update(event: CycleProgress): void {
    if (this.#multibar === undefined) return;
    const label = `${event.phase === 'read' ? 'read ' : 'write'} ${event.system.padEnd(11)} ${event.type.padEnd(12)} (${event.flows.join(', ')})`;
    const key = `${event.phase}:${event.system}:${event.type}`;
    const total = event.total ?? Math.max(event.done, 1);
    const ofTotal = event.total === undefined ? ' records' : ` / ${event.total}`;
    let bar = this.#bars.get(key);
    if (bar === undefined) {
      bar = this.#multibar.create(total, 0, { label: label.padEnd(60), ofTotal });
      this.#bars.set(key, bar);
    }
    bar.setTotal(total);
    bar.update(event.done, { label: label.padEnd(60), ofTotal });
  }

  stop(): void {
    this.#multibar?.stop();
  }
}
