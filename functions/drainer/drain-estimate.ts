import type { DrainReport } from './drain-failover.js';

/**
 * How long the drainer would take to empty the failover table at the pace of the run that just
 * ended, in seconds; the drainer publishes it and the stack alarms above an hour.
 *
 * A run that ran out of time got through the items stored from `firstStoredAt` to
 * `oldestLeftStoredAt` in `runMs`; what is left was stored from `oldestLeftStoredAt` until at
 * latest now. Assuming the rest was stored as densely as what the run moved (true while an outage
 * parked everything at the same ingest rate; an overestimate once SQS is back and nothing new is
 * parked), the rest takes (now − oldestLeft) × runMs / (oldestLeft − first).
 * 0 when the run emptied the table (publishing nothing while it stays empty); undefined when it says nothing of the pace (another drainer
 * held the lease, SQS was unavailable, or the run did not get past one storedAt).
 */
export function drainEstimateSeconds(report: DrainReport, runMs: number, now: number): number | undefined {
  if (!report.stoppedEarly) return report.moved > 0 ? 0 : undefined;
  if (report.stoppedEarly !== 'time-budget' || !report.progress) return undefined;
  const { firstStoredAt, oldestLeftStoredAt } = report.progress;
  const covered = oldestLeftStoredAt - firstStoredAt;
  if (covered <= 0) return undefined;
  return Math.round((Math.max(0, now - oldestLeftStoredAt) * runMs) / covered / 1000);
}
