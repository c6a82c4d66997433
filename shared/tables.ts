import { MAX_SQS_RETENTION_SECONDS } from './aws-limits.js';
import { DLQ_RETENTION_SECONDS } from './queues.js';

/**
 * The layouts of the two DynamoDB tables, as the stack and the local runner create them and the
 * adapters in shared/aws/ read and write them.
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
