/**
 * Bulk endpoints answer at once with a queued job; the work happens later (trap 2, §3.1). Jobs run
 * one after another on real-time timers a few milliseconds apart, independent of the simulator
 * clock, so they finish promptly in tests that never advance the clock. Job ids look like
 * Zendesk's (`V3-<hex>`).
 */
import type { SeededRandom } from '../seeded-random.js';
import type { SimulatorClock } from './simulator-clock.js';

export type JobState = 'queued' | 'working' | 'completed' | 'failed';

/** One entry of a job's `results`; the shape differs per endpoint (§3.1 table). */
export type JobResultItem = Readonly<Record<string, string | number | boolean | null>>;

export interface JobOutcome {
  readonly results: readonly JobResultItem[];
  /** Whether every item failed: the job then ends `failed` (§3.1, cloudbees#98). */
  readonly allFailed: boolean;
}

export interface SimulatedJob {
  readonly id: string;
  readonly jobType: string;
  readonly total: number;
  status: JobState;
  progress: number | null;
  message: string | null;
  /** Per-item results, or an object for some job types (a permanent deletion answers `{success}`). */
  results: readonly JobResultItem[] | JobResultItem | null;
  readonly createdAt: number;
  /** Which record kind the progress message names ("Creating ticket #19"). */
  readonly noun: string;
  readonly verb: string;
  readonly run: () => JobOutcome;
}

export interface JobQueueOptions {
  /** Real milliseconds between a job's arrival (or the previous job's end) and its processing. */
  readonly delayMs: number;
  /** §3.1: only so many jobs may be queued or running; 30 in Zendesk's worked example. */
  readonly maxActive: number;
}

export class JobQueue {
  readonly #jobs = new Map<string, SimulatedJob>();
  readonly #pending: SimulatedJob[] = [];
  readonly #clock: SimulatorClock;
  readonly #random: SeededRandom;
  readonly #options: JobQueueOptions;
  #timer: NodeJS.Timeout | undefined;
  #held = false;
  #closed = false;

  constructor(clock: SimulatorClock, random: SeededRandom, options: JobQueueOptions) {
    this.#clock = clock;
    this.#random = random;
    this.#options = options;
  }

  get active(): number {
    return this.#pending.length;
  }

  /** Returns undefined when the account already has the maximum of queued or running jobs. */
  submit(jobType: string, noun: string, verb: string, total: number, run: () => JobOutcome): SimulatedJob | undefined {
    if (this.#pending.length >= this.#options.maxActive) return undefined;
    const job: SimulatedJob = {
      id: `V3-${this.#random.hex(32)}`,
      jobType,
      total,
      status: 'queued',
      progress: null,
      message: null,
      results: null,
      createdAt: this.#clock.now(),
      noun,
      verb,
      run,
    };
    this.#jobs.set(job.id, job);
    this.#pending.push(job);
    this.#schedule();
    return job;
  }

  /**
   * Jobs of other integrations on the account (§3.1: the list shows every recent job): a bulk
   * import that stays `working`, and a permanent ticket deletion whose `results` is an object.
   */
  addForeignJobs(): void {
    const never = (): JobOutcome => ({ results: [], allFailed: false });
    const foreign = (jobType: string, status: JobState, total: number, results: SimulatedJob['results']) => {
      const job: SimulatedJob = {
        id: `V3-${this.#random.hex(32)}`,
        jobType,
        total,
        status,
        progress: status === 'working' ? 1 : total,
        message: status === 'working' ? 'Importing user #1' : 'Completed',
        results,
        createdAt: this.#clock.now(),
        noun: 'user',
        verb: 'Importing',
        run: never,
      };
      this.#jobs.set(job.id, job);
    };
    foreign('bulk_import_users', 'working', 3, null);
    foreign('bulk_permanent_delete_tickets', 'completed', 2, { success: true });
  }

  get(id: string): SimulatedJob | undefined {
    return this.#jobs.get(id);
  }

  /** Newest first, as List Job Statuses orders them. */
  list(): SimulatedJob[] {
    return [...this.#jobs.values()].reverse();
  }

  /** Keeps jobs queued until `release()`: for tests that need to see a job before it runs. */
  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    this.#schedule();
  }

  /** Runs every queued job now; for tests that want results without waiting. */
  drain(): void {
    while (this.#pending.length > 0) this.#runNext();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#held || this.#closed || this.#timer !== undefined || this.#pending.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#held) return;
      this.#runNext();
      this.#schedule();
    }, this.#options.delayMs);
  }

  #runNext(): void {
    const job = this.#pending.shift();
    if (job === undefined) return;
    job.status = 'working';
    job.progress = 0;
    job.message = `${job.verb} ${job.noun} #1`;
    const outcome = job.run();
    const stamp = new Date(this.#clock.now()).toISOString().replace('T', ' ').slice(0, 19);
    job.progress = job.total;
    job.results = outcome.results;
    if (outcome.allFailed) {
      job.status = 'failed';
      job.message = `Failed at ${stamp} +0000`;
    } else {
      job.status = 'completed';
      job.message = `Completed at ${stamp} +0000`;
    }
  }

  json(job: SimulatedJob, baseUrl: string) {
    return {
      id: job.id,
      url: `${baseUrl}/api/v2/job_statuses/${job.id}.json`,
      job_type: job.jobType,
      total: job.total,
      progress: job.progress,
      status: job.status,
      message: job.message,
      results: job.results,
    };
  }
}
