import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { isTripped } from '../../shared/circuit-breaker.js';
import { fromSqsRecord } from '../../shared/envelope.js';
import { describeError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { countMetric, createMetrics, METRIC, publishMetrics, SERVICE } from '../../shared/metrics.js';
import { isFifoQueue } from '../../shared/ordering.js';
import type { DeliveryResponse } from '../../shared/ports.js';
import { type FailureHint, failureCounter, hasBreaker, holdBatch, readBreaker } from './circuit-breaker.js';
import { processFifoBatch } from './fifo-batch.js';
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
  // Only a breaker's probe gets this outcome; it reports its own metrics.
  'not-delivered': METRIC.ATTEMPTS_FAILED,
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
  const breakerDeps = hasBreaker(deps) ? deps : undefined;
  const failureHint: FailureHint = { countedSinceReset: false };
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    deps.logger.addContext(context);
    const envelopes = event.Records.map((record) => fromSqsRecord(record, deps.settings.route));
    // The breaker's item is read beside the batch's records, so it adds no round trip.
    const [records, breaker] = await Promise.all([
      readBatchRecords(envelopes, deps.records),
      breakerDeps ? readBreaker(breakerDeps) : undefined,
    ]);
    if (breakerDeps && breaker && isTripped(breaker)) {
      try {
        const { held, ...response } = await holdBatch(event.Records, breakerDeps, breaker);
        countMetric(metrics, METRIC.HELD_BY_BREAKER, held);
        return response;
      } finally {
        publishMetrics(metrics, deps.settings.route);
      }
    }
    const countFailure = breakerDeps
      ? failureCounter(breakerDeps, breaker, failureHint, () => countMetric(metrics, METRIC.BREAKER_OPEN))
      : undefined;
    const onAttempt = async (durationMs: number, response: DeliveryResponse) => {
      metrics.addMetric(METRIC.ATTEMPT_DURATION, MetricUnit.Milliseconds, durationMs);
      await countFailure?.(response);
    };
    const batch = newBatchState(records, onAttempt);
    if (isFifoQueue(event.Records[0]?.eventSourceARN ?? '')) {
      try {
        return await forwardFifoBatch(event.Records, (record) => forwardAndCount(record, batch), deps);
      } finally {
        publishMetrics(metrics, deps.settings.route);
      }
    }
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

/** Waits before each new try to release skipped records: about eight seconds in all, well inside the function timeout. */
export const RELEASE_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000];

/**
 * An ordered route's batch (fifo-batch.ts), then the skipped records made visible again at once:
 * left alone they would stay in flight for the queue's whole visibility timeout and hold their group
 * that long, whereas the failed record before them holds it for exactly its backoff (SQS returns no
 * message of a group while one of its messages is in flight, and then returns them in order).
 * Their skipped receive is recorded first, so it is not counted as an attempt when they come back.
 * A release that fails (SQS unreachable) is tried again for a few seconds, so a short outage does not
 * hold those keys for a whole visibility timeout.
 */
async function forwardFifoBatch(
  records: readonly SQSRecord[],
  forward: (record: SQSRecord) => Promise<unknown>,
  deps: ForwarderDeps,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<SQSBatchResponse> {
  const outcome = await processFifoBatch(records, forward);
  if (outcome.skipped.length > 0) {
    const ids = outcome.skipped.map((record) => fromSqsRecord(record, deps.settings.route).id);
    let pending = [...outcome.skipped];
    let recorded = false;
    for (let attempt = 0; pending.length > 0; attempt++) {
      try {
        if (!recorded) await deps.skips?.recordSkips(deps.settings.route, ids);
        recorded = true;
        const results = await Promise.allSettled(
          pending.map((record) => deps.queue.delayRedelivery(record.receiptHandle, 0)),
        );
        pending = pending.filter((_, index) => results[index]?.status === 'rejected');
        if (pending.length === 0) break;
        throw (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason;
      } catch (error) {
        const delay = RELEASE_RETRY_DELAYS_MS[attempt];
        if (delay === undefined) {
          // Not fatal: they come back after the visibility timeout, later than they could have.
          deps.logger.warn('could not release the records skipped behind a failed one', {
            event: LOG_EVENT.SKIPPED_NOT_RELEASED,
            route: deps.settings.route,
            skipped: pending.length,
            error: describeError(error),
          });
          break;
        }
        await sleep(delay);
      }
    }
  }
  return { batchItemFailures: [...outcome.batchItemFailures] };
}
