import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { isTripped } from '../../shared/circuit-breaker.js';
import { describeError } from '../../shared/errors.js';
import { LOG_EVENT } from '../../shared/log-events.js';
import { countMetric, createMetrics, METRIC, publishMetrics, SERVICE } from '../../shared/metrics.js';
import { isFifoQueue } from '../../shared/ordering.js';
import type { DeliveryResponse } from '../../shared/ports.js';
import { type FailureHint, failureCounter, hasBreaker, holdBatch, readBreaker } from './circuit-breaker.js';
import { processFifoBatch } from './fifo-batch.js';
import { type BatchState, forwardMessage, newBatchState } from './forward-record.js';
import type { ForwarderDeps, ForwardOutcome } from './forwarder-deps.js';
import { type ReceivedMessage, receivedMessage } from './received-message.js';

const OUTCOME_METRIC: Record<ForwardOutcome, (typeof METRIC)[keyof typeof METRIC]> = {
  delivered: METRIC.DELIVERED,
  duplicate: METRIC.DUPLICATES_SUPPRESSED,
  'dead-lettered': METRIC.DEAD_LETTERED,
  'put-back': METRIC.COPIES_PUT_BACK,
};

/**
 * SQS event → each record decoded once → the route's breaker read (when it has one) →
 * {@link forwardMessage} per record, in parallel (each takes its record's delivery lease, which is
 * also its idempotency read), answering with the failed records only
 * (ReportBatchItemFailures) so delivered ones are deleted and failed ones come back after their
 * backoff.
 */
export function createForwarderHandler(
  deps: ForwarderDeps,
  metrics: Metrics = createMetrics(SERVICE.FORWARDER),
) {
  const forwardAndCount = async (message: ReceivedMessage, batch: BatchState) => {
    try {
      const outcome = await forwardMessage(message, deps, batch);
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
    // Decoded once, here; everything after works on the decoded message.
    const invokedAt = deps.clock.now().getTime();
    const messages = new Map(
      event.Records.map(
        (record) => [record.messageId, receivedMessage(record, deps.settings.route, invokedAt)] as const,
      ),
    );
    const decoded = (record: SQSRecord): ReceivedMessage => {
      const message = messages.get(record.messageId);
      if (!message) throw new Error(`record ${record.messageId} is not in this batch`);
      return message;
    };
    // Read before any lease is taken: a batch the breaker holds back takes none.
    const breaker = breakerDeps ? await readBreaker(breakerDeps) : undefined;
    if (breakerDeps && breaker && isTripped(breaker)) {
      try {
        const { held, ...response } = await holdBatch([...messages.values()], breakerDeps, breaker);
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
    const batch = newBatchState(onAttempt);
    if (isFifoQueue(event.Records[0]?.eventSourceARN ?? '')) {
      try {
        return await forwardFifoBatch(
          event.Records,
          (record) => forwardAndCount(decoded(record), batch),
          decoded,
          deps,
        );
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
        (record: SQSRecord) => forwardAndCount(decoded(record), batch),
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

/**
 * An ordered route's batch (fifo-batch.ts), then the skipped records made visible again at once:
 * left alone they would stay in flight for the queue's whole visibility timeout and hold their group
 * that long, whereas the failed record before them holds it for exactly its backoff (SQS returns no
 * message of a group while one of its messages is in flight, and then returns them in order).
 * Their skipped receive is recorded first, so it is not counted as an attempt when they come back.
 * Each call is retried by the SQS and DynamoDB clients' own retry strategy (shared/aws/clients.ts);
 * one that still fails is logged, and those records come back after their visibility timeout.
 */
async function forwardFifoBatch(
  records: readonly SQSRecord[],
  forward: (record: SQSRecord) => Promise<unknown>,
  decoded: (record: SQSRecord) => ReceivedMessage,
  deps: ForwarderDeps,
): Promise<SQSBatchResponse> {
  const outcome = await processFifoBatch(records, forward);
  if (outcome.skipped.length === 0) return { batchItemFailures: [...outcome.batchItemFailures] };
  const notReleased = (count: number, error: unknown) =>
    // Not fatal: they come back after the visibility timeout, later than they could have.
    deps.logger.warn('could not release the records skipped behind a failed one', {
      event: LOG_EVENT.SKIPPED_NOT_RELEASED,
      route: deps.settings.route,
      skipped: count,
      error: describeError(error),
    });
  try {
    // Recorded before they are released: a skip must be on the ledger before their next receive.
    await deps.skips?.recordSkips(
      deps.settings.route,
      outcome.skipped.map((record) => decoded(record).envelope.id),
    );
    const results = await Promise.allSettled(
      outcome.skipped.map((record) => deps.queue.delayRedelivery(record.receiptHandle, 0)),
    );
    const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed[0]) notReleased(failed.length, failed[0].reason);
  } catch (error) {
    notReleased(outcome.skipped.length, error);
  }
  return { batchItemFailures: [...outcome.batchItemFailures] };
}
