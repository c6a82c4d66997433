import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { MessageEnvelope } from '../envelope.js';
import type { StoredMessageRecord } from '../message-record.js';
import { bodyBytesOf } from '../payloads.js';
import {
  type AttemptUpdate,
  type ClaimResult,
  type Clock,
  type LeaseRequest,
  type LeaseResult,
  type MessageRecords,
  type RecordKey,
  systemClock,
} from '../ports.js';
import { MESSAGE_TABLE } from '../tables.js';

const KEY = { messageId: MESSAGE_TABLE.partitionKey, route: MESSAGE_TABLE.sortKey } as const;

/** The {@link MessageRecords} on the DynamoDB message table. */
export class DynamoDbMessageRecords implements MessageRecords {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    /** How long a record lives after its last write (the table's TTL). */
    private readonly retentionSeconds: number,
    private readonly clock: Clock = systemClock,
  ) {}

  private key(key: RecordKey) {
    return { [KEY.messageId]: key.messageId, [KEY.route]: key.route };
  }

  private keyOf(envelope: MessageEnvelope) {
    return this.key({ route: envelope.route, messageId: envelope.id });
  }

  /** Epoch seconds at which DynamoDB may delete a record written now. */
  private expiresAt(): number {
    return Math.floor(this.clock.now().getTime() / 1000) + this.retentionSeconds;
  }

  async claim(envelope: MessageEnvelope, fingerprint: string): Promise<ClaimResult> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...this.keyOf(envelope),
            fingerprint,
            acceptedAt: envelope.receivedAt,
            store: 'queue',
            state: 'queued',
            bodyBytes: bodyBytesOf(envelope),
            attempts: [],
            [MESSAGE_TABLE.ttlAttribute]: this.expiresAt(),
          },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': KEY.messageId },
        }),
      );
      return { kind: 'created' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // A second read, but only off the happy path (a client retry or a reused key).
      const record = await this.get({ route: envelope.route, messageId: envelope.id });
      if (!record) return this.claim(envelope, fingerprint); // deleted in between (a 503's release)
      return record.fingerprint === fingerprint
        ? { kind: 'same-message', record }
        : { kind: 'key-reused', record };
    }
  }

  async release(envelope: MessageEnvelope, fingerprint: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: this.keyOf(envelope),
          // Only the untouched record this ingest created: never one a forwarder already wrote to
          // or holds a lease on.
          ConditionExpression:
            'fingerprint = :fp AND #state = :queued AND acceptedAt = :at AND attribute_not_exists(leaseHolder)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':fp': fingerprint, ':queued': 'queued', ':at': envelope.receivedAt },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async markInFailover(envelope: MessageEnvelope): Promise<void> {
    await this.setState([envelope], 'in-failover', { store: 'failover' }, ['queued']);
  }

  async markDrained(envelopes: readonly MessageEnvelope[]): Promise<void> {
    const drainedAt = this.clock.now().toISOString();
    await this.setState(envelopes, 'queued', { drainedAt }, ['in-failover']);
  }

  /**
   * Moves records from one of `from` to `state`, one UpdateItem each (these paths are off the
   * happy one). A record in another state (a forwarder got there first) is left as it is.
   */
  private async setState(
    envelopes: readonly MessageEnvelope[],
    state: string,
    fields: Record<string, string>,
    from: readonly string[],
  ): Promise<void> {
    const names = Object.keys(fields);
    const results = await Promise.allSettled(
      envelopes.map((envelope) =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: this.keyOf(envelope),
            UpdateExpression: `SET #state = :state, ${names.map((_, i) => `#f${i} = :f${i}`).join(', ')}`,
            ConditionExpression: `#state IN (${from.map((_, i) => `:from${i}`).join(', ')})`,
            ExpressionAttributeNames: {
              '#state': 'state',
              ...Object.fromEntries(names.map((name, i) => [`#f${i}`, name])),
            },
            ExpressionAttributeValues: {
              ':state': state,
              ...Object.fromEntries(names.map((name, i) => [`:f${i}`, fields[name]])),
              ...Object.fromEntries(from.map((value, i) => [`:from${i}`, value])),
            },
          }),
        ),
      ),
    );
    const failed = results.find(
      (result): result is PromiseRejectedResult =>
        result.status === 'rejected' && !(result.reason instanceof ConditionalCheckFailedException),
    );
    if (failed) throw failed.reason;
  }

  async get(key: RecordKey): Promise<StoredMessageRecord | undefined> {
    const output = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(key), ConsistentRead: true }),
    );
    return output.Item as StoredMessageRecord | undefined;
  }

  /** Every route's record of an id (the CLI looks an id up without knowing its route). */
  async findAllRoutes(messageId: string): Promise<StoredMessageRecord[]> {
    const output = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#id = :id',
        ExpressionAttributeNames: { '#id': KEY.messageId },
        ExpressionAttributeValues: { ':id': messageId },
        ConsistentRead: true,
      }),
    );
    return (output.Items ?? []) as StoredMessageRecord[];
  }

  async lease(request: LeaseRequest): Promise<LeaseResult> {
    const { envelope, fingerprint, holder } = request;
    try {
      const output = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(envelope),
          // A record the ingest could not write is created with what the message carries.
          UpdateExpression: [
            'SET leaseUntil = :until, leaseHolder = :holder',
            'fingerprint = if_not_exists(fingerprint, :fp)',
            'acceptedAt = if_not_exists(acceptedAt, :acceptedAt)',
            '#store = if_not_exists(#store, :queue)',
            '#state = if_not_exists(#state, :queued)',
            'attempts = if_not_exists(attempts, :none)',
            `${MESSAGE_TABLE.ttlAttribute} = if_not_exists(${MESSAGE_TABLE.ttlAttribute}, :expiresAt)`,
          ].join(', '),
          ConditionExpression: [
            'attribute_not_exists(deliveredAt)',
            '(attribute_not_exists(fingerprint) OR fingerprint = :fp)',
            // ISO 8601 times in UTC compare as strings.
            '(attribute_not_exists(leaseUntil) OR leaseUntil <= :now OR leaseHolder = :holder)',
            // A copy that was never dead-lettered is a second copy of an id that has its dead letter.
            ...(envelope.deadLetteredAt === undefined
              ? ['(attribute_not_exists(#state) OR #state <> :deadLettered)']
              : []),
          ].join(' AND '),
          ExpressionAttributeNames: { '#state': 'state', '#store': 'store' },
          ExpressionAttributeValues: {
            ...(envelope.deadLetteredAt === undefined ? { ':deadLettered': 'dead-lettered' } : {}),
            ':until': request.until.toISOString(),
            ':now': request.now.toISOString(),
            ':holder': holder,
            ':fp': fingerprint,
            ':acceptedAt': envelope.receivedAt,
            ':queue': 'queue',
            ':queued': 'queued',
            ':none': [],
            ':expiresAt': this.expiresAt(),
          },
          // The record comes back either way, so the lease is also the idempotency read: as written
          // when taken, as it stood when refused (no extra read; a refused conditional write costs
          // the same write units as a taken one).
          // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'leased', record: output.Attributes as StoredMessageRecord };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) || !error.Item) throw error;
      // The document client converts results, not the item an exception carries.
      return { kind: 'refused', record: unmarshall(error.Item) as StoredMessageRecord };
    }
  }

  async endLease(envelope: MessageEnvelope, holder: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(envelope),
          UpdateExpression: 'REMOVE leaseUntil, leaseHolder',
          ConditionExpression: 'leaseHolder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (error) {
      // Ended already, or taken over by another copy after it ran out: nothing of this holder's left.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async recordAttempt(update: AttemptUpdate): Promise<'recorded' | 'conflict'> {
    const { envelope, outcome } = update;
    const now = this.clock.now().toISOString();
    const set = [
      '#state = :state',
      'attempts = list_append(if_not_exists(attempts, :none), :entry)',
      // A record whose ingest write failed is created here, from what the message itself carries.
      'fingerprint = if_not_exists(fingerprint, :fp)',
      'acceptedAt = if_not_exists(acceptedAt, :acceptedAt)',
      '#store = if_not_exists(#store, :queue)',
      // Every write pushes the expiry out, so a record outlives the message's last move.
      `${MESSAGE_TABLE.ttlAttribute} = :expiresAt`,
    ];
    const values: Record<string, unknown> = {
      ':state': outcome.kind,
      ':none': [],
      ':entry': [update.entry],
      ':fp': update.fingerprint,
      ':acceptedAt': envelope.receivedAt,
      ':queue': 'queue',
      ':expiresAt': this.expiresAt(),
    };
    const remove: string[] = [];
    if (outcome.kind === 'retrying') {
      set.push('nextAttemptAt = :next');
      values[':next'] = outcome.nextAttemptAt;
    } else {
      remove.push('nextAttemptAt');
    }
    if (outcome.kind === 'delivered') {
      set.push('deliveredAt = :now');
      values[':now'] = now;
    }
    if (outcome.kind === 'dead-lettered') {
      set.push('deadLetteredAt = :now', 'reason = :reason');
      values[':now'] = now;
      values[':reason'] = outcome.reason;
    }
    if (update.redriven) {
      set.push('redrivenAt = if_not_exists(redrivenAt, :redrivenAt)');
      values[':redrivenAt'] = update.entry.at;
    }
    if (update.redriveOf !== undefined) {
      set.push('redriveOf = :redriveOf');
      values[':redriveOf'] = update.redriveOf;
    }
    // Never over a delivered record, and never over another body's record.
    const condition =
      'attribute_not_exists(deliveredAt) AND (attribute_not_exists(fingerprint) OR fingerprint = :fp)';
    const write = (endLease: boolean) =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(envelope),
          UpdateExpression: `SET ${set.join(', ')}${
            endLease || remove.length
              ? ` REMOVE ${[...remove, ...(endLease ? ['leaseUntil', 'leaseHolder'] : [])].join(', ')}`
              : ''
          }`,
          // The lease is ended only by its holder: one that outlived it may have been taken over.
          ConditionExpression: endLease
            ? `${condition} AND (attribute_not_exists(leaseHolder) OR leaseHolder = :holder)`
            : condition,
          ExpressionAttributeNames: { '#state': 'state', '#store': 'store' },
          ExpressionAttributeValues: endLease ? { ...values, ':holder': update.holder } : values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    try {
      await write(update.holder !== undefined);
      return 'recorded';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const found = error.Item ? (unmarshall(error.Item) as StoredMessageRecord) : undefined;
      const takenOver =
        update.holder !== undefined &&
        found !== undefined &&
        found.deliveredAt === undefined &&
        found.fingerprint === update.fingerprint;
      if (!takenOver) return 'conflict';
    }
    // Another copy holds the lease now (this attempt outlived its own): the attempt is recorded and
    // the other copy's lease left as it is.
    try {
      await write(false);
      return 'recorded';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'conflict';
      throw error;
    }
  }
}
