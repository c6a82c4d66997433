import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Clock, SkipLedger } from '../ports.js';
import { systemClock } from '../ports.js';
import { MESSAGE_TABLE } from '../tables.js';

/**
 * The {@link SkipLedger} in the message table (the table the forwarder already writes), one item per
 * message that was ever skipped, kept as long as records are. The space in its id keeps it apart
 * from message records (message ids have no spaces).
 */
export class DynamoDbSkipLedger implements SkipLedger {
  constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    private readonly clock: Clock = systemClock,
  ) {}

  private key(route: string, messageId: string) {
    return {
      [MESSAGE_TABLE.partitionKey]: { S: `skips ${messageId}` },
      [MESSAGE_TABLE.sortKey]: { S: route },
    };
  }

  async recordSkips(route: string, messageIds: readonly string[]): Promise<void> {
    const expiration = Math.floor(this.clock.now().getTime() / 1000) + MESSAGE_TABLE.minRetentionSeconds;
    await Promise.all(
      messageIds.map((messageId) =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: this.key(route, messageId),
            UpdateExpression: 'ADD skips :one SET #ttl = :expiration',
            ExpressionAttributeNames: { '#ttl': MESSAGE_TABLE.ttlAttribute },
            ExpressionAttributeValues: { ':one': { N: '1' }, ':expiration': { N: String(expiration) } },
          }),
        ),
      ),
    );
  }

  async skipsOf(route: string, messageId: string): Promise<number> {
    const output = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: this.key(route, messageId),
        ConsistentRead: true,
      }),
    );
    return Number(output.Item?.skips?.N ?? 0);
  }
}
