import { type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SQS_BATCH_LIMIT } from '../../shared/aws/sqs-batch-sender.js';
import { releaseMessages } from '../../shared/aws/sqs-message-queue.js';
import { deadLetterInfoFrom, fromSdkMessage } from '../../shared/envelope.js';
import { FAILOVER_TABLE } from '../../shared/tables.js';

/**
 * Reads that are the same on AWS and on the local emulator: queue counts, peeks at messages and the
 * failover backlog. Nothing here deletes or changes a message, but a peek is a ReceiveMessage, and
 * SQS counts every receive in the message's ApproximateReceiveCount (see {@link peekMessages}).
 */

/** How long a peeked message stays hidden while a listing pages on; all are released at the end. */
const PEEK_HIDE_SECONDS = 30;

/**
 * Up to `limit` messages of a queue without consuming them. Each page is hidden for a short while so
 * the next ReceiveMessage returns further messages, and every message is made visible again at the
 * end (also when a page fails). Side effect: each peek adds one to the messages' receive count.
 * `until` ends the walk early (e.g. once a looked-for id turned up).
 */
export async function peekMessages(
  sqs: SQSClient,
  queueUrl: string,
  options: { limit: number; until?: (message: Message) => boolean },
): Promise<Message[]> {
  const seen = new Map<string, Message>();
  try {
    while (seen.size < options.limit) {
      const output = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(SQS_BATCH_LIMIT, options.limit - seen.size),
          VisibilityTimeout: PEEK_HIDE_SECONDS,
          // A short poll samples only some SQS servers and can come back empty while messages
          // remain; a one-second long poll asks them all.
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );
      const page = (output.Messages ?? []).filter((message) => !seen.has(message.MessageId ?? ''));
      if (page.length === 0) break;
      for (const message of page) seen.set(message.MessageId ?? '', message);
      if (page.some((message) => options.until?.(message))) break;
    }
  } finally {
    await releaseMessages(sqs, queueUrl, [...seen.values()]);
  }
  return [...seen.values()].slice(0, options.limit);
}

/** A dead letter as the CLI shows it: our id and why it was given up, not SQS's bookkeeping. */
export interface DeadLetter {
  readonly route: string;
  /** The stable message id (Idempotency-Key), kept through redrive. */
  readonly id: string;
  /** SQS's id of this copy; changes when the message is re-sent. */
  readonly sqsMessageId: string;
  readonly attempts?: number;
  readonly reason?: string;
  readonly lastStatus?: number;
  readonly deadLetteredAt?: string;
  readonly receivedAt: string;
  readonly contentType: string;
  /** Receives of this copy, peeks by `gd dlq` included. */
  readonly receiveCount: number;
  readonly body: string;
}

/** A dead letter as `gd dlq` shows it, read from the SQS message and its attributes. */
export function toDeadLetter(route: string, message: Message): DeadLetter {
  const envelope = fromSdkMessage(message, route);
  const info = deadLetterInfoFrom(message.MessageAttributes);
  return {
    route: envelope.route,
    id: envelope.id,
    sqsMessageId: message.MessageId ?? '',
    ...(info.attempts === undefined ? {} : { attempts: info.attempts }),
    ...(info.reason === undefined ? {} : { reason: info.reason }),
    ...(info.lastStatus === undefined ? {} : { lastStatus: info.lastStatus }),
    ...(info.deadLetteredAt === undefined ? {} : { deadLetteredAt: info.deadLetteredAt }),
    receivedAt: envelope.receivedAt,
    contentType: envelope.contentType,
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    body: envelope.body,
  };
}

/**
 * Failover items per route. One paged Query of the by-age index per shard, reading only the route
 * attribute (the lease item has no shard, so it is not counted). Consumes read capacity for the
 * whole backlog, so it is meant for an operator's status, not a hot path.
 */
export async function failoverBacklog(
  dynamoDb: DynamoDBClient,
  tableName: string,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const { ageIndex } = FAILOVER_TABLE;
  for (let shard = 0; shard < FAILOVER_TABLE.shards; shard++) {
    let startKey: QueryCommand['input']['ExclusiveStartKey'];
    do {
      const output = await dynamoDb.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: ageIndex.name,
          KeyConditionExpression: '#shard = :shard',
          ProjectionExpression: '#route',
          ExpressionAttributeNames: { '#shard': ageIndex.partitionKey, '#route': 'route' },
          ExpressionAttributeValues: { ':shard': { S: String(shard) } },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of output.Items ?? []) {
        const route = item.route?.S ?? '?';
        counts.set(route, (counts.get(route) ?? 0) + 1);
      }
      startKey = output.LastEvaluatedKey;
    } while (startKey);
  }
  return counts;
}
