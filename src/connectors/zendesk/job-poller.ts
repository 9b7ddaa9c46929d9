/**
 * Waits for Zendesk's bulk jobs (trap 2, §3.1). Every poll costs a request of the account budget
 * (JOBLIM), so one poller serves every job in flight: it waits until submissions pause, asks for
 * all unfinished jobs in one `job_statuses/show_many` call (≤100 ids), and backs off while nothing
 * finishes.
 */
import { SyncError } from '../../core/sync-error.js';
import type { WireJobStatus } from './zendesk-wire.js';

export interface JobPollerOptions {
  /** Reads the statuses of up to 100 jobs. */
  readonly fetchStatuses: (ids: readonly string[]) => Promise<readonly WireJobStatus[]>;
  /** First wait after the last submission, and the wait after a poll that finished something. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A job not finished after this long is given up on (its outcome is unknown); `wait` may ask for less. */
  readonly timeoutMs: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Waiter {
  readonly jobId: string;
  readonly since: number;
  readonly timeoutMs: number;
  misses: number;
  readonly resolve: (status: WireJobStatus | undefined) => void;
  readonly reject: (error: unknown) => void;
}

const finished = new Set(['completed', 'failed', 'killed']);

export class JobPoller {
  readonly #options: JobPollerOptions;
  /** By a token of each wait, not by job id: one job may be waited for twice (a lost create's candidate). */
  readonly #waiting = new Map<number, Waiter>();
  #nextToken = 0;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  #lastSubmission = 0;
  #running = false;
  /** Polls made, for tests and benchmarks. */
  polls = 0;

  constructor(options: JobPollerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Resolves with the finished job, or undefined when Zendesk no longer knows the job or it did
   * not finish in time: then whether its work happened is unknown.
   */
  wait(jobId: string, timeoutMs = this.#options.timeoutMs): Promise<WireJobStatus | undefined> {
    return new Promise((resolve, reject) => {
      this.#lastSubmission = this.#now();
      this.#waiting.set(this.#nextToken++, {
        jobId,
        since: this.#lastSubmission,
        timeoutMs,
        misses: 0,
        resolve,
        reject,
      });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    let delay = this.#options.initialDelayMs;
    let lastPoll = this.#now();
    try {
      while (this.#waiting.size > 0) {
        // Wait for submissions to pause, so one poll covers every job of a burst; never longer than maxDelay.
        const now = this.#now();
        const oldest = Math.min(...[...this.#waiting.values()].map((waiter) => waiter.since));
        const wake = Math.min(Math.max(this.#lastSubmission, lastPoll) + delay, oldest + this.#options.maxDelayMs);
        if (wake > now) {
          await this.#sleep(wake - now);
          continue; // a submission may have come in meanwhile: look again
        }
        lastPoll = this.#now();
        const progressed = await this.#pollOnce();
        delay = progressed ? this.#options.initialDelayMs : Math.min(delay * 2, this.#options.maxDelayMs);
      }
    } finally {
      this.#running = false;
    }
  }

  async #pollOnce(): Promise<boolean> {
    const ids = [...new Set([...this.#waiting.values()].map((waiter) => waiter.jobId))].slice(0, 100);
    const asked = new Set(ids);
    const tokens = [...this.#waiting.entries()].filter(([, waiter]) => asked.has(waiter.jobId)).map(([token]) => token);
    let statuses: readonly WireJobStatus[];
    try {
      this.polls++;
      statuses = await this.#options.fetchStatuses(ids);
    } catch (error) {
      if (error instanceof SyncError && !error.retryable) {
        for (const token of tokens) this.#settle(token, (waiter) => waiter.reject(error));
      }
      return false;
    }
    let progressed = false;
    const byId = new Map(statuses.map((status) => [status.id, status]));
    for (const token of tokens) {
      const waiter = this.#waiting.get(token);
      if (waiter === undefined) continue;
      const status = byId.get(waiter.jobId);
      if (status !== undefined && finished.has(status.status)) {
        progressed = true;
        this.#settle(token, (entry) => entry.resolve(status));
      } else if (status === undefined && ++waiter.misses >= 3) {
        // §3.1: job data expires; a job Zendesk no longer shows has an unknown outcome.
        this.#settle(token, (entry) => entry.resolve(undefined));
      } else if (this.#now() - waiter.since > waiter.timeoutMs) {
        this.#settle(token, (entry) => entry.resolve(undefined));
      }
    }
    return progressed;
  }

  #settle(token: number, action: (waiter: Waiter) => void): void {
    const waiter = this.#waiting.get(token);
    if (waiter === undefined) return;
    this.#waiting.delete(token);
    action(waiter);
  }
}
