import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { MessageEnvelope } from '../envelope.js';
import { describeError, FailoverWriteError } from '../errors.js';
import type { Clock, FailoverItem, KeyState, OrderedFailoverStore } from '../ports.js';
import { systemClock } from '../ports.js';
import { FAILOVER_TABLE } from '../tables.js';
import { toStoredItem } from './dynamodb-failover-store.js';

/** Numbers a put tries past its first guess before it gives up (each miss means a concurrent put of the key). */
const CLAIM_TRIES = 20;

/**
 * The table key of a route key's counter item. The spaces cannot occur in a message id nor in an
 * ordering key (both are printable ASCII without spaces), so it never collides with a message's
 * item; it has no `shard`, so the by-age index never lists it.
 */
export function keyCounterId(route: string, key: string): string {
  return `${FAILOVER_TABLE.keyCounterPrefix} ${route} ${key}`;
}

/** The table key of the item holding sequence number `sequence` of a route key (its slot). */
export function keySlotId(route: string, key: string, sequence: number): string {
  return `${FAILOVER_TABLE.keySlotPrefix} ${route} ${key} ${sequence}`;
}

const isConditionFailure = (error: unknown) => error instanceof ConditionalCheckFailedException;

/**
 * The {@link OrderedFailoverStore} on the DynamoDB failover table, with single-item conditional
 * writes only:
 * - a put claims slot `lastSequence + 1` with `attribute_not_exists` (a miss means a concurrent put
 *   of the same key took it: try the next), then raises the counter's `lastSequence` hint. Slots are
 *   claimed in order, so a key's parked items are exactly the slots `movedThrough + 1 ...`;
 * - the drainer raises `movedThrough` (conditional on the previous value) before it deletes the
 *   slot, so a crash in between leaves an item at or below the mark, which {@link repark} handles;
 * - "does the key hold items?" is answered by strongly consistent reads: the counter, then the
 *   slot after the mark, then the counter again to make sure the mark did not move in between.
 * (DynamoDB transactions would do the first two in one call each, but moto's TransactWriteItems
 * copies and restores the whole table around each transaction, so concurrent writes are lost there.)
 */
export class DynamoDbOrderedFailover implements OrderedFailoverStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  private key(id: string) {
    return { [FAILOVER_TABLE.partitionKey]: id };
  }

  async keyState(route: string, key: string): Promise<KeyState> {
    const output = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: this.key(keyCounterId(route, key)),
        ConsistentRead: true,
      }),
    );
    return {
      lastSequence: Number(output.Item?.lastSequence ?? 0),
      movedThrough: Number(output.Item?.movedThrough ?? 0),
    };
  }

  private async slotTaken(route: string, key: string, sequence: number): Promise<boolean> {
    const output = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: this.key(keySlotId(route, key, sequence)),
        ConsistentRead: true,
        ProjectionExpression: '#id',
        ExpressionAttributeNames: { '#id': FAILOVER_TABLE.partitionKey },
      }),
    );
    return output.Item !== undefined;
  }

  async holdsItems(route: string, key: string): Promise<boolean> {
    for (;;) {
      const before = await this.keyState(route, key);
      if (before.lastSequence > before.movedThrough) return true;
      if (await this.slotTaken(route, key, before.movedThrough + 1)) return true;
      // The slot was free. Unless the drainer moved the mark (and deleted that slot) meanwhile,
      // no later slot can be taken either: slots are claimed in order.
      const after = await this.keyState(route, key);
      if (after.movedThrough === before.movedThrough) return after.lastSequence > after.movedThrough;
    }
  }

  async putInOrder(envelope: MessageEnvelope): Promise<'stored'> {
    const key = envelope.orderingKey;
    if (key === undefined) throw new RangeError(`putInOrder needs an ordering key (message ${envelope.id})`);
    try {
      const state = await this.keyState(envelope.route, key);
      let sequence = Math.max(state.lastSequence, state.movedThrough) + 1;
      for (let tries = 0; ; tries++, sequence++) {
        try {
          await this.client.send(
            new PutCommand({
              TableName: this.tableName,
              Item: {
                ...toStoredItem(envelope, this.clock.now().getTime()),
                [FAILOVER_TABLE.partitionKey]: keySlotId(envelope.route, key, sequence),
                envelopeId: envelope.id,
                sequence,
              },
              ConditionExpression: 'attribute_not_exists(#id)',
              ExpressionAttributeNames: { '#id': FAILOVER_TABLE.partitionKey },
            }),
          );
          break;
        } catch (error) {
          if (!isConditionFailure(error) || tries >= CLAIM_TRIES) throw error;
        }
      }
      await this.raiseHint(envelope.route, key, sequence);
      return 'stored';
    } catch (error) {
      throw new FailoverWriteError(
        `sequenced put of ${envelope.id} into ${this.tableName} failed: ${describeError(error)}`,
        { cause: error },
      );
    }
  }

  /** Raises the counter's `lastSequence` to `sequence` unless it is there already (only a hint: reads never trust it alone). */
  private async raiseHint(route: string, key: string, sequence: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(keyCounterId(route, key)),
          UpdateExpression: 'SET lastSequence = :sequence',
          ConditionExpression: 'attribute_not_exists(lastSequence) OR lastSequence < :sequence',
          ExpressionAttributeValues: { ':sequence': sequence },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async confirmMoved(item: FailoverItem): Promise<void> {
    const { route, orderingKey: key, id } = item.envelope;
    const sequence = item.sequence;
    if (key === undefined || sequence === undefined)
      throw new RangeError(`item ${id} is not an ordered item`);
    try {
      // The key's order, enforced by the table: an item moves only right after its predecessor.
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(keyCounterId(route, key)),
          UpdateExpression: 'SET movedThrough = :sequence',
          ConditionExpression:
            sequence === 1
              ? 'attribute_not_exists(movedThrough) OR movedThrough = :previous'
              : 'movedThrough = :previous',
          ExpressionAttributeValues: { ':sequence': sequence, ':previous': sequence - 1 },
        }),
      );
      await this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: this.key(keySlotId(route, key, sequence)) }),
      );
    } catch (error) {
      throw new FailoverWriteError(
        `recording the move of ${id} (key ${key}, #${sequence}) in ${this.tableName} failed: ${describeError(error)}`,
        { cause: error },
      );
    }
  }

  async repark(item: FailoverItem): Promise<void> {
    const { route, orderingKey: key, id } = item.envelope;
    if (key === undefined || item.sequence === undefined)
      throw new RangeError(`item ${id} is not an ordered item`);
    if (!(await this.slotTaken(route, key, item.sequence))) return; // the index still listed a deleted item
    await this.putInOrder(item.envelope);
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.key(keySlotId(route, key, item.sequence)),
          ConditionExpression: 'envelopeId = :id',
          ExpressionAttributeValues: { ':id': id },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
