import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { countMetric, createMetrics, METRIC, publishMetrics, SERVICE } from '../../shared/metrics.js';
import { type ForwarderDeps, type ForwardOutcome, forwardRecord } from './forward-record.js';

const OUTCOME_METRIC: Record<ForwardOutcome, (typeof METRIC)[keyof typeof METRIC]> = {
  delivered: METRIC.DELIVERED,
  duplicate: METRIC.DUPLICATES_SUPPRESSED,
  'dead-lettered': METRIC.DEAD_LETTERED,
};

/**
 * SQS event → {@link forwardRecord} per record, in parallel, answering with the failed records only
 * (ReportBatchItemFailures) so delivered ones are deleted and failed ones come back after their backoff.
 */
export function createForwarderHandler(
  deps: ForwarderDeps,
  idempotencyConfig: IdempotencyConfig,
  metrics: Metrics = createMetrics(SERVICE.FORWARDER),
) {
  const forwardAndCount = async (record: SQSRecord) => {
    try {
      const outcome = await forwardRecord(record, deps);
      countMetric(metrics, OUTCOME_METRIC[outcome]);
      return outcome;
    } catch (error) {
      countMetric(metrics, METRIC.ATTEMPTS_FAILED);
      throw error;
    }
  };
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    deps.logger.addContext(context);
    // Bounds each INPROGRESS idempotency record by this invocation's remaining time.
    idempotencyConfig.registerLambdaContext(context);
    // One processor per invocation: a BatchProcessor keeps the batch's successes and failures as
    // state, so one shared by overlapping invocations (the local runner's concurrent poll loops)
    // would report another batch's results and let a failed record be deleted.
    const processor = new BatchProcessor(EventType.SQS);
    try {
      return await processPartialResponse(event, forwardAndCount, processor, {
        context,
        // A batch that failed whole (backend down) is routine here, not a function error: report it
        // as item failures so each record keeps the backoff it was given.
        throwOnFullBatchFailure: false,
      });
    } finally {
      publishMetrics(metrics, deps.settings.route);
    }
  };
}
