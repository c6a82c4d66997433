import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { MessageEnvelope } from '../envelope.js';
import { describeError, FailoverWriteError } from '../errors.js';
import { fingerprintOf } from '../message-record.js';
import type { Clock, FailoverItem, FailoverStore, RecordKey } from '../ports.js';
import { systemClock } from '../ports.js';
import { FAILOVER_TABLE, failoverItemKey } from '../tables.js';

/** DynamoDB's limit on requests per BatchWriteItem. */
const BATCH_WRITE_LIMIT = 25;
/** BatchWriteItem may leave items unprocessed under throttling; retry them this many times. */
const UNPROCESSED_RETRIES = 5;

/** The failover table's item layout (the by-age index reads `shard` and `storedAt`). */
export interface StoredItem {
  /**
   * The table key ({@link FAILOVER_TABLE}.partitionKey): `<route> <id>` ({@link failoverItemKey}),
   * an ordered route's slot, or, for an item written before ids were per route, the id alone.
   */
  messageId: string;
  /** The message id; absent on items written before ids were per route (their key is the id). */
  envelopeId?: string;
  route: string;
  body: string;
  contentType: string;
  receivedAt: string;
  priorAttempts?: number;
  traceparent?: string;
  tracestate?: string;
  shard: string;
  storedAt: number;
  /** Ordered routes only: the key and the sequence number (the table key is then the key's slot; dynamodb-ordered-failover.ts). */
  orderingKey?: string;
  sequence?: number;
}

/** Spreads ids over the index shards; any stable hash will do, this one is cheap. */
export function shardOf(id: string): string {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return String(hash % FAILOVER_TABLE.shards);
}

