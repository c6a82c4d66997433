import { randomUUID } from 'node:crypto';
import { describeError, GuaranteedDeliveryError } from '../../shared/errors.js';

/**
 * What the console's actions do while the operator watches: a redrive, a pause, a drain runs as a
 * job, which the page that started it follows (its progress, then what it did). One at a time: two
 * redrives of one DLQ would walk it against each other.
 */

/** How far a job is: `done` of about `total` (SQS's counts are approximate), and what is counted. */
export interface JobProgress {
  readonly label: string;
  readonly done: number;
  readonly total?: number;
}

/** A job and where it stands. */
export interface Job {
  readonly id: string;
  readonly title: string;
  readonly state: 'running' | 'succeeded' | 'failed';
  readonly progress?: JobProgress;
  /** What it did, in gd's words, once it ended. */
  readonly lines: readonly string[];
  /** Where to look next (the route's dead letters, the message, ...). */
  readonly links: readonly { readonly href: string; readonly label: string }[];
  readonly startedAt: Date;
}

/** What a job's work returns: whether all went as asked, and its report. */
export interface JobOutcome {
  readonly ok: boolean;
  readonly lines: readonly string[];
}

/** Jobs kept for their pages; older finished ones are forgotten. */
const KEPT = 50;

/** The console's jobs: started, followed, kept for a while. */
export class JobBoard {
  private readonly jobs = new Map<string, Job>();

  /** The job still running, if one is. */
  running(): Job | undefined {
    return [...this.jobs.values()].find((job) => job.state === 'running');
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Starts `work` now; it reports progress through its argument. */
  start(
    title: string,
    links: Job['links'],
    work: (report: (progress: JobProgress) => void) => Promise<JobOutcome>,
  ): Job {
    const id = randomUUID();
    const job: Job = { id, title, state: 'running', lines: [], links, startedAt: new Date() };
    this.jobs.set(id, job);
    const update = (changes: Partial<Job>) => {
      const current = this.jobs.get(id);
      if (current) this.jobs.set(id, { ...current, ...changes });
    };
    void work((progress) => update({ progress }))
      .then((outcome) => update({ state: outcome.ok ? 'succeeded' : 'failed', lines: outcome.lines }))
      .catch((error: unknown) =>
        update({
          state: 'failed',
          lines: [error instanceof GuaranteedDeliveryError ? error.message : describeError(error)],
        }),
      );
    for (const old of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - KEPT))) {
      if (this.jobs.get(old)?.state !== 'running') this.jobs.delete(old);
    }
    return job;
  }

  /** Resolves once no job runs (for a clean stop), or after `timeoutMs`. */
  async settled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
