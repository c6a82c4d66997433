import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { queueArn } from '../shared/aws/sqs-message-queue.js';
import type { RouteConfig } from '../shared/config/routes.js';
import { DLQ_RETENTION_SECONDS, deliveryQueueSettings, HIGH_THROUGHPUT_FIFO } from '../shared/queues.js';
import {
  localArchiveBucketName,
  localPayloadBucketName,
  localTableNames,
  queueNames,
} from '../shared/resource-names.js';
import { FAILOVER_TABLE, MESSAGE_TABLE } from '../shared/tables.js';

/**
 * Creates, on a local AWS emulator (moto or LocalStack), the queues and tables the CDK stack
 * creates on AWS, from the same definitions (shared/queues.ts, shared/tables.ts). Idempotent: existing ones are
 * reused, so a restart keeps undelivered messages.
 */

export interface RouteQueues {
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly queueArn: string;
  readonly dlqArn: string;
}

/** The local stack's table names. */
export interface Tables {
  readonly failoverTable: string;
  readonly messageTable: string;
}

/**
 * Creates a queue, or brings an existing one's attributes up to date: SQS refuses CreateQueue for an
 * existing name with other attributes (say, after MAX_ATTEMPTS changed), and a restart must keep
 * the messages already in it rather than fail.
 */
async function createOrUpdateQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  try {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return created.QueueUrl ?? '';
  } catch (error) {
    if (!(error instanceof QueueNameExists)) throw error;
    const existing = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const queueUrl = existing.QueueUrl ?? '';
    // FifoQueue is fixed at creation: SQS refuses it in SetQueueAttributes.
    const { FifoQueue: _fixed, ...settable } = attributes;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: settable }));
    return queueUrl;
  }
}

/**
 * The route's fail-messages DLQ and its delivery queue with a redrive policy to it; the delivery
 * queue keeps messages `retentionSeconds` (the operations configuration's, 7 days by default; the DLQ keeps its own 14).
 */
export async function provisionRouteQueues(
  sqs: SQSClient,
  prefix: string,
  route: RouteConfig,
  retentionSeconds?: number,
): Promise<RouteQueues> {
  const names = queueNames(prefix, route);
  const settings = deliveryQueueSettings(route, retentionSeconds);
  const dlqUrl = await createOrUpdateQueue(sqs, names.deadLetterQueue, {
    MessageRetentionPeriod: String(DLQ_RETENTION_SECONDS),
    // SQS: the dead-letter queue of a FIFO queue must be a FIFO queue.
    ...(settings.fifo ? { FifoQueue: 'true' } : {}),
  });
  const dlqArn = await queueArn(sqs, dlqUrl);
  const queueUrl = await createOrUpdateQueue(sqs, names.deliveryQueue, {
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(settings.retentionSeconds),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: dlqArn,
      maxReceiveCount: settings.maxReceiveCount,
    }),
    ...(settings.fifo ? HIGH_THROUGHPUT_FIFO : {}),
  });
  return { queueUrl, dlqUrl, queueArn: await queueArn(sqs, queueUrl), dlqArn };
}

async function createTable(
  dynamoDb: DynamoDBClient,
  input: ConstructorParameters<typeof CreateTableCommand>[0],
) {
  try {
    await dynamoDb.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  // moto creates tables ACTIVE at once; LocalStack can take a moment.
  for (let i = 0; i < 50; i++) {
    const table = await dynamoDb.send(new DescribeTableCommand({ TableName: input.TableName }));
    if (table.Table?.TableStatus === 'ACTIVE') return;
    await sleep(100);
  }
  throw new Error(`table ${input.TableName} did not become ACTIVE`);
}

/** The failover table (with its by-age index) and the message table (with TTL). */
export async function provisionTables(dynamoDb: DynamoDBClient, prefix: string): Promise<Tables> {
  const names = localTableNames(prefix);
  const { ageIndex } = FAILOVER_TABLE;
  await createTable(dynamoDb, {
    TableName: names.failoverTable,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: FAILOVER_TABLE.partitionKey, AttributeType: 'S' },
      { AttributeName: ageIndex.partitionKey, AttributeType: 'S' },
      { AttributeName: ageIndex.sortKey, AttributeType: 'N' },
    ],
    KeySchema: [{ AttributeName: FAILOVER_TABLE.partitionKey, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: ageIndex.name,
        KeySchema: [
          { AttributeName: ageIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: ageIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  });
  await createTable(dynamoDb, {
    TableName: names.messageTable,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: MESSAGE_TABLE.partitionKey, AttributeType: 'S' },
      { AttributeName: MESSAGE_TABLE.sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: MESSAGE_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: MESSAGE_TABLE.sortKey, KeyType: 'RANGE' },
    ],
  });
  await dynamoDb
    .send(
      new UpdateTimeToLiveCommand({
        TableName: names.messageTable,
        TimeToLiveSpecification: { AttributeName: MESSAGE_TABLE.ttlAttribute, Enabled: true },
      }),
    )
    .catch(() => undefined); // already enabled on a reused table
  return names;
}

/** The archive bucket (messages nearing retention); an existing one is reused. */
export async function provisionArchiveBucket(s3: S3Client, prefix: string): Promise<string> {
  return createBucket(s3, localArchiveBucketName(prefix));
}

/** The payload bucket (bodies over the claim-check threshold); an existing one is reused. */
export async function provisionPayloadBucket(s3: S3Client, prefix: string): Promise<string> {
  return createBucket(s3, localPayloadBucketName(prefix));
}

async function createBucket(s3: S3Client, bucket: string): Promise<string> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou || error instanceof BucketAlreadyExists)) throw error;
  }
  return bucket;
}