/** The {@link FailoverStore} on the DynamoDB failover table. */
export class DynamoDbFailoverStore implements FailoverStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  async put(envelope: MessageEnvelope): Promise<'stored' | 'already-stored' | 'key-reused'> {
    const item = toStoredItem(envelope, this.clock.now().getTime());
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          // A client retry with the same Idempotency-Key on this route must not overwrite (or reorder) the first copy.
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': FAILOVER_TABLE.partitionKey },
        }),
      );
      return 'stored';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return this.compareWithStored(envelope);
      throw new FailoverWriteError(`PutItem to ${this.tableName} failed: ${describeError(error)}`, {
        cause: error,
      });
    }
  }

  /** The id is taken on the route: the same message again (a client retry), or the client's key reused with another body. */
  private async compareWithStored(envelope: MessageEnvelope): Promise<'already-stored' | 'key-reused'> {
    const stored = await this.get({ route: envelope.route, messageId: envelope.id });
    // Drained in between: the copy in the queue is what the forwarder compares against.
    if (!stored) return 'already-stored';
    return fingerprintOf(stored.envelope) === fingerprintOf(envelope) ? 'already-stored' : 'key-reused';
  }

  /** One stored failover item of a route, for the lookup of a message the status record does not know. */
  async get(key: RecordKey): Promise<FailoverItem | undefined> {
    const output = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [FAILOVER_TABLE.partitionKey]: failoverItemKey(key.route, key.messageId) },
        ConsistentRead: true,
      }),
    );
    const item = output.Item as StoredItem | undefined;
    return item?.shard === undefined ? undefined : toFailoverItem(item);
  }

  /** Merges the shards' index pages so items come out in storedAt order across the whole table. */
  async *oldest(pageSize: number): AsyncIterable<FailoverItem> {
    const shards = Array.from(
      { length: FAILOVER_TABLE.shards },
      (_, i) => new ShardReader(this, String(i), pageSize),
    );
    while (true) {
      let oldest: ShardReader | undefined;
      for (const shard of shards) {
        const head = await shard.peek();
        if (head && (!oldest || head.storedAt < (oldest.head?.storedAt ?? Number.POSITIVE_INFINITY)))
          oldest = shard;
      }
      if (!oldest) return;
      const item = oldest.take();
      if (item) yield item;
    }
  }

  /** One page of one shard's index partition, oldest first. */
  async queryShard(shard: string, limit: number, startKey?: Record<string, unknown>) {
    const output = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: FAILOVER_TABLE.ageIndex.name,
        KeyConditionExpression: '#shard = :shard',
        ExpressionAttributeNames: { '#shard': FAILOVER_TABLE.ageIndex.partitionKey },
        ExpressionAttributeValues: { ':shard': shard },
        ScanIndexForward: true,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    const items = (output.Items ?? []) as StoredItem[];
    return {
      items: items.map(toFailoverItem),
      next: output.LastEvaluatedKey as Record<string, unknown> | undefined,
    };
  }

  async delete(items: readonly FailoverItem[]): Promise<void> {
    // By the key each item was read with: an item written before ids were per route has its id alone.
    const keys = items.map((item) => item.storeKey ?? failoverItemKey(item.envelope.route, item.envelope.id));
    for (let start = 0; start < keys.length; start += BATCH_WRITE_LIMIT) {
      let requests = keys
        .slice(start, start + BATCH_WRITE_LIMIT)
        .map((key) => ({ DeleteRequest: { Key: { [FAILOVER_TABLE.partitionKey]: key } } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) {
          throw new FailoverWriteError(
            `${requests.length} failover deletes stayed unprocessed in ${this.tableName}`,
          );
        }
        if (attempt > 0) await sleep(50 * 2 ** attempt);
        const output = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = (output.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }

  async acquireLease(owner: string, seconds: number): Promise<boolean> {
    const now = this.clock.now().getTime();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [FAILOVER_TABLE.partitionKey]: FAILOVER_TABLE.drainerLeaseKey },
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner, ':until': now + seconds * 1000, ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async releaseLease(owner: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [FAILOVER_TABLE.partitionKey]: FAILOVER_TABLE.drainerLeaseKey },
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      // Someone else took it after ours expired: theirs now, nothing to give back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

/**
 * One shard's index pages, oldest first. As soon as a page arrives the next one is asked for, so
 * the drainer sends one page while the next is on its way (at most two pages held per shard).
 */
class ShardReader {
  private buffer: FailoverItem[] = [];
  private ahead: Promise<Awaited<ReturnType<DynamoDbFailoverStore['queryShard']>>> | undefined;
  private exhausted = false;

  constructor(
    private readonly store: DynamoDbFailoverStore,
    private readonly shard: string,
    private readonly pageSize: number,
  ) {}

  get head(): FailoverItem | undefined {
    return this.buffer[0];
  }

  async peek(): Promise<FailoverItem | undefined> {
    // A page can come back empty yet not be the last one, so keep reading until items or the end.
    while (this.buffer.length === 0 && !this.exhausted) {
      const page = await (this.ahead ?? this.store.queryShard(this.shard, this.pageSize));
      this.ahead = undefined;
      this.buffer = page.items;
      this.exhausted = page.next === undefined;
      if (page.next) {
        this.ahead = this.store.queryShard(this.shard, this.pageSize, page.next);
        // Awaited by the next peek; a failure surfaces there, not as an unhandled rejection.
        this.ahead.catch(() => undefined);
      }
    }
    return this.buffer[0];
  }

  take(): FailoverItem | undefined {
    return this.buffer.shift();
  }
}

/** The item {@link DynamoDbFailoverStore.put} writes for an envelope parked at `storedAt` (epoch ms). */
export function toStoredItem(envelope: MessageEnvelope, storedAt: number): StoredItem {
  return {
    messageId: failoverItemKey(envelope.route, envelope.id),
    envelopeId: envelope.id,
    route: envelope.route,
    body: envelope.body,
    contentType: envelope.contentType,
    receivedAt: envelope.receivedAt,
    priorAttempts: envelope.priorAttempts,
    // Undefined fields are left out by the document client (removeUndefinedValues).
    traceparent: envelope.traceparent,
    tracestate: envelope.tracestate,
    shard: shardOf(envelope.id),
    storedAt,
    ...(envelope.orderingKey === undefined ? {} : { orderingKey: envelope.orderingKey }),
  };
}

function toFailoverItem(item: StoredItem): FailoverItem {
  return {
    storedAt: item.storedAt,
    storeKey: item.messageId,
    ...(item.sequence === undefined ? {} : { sequence: item.sequence }),
    envelope: {
      id: item.envelopeId ?? item.messageId,
      route: item.route,
      body: item.body,
      contentType: item.contentType,
      receivedAt: item.receivedAt,
      priorAttempts: item.priorAttempts ?? 0,
      ...(item.traceparent ? { traceparent: item.traceparent } : {}),
      ...(item.tracestate ? { tracestate: item.tracestate } : {}),
      ...(item.orderingKey === undefined ? {} : { orderingKey: item.orderingKey }),
    },
  };
}
