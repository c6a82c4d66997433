import type { RouteConfig } from './config/routes.js';
import { FIFO_SUFFIX } from './ordering.js';

/**
 * What the stack and the local runner both create: table keys, index names and queue settings.
 * The CDK constructs and `local/provision.ts` read these, so the local stack is built from the
 * same definitions as the deployed one rather than from a second hand-kept list.
 */

/**
 * The failover table: one item per message of a route, plus a sparse index to read the oldest first.
 * Ids are per route, so an item's key is its route and id together (`<route> <id>`, see
 * {@link failoverItemKey}); the route and the id are attributes of the item too (`route`, `envelopeId`).
 */
export const FAILOVER_TABLE = {
  /**
   * The partition key attribute. Its name is the one the first deployments created (renaming it would
   * replace the table, and the messages parked in it with it); its value is the item's key.
   */
  partitionKey: 'messageId',
  /** Global secondary index ordered by write time within a shard. */
  ageIndex: { name: 'by-age', partitionKey: 'shard', sortKey: 'storedAt' },
  /**
   * Items are spread over a few index partitions so a burst of failover writes (SQS down at full
   * ingest rate) does not throttle on one hot index partition; the drainer merges them back in order.
   */
  shards: 4,
  /** Key of the single-drainer lease item. It has no `shard`, so it never appears in the index. */
  drainerLeaseKey: '#drainer-lease',
  /** Start of the id of an ordered route's key counter item (see dynamodb-ordered-failover.ts). */
  keyCounterPrefix: '#ordering-key',
  /** Start of the id of an ordered route's item: its key and sequence number (dynamodb-ordered-failover.ts). */
  keySlotPrefix: '#ordering-slot',
} as const;

/**
 * The failover table key of a route's message: the route, a space, the id. Route names are lowercase
 * letters, digits and dashes, and ids printable ASCII without spaces, so the pair reads back
 * unambiguously and never equals the key of the lease or of an ordered route's counter or slot (those
 * start with `#`). Items written before ids were per route have the id alone as their key; the
 * drainer moves and deletes them by the key it read.
 */
export function failoverItemKey(route: string, messageId: string): string {
  return `${route} ${messageId}`;
}

/** Lambda's longest function timeout (an AWS limit: 900 seconds). */
export const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

/** The drainer's time budget per run unless DRAIN_TIME_BUDGET_SECONDS (or the stack) says otherwise. */
export const DEFAULT_DRAIN_TIME_BUDGET_SECONDS = 50;

/**
 * Ceiling of the drainer's time budget: Lambda's longest timeout less a minute for the last batch,
 * the deletes and the lease release. The stack validates against it and the drainer's config too.
 */
export const MAX_DRAIN_TIME_BUDGET_SECONDS = 840;

/** Dead letters stay 14 days, SQS's maximum, to leave time to fix the backend and redrive. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/**
 * SQS's longest retention, 14 days (MessageRetentionPeriod "from 60 seconds (1 minute) to
 * 1,209,600 seconds (14 days)", Amazon SQS API Reference, SetQueueAttributes): the delivery queues'
 * default, so a paused route or an open breaker does not lose messages after SQS's own 4 days.
 * Messages nearing it are archived to S3 (functions/archiver).
 */
export const MAX_SQS_RETENTION_SECONDS = 1_209_600;
/** SQS's shortest retention. */
export const MIN_SQS_RETENTION_SECONDS = 60;

/**
 * The message table: one status record per message and route (ids are per route), written by the
 * ingest, each delivery attempt, the dead-lettering and the drainer. It is also the forwarder's
 * idempotency record: a record marked delivered is never delivered again.
 */
export const MESSAGE_TABLE = {
  partitionKey: 'messageId',
  sortKey: 'route',
  ttlAttribute: 'expiresAt',
  /** How long a record is kept after its last write, unless configured otherwise. */
  defaultRetentionDays: 30,
  /**
   * The shortest retention allowed: a message can live in the queue and then in the DLQ, and a
   * redrive at the end of that must still find its record (or a delivered id could go out again).
   */
  minRetentionSeconds: MAX_SQS_RETENTION_SECONDS + DLQ_RETENTION_SECONDS,
} as const;

/**
 * Forwarder function timeout: records of a batch are delivered in parallel, so one backend timeout
 * plus a margin for the status-record and SQS calls around it.
 */
export function forwarderTimeoutSeconds(route: RouteConfig): number {
  return route.timeoutSeconds + 20;
}

/** SQS's ceiling on a redrive policy's maxReceiveCount. */
export const MAX_RECEIVE_COUNT = 1000;

/**
 * SQS receives of a message on an ordered route before SQS itself moves it to the DLQ. In a FIFO
 * batch a message can be received and not attempted, behind a failed one of its key (at most
 * batchSize - 1 messages stand before it in a batch, each failing at most maxAttempts times), so
 * SQS's count must leave room for those receives; the forwarder counts the real attempts.
 */
export function orderedMaxReceiveCount(route: Pick<RouteConfig, 'maxAttempts' | 'batchSize'>): number {
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
export function deliveryQueueSettings(route: RouteConfig, retentionSeconds = MAX_SQS_RETENTION_SECONDS) {
  return {
    // AWS recommends at least six times the function timeout, so a batch that is still being
    // retried by Lambda's own invoke retries is not handed out a second time.
    visibilityTimeoutSeconds: 6 * forwarderTimeoutSeconds(route),
    retentionSeconds,
    /** The forwarder dead-letters a message itself on its last attempt (with the reason); SQS's own
     * redrive after `maxAttempts` receives is the safety net when the forwarder could not. */
    maxReceiveCount: route.ordering ? orderedMaxReceiveCount(route) : route.maxAttempts,
    /** An ordered route's queue is FIFO: one message group per key. */
    fifo: route.ordering !== undefined,
  };
}

/** Physical table names used by the local runner (the stack lets CloudFormation name things). */
export function localTableNames(prefix: string) {
  return { failoverTable: `${prefix}-failover`, messageTable: `${prefix}-messages` };
}

/** Name of a signed route's secret in the local stack's Secrets Manager (the emulator's). */
export function localSigningSecretName(prefix: string, routeName: string): string {
  return `${prefix}/${routeName}/signing`;
}

/**
 * Physical queue names of a route used by the local runner. An ordered route's queues are FIFO,
 * and SQS wants those names to end in `.fifo` (its DLQ must be FIFO too).
 */
export function localQueueNames(prefix: string, route: Pick<RouteConfig, 'name' | 'ordering'>) {
  const suffix = route.ordering ? FIFO_SUFFIX : '';
  return {
    deliveryQueue: `${prefix}-${route.name}-delivery${suffix}`,
    deadLetterQueue: `${prefix}-${route.name}-fail-messages${suffix}`,
  };
}

/** Physical name of the local archive bucket (S3 names: lowercase, so the prefix is lowercased). */
export function localArchiveBucketName(prefix: string): string {
  return `${prefix.toLowerCase().replaceAll('_', '-')}-archive`;
}

/** How long the archive bucket keeps an archived message before its lifecycle rule deletes it. */
export const ARCHIVE_EXPIRATION_DAYS = 365;
