import { MAX_LAMBDA_TIMEOUT_SECONDS } from './aws-limits.js';

/**
 * How a route's queues are set up, from its settings: what the stack and the local runner both
 * create, so the local stack is built from the same definitions as the deployed one.
 */

/** Dead letters stay 14 days, SQS's maximum, to leave time to fix the backend and redrive. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;

/**
 * A delivery queue keeps messages at most a day less than its DLQ: a message SQS itself moves out of
 * a standard queue (maxReceiveCount) keeps its original enqueue timestamp, so it expires in the DLQ
 * at DLQ retention after it first arrived, and AWS's advice is a DLQ retention longer than the
 * source queue's ("Setting-up dead-letter queue retention in Amazon SQS", SQS Developer Guide:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html).
 */
export const MAX_QUEUE_RETENTION_SECONDS = DLQ_RETENTION_SECONDS - 86_400;

/** A delivery queue keeps messages 7 days by default: a dead letter moved on its last day still has 7 more. */
export const DEFAULT_QUEUE_RETENTION_SECONDS = 7 * 86_400;

/** What a route's queue settings are computed from (a route's configuration fits as is). */
export interface QueueShaping {
  /** Seconds one delivery attempt may take. */
  readonly timeoutSeconds: number;
  readonly maxAttempts: number;
  readonly batchSize: number;
  /** Present on an ordered route, whose queues are FIFO. */
  readonly ordering?: unknown;
}

/** Seconds a batch's calls around its deliveries may take (status records, SQS, the breaker). */
export const FORWARDER_MARGIN_SECONDS = 20;

/**
 * Records per forwarder invocation (the event source mapping's batch size). On an ordered route the
 * records of one key are delivered one after another (Lambda's FIFO rule, fifo-batch.ts), and a batch
 * can be all of one key: so no more than can be delivered in turn, each taking up to the route's
 * timeout, within Lambda's longest function timeout (MAX_LAMBDA_TIMEOUT_SECONDS).
 */
export function forwarderBatchSize(
  route: Pick<QueueShaping, 'batchSize' | 'timeoutSeconds' | 'ordering'>,
): number {
  if (route.ordering === undefined) return route.batchSize;
  const inTurn = Math.floor((MAX_LAMBDA_TIMEOUT_SECONDS - FORWARDER_MARGIN_SECONDS) / route.timeoutSeconds);
  return Math.max(1, Math.min(route.batchSize, inTurn));
}

/**
 * Forwarder function timeout: records of a batch are delivered in parallel, so one backend timeout
 * plus a margin for the status-record and SQS calls around it; on an ordered route one backend
 * timeout per record of the batch ({@link forwarderBatchSize}), since one key's records go in turn.
 */
export function forwarderTimeoutSeconds(
  route: Pick<QueueShaping, 'batchSize' | 'timeoutSeconds' | 'ordering'>,
): number {
  const inTurn = route.ordering === undefined ? 1 : forwarderBatchSize(route);
  return route.timeoutSeconds * inTurn + FORWARDER_MARGIN_SECONDS;
}

/**
 * SQS receives of a message on an ordered route before SQS itself moves it to the DLQ. In a FIFO
 * batch a message can be received and not attempted, behind a failed one of its key (at most
 * batchSize - 1 messages stand before it in a batch, each failing at most maxAttempts times), so
 * SQS's count must leave room for those receives; the forwarder counts the real attempts.
 */
export function orderedMaxReceiveCount(route: Pick<QueueShaping, 'maxAttempts' | 'batchSize'>): number {
  return route.maxAttempts * route.batchSize;
}

/**
 * The high-throughput FIFO mode: deduplication per message group and the throughput quota per
 * message group instead of per queue, so many keys are not capped at the per-queue FIFO rate
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html).
 * The message id is the deduplication id, so deduplicating within a group loses nothing.
 */
export const HIGH_THROUGHPUT_FIFO = {
  FifoQueue: 'true',
  DeduplicationScope: 'messageGroup',
  FifoThroughputLimit: 'perMessageGroupId',
} as const;

/** SQS settings of a route's delivery queue; `retentionSeconds` from the operations configuration. */
export function deliveryQueueSettings(
  route: QueueShaping,
  retentionSeconds = DEFAULT_QUEUE_RETENTION_SECONDS,
) {
  return {
    // AWS recommends at least six times the function timeout, so a batch that is still being
    // retried by Lambda's own invoke retries is not handed out a second time ("Creating and
    // configuring an Amazon SQS event source mapping", Lambda Developer Guide:
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html). At most
    // 6 x 900 s, within SQS's 12 hours.
    visibilityTimeoutSeconds: 6 * forwarderTimeoutSeconds(route),
    retentionSeconds,
    /** The forwarder dead-letters a message itself on its last attempt (with the reason); SQS's own
     * redrive after `maxAttempts` receives is the safety net when the forwarder could not. */
    maxReceiveCount: route.ordering ? orderedMaxReceiveCount(route) : route.maxAttempts,
    /** An ordered route's queue is FIFO: one message group per key. */
    fifo: route.ordering !== undefined,
  };
}
