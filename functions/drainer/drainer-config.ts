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
import {
  ENV,
  type Env,
  intEnv,
  recordRetentionSecondsEnv,
  requireEnv,
} from '../../shared/config/env-names.js';
import { ConfigurationError } from '../../shared/errors.js';
import { createLogger } from '../../shared/logger.js';
import { SERVICE } from '../../shared/metrics.js';
import { type MessageQueue, systemClock } from '../../shared/ports.js';
import { DEFAULT_DRAIN_TIME_BUDGET_SECONDS, MAX_DRAIN_TIME_BUDGET_SECONDS } from '../../shared/resources.js';
import type { DrainerDeps } from './drain-failover.js';

/** The drainer's settings, read from its environment once at cold start. */
export interface DrainerConfig {
  readonly failoverTableName: string;
  readonly messageTableName: string;
  readonly recordRetentionSeconds: number;
  /** Route name → delivery queue URL. */
  readonly routeQueueUrls: Readonly<Record<string, string>>;
  readonly timeBudgetSeconds: number;
}

/** Reads the drainer's environment; a missing or malformed variable fails at cold start with its name. */
export function loadDrainerConfig(env: Env): DrainerConfig {
  const raw = requireEnv(env, ENV.ROUTE_QUEUE_URLS);
  let routeQueueUrls: unknown;
  try {
    routeQueueUrls = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(
      `${ENV.ROUTE_QUEUE_URLS} must be a JSON object of route name to queue URL, got '${raw}'`,
    );
  }
  if (
    typeof routeQueueUrls !== 'object' ||
    routeQueueUrls === null ||
    Array.isArray(routeQueueUrls) ||
    Object.values(routeQueueUrls).some((url) => typeof url !== 'string')
  ) {
    throw new ConfigurationError(
      `${ENV.ROUTE_QUEUE_URLS} must be a JSON object of route name to queue URL, got '${raw}'`,
    );
  }
  return {
    failoverTableName: requireEnv(env, ENV.FAILOVER_TABLE_NAME),
    messageTableName: requireEnv(env, ENV.MESSAGE_TABLE_NAME),
    recordRetentionSeconds: recordRetentionSecondsEnv(env),
    routeQueueUrls: routeQueueUrls as Record<string, string>,
    timeBudgetSeconds: intEnv(
      env,
      ENV.DRAIN_TIME_BUDGET_SECONDS,
      DEFAULT_DRAIN_TIME_BUDGET_SECONDS,
      1,
      MAX_DRAIN_TIME_BUDGET_SECONDS,
    ),
  };
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
    Object.entries(config.routeQueueUrls).map(([route, url]) => [route, new SqsMessageQueue(sqs, url)]),
  );
  const documents = createDocumentClient(dynamoDb);
  return {
    failover: new DynamoDbFailoverStore(documents, config.failoverTableName),
    records: new DynamoDbMessageRecords(documents, config.messageTableName, config.recordRetentionSeconds),
    ordered: new DynamoDbOrderedFailover(documents, config.failoverTableName),
    queueFor: (route) => queues.get(route),
    logger: overrides.logger ?? createLogger(SERVICE.DRAINER),
    clock: systemClock,
  };
}
