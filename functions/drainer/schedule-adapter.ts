import type { Context, ScheduledEvent } from 'aws-lambda';
import { type DrainerDeps, type DrainReport, drainFailover } from './drain-failover.js';

/** Time kept back from the Lambda timeout for the last batch, the deletes and giving the lease back. */
const SAFETY_MARGIN_MS = 10_000;

/** EventBridge schedule event → {@link drainFailover}, within the time budget and the Lambda's own timeout. */
export function createDrainerHandler(deps: DrainerDeps, timeBudgetSeconds: number) {
  return async (_event: ScheduledEvent, context: Context): Promise<DrainReport> => {
    deps.logger.addContext(context);
    const now = deps.clock.now().getTime();
    const deadline = Math.min(
      now + timeBudgetSeconds * 1000,
      now + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
    );
    return drainFailover(deps, {
      deadline,
      owner: context.awsRequestId,
      // Outlives this run if it dies mid-way, then frees itself for the next scheduled one.
      leaseSeconds: Math.ceil((deadline - now + SAFETY_MARGIN_MS) / 1000),
    });
  };
}
