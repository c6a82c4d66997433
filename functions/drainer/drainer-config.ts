import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type ClientOptions,
  createDocumentClient,
  createDynamoDbClient,
  createSqsClient,
} from '../../shared/aws/clients.js';
import { DynamoDbFailoverStore } from '../../shared/aws/dynamodb-failover-store.js';
import { DynamoDbMessageRecords } from '../../shared/aws/dynamodb-message-records.js';
import { DynamoDbOrderedFailover } from '../../shared/aws/dynamodb-ordered-failover.js';
import { SqsMessageQueue } from '../../shared/aws/sqs-message-queue.js';
import type { Env } from '../../shared/config/env-names.js';
import {
  drainerDocumentSchema,
  parseConfigDocument,
  readConfigDocument,
  type StackSettings,
} from '../../shared/config/function-config.js';
import { readRouteTable, routeTableFromAsset } from '../../shared/config/route-table.js';
import { createLogger } from '../../shared/logger.js';
import { SERVICE } from '../../shared/metrics.js';
import { type MessageQueue, systemClock } from '../../shared/ports.js';
import { type NamedRoute, queueUrls } from '../../shared/resource-names.js';
import type { DrainerDeps } from './drain-failover.js';

/** The drainer's settings, read once at cold start. */
export interface DrainerConfig {
  readonly stack: StackSettings;
  /** The routes (name, ordering): a failover item of any other route is left where it is. */
  readonly routes: readonly NamedRoute[];
  readonly timeBudgetSeconds: number;
  /** SendMessageBatch calls in flight at once. */
  readonly concurrency: number;
}

/** The drainer's configuration from its document and the route table; throws naming the field at fault. */
export function drainerConfig(document: unknown, routeTable: unknown): DrainerConfig {
  const { stack, timeBudgetSeconds, concurrency } = parseConfigDocument(
    drainerDocumentSchema,
    document,
    'drainer',
  );
  return { stack, timeBudgetSeconds, concurrency, routes: readRouteTable(routeTable, 'drainer route table') };
}

/** On Lambda: the document in FUNCTION_CONFIG, the route table from the asset. */
export function loadDrainerConfig(env: Env): DrainerConfig {
  return drainerConfig(readConfigDocument(env), routeTableFromAsset());
}

/** What a caller outside Lambda (the local runner, `gd drain --local`) sets instead of the defaults. */
export interface DrainerOverrides {
  readonly sqsEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  /** Fixed credentials (an emulator's); the SDK's provider chain otherwise. */
  readonly credentials?: ClientOptions['credentials'];
  readonly logger?: Logger;
}

/** The drainer's ports over real SQS and DynamoDB clients; built once per container. */
export function createDrainerDeps(config: DrainerConfig, overrides: DrainerOverrides = {}): DrainerDeps {
  const credentials = overrides.credentials ? { credentials: overrides.credentials } : {};
  const sqs = createSqsClient({ endpoint: overrides.sqsEndpoint, ...credentials });
  const dynamoDb = createDynamoDbClient({ endpoint: overrides.dynamoDbEndpoint, ...credentials });
  const queues = new Map<string, MessageQueue>(
    config.routes.map((route) => [
      route.name,
      new SqsMessageQueue(sqs, queueUrls(config.stack.queues, route).queueUrl),
    ]),
  );
  const documents = createDocumentClient(dynamoDb);
  return {
    failover: new DynamoDbFailoverStore(documents, config.stack.failoverTable),
    records: new DynamoDbMessageRecords(
      documents,
      config.stack.messageTable,
      config.stack.recordRetentionSeconds,
    ),
    ordered: new DynamoDbOrderedFailover(documents, config.stack.failoverTable),
    queueFor: (route) => queues.get(route),
    logger: overrides.logger ?? createLogger(SERVICE.DRAINER),
    clock: systemClock,
  };
}
