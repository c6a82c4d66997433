import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { fromSqsRecord } from '../../shared/envelope.js';
import { countMetric, createMetrics, METRIC, publishMetrics, SERVICE } from '../../shared/metrics.js';
import {
  type BatchState,
  type ForwarderDeps,
  type ForwardOutcome,
  forwardRecord,
  newBatchState,
  readBatchRecords,
} from './forward-record.js';

const OUTCOME_METRIC: Record<ForwardOutcome, (typeof METRIC)[keyof typeof METRIC]> = {
  delivered: METRIC.DELIVERED,
  duplicate: METRIC.DUPLICATES_SUPPRESSED,
  'dead-lettered': METRIC.DEAD_LETTERED,
  discarded: METRIC.KEY_REUSE_DISCARDED,
};

/**
 * SQS event → the batch's status records read in one BatchGetItem → {@link forwardRecord} per
 * record, in parallel, answering with the failed records only (ReportBatchItemFailures) so delivered
 * ones are deleted and failed ones come back after their backoff.
 */
export function createForwarderHandler(
  deps: ForwarderDeps,
  metrics: Metrics = createMetrics(SERVICE.FORWARDER),
) {
  const forwardAndCount = async (record: SQSRecord, batch: BatchState) => {
    try {
      const outcome = await forwardRecord(record, deps, batch);
      countMetric(metrics, OUTCOME_METRIC[outcome]);
      return outcome;
    } catch (error) {
      countMetric(metrics, METRIC.ATTEMPTS_FAILED);
      throw error;
    }
  };
  const onAttempt = (durationMs: number) =>
    metrics.addMetric(METRIC.ATTEMPT_DURATION, MetricUnit.Milliseconds, durationMs);
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    deps.logger.addContext(context);
    const envelopes = event.Records.map((record) => fromSqsRecord(record, deps.settings.route));
    const batch = newBatchState(await readBatchRecords(envelopes, deps.records), onAttempt);
    // One processor per invocation: a BatchProcessor keeps the batch's successes and failures as
    // state, so one shared by overlapping invocations (the local runner's concurrent poll loops)
    // would report another batch's results and let a failed record be deleted.
    const processor = new BatchProcessor(EventType.SQS);
    try {
      return await processPartialResponse(
        event,
        (record: SQSRecord) => forwardAndCount(record, batch),
        processor,
        {
          context,
          // A batch that failed whole (backend down) is routine here, not a function error: report it
          // as item failures so each record keeps the backoff it was given.
          throwOnFullBatchFailure: false,
        },
      );
    } finally {
      publishMetrics(metrics, deps.settings.route);
    }
  };
}
