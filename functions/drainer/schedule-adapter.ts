import { randomUUID } from 'node:crypto';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { countMetric, createMetrics, METRIC, publishMetrics, SERVICE } from '../../shared/metrics.js';
import { drainEstimateSeconds } from './drain-estimate.js';
import { type DrainerDeps, type DrainReport, drainFailover } from './drain-failover.js';

/** Time kept back from the Lambda timeout for the last batch, the deletes and giving the lease back. */
const SAFETY_MARGIN_MS = 10_000;

/** What one run may spend and how many batches it keeps in flight (the drainer's document). */
export interface DrainerRunSettings {
  readonly timeBudgetSeconds: number;
  readonly concurrency?: number;
}

/** EventBridge schedule event → {@link drainFailover}, within the time budget and the Lambda's own timeout. */
export function createDrainerHandler(
  deps: DrainerDeps,
  settings: number | DrainerRunSettings,
  metrics: Metrics = createMetrics(SERVICE.DRAINER),
) {
  // The lease owner is this container, not the invocation: Lambda runs one invocation at a time per
  // container, and a run that could not give the lease back (DynamoDB failing) can then take it again
  // on the next schedule instead of waiting for it to expire.
  const owner = `drainer-${randomUUID()}`;
  const { timeBudgetSeconds, concurrency } =
    typeof settings === 'number' ? { timeBudgetSeconds: settings, concurrency: undefined } : settings;
  return async (_event: ScheduledEvent, context: Context): Promise<DrainReport> => {
    deps.logger.addContext(context);
    const now = deps.clock.now().getTime();
    const deadline = Math.min(
      now + timeBudgetSeconds * 1000,
      now + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
    );
    const report = await drainFailover(deps, {
      deadline,
      owner,
      // Outlives this run if it dies mid-way, then frees itself for the next scheduled one.
      leaseSeconds: Math.ceil((deadline - now + SAFETY_MARGIN_MS) / 1000),
      ...(concurrency === undefined ? {} : { concurrency }),
    });
    const ended = deps.clock.now().getTime();
    const estimate = drainEstimateSeconds(report, ended - now, ended);
    if (estimate !== undefined) metrics.addMetric(METRIC.DRAIN_ESTIMATE, MetricUnit.Seconds, estimate);
    countMetric(metrics, METRIC.DRAINED, report.moved);
    // A lower bound of what is left: what SQS did not take or refused, what has no route, and at
    // least one more item whenever the run stopped before the table was empty.
    const left =
      report.failed +
      report.refused +
      report.unroutable +
      (report.stoppedEarly && report.stoppedEarly !== 'lease-held' ? 1 : 0);
    countMetric(metrics, METRIC.FAILOVER_LEFT, left);
    publishMetrics(metrics);
    return report;
  };
}
